package replica

import (
	"bytes"
	"context"
	"math"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// writes fails unless s can still append a record, and returns its clock.
func (s *station) writes(t *testing.T) uint64 {
	t.Helper()
	env, err := s.r.Append(context.Background(), Change{Entity: crypto.NewEventID(), Kind: "patient", Scope: roles.FrontDesk,
		Fields: fields(t, map[string]any{"family": "Still", "given": "Writing"})})
	if err != nil {
		t.Fatalf("%s cannot write any more: %v", s.p.name, err)
	}
	return env.Header.Lamport
}

// TestAttackLamportPoison: Attack (issue 13, finding 3): an outsider who
// never joined signs an envelope with the Lamport clock at MaxInt64, and a
// receptionist's modified software jumps its clock far ahead, then to
// MaxInt64. Honest workstations keep every such envelope from moving their
// clock (the outsider's waits unverified, the jump waits for events it
// could follow, the one past the ceiling is refused), keep writing with
// small clocks, also after the replica is opened again from its store.
func TestAttackLamportPoison(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	outsider := join(t, newPerson(t, "Otto Outsider", roles.Physician), c.id)
	outsider.holdKeys(c.sPhys, roles.FrontDesk)
	poison := outsider.forge(forged{Entity: crypto.NewEventID(), Kind: "patient", Scope: "frontdesk",
		Fields: fields(t, map[string]any{"family": "X"}), Lamport: math.MaxInt64})
	before := c.sPhys.r.lamport
	jump := c.sRecep.forge(forged{Entity: crypto.NewEventID(), Kind: "patient", Scope: "frontdesk",
		Fields: fields(t, map[string]any{"family": "Y"}), Lamport: before + 1<<40})
	recep2 := join(t, c.recep, c.id)
	recep2.holdKeys(c.sRecep, roles.Directory, roles.FrontDesk)
	ceiling := recep2.forge(forged{Entity: crypto.NewEventID(), Kind: "patient", Scope: "frontdesk",
		Fields: fields(t, map[string]any{"family": "Z"}), Lamport: math.MaxInt64})

	honest := []*station{c.sAdmin, c.sPhys, c.sPh2}
	for _, s := range honest {
		// The outsider's key is unknown: its envelope stays unverified and
		// moves nothing.
		s.apply(raws(poison)...)
		if st, _ := s.state(poison.Header.ID); st != store.Pending || s.r.lamport != before {
			t.Errorf("%s: the outsider's envelope is %v and the clock %d, want pending and %d", s.p.name, st, s.r.lamport, before)
		}
		s.apply(c.sRecep.own()...)
		s.apply(recep2.own()...)
		if st, reason := s.state(jump.Header.ID); st != store.Pending || !strings.Contains(reason, "runs more than") {
			t.Errorf("%s: the clock jump is %v (%s), want pending for its clock", s.p.name, st, reason)
		}
		if st, reason := s.state(ceiling.Header.ID); st != store.Rejected || !strings.Contains(reason, "past the highest") {
			t.Errorf("%s: the clock at MaxInt64 is %v (%s), want rejected", s.p.name, st, reason)
		}
		// Once the outsider's key is known, its envelope is verified and
		// refused for its clock.
		s.apply(outsider.own()...)
		if st, reason := s.state(poison.Header.ID); st != store.Rejected || !strings.Contains(reason, "past the highest") {
			t.Errorf("%s: the outsider's verified envelope is %v (%s), want rejected", s.p.name, st, reason)
		}
		if s.p.role.Holds(roles.FrontDesk) {
			if l := s.writes(t); l > before+100 {
				t.Errorf("%s writes with clock %d, want it near %d", s.p.name, l, before)
			}
		}
		again, err := Open(ctx, s.r.p)
		if err != nil {
			t.Fatal(err)
		}
		if again.lamport > before+100 {
			t.Errorf("%s: reopened with clock %d, want it near %d", s.p.name, again.lamport, before)
		}
	}
	// Nor can a workstation's own clock run past the ceiling: it refuses
	// to write instead of wrapping.
	c.sPhys.r.lamport = ClockCeiling
	_, err := c.sPhys.r.Append(ctx, Change{Entity: crypto.NewEventID(), Kind: "patient", Scope: roles.FrontDesk, Fields: Fields{}})
	if err == nil || !strings.Contains(err.Error(), "cannot advance") {
		t.Errorf("appending at the ceiling: %v", err)
	}
}

// TestCatchUpAcrossClockWindows: an honest chain whose clock climbed far
// (a busy clinic) reaches a new workstation in any order: every envelope
// that waits for the events it follows applies once they arrive, whatever
// the distance to this workstation's own clock.
func TestCatchUpAcrossClockWindows(t *testing.T) {
	c := newClinic(t)
	var chain []*crypto.Envelope
	for i := 0; i < 6; i++ {
		// Each step within the window of the one before: legitimate.
		chain = append(chain, c.sRecep.forge(forged{Entity: crypto.NewEventID(), Kind: "patient", Scope: "frontdesk",
			Fields: fields(t, map[string]any{"family": "Busy"}), Lamport: c.sRecep.r.lamport + ClockWindow - 1}))
	}
	c.sPhys.apply(c.sRecep.own()...)
	follower := c.sPhys.writesEnv(t)
	for _, order := range [][][]byte{
		append(raws(follower), c.sRecep.everything()...),
		append(raws(chain[5], chain[2], follower), c.sAdmin.everything()...),
	} {
		s := open(t, newPerson(t, "Nina New", roles.Receptionist), c.id)
		s.holdKeys(c.sRecep, roles.Directory, roles.FrontDesk)
		s.apply(order...)
		s.apply(c.sRecep.everything()...)
		s.apply(c.sPhys.own()...)
		for _, env := range append(chain, follower) {
			if st, reason := s.state(env.Header.ID); st != store.Applied {
				t.Errorf("event at clock %d is %v (%s), want applied", env.Header.Lamport, st, reason)
			}
		}
	}
}

func (s *station) writesEnv(t testing.TB) *crypto.Envelope {
	t.Helper()
	return s.append(Change{Entity: crypto.NewEventID(), Kind: "patient", Scope: roles.FrontDesk, Fields: fields(t, map[string]any{"family": "F"})})
}

// TestAttackNumbersPastTheStore: a member's modified software signs an
// envelope whose sequence number or Lamport clock is 2^63 or more, which
// no store can hold. Each is refused as malformed on its own; the genuine
// envelopes of the same Apply are applied (such a number used to fail the
// whole Apply, so every catch-up that held it was tried again for ever).
func TestAttackNumbersPastTheStore(t *testing.T) {
	c := newClinic(t)
	env, err := c.sRecep.r.Append(context.Background(), Change{Entity: crypto.NewEventID(), Kind: "patient", Scope: roles.FrontDesk,
		Fields: fields(t, map[string]any{"family": "Genuine"})})
	if err != nil {
		t.Fatal(err)
	}
	h := env.Header
	seqAt := len("MHE1") + 2 + 1 + len(h.ID) + 1 + len(h.Entity) + 1 + len(h.Kind) + 1 + len(h.Scope) + 4 + 1 + len(h.Author) + 1 + len(h.Device)
	for _, tt := range []struct {
		name string
		at   int
	}{{"sequence number", seqAt}, {"Lamport clock", seqAt + 8}} {
		t.Run(tt.name, func(t *testing.T) {
			huge := bytes.Clone(env.Raw)
			huge[tt.at] |= 0x80
			s := c.sPhys
			rep := s.apply(huge, env.Raw) // fails the test if the Apply fails
			if st, _ := s.state(h.ID); st != store.Applied {
				t.Errorf("the genuine envelope is %v, want applied", st)
			}
			if len(rep.Problems) != 1 || !rep.Problems[0].Altered || !strings.Contains(rep.Problems[0].Reason, "larger than a store can hold") {
				t.Errorf("problems %+v, want the %s refused as malformed", rep.Problems, tt.name)
			}
		})
	}
}
