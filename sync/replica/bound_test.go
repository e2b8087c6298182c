package replica

import (
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// TestBoundDeviceKeepsOnlyItsMember: a device id bound to its member's key
// (crypto.NewDeviceID) keeps only events that key signed, whichever came
// first and whatever the directory names: Ada, an active administrator,
// writes into Nina's bound workstation's chain (its first event before
// Nina's, or a later one on top of hers), with or without naming it in her
// own entry. Every workstation refuses Ada's event and keeps Nina's chain
// and her patient, in either order; Nina's own events on her bound id are
// kept with no entry naming it yet, as on a random id.
func TestBoundDeviceKeepsOnlyItsMember(t *testing.T) {
	for _, tc := range []struct {
		name       string
		first      bool // Ada's event takes seq 1 (else seq 2, after Nina's key)
		naming     bool // Ada's own entry names Nina's workstation
		squatFirst bool // the workstation hears of Ada's event before Nina's
	}{
		{name: "her key event, squat heard first", first: true, squatFirst: true},
		{name: "her key event, squat heard last", first: true},
		{name: "Ada names it in her entry, squat heard first", first: true, naming: true, squatFirst: true},
		{name: "Ada names it in her entry, squat heard last", first: true, naming: true},
		{name: "a later event on top of hers"},
		{name: "a later event, Ada naming it", naming: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClinic(t)
			nina := c.newcomerOn(t, "Nina Newcomer", true)
			device := nina.r.Device()
			if !crypto.DeviceBoundTo(device, nina.p.fp()) {
				t.Fatalf("setup: Nina's device %s is not bound to her key", device)
			}
			if tc.naming {
				c.sAdmin.forge(forged{Entity: c.admin.fp(), Kind: KindMember, Scope: string(roles.Directory),
					Fields: fields(t, map[string]any{"devices": []string{c.sAdmin.r.Device(), device}})})
			}
			c.sAdmin.apply(nina.own()...)
			c.sAdmin.entry(nina.p, crypto.NewEventID(), device)
			work := nina.patient("Nina's first patient")
			var squat *crypto.Envelope
			if tc.first {
				pub, _ := json.Marshal(map[string]string{"pub": base64.StdEncoding.EncodeToString(c.admin.id.Public().Bytes())})
				squat = c.sAdmin.forge(forged{Device: device, Seq: 1, Entity: c.admin.fp(), Kind: KindKey, Scope: ScopePublic, Raw: pub})
			} else {
				own := nina.own()
				last, _ := crypto.ParseEnvelope(own[len(own)-1])
				squat = c.sAdmin.forge(forged{Device: device, Seq: last.Header.Seq + 1, Prev: last.Hash(), Entity: crypto.NewEventID(),
					Kind: "patient", Scope: string(roles.FrontDesk), Fields: fields(t, map[string]any{"family": "Ada's"})})
			}
			s := c.sPhys
			if tc.squatFirst {
				s.apply(raws(squat)...)
			}
			s.apply(c.sAdmin.own()...)
			s.apply(nina.own()...)
			s.apply(raws(squat)...)
			late := c.observer(t)
			late.apply(raws(squat)...)
			for _, s := range []*station{s, late} {
				if st, why := s.state(squat.Header.ID); st == store.Applied {
					t.Errorf("on %s's workstation Ada's event in Nina's bound chain is applied (%s)", s.p.name, why)
				}
				if owner := s.deviceOwner(device); owner != nina.p.fp() {
					t.Errorf("on %s's workstation Nina's bound workstation belongs to %s, not to her", s.p.name, short(owner))
				}
				if st, why := s.state(work.Header.ID); st != store.Applied {
					t.Errorf("on %s's workstation Nina's patient is %v (%s)", s.p.name, st, why)
				}
			}
			if d := s.snapshot().diff(late.snapshot()); d != "" {
				t.Errorf("the two orders disagree:\n%s", d)
			}
		})
	}
}

// TestBoundDeviceHerEntryNamesAnother: a bound id does not lift the
// directory's rule that a member's entry naming other devices only refuses
// the rest: Nina's events on her bound workstation are kept where they
// arrive before her entry naming another device, and dropped once it
// arrives (settleDevice), so both orders end alike with nothing of hers.
func TestBoundDeviceHerEntryNamesAnother(t *testing.T) {
	c := newClinic(t)
	nina := c.newcomerOn(t, "Nina Newcomer", true)
	c.sAdmin.apply(nina.own()...)
	c.sAdmin.entry(nina.p, crypto.NewEventID(), nina.p.bound())
	work := nina.patient("Nina's patient")
	entryFirst, entryLast := c.sPhys, c.observer(t)
	entryFirst.apply(c.sAdmin.own()...)
	entryFirst.apply(nina.own()...)
	entryLast.apply(nina.own()...)
	entryLast.apply(c.sAdmin.own()...)
	for _, s := range []*station{entryFirst, entryLast} {
		if st, _ := s.state(work.Header.ID); st == store.Applied {
			t.Errorf("on %s's workstation Nina's patient from a device her entry does not name is applied", s.p.name)
		}
	}
	if d := entryFirst.snapshot().diff(entryLast.snapshot()); d != "" {
		t.Errorf("the two orders disagree:\n%s", d)
	}
}
