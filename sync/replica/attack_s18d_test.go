package replica

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// forgeMove signs, with s's member's key and modified software, a move
// from device from onto a new id bound to her key, keeping head of it.
func (s *station) forgeMove(from string, head uint64) *crypto.Envelope {
	s.t.Helper()
	payload, err := json.Marshal(moveBody{Head: head, Pub: base64.StdEncoding.EncodeToString(s.p.id.Public().Bytes())})
	if err != nil {
		s.t.Fatal(err)
	}
	return s.forge(forged{Device: s.p.bound(), Seq: 1, Entity: MovedEntity(from), Kind: KindMove, Scope: ScopePublic, Raw: payload})
}

// TestAttackS18dMoveErasesHerPast: Nina, a physician on a random (legacy)
// device id her entry names, wrote a patient that every workstation
// applied. Her modified software then writes a move from her old id with
// a head of 1 (her key event): every event she wrote there after it is
// refused by the rule "moved", on every workstation, her patient
// included. Revoked first (the administrator's revocation keeps what she
// wrote up to its heads), she still erases what the clinic kept of hers:
// a move is no act of membership, so the revocation does not refuse it.
// Whether it hears of the revocation before or after the move, a
// workstation keeps what the revocation keeps.
//
// Active, she erased her own past (open in session 18; closed by h-sec19a:
// a move no longer refuses what its member writes in the chain it left).
func TestAttackS18dMoveErasesHerPast(t *testing.T) {
	for _, tc := range []struct {
		name      string
		revoked   bool
		moveFirst bool
	}{
		{name: "revoked, the revocation heard first", revoked: true},
		{name: "revoked, the move heard first", revoked: true, moveFirst: true},
		{name: "active"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClinic(t)
			nina := c.newcomer(t, "Nina Newcomer")
			c.sAdmin.apply(nina.own()...)
			c.sAdmin.entry(nina.p, crypto.NewEventID(), nina.r.Device())
			exchange(t, append(c.stations(), nina)...)
			work := nina.patient("Nina's patient, kept by the clinic")
			exchange(t, append(c.stations(), nina)...)
			var revocation [][]byte
			if tc.revoked {
				revocation = raws(c.revoke(nina.p))
			}
			move := raws(nina.forgeMove(nina.r.Device(), 1))
			late := c.observer(t)
			for _, s := range []*station{c.sPhys, late} {
				if tc.moveFirst {
					s.apply(move...)
					s.apply(revocation...)
				} else {
					s.apply(revocation...)
					s.apply(move...)
				}
				if st, why := s.state(work.Header.ID); st != store.Applied {
					t.Errorf("on %s's workstation Nina's patient the clinic kept is %v after her move (%s)", s.p.name, st, why)
				}
			}
			late.apply(c.sPhys.everything()...)
			if d := c.sPhys.snapshot().diff(late.snapshot()); d != "" {
				t.Errorf("the two workstations disagree:\n%s", d)
			}
		})
	}
}

