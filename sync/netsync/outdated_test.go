package netsync

import (
	"context"
	"testing"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/synctest"
	"github.com/medihaven/medihaven/sync/xmpp"
)

// TestServerNotUpgraded: a workstation on a clinic server that does not
// run mod_medihaven_rooms yet (its rooms as Prosody makes them: the sync
// room temporary and semi-anonymous) says so in its status, once it has
// joined; on an upgraded server, where a colleague's chat made the clinic
// room already, it says nothing. It configures no room.
func TestServerNotUpgraded(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Kubo and Prosody")
	}
	ctx := context.Background()
	kubo := synctest.StartKubo(t)
	tests := []struct {
		name   string
		module bool // the server runs mod_medihaven_rooms
		want   string
	}{
		{"an upgraded server", true, ""},
		{"a server not yet upgraded", false, ServerOutdated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := synctest.StartProsody(t)
			if !tt.module {
				p.Stop(t)
				p.UseRoomsModule(t, false)
				p.Start(t)
			}
			cfg := serversConfig(kubo, p)
			tc, err := tlsConfig(cfg)
			if err != nil {
				t.Fatal(err)
			}
			colleague, err := xmpp.Dial(ctx, xmpp.Config{JID: "colleague@" + p.Domain, Password: "pw-colleague",
				Addr: p.Addr, TLS: tc, Register: true}, func(xmpp.Message) {})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { colleague.Close() })
			if err := colleague.JoinRoom(ctx, ChatRoomUser+"@"+p.MUC, "colleague"); err != nil {
				t.Fatal(err)
			}
			id, err := crypto.GenerateIdentity("Ada Admin")
			if err != nil {
				t.Fatal(err)
			}
			s := newStation(t, id)
			y, err := Start(ctx, cfg, s, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(y.Stop)
			waitUntil(t, "the sync room joined", time.Minute, func() bool { return y.Status().Connected })
			if got := y.Status().LastError; got != tt.want {
				t.Errorf("status %q, want %q", got, tt.want)
			}
		})
	}
}
