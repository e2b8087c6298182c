package replica

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// TestAttackS17dKeyKindNamesMember: an outsider (no entry, own key) on a
// random (legacy-shaped) device id writes "key" events whose header names
// a member (the founder) as author. Key events are not verified on
// arrival (arrive.go verify: KindKey skipped), so named() takes the
// claimed author as a member and the unnamed-device bound (unnamed.go)
// does not apply: every event is stored.
func TestAttackS17dKeyKindNamesMember(t *testing.T) {
	const n = 200
	c := newClinic(t)
	otto := newPerson(t, "Otto Outsider", roles.Physician)
	device := crypto.NewEventID() // a random id: no bound to check
	victim := c.admin.fp()
	pad := strings.Repeat("x", 2000)
	var chain [][]byte
	prev := ""
	for i := range n {
		h := crypto.Header{ID: crypto.NewEventID(), Entity: victim, Kind: KindKey, Scope: ScopePublic, Author: otto.fp(),
			Device: device, Seq: uint64(i + 1), Prev: prev, Lamport: uint64(i + 1), Time: c.sPh2.r.now().UnixMilli()}
		env, err := crypto.SealRaw(h, []byte(`{"pad":"`+pad+`"}`), otto.id)
		if err != nil {
			t.Fatal(err)
		}
		raw := bytes.Replace(env.Raw, []byte(otto.fp()), []byte(victim), 1)
		p, err := crypto.ParseEnvelope(raw)
		if err != nil {
			t.Fatalf("patched envelope does not parse: %v", err)
		}
		if p.Header.Author != victim {
			t.Fatalf("author not patched: %s", p.Header.Author)
		}
		chain, prev = append(chain, raw), p.Hash()
	}
	rep := c.sPh2.apply(chain...)
	rows, b, states := c.sPh2.deviceRows(device)
	t.Logf("sent %d key events naming the founder; stored %d rows, %d bytes, by state %v; report OverBound %d rejected %d", n, rows, b, states, rep.OverBound, rep.Rejected)
	if rows > unnamedEvents || int64(b) > unnamedBytes {
		t.Fatalf("a device no entry names stored %d events (%d bytes) past the bound of %d/%d: the claimed author of an unverified key event named it", rows, b, unnamedEvents, unnamedBytes)
	}
}

// TestS17dSquatNewcomerKeyHeld: an outsider forges seq 1 of a newcomer's
// bound device, a "key" event whose header names her as author (sealed
// with his key, the author bytes swapped). Key events are not verified on
// arrival, so the bound check (DeviceBoundTo(device, claimed author))
// passes and the forgery takes her chain's first place; her genuine key
// event, not verified either, cannot replace it (replaceUnverified is for
// verified envelopes only). Compare with a workstation that got hers first.
func TestS17dSquatNewcomerKeyHeld(t *testing.T) {
	c := newClinic(t)
	otto := newPerson(t, "Otto Outsider", roles.Physician)
	nina := newPerson(t, "Nina Newcomer", roles.Physician)
	sNina := join(t, nina, c.id, c.admin.fp())
	genuine := sNina.own()
	first, err := crypto.ParseEnvelope(genuine[0])
	if err != nil {
		t.Fatal(err)
	}
	h := first.Header
	h.ID, h.Author = crypto.NewEventID(), otto.fp()
	env, err := crypto.SealRaw(h, []byte(`{"forged":true}`), otto.id)
	if err != nil {
		t.Fatal(err)
	}
	forgery := bytes.Replace(env.Raw, []byte(otto.fp()), []byte(nina.fp()), 1)
	c.sPh2.apply(forgery)
	c.sPh2.apply(genuine...)
	c.sPhys.apply(genuine...)
	device := sNina.r.Device()
	got, _, gotStates := c.sPh2.deviceRows(device)
	want, _, wantStates := c.sPhys.deviceRows(device)
	var held []byte
	_ = c.sPh2.db.View(context.Background(), func(tx *store.Tx) error {
		e, err := tx.EnvelopeAt(context.Background(), device, 1)
		if err == nil {
			held = e.Raw
		}
		return err
	})
	t.Logf("forgery first: %d rows %v; hers first: %d rows %v", got, gotStates, want, wantStates)
	if !bytes.Equal(held, genuine[0]) {
		t.Fatalf("her device's seq 1 on the workstation that heard the forgery first is not her key event: an outsider took her chain's first place")
	}
}
