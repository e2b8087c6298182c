package ui

import (
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/ui/admin"
)

// auditTitle is the audit log's section: the status bar's count of refused
// events opens its list of them.
const auditTitle = "Audit log"

// The administrator's screens (ui/admin).
func init() {
	register(roles.Administrator, "Registration tokens", screenOf[admin.TokenSession](admin.NewTokens))
	register(roles.Administrator, "Staff directory", screenOf[admin.DirectorySession](admin.NewDirectory))
	register(roles.Administrator, auditTitle, screenOf[admin.Changes](admin.NewAudit))
	register(roles.Administrator, "Security", screenOf[admin.SecuritySession](admin.NewSecurity))
	register(roles.Administrator, "Clinic", screenOf[admin.ClinicSession](admin.NewClinic))
}
