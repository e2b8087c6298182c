package replica

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// TestPropertyHostileEventsInAnyOrder: honest events interleaved with
// hostile ones (foreign kinds on records of other kinds, a forged author,
// wild clocks, a squat into another member's chain and a fork of one,
// replays, events of a revoked member written after the revocation, a
// second entry citing a used registration token and its member's events,
// a key event copied into a newcomer's device before the entry naming it),
// delivered to several workstations in random orders and random chunks,
// give every workstation the same state: every record decrypted, and the
// set of applied events, equal to one that received everything in chain
// order, in which no hostile event took effect. Every workstation can
// write afterwards.
func TestPropertyHostileEventsInAnyOrder(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	text := func(kv map[string]any) Fields { return fields(t, kv) }

	// Honest history.
	p1 := c.sRecep.append(Change{Entity: crypto.NewEventID(), Kind: "patient", Scope: roles.FrontDesk, Fields: text(map[string]any{"family": "One"})})
	p2 := c.sRecep.append(Change{Entity: crypto.NewEventID(), Kind: "patient", Scope: roles.FrontDesk, Fields: text(map[string]any{"family": "Two"})})
	exchange(t, c.stations()...)
	c.sRecep.append(Change{Entity: crypto.NewEventID(), Kind: "appointment", Scope: roles.FrontDesk, Fields: text(map[string]any{"patient": p1.Header.Entity})})
	allergy := c.sPhys.append(Change{Entity: crypto.NewEventID(), Kind: "allergy", Scope: roles.Clinical, Fields: text(map[string]any{"patient": p1.Header.Entity, "status": "active"})})
	c.sPh2.append(Change{Entity: crypto.NewEventID(), Kind: "note", Scope: roles.Clinical, Fields: text(map[string]any{"patient": p2.Header.Entity, "plan": "rest"})})
	note2 := c.sPh2.append(Change{Entity: crypto.NewEventID(), Kind: "note", Scope: roles.Clinical, Fields: text(map[string]any{"plan": "walk"})})
	exchange(t, c.stations()...)
	c.revoke(c.phys2)
	c.sPhys.append(Change{Entity: allergy.Header.Entity, Kind: "allergy", Scope: roles.Clinical, Fields: text(map[string]any{"reaction": "rash"})})
	c.sRecep.append(Change{Entity: p1.Header.Entity, Kind: "patient", Scope: roles.FrontDesk, Fields: text(map[string]any{"phone": "555"})})
	exchange(t, c.sAdmin, c.sRecep, c.sPhys)
	// A newcomer admitted with a token, the entry naming her device; she
	// writes once admitted.
	gus := c.newcomer(t, "Gus Genuine")
	token := crypto.NewEventID()
	c.sAdmin.apply(gus.own()...)
	c.sAdmin.entry(gus.p, token, gus.r.Device())
	gus.patient("Gus's patient")

	// Hostile events, each of which must take no effect anywhere.
	var hostile []*crypto.Envelope
	var loose [][]byte // hostile bytes no workstation stores
	// The revoked physician, unaware, keeps writing.
	hostile = append(hostile,
		c.sPh2.append(Change{Entity: crypto.NewEventID(), Kind: "note", Scope: roles.Clinical, Fields: text(map[string]any{"plan": "late"})}),
		c.sPh2.append(Change{Entity: note2.Header.Entity, Kind: "note", Scope: roles.Clinical, Fields: text(map[string]any{"plan": "rewritten"})}))
	// A receptionist's and a physician's modified software, each on a
	// device of its own.
	hr := join(t, c.recep, c.id)
	hr.holdKeys(c.sRecep, roles.Directory, roles.FrontDesk)
	hp := join(t, c.phys, c.id)
	hp.holdKeys(c.sPhys, roles.Directory, roles.FrontDesk, roles.Clinical)
	escalate := text(map[string]any{"role": roles.Physician})
	claim := hr.forge(forged{Device: hr.r.p.Device, Seq: hr.r.mySeq + 1, Prev: hr.r.myHash, Entity: p1.Header.Entity,
		Kind: "patient", Scope: "frontdesk", Fields: text(map[string]any{"family": "Forged"})})
	loose = append(loose, claimAuthor(t, claim, c.phys.fp()))
	hostile = append(hostile,
		hr.forge(forged{Entity: c.recep.fp(), Kind: "patient", Scope: "directory", Fields: escalate}),
		hr.forge(forged{Entity: c.recep.fp(), Kind: "patient", Scope: "frontdesk", Fields: escalate, Lamport: 1}),
		hr.forge(forged{Entity: c.phys.fp(), Kind: "patient", Scope: "frontdesk", Fields: escalate, Lamport: 1}),
		hr.forge(forged{Entity: allergy.Header.Entity, Kind: "patient", Scope: "frontdesk", Fields: text(map[string]any{"status": "entered-in-error"}), Lamport: 1}),
		hr.forge(forged{Entity: crypto.NewEventID(), Kind: "patient", Scope: "frontdesk", Fields: text(map[string]any{"x": 1}), Lamport: math.MaxInt64}),
		hr.forge(forged{Entity: crypto.NewEventID(), Kind: "superuser", Scope: "frontdesk", Fields: text(map[string]any{"x": 1})}),
		hp.forge(forged{Entity: c.phys.fp(), Kind: KindMember, Scope: "directory", Fields: text(map[string]any{"role": roles.Administrator})}),
		hp.forge(forged{Entity: c.recep.fp(), Kind: "note", Scope: "clinical", Fields: escalate, Lamport: 1}),
		hp.forge(forged{Entity: HeldEntity(c.recep.fp()), Kind: KindKeyHeld, Scope: "directory", Fields: text(map[string]any{"clinical/1": true})}),
	)
	// Squats: the next slot of a physician's device, and a slot of the
	// receptionist's device that her genuine event holds (a fork).
	recepLog := c.sRecep.own()
	forkAt, _ := crypto.ParseEnvelope(recepLog[len(recepLog)-1])
	for _, sq := range []struct {
		by *station
		at forged
	}{
		{hr, forged{Device: c.sPhys.r.p.Device, Seq: c.sPhys.r.mySeq + 1, Prev: c.sPhys.r.myHash}},
		{hp, forged{Device: forkAt.Header.Device, Seq: forkAt.Header.Seq, Prev: forkAt.Header.Prev}},
	} {
		f := sq.at
		f.Entity, f.Kind, f.Scope, f.Fields = p2.Header.Entity, "patient", "frontdesk", text(map[string]any{"family": "Squatted"})
		loose = append(loose, sq.by.forge(f).Raw)
	}
	// An administrator's modified software, on a device of its own,
	// admits a crony with the token the newcomer was admitted with (a
	// later event); the crony writes at once.
	ha := join(t, c.admin, c.id)
	ha.holdKeys(c.sAdmin, roles.Directory, roles.Admin)
	ha.apply(c.sAdmin.everything()...)
	crony := c.newcomer(t, "Karl Crony")
	ha.entry(crony.p, token, crony.r.Device())
	hostile = append(hostile, crony.patient("Crony's patient"))
	// The physician's modified software copies the newcomer's device id
	// and publishes his key as its first event.
	pub, _ := json.Marshal(map[string]string{"pub": base64.StdEncoding.EncodeToString(c.phys.id.Public().Bytes())})
	loose = append(loose, hp.forge(forged{Device: gus.r.Device(), Seq: 1, Entity: c.phys.fp(), Kind: KindKey, Scope: ScopePublic, Raw: pub}).Raw)
	// Last on its device, as its later events would wait behind it: a clock
	// jump far beyond anything the clinic wrote.
	hostile = append(hostile, hp.forge(forged{Entity: crypto.NewEventID(), Kind: "patient", Scope: "frontdesk", Fields: text(map[string]any{"x": 2}), Lamport: hp.r.lamport + 1<<40}))
	// An outsider whose key nobody has, at the end of the clock.
	outsider := open(t, newPerson(t, "Otto Outsider", roles.Physician), c.id)
	outsider.holdKeys(c.sRecep, roles.FrontDesk)
	loose = append(loose, outsider.forge(forged{Entity: crypto.NewEventID(), Kind: "patient", Scope: "frontdesk", Fields: text(map[string]any{"x": 3}), Lamport: math.MaxInt64}).Raw)

	// Every envelope there is, once.
	seen := map[string]bool{}
	var all [][]byte
	stations := []*station{c.sAdmin, c.sRecep, c.sPhys, c.sPh2, hr, hp, gus, ha, crony}
	for _, s := range stations {
		for _, raw := range s.everything() {
			if !seen[string(raw)] {
				seen[string(raw)] = true
				all = append(all, raw)
			}
		}
	}
	all = append(all, loose...)
	// The genuine chain of every device, for a workstation that asks a
	// device to send again from a seq (what netsync's "want" does).
	genuine := map[string][][]byte{}
	for _, raw := range all {
		env, _ := crypto.ParseEnvelope(raw)
		genuine[env.Header.Device] = append(genuine[env.Header.Device], raw)
	}
	for _, s := range stations {
		genuine[s.r.p.Device] = s.own()
	}

	observer := func() *station {
		s := open(t, newPerson(t, "Olga Observer", roles.Physician), c.id)
		s.holdKeys(c.sAdmin, roles.Directory, roles.Admin)
		s.holdKeys(c.sPhys, roles.FrontDesk, roles.Clinical)
		return s
	}
	deliver := func(s *station, batches [][][]byte) {
		var asked []Problem
		for _, b := range batches {
			asked = append(asked, s.apply(b...).Problems...)
		}
		// Events not kept (a squat that held a place) are asked for again.
		for _, p := range asked {
			if p.Altered && p.Device != "" {
				var again [][]byte
				for _, raw := range genuine[p.Device] {
					if env, _ := crypto.ParseEnvelope(raw); env.Header.Seq >= p.Seq {
						again = append(again, raw)
					}
				}
				s.apply(again...)
			}
		}
	}

	// The reference: everything, device by device in chain order.
	ref := observer()
	deliver(ref, [][][]byte{all})
	want := ref.snapshot()
	for _, env := range hostile {
		if st, reason := ref.state(env.Header.ID); st == store.Applied || st == store.Sealed {
			t.Errorf("hostile %s event on %s took effect: %v (%s)", env.Header.Kind, short(env.Header.Entity), st, reason)
		}
	}
	if m, _ := ref.r.Member(c.recep.fp()); m.Role != roles.Receptionist {
		t.Errorf("the receptionist became a %s", m.Role)
	}
	if m, _ := ref.r.Member(c.phys.fp()); m.Role != roles.Physician {
		t.Errorf("the physician became a %s", m.Role)
	}
	if _, st, err := ref.r.Entity(ctx, allergy.Header.Entity); err != nil || st.String("status") != "active" || st.String("reaction") != "rash" {
		t.Errorf("the allergy reads %v, %v", st, err)
	}
	if _, st, _ := ref.r.Entity(ctx, note2.Header.Entity); st.String("plan") != "walk" {
		t.Errorf("the revoked physician's note reads %q after she rewrote it late", st.String("plan"))
	}
	if m, ok := ref.r.Member(crony.p.fp()); !ok || m.Active() {
		t.Errorf("the crony admitted with a used token is %+v (%v), want not admitted", m, ok)
	}
	if o := ref.deviceOwner(gus.r.Device()); o != gus.p.fp() {
		t.Errorf("the newcomer's device belongs to %s", short(o))
	}

	rng := rand.New(rand.NewPCG(13, 12))
	for round := 0; round < 30; round++ {
		s := observer()
		// Replays: some envelopes arrive twice.
		order := append([][]byte(nil), all...)
		for i := rng.IntN(8); i > 0; i-- {
			order = append(order, all[rng.IntN(len(all))])
		}
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		var batches [][][]byte
		for len(order) > 0 {
			n := 1 + rng.IntN(min(len(order), 12))
			batches = append(batches, order[:n])
			order = order[n:]
		}
		deliver(s, batches)
		if d := s.snapshot().diff(want); d != "" {
			t.Fatalf("round %d (%d batches) ends in another state than chain order:\n%s", round, len(batches), d)
		}
		if l := s.writesEnv(t).Header.Lamport; l > 1<<20 {
			t.Fatalf("round %d: the observer writes at clock %d", round, l)
		}
	}
	// The clinic's own workstations hear everything too, and write on.
	for _, s := range []*station{c.sAdmin, c.sRecep, c.sPhys} {
		deliver(s, [][][]byte{all})
		if s.p.role.Holds(roles.FrontDesk) {
			if l := s.writesEnv(t).Header.Lamport; l > 1<<20 {
				t.Errorf("%s writes at clock %d", s.p.name, l)
			}
		} else if _, err := s.r.AcknowledgeKeys(ctx); err != nil {
			t.Errorf("%s cannot write: %v", s.p.name, err)
		}
	}
}