// TestAttackS18dMovesFromAnotherChain: Nina, a member whose entry names
// no device, writes moves "from" the front desk's random id, each onto
// another id bound to her key (its salt is hers to pick), one a batch.
// Each is applied (it closes nothing: she wrote nothing there), and on
// main each made every workstation read the front desk's whole chain
// (closeMoved), the clinic's every patient: about 100 times what applying
// one of her patients costs with 20,000 events there (measured: 100-300
// ms against 1-2 ms). A move from a chain another member owns costs about
// what any event does.
func TestAttackS18dMovesFromAnotherChain(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a front desk chain of 20,000 events")
	}
	c := newClinic(t)
	nina := c.newcomer(t, "Nina Newcomer")
	c.sAdmin.apply(nina.own()...)
	c.sAdmin.entry(nina.p, crypto.NewEventID())
	exchange(t, append(c.stations(), nina)...)
	ctx := context.Background()
	for range 40 {
		b := c.sRecep.r.Batch()
		for range 500 {
			b.Append(Change{Entity: crypto.NewEventID(), Kind: "patient", Scope: roles.FrontDesk, Fields: fields(t, map[string]any{"family": "P"})})
		}
		if _, err := b.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	c.sPhys.apply(c.sRecep.own()...)
	timed := func(env *crypto.Envelope) time.Duration {
		start := time.Now()
		c.sPhys.apply(env.Raw)
		return time.Since(start)
	}
	var patients, moves []time.Duration
	for range 7 {
		patients = append(patients, timed(nina.patient("baseline")))
		moves = append(moves, timed(nina.forgeMove(c.sRecep.r.Device(), 1)))
	}
	slices.Sort(patients)
	slices.Sort(moves)
	patient, move := patients[len(patients)/2], moves[len(moves)/2]
	t.Logf("applying one of her patients: %v; one of her moves from the front desk's chain: %v (medians of 7)", patient, move)
	if move > 10*patient+20*time.Millisecond {
		t.Errorf("a move from the front desk's chain costs %v to apply, one of her patients %v", move, patient)
	}
}

// TestAttackS18dMoveHeadInTheFuture: Nina's modified software moves her
// workstation with a head far past the tip of her old chain: her entry
// names the new chain through the move, and nothing of the old one was
// ever closed, so she wrote on in both and every workstation kept both
// (h-sec18d F4, open in session 18). Since h-sec19a a move closes no
// chain for anyone (a head is its member's word: h-sec18d F2), so this is
// what every move gives: a guard that every workstation keeps both alike.
func TestAttackS18dMoveHeadInTheFuture(t *testing.T) {
	c := newClinic(t)
	nina := c.newcomer(t, "Nina Newcomer")
	c.sAdmin.apply(nina.own()...)
	c.sAdmin.entry(nina.p, crypto.NewEventID(), nina.r.Device())
	exchange(t, append(c.stations(), nina)...)
	move := nina.forgeMove(nina.r.Device(), 1<<62)
	stale := nina.patient("written in her old chain after her move")
	var got []*station
	for _, s := range []*station{c.sPhys, c.observer(t)} {
		s.apply(move.Raw)
		s.apply(nina.own()...)
		for _, env := range []*crypto.Envelope{move, stale} {
			if st, why := s.state(env.Header.ID); st != store.Applied {
				t.Errorf("on %s's workstation her %s is %v (%s)", s.p.name, env.Header.Kind, st, why)
			}
		}
		got = append(got, s)
	}
	if d := got[0].snapshot().diff(got[1].snapshot()); d != "" {
		t.Errorf("the two workstations disagree:\n%s", d)
	}
}

// TestAttackS18dMoveFromAnothersAccount: Nina, whose entry names no
// device, writes a move "from" the receptionist's random id onto an id
// bound to her key: applied (it closes nothing of hers), and AccountOf
// then said her new chain speaks under the receptionist's XMPP account,
// which chat (app/chat staffDevices) maps to Nina: the receptionist's
// messages are read as Nina's (and fail her key), and what is sent to
// Nina goes to the receptionist's account too. A chain speaks under the
// account of the device it moved from only when that device is its
// member's.
func TestAttackS18dMoveFromAnothersAccount(t *testing.T) {
	c := newClinic(t)
	nina := c.newcomer(t, "Nina Newcomer")
	c.sAdmin.apply(nina.own()...)
	c.sAdmin.entry(nina.p, crypto.NewEventID())
	exchange(t, append(c.stations(), nina)...)
	recep := c.sRecep.r.Device()
	move := nina.forgeMove(recep, 1)
	for _, s := range []*station{c.sPhys, c.observer(t)} {
		s.apply(move.Raw)
		account, err := s.r.AccountOf(context.Background(), move.Header.Device)
		if err != nil {
			t.Fatal(err)
		}
		if account == recep {
			t.Errorf("on %s's workstation Nina's new chain speaks under the receptionist's account", s.p.name)
		}
	}
}
