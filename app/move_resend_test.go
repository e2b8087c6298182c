package app

import (
	"context"
	"testing"
	"time"

	shell "github.com/ipfs/go-ipfs-api"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/ipfs"
	"github.com/medihaven/medihaven/sync/netsync"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
)

// TestMovedChainLostPackSentAgain: Lena's workstation of before session 17
// pushes her old chain X in several packs, then moves onto a bound id D
// (move.go). A pack of X is then lost from IPFS (unpinned and collected):
// the one holding her first patient, or X's last, the one her
// workstation announces for X for ever. Over a real Kubo and Prosody a
// newcomer who joins afterwards asks "mh1 want X SEQ" (an older pack on
// neither the node nor its peers, or the fresh pack of X's last event
// that Lena's workstation announces once it finds X's last pack gone
// names none); Lena's workstation, now writing in D, answers for X too
// (netsync resend.go answersFor), and the newcomer completes X. Before
// session 19 it answered wants for D only, and the newcomer never read
// the patient.
func TestMovedChainLostPackSentAgain(t *testing.T) {
	for _, tc := range []struct {
		name string
		last bool // X's last pack is lost, not the older one
	}{
		{"an older pack", false},
		{"the old chain's last pack", true},
	} {
		t.Run(tc.name, func(t *testing.T) { lostPackOfMovedChain(t, tc.last) })
	}
}

func lostPackOfMovedChain(t *testing.T, last bool) {
	ctx := context.Background()
	c := newNetClinic(t)
	newDeviceID = func(string) string { return crypto.NewEventID() } // a workstation of before session 17
	lena := c.join(t, "Dr Lena Legacy", roles.Physician)
	newDeviceID = crypto.NewDeviceID
	old := lena.Profile().Device
	if crypto.IsBoundDeviceID(old) {
		t.Fatalf("setup: Lena's device id %s is bound", old)
	}
	c.confirm(t, c.phys, lena)
	waitFor(t, "Lena holds the front-desk key", 30*time.Second, func() bool {
		r, err := lena.Replica()
		return err == nil && r.Holds(roles.FrontDesk)
	})
	sent := func() {
		t.Helper()
		waitFor(t, "Lena's chain sent", 30*time.Second, func() bool {
			var unsent int
			err := rep(t, lena).DB().View(ctx, func(tx *store.Tx) error {
				var err error
				unsent, err = netsync.Unsent(ctx, tx, old)
				return err
			})
			return err == nil && unsent == 0
		})
	}
	sent()
	lost, err := lena.RegisterPatient(ctx, Patient{Family: "Lost", Given: "Lou", Birth: "1970-01-02"})
	if err != nil {
		t.Fatal(err)
	}
	sent() // a pack of its own, or with what came before it
	later, err := lena.RegisterPatient(ctx, Patient{Family: "Later", Given: "Lee", Birth: "1971-02-03"})
	if err != nil {
		t.Fatal(err)
	}
	sent()

	lena.Lock() // the move, at the next login
	if err := lena.Unlock(ctx, []byte(testPass)); err != nil {
		t.Fatal(err)
	}
	r := rep(t, lena)
	if !crypto.DeviceBoundTo(r.Device(), lena.Fingerprint()) || r.Account() != old {
		t.Fatalf("after a login Lena writes as %s with account %s, want a bound id and her old %s", r.Device(), r.Account(), old)
	}

	// The pack of X holding the first patient: walked back from X's last.
	var seq uint64
	var head string
	err = r.DB().View(ctx, func(tx *store.Tx) error {
		rows, err := tx.EnvelopesForEntity(ctx, lost.ID)
		for _, row := range rows {
			if row.Device == old {
				seq = row.Seq
			}
		}
		if err != nil {
			return err
		}
		b, err := tx.Meta(ctx, "sync/moved-pack-head")
		head = string(b)
		return err
	})
	if err != nil || seq == 0 {
		t.Fatalf("the first patient's event in X (seq %d) and X's last pack: %v", seq, err)
	}
	kubo := ipfs.New(c.kubo.API)
	cid := head
	for !last {
		b, err := kubo.GetLocal(ctx, cid, replica.MaxPackBytes)
		if err != nil {
			t.Fatal(err)
		}
		p, err := replica.ParsePack(b)
		if err != nil {
			t.Fatal(err)
		}
		if p.From <= seq && seq <= p.To {
			break
		}
		cid = p.Prev
	}
	if cid == head && !last {
		t.Fatalf("setup: the first patient (X's seq %d) is in X's last pack, which is announced", seq)
	}
	sh := shell.NewShell(c.kubo.API)
	if err := sh.Request("pin/rm", cid).Option("recursive", true).Exec(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if err := sh.Request("repo/gc").Exec(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := kubo.GetLocal(ctx, cid, replica.MaxPackBytes); err == nil {
		t.Fatalf("setup: X's pack %s still on IPFS after unpinning it and a garbage collection", cid)
	}
	t.Logf("X's pack %s lost from IPFS (the first patient is X's seq %d)", cid, seq)

	nora := c.join(t, "Nora Newdesk", roles.Receptionist)
	c.confirm(t, c.recep, nora)
	start := time.Now()
	var e1, e2 error
	for deadline := time.Now().Add(150 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if _, e1 = nora.Patient(ctx, lost.ID); e1 == nil {
			if _, e2 = nora.Patient(ctx, later.ID); e2 == nil {
				break
			}
		}
	}
	if e1 != nil || e2 != nil {
		t.Logf("Lena's sync: %+v", c.syncer[lena].Status())
		t.Logf("Nora's sync: %+v; problems %v", c.syncer[nora].Status(), c.syncer[nora].Problems())
		t.Fatalf("the newcomer does not read Lena's patients from her old chain: lost %v, later %v", e1, e2)
	}
	t.Logf("the newcomer read the patient of the lost pack %s after she joined", time.Since(start).Round(100*time.Millisecond))
	var to string
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline) && to != r.Device(); time.Sleep(100 * time.Millisecond) {
		if to, err = replica.MovedChain(ctx, rep(t, nora).DB(), lena.Fingerprint(), old); err != nil {
			t.Fatal(err)
		}
	}
	if to != r.Device() {
		t.Errorf("on the newcomer's workstation Lena's move from %s leads to %q, want %s", old, to, r.Device())
	}
	err = rep(t, nora).DB().View(ctx, func(tx *store.Tx) error {
		t0, ok, err := tx.ChainTip(ctx, old)
		if err != nil || !ok {
			return err
		}
		whole, err := tx.ChainStored(ctx, old, t0.Seq)
		if err == nil && !whole {
			t.Errorf("the newcomer holds Lena's old chain up to %d with a gap", t0.Seq)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
