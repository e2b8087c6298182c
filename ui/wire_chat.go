package ui

import (
	"github.com/medihaven/medihaven/roles"
	staffchat "github.com/medihaven/medihaven/ui/chat"
)

// The staff chat (ui/chat), the same panel for every role, and its watch:
// the unread count on "Chat" and desktop notifications, on every screen.
func init() {
	for _, role := range []roles.Role{roles.Administrator, roles.Receptionist, roles.Physician} {
		register(role, "Chat", screenOf[staffchat.Session](staffchat.New))
	}
	watches["Chat"] = func(s Session, env WatchEnv) func() {
		c, ok := staffchat.Of(s)
		if !ok {
			return nil
		}
		return staffchat.Watch(c, staffchat.WatchEnv{Focused: env.Focused, Showing: env.Showing, Badge: env.Badge, Background: env.Background})
	}
}
