package replica

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// TestMoveCostOnALongOwnChain measures what judging a move costs when its
// member's old chain is long (session 19, h-resend19): Nina wrote 20,000
// patients on her random id X before her move. Until h-sec19a a move
// closed X past its head (closeMoved), reading her events in X in every
// batch where one of her moves from X changed; since then a move closes
// nothing, and this stays a guard that nothing reads her old chain again:
// her workstation's own move, each workstation's first hearing of it, and,
// when her entry names no device (so every id bound to her key is hers),
// each further move of hers from X onto another bound id (her modified
// software may write one a batch). Logged: Nina's own move (MoveFrom) on
// her workstation; on the physician's, her move, one of the
// receptionist's patients and a further move of hers (medians of 7). A
// further move must cost about what a patient does.
func TestMoveCostOnALongOwnChain(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a chain of 20,000 events")
	}
	for _, tc := range []struct {
		name  string
		named bool // her entry names X
	}{
		{"her entry names her old id", true},
		{"her entry names no device", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			c := newClinic(t)
			nina := c.newcomer(t, "Nina Newcomer")
			c.sAdmin.apply(nina.own()...)
			if tc.named {
				c.sAdmin.entry(nina.p, crypto.NewEventID(), nina.r.Device())
			} else {
				c.sAdmin.entry(nina.p, crypto.NewEventID())
			}
			exchange(t, append(c.stations(), nina)...)
			for range 40 {
				b := nina.r.Batch()
				for range 500 {
					b.Append(Change{Entity: crypto.NewEventID(), Kind: "patient", Scope: roles.FrontDesk, Fields: fields(t, map[string]any{"family": "P"})})
				}
				if _, err := b.Commit(ctx); err != nil {
					t.Fatal(err)
				}
			}
			old := nina.own()
			c.sPhys.apply(old...)
			start := time.Now()
			moved := nina.moveFrom(nina.r.Device())
			own := time.Since(start)
			mv, err := crypto.ParseEnvelope(moved.own()[0])
			if err != nil {
				t.Fatal(err)
			}
			timed := func(env *crypto.Envelope) time.Duration {
				start := time.Now()
				c.sPhys.apply(env.Raw)
				return time.Since(start)
			}
			warm := timed(c.sRecep.patient("the first after her 20,000")) // the bulk apply's WAL checkpoint
			first := timed(mv)
			if st, why := c.sPhys.stateOf(mv); st != store.Applied {
				t.Fatalf("Nina's move on the physician's workstation: %v (%s)", st, why)
			}
			var patients, moves []time.Duration
			var further *crypto.Envelope
			for range 7 {
				patients = append(patients, timed(c.sRecep.patient("baseline")))
				further = nina.forgeMove(nina.r.Device(), uint64(len(old)))
				moves = append(moves, timed(further))
			}
			slices.Sort(patients)
			slices.Sort(moves)
			patient, move := patients[len(patients)/2], moves[len(moves)/2]
			st, _ := c.sPhys.stateOf(further)
			t.Logf("Nina's old chain: %d events. Her own move on her workstation: %v; on the physician's: her move %v "+
				"(the patient applied just before it: %v), one of the receptionist's patients %v, a further move of hers from her old chain %v (%v; medians of 7)",
				len(old), ms(own), ms(first), ms(warm), ms(patient), ms(move), st)
			if move > 10*patient+20*time.Millisecond {
				t.Errorf("a further move from her old chain of %d events costs %v to apply, one patient %v", len(old), move, patient)
			}
		})
	}
}

func ms(d time.Duration) string { return d.Round(100 * time.Microsecond).String() }
