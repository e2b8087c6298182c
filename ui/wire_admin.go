package ui

import (
	"fyne.io/fyne/v2"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/ui/admin"
)

// The administrator's screens (ui/admin).
func init() {
	register(roles.Administrator, "Registration tokens", func(s Session, w fyne.Window) fyne.CanvasObject {
		d, ok := s.(admin.TokenDesk)
		if !ok {
			return nil
		}
		return admin.NewTokens(d, w)
	})
	register(roles.Administrator, "Staff directory", func(s Session, w fyne.Window) fyne.CanvasObject {
		d, ok := s.(admin.DirectoryDesk)
		if !ok {
			return nil
		}
		return admin.NewDirectory(d, w)
	})
	register(roles.Administrator, "Audit log", func(s Session, w fyne.Window) fyne.CanvasObject {
		d, ok := s.(admin.AuditDesk)
		if !ok {
			return nil
		}
		return admin.NewAudit(d, w)
	})
	register(roles.Administrator, "Security", func(s Session, w fyne.Window) fyne.CanvasObject {
		d, ok := s.(admin.SecurityDesk)
		if !ok {
			return nil
		}
		return admin.NewSecurity(d, w)
	})
}
