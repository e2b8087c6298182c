package ui

import (
	"github.com/medihaven/medihaven/roles"
	staffchat "github.com/medihaven/medihaven/ui/chat"
)

// The staff chat (ui/chat), the same panel for every role.
func init() {
	for _, role := range []roles.Role{roles.Administrator, roles.Receptionist, roles.Physician} {
		register(role, "Chat", screenOf[staffchat.Chat](staffchat.New))
	}
}
