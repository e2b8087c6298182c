package netsync

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/synctest"
)

// TestHeadOfAWorkstationSwitchedOff (found under Xvfb by h-ux20, session
// 20): the receptionist's workstation writes, pushes, announces its head
// in the sync room and is switched off; the physician's, started only
// afterwards, still gets her change. The room keeps no archive and a
// joiner believes no replayed head: before the heads were also kept on
// each workstation's own PEP node (urn:medihaven:head), the physician's
// waited for the receptionist's to come back on, "Connected · waiting to
// send: 0" on both.
func TestHeadOfAWorkstationSwitchedOff(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Kubo and Prosody")
	}
	ctx := context.Background()
	kubo, p := synctest.StartKubo(t), synctest.StartProsody(t)
	cfg := serversConfig(kubo, p)
	_, ss := grantedClinic(t, 2)
	reception, physician := ss[0], ss[1]
	yr, err := Start(ctx, cfg, reception, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { yr.Stop() }()
	yp, err := Start(ctx, cfg, physician, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Both on together once: the physician's stores the reception's chain.
	waitUntil(t, "the physician's workstation holding the reception's key", 30*time.Second, func() bool { return physician.r.Holds(roles.Admin) })
	yp.Stop()

	// The physician's is off: the reception registers a patient, pushes,
	// announces, and is switched off.
	f, _ := replica.F(map[string]any{"status": "registered"})
	if _, err := reception.r.Append(ctx, replica.Change{Entity: crypto.NewEventID()[:16], Kind: "token", Scope: roles.Admin, Fields: f}); err != nil {
		t.Fatal(err)
	}
	dev := reception.r.Device()
	written := storedOf(t, reception, dev)
	waitUntil(t, "the reception's new head pushed and announced", 30*time.Second, func() bool {
		st := yr.Status()
		return st.Waiting == 0 && st.Announced >= written
	})
	if got := storedOf(t, physician, dev); got >= written {
		t.Fatalf("the physician's workstation, off, stores %d of the reception's %d events already", got, written)
	}
	yr.Stop()

	// The physician's starts afterwards, alone.
	yp, err = Start(ctx, cfg, physician, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer yp.Stop()
	waitUntil(t, "the physician's workstation storing the change of the reception's, which is off", 30*time.Second, func() bool {
		return storedOf(t, physician, dev) >= written
	})
	waitUntil(t, "the physician's first catch-up done", 30*time.Second, func() bool { return yp.Status().CaughtUp })
	if st := yp.Status(); st.Refused != 0 {
		t.Errorf("the physician's workstation refused %d heads: %q", st.Refused, st.LastError)
	}
}

// TestPEPHeadOnlyForItsAccountsDevices (hostile): a head read from the PEP
// node of account X is taken as X's say, as in the sync room: believed
// only for a device X speaks for. Mallory, an account of the server,
// keeps a colleague's head on her own node: refused. A head naming this
// workstation's own device is kept, not believed (a sign of a fork). The
// accounts read are the directory's named devices' and the stored
// chains', never this workstation's own.
func TestPEPHeadOnlyForItsAccountsDevices(t *testing.T) {
	ctx := context.Background()
	_, _, ss := newClinic(t, 1)
	founder := ss[0]
	colleague := crypto.NewEventID() // her workstation's random id, and its account
	admitPhysician(t, founder, "Nina Newcomer", colleague)
	y := &Syncer{ws: founder, cfg: Config{Domain: "clinic.test"}, ctx: ctx, heard: make(chan heardHead, 16), again: make(chan struct{}, 1)}
	accounts := y.headAccounts()
	if len(accounts) != 1 || accounts[0] != colleague {
		t.Errorf("accounts read: %q, want only the colleague's %s", accounts, colleague)
	}

	head := func(device string) string {
		return replica.Announcement{Device: device, Seq: 9, Hash: strings.Repeat("ab", 32), CID: "bafkreifake"}.String()
	}
	mallory := crypto.NewEventID()
	y.pepHeadOf(mallory, head(colleague))
	if st := y.Status(); st.Refused != 1 || len(y.heard) != 0 {
		t.Errorf("a colleague's head on Mallory's node: refused %d, %d taken", st.Refused, len(y.heard))
	}
	y.pepHeadOf(mallory, "mh1 head nonsense")
	if st := y.Status(); st.Refused != 1 || len(y.heard) != 0 {
		t.Errorf("no head on Mallory's node: refused %d, %d taken", st.Refused, len(y.heard))
	}
	y.pepHeadOf(colleague, head(colleague))
	if h := <-y.heard; !h.own || h.by != colleague || h.Device != colleague {
		t.Errorf("the colleague's head on her own node: %+v", h)
	}
	y.pepHeadOf(mallory, head(founder.r.Device()))
	if h := <-y.heard; h.own || h.Device != founder.r.Device() {
		t.Errorf("this workstation's own head on Mallory's node: %+v, want kept as not its say", h)
	}
}
