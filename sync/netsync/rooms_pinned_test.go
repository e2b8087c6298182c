package netsync

import (
	"strings"
	"testing"

	"github.com/medihaven/medihaven/internal/prosodyconf"
)

// TestRoomsPinnedByServer: the rooms workstations join are the ones the
// server's mod_medihaven_rooms configures and guards (its Lua table names
// them): renaming a room here without the module would leave it to its
// creator.
func TestRoomsPinnedByServer(t *testing.T) {
	src := string(prosodyconf.RoomsModuleSource)
	for _, tc := range []struct{ room, want string }{
		{RoomUser, RoomUser + " = { archiving = false };"},
		{ChatRoomUser, ChatRoomUser + " = { archiving = true };"},
	} {
		if !strings.Contains(src, tc.want) {
			t.Errorf("mod_medihaven_rooms does not pin the room %q (want %q in its table)", tc.room, tc.want)
		}
	}
}
