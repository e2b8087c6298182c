package netsync

import (
	"context"
	"testing"
	"time"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/synctest"
	"github.com/medihaven/medihaven/sync/xmpp"
)

// TestSyncRoomNotArchived: the sync room keeps nothing in the server's
// archive (Prosody wrote every hello and head to disk, and nobody reads
// them back). A workstation joining later hears the room's history
// replayed from memory, which does not say who spoke: it is neither
// believed nor counted as refused (it is no sign of a room that hides
// real addresses), and the joiner catches up from the heads said in
// answer to its hello.
func TestSyncRoomNotArchived(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Kubo and Prosody")
	}
	ctx := context.Background()
	kubo, p := synctest.StartKubo(t), synctest.StartProsody(t)
	cfg := serversConfig(kubo, p)
	_, ss := grantedClinic(t, 2)
	first, later := ss[0], ss[1]
	y1, err := Start(ctx, cfg, first, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer y1.Stop()
	waitUntil(t, "the first workstation's head announced", 30*time.Second, func() bool {
		st := y1.Status()
		return st.Waiting == 0 && st.Announced > 0
	})
	y2, err := Start(ctx, cfg, later, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer y2.Stop()
	waitUntil(t, "the later workstation holding the first one's key", 30*time.Second, func() bool { return later.r.Holds(roles.Admin) })
	if st := y2.Status(); st.Refused != 0 || st.LastError != "" {
		t.Errorf("the later workstation refused %d messages: %q", st.Refused, st.LastError)
	}

	reader, err := xmpp.Dial(synctestContext(t), xmpp.Config{JID: p.Register(t, "reader", "reader-password"), Password: "reader-password",
		Addr: p.Addr, TLS: p.TLSConfig()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	page, err := reader.Archive(synctestContext(t), y1.room(), "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Messages) != 0 {
		t.Errorf("the sync room's archive holds %d messages, first %q", len(page.Messages), page.Messages[0].Body)
	}
}

func synctestContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
