package apptest

import (
	"context"
	"testing"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/internal/testkit"
	"github.com/medihaven/medihaven/sync/netsync"
	"github.com/medihaven/medihaven/sync/synctest"
)

// Net is a clinic's servers on loopback, a real Kubo and a real Prosody,
// and the network syncs started on them.
type Net struct {
	Kubo    *synctest.Kubo
	XMPP    *synctest.Prosody
	Syncers map[*app.Session]*netsync.Syncer // the newest sync of each session
	// Chat gives the chat hooks a session's sync carries (nil: none).
	Chat func(*app.Session) netsync.Chat
}

// NewNet starts Kubo and Prosody; they stop when the test ends.
func NewNet(t testing.TB) *Net {
	t.Helper()
	return &Net{Kubo: synctest.StartKubo(t), XMPP: synctest.StartProsody(t), Syncers: map[*app.Session]*netsync.Syncer{}}
}

// Config is how a workstation reaches the servers, retrying fast.
func (n *Net) Config() netsync.Config {
	return testkit.SyncConfig(n.Kubo, n.XMPP)
}

// Start starts s's network sync; it stops when the test ends (or
// earlier, by Syncers[s].Stop).
func (n *Net) Start(t testing.TB, s *app.Session) {
	t.Helper()
	var chat netsync.Chat
	if n.Chat != nil {
		chat = n.Chat(s)
	}
	y, err := s.StartSync(context.Background(), n.Config(), chat)
	if err != nil {
		t.Fatal(err)
	}
	n.Syncers[s] = y
	t.Cleanup(y.Stop)
}

// WaitFor polls cond every 20 ms until it holds, failing the test after
// timeout.
var WaitFor = synctest.WaitFor
