package ui

import (
	"fyne.io/fyne/v2"

	"github.com/medihaven/medihaven/roles"
	staffchat "github.com/medihaven/medihaven/ui/chat"
)

// The staff chat (ui/chat), the same panel for every role.
func init() {
	for _, role := range []roles.Role{roles.Administrator, roles.Receptionist, roles.Physician} {
		register(role, "Chat", func(s Session, w fyne.Window) fyne.CanvasObject {
			c, ok := s.(staffchat.Chat)
			if !ok {
				return nil
			}
			return staffchat.New(c, w)
		})
	}
}
