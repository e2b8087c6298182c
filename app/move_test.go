package app

import (
	"context"
	"testing"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/netsync"
	"github.com/medihaven/medihaven/sync/store"
)

// TestMoveOverTheNetwork: Lena's workstation was made before session 17,
// on a random device id (her entry names it). At a login once she is
// admitted it moves onto an id bound to her key (move.go) and keeps
// writing there, its XMPP account and profile device id unchanged. Over a
// real Kubo and Prosody, the receptionist's workstation and a newcomer's
// that joins after the move keep what she wrote before and after it; an
// event the receptionist signs into Lena's new chain is refused on both.
func TestMoveOverTheNetwork(t *testing.T) {
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
	before, err := lena.RegisterPatient(ctx, Patient{Family: "Before", Given: "Bea", Birth: "1970-01-02"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Lena's chain sent", 30*time.Second, func() bool {
		var unsent int
		err := rep(t, lena).DB().View(ctx, func(tx *store.Tx) error {
			var err error
			unsent, err = netsync.Unsent(ctx, tx, old)
			return err
		})
		return err == nil && unsent == 0
	})

	lena.Lock()
	if err := lena.Unlock(ctx, []byte(testPass)); err != nil {
		t.Fatal(err)
	}
	r := rep(t, lena)
	device := r.Device()
	if !crypto.DeviceBoundTo(device, lena.Fingerprint()) {
		t.Fatalf("after a login Lena writes as device %s, not bound to her key", device)
	}
	if r.Account() != old || lena.Profile().Device != old {
		t.Errorf("Lena's account %s and profile device %s, want her old id %s kept", r.Account(), lena.Profile().Device, old)
	}
	after, err := lena.RegisterPatient(ctx, Patient{Family: "After", Given: "Abe", Birth: "1971-02-03"})
	if err != nil {
		t.Fatal(err)
	}
	// Another login does not move it again.
	lena.Lock()
	if err := lena.Unlock(ctx, []byte(testPass)); err != nil {
		t.Fatal(err)
	}
	if got := rep(t, lena).Device(); got != device {
		t.Fatalf("a second login moved Lena's workstation again: %s, then %s", device, got)
	}

	nora := c.join(t, "Nora Newdesk", roles.Receptionist)
	c.confirm(t, c.recep, nora)
	for _, s := range []*Session{c.recep, nora} {
		var e1, e2 error
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if _, e1 = s.Patient(ctx, before.ID); e1 == nil {
				if _, e2 = s.Patient(ctx, after.ID); e2 == nil {
					break
				}
			}
		}
		if e1 != nil || e2 != nil {
			r := rep(t, s)
			raws, _ := r.EnvelopesAfter(ctx, device, 0, -1)
			t.Logf("%s holds the front desk key %v; %d events of Lena's new chain; problems %v", s.StaffName(), r.Holds(roles.FrontDesk), len(raws), c.syncer[s].Problems())
			t.Fatalf("%s does not read Lena's patients from before (%v) and after (%v) her move", s.StaffName(), e1, e2)
		}
		owner, err := rep(t, s).DeviceAuthor(ctx, device)
		if err != nil || owner != lena.Fingerprint() {
			t.Errorf("on %s's workstation Lena's new chain belongs to %q (%v)", s.StaffName(), short(owner), err)
		}
	}

	// The receptionist's modified software signs a patient into Lena's
	// new chain, after its last event.
	rr := rep(t, c.recep)
	var tip store.Envelope
	err = rr.DB().View(ctx, func(tx *store.Tx) error {
		t, ok, err := tx.ChainTip(ctx, device)
		if err == nil && ok {
			tip, err = tx.EnvelopeAt(ctx, device, t.Seq)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	k, _ := rr.Key(roles.FrontDesk)
	squatter := &hostileChain{id: rr.Identity(), device: device, seq: tip.Seq, prev: tip.Hash, lamport: tip.Lamport, now: time.Now}
	squat := squatter.sealed(t, k, "patient", string(roles.FrontDesk), crypto.NewEventID(), 0, map[string]any{"family": "Squat"})
	for _, s := range []*Session{c.phys, nora} {
		if _, err := rep(t, s).Apply(ctx, [][]byte{squat.Raw}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Patient(ctx, squat.Header.Entity); err == nil {
			t.Errorf("on %s's workstation the receptionist's patient in Lena's chain is kept", s.StaffName())
		}
		if owner, _ := rep(t, s).DeviceAuthor(ctx, device); owner != lena.Fingerprint() {
			t.Errorf("on %s's workstation Lena's new chain belongs to %q after the squat", s.StaffName(), short(owner))
		}
	}
	for s, y := range c.syncer {
		if ps := y.Problems(); len(ps) > 0 {
			t.Logf("%s: sync problems: %v", s.StaffName(), ps)
		}
	}
}
