package ui

import (
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/ui/admin"
)

// The administrator's screens (ui/admin).
func init() {
	register(roles.Administrator, "Registration tokens", screenOf[admin.TokenDesk](admin.NewTokens))
	register(roles.Administrator, "Staff directory", screenOf[admin.DirectoryDesk](admin.NewDirectory))
	register(roles.Administrator, "Audit log", screenOf[admin.AuditDesk](admin.NewAudit))
	register(roles.Administrator, "Security", screenOf[admin.SecurityDesk](admin.NewSecurity))
}
