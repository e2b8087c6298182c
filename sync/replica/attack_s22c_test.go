package replica

import (
	"context"
	"errors"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// TestAttackS22cRestoreForksNoMore (h-restore22, F3 of h-sec15e): a
// workstation restored from a backup that missed its old computer's last
// event (heard by one colleague only; the old computer is gone) must not
// write at that place of the old chain. As the app now does after a
// restore (app/move.go), the restored workstation moves onto a new chain
// bound to its member's key, from whatever chain it wrote in: a random
// (legacy) id, a bound id its member's entry names, or a chain it had
// moved onto already (a second restore). Every honest workstation then
// keeps the old computer's last event AND the restored one's writes, no
// fork is recorded anywhere, and the copy left on the old chain (the old
// disk) writes there no more once it hears of the move.
func TestAttackS22cRestoreForksNoMore(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, c *clinic) (member *station, others []*station)
		twice bool // restored twice: its first restore's chain moves again
	}{
		{"random id", func(t *testing.T, c *clinic) (*station, []*station) {
			return c.sRecep, []*station{c.sAdmin, c.sPhys, c.sPh2}
		}, false},
		{"bound id named by her entry", func(t *testing.T, c *clinic) (*station, []*station) {
			nina := c.newcomerOn(t, "Nina Newcomer", true)
			c.sAdmin.apply(nina.own()...)
			c.sAdmin.entry(nina.p, crypto.NewEventID(), nina.r.Device())
			exchange(t, append(c.stations(), nina)...)
			return nina, c.stations()
		}, false},
		{"bound id, restored twice", func(t *testing.T, c *clinic) (*station, []*station) {
			nina := c.newcomerOn(t, "Nina Newcomer", true)
			c.sAdmin.apply(nina.own()...)
			c.sAdmin.entry(nina.p, crypto.NewEventID(), nina.r.Device())
			exchange(t, append(c.stations(), nina)...)
			return nina, c.stations()
		}, true},
		{"random id moved in session 18, then restored", func(t *testing.T, c *clinic) (*station, []*station) {
			moved, _, _ := movedNewcomer(t, c)
			exchange(t, append(c.stations(), moved)...)
			return moved, c.stations()
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClinic(t)
			old, others := tc.setup(t, c)
			if tc.twice {
				first, _ := restoredCopy(t, old, true).moveOnto()
				first.writesEnv(t)
				exchange(t, append(others, first)...)
				old = first
			}
			back := restoredCopy(t, old, true)
			lost := old.writesEnv(t) // the old computer's last, heard by Paul only
			c.sPhys.apply(lost.Raw)
			moved, _ := back.moveOnto() // as the app does after a restore
			mine := moved.writesEnv(t)
			honest := append(others, moved)
			exchange(t, honest...)
			for _, s := range honest {
				for what, env := range map[string]*crypto.Envelope{"the restored workstation's write": mine, "the old computer's last event": lost} {
					if st, reason := s.stateOf(env); st != store.Applied && st != store.Sealed {
						t.Errorf("%s: %s is %v (%s)", s.p.name, what, st, reason)
					}
				}
				if fs := s.r.Forks(); len(fs) != 0 {
					t.Errorf("%s records forks %+v", s.p.name, fs)
				}
			}
			if _, err := moved.r.Append(context.Background(), Change{Entity: crypto.NewEventID(), Kind: "patient", Scope: roles.FrontDesk,
				Fields: fields(t, map[string]any{"family": "Again"})}); err != nil {
				t.Errorf("the restored workstation writes no more: %v", err)
			}
			// The old disk comes back: it hears of the move and writes no
			// more in the old chain.
			old.apply(moved.own()...)
			if _, err := old.r.Append(context.Background(), Change{Entity: crypto.NewEventID(), Kind: "patient", Scope: roles.FrontDesk,
				Fields: fields(t, map[string]any{"family": "Thief"})}); !errors.Is(err, ErrMovedAway) {
				t.Errorf("the old computer's copy writes on in the old chain: %v", err)
			}
		})
	}
}

// TestS22cMoveMendedOnUpgrade: a version before session 22 refused a move
// from a bound id by the kind rule. Upgraded (fields revision 19), the
// workstation judges it again: the restored workstation's chain is named
// by her entry through it, and its events are kept.
func TestS22cMoveMendedOnUpgrade(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	nina := c.newcomerOn(t, "Nina Newcomer", true)
	c.sAdmin.apply(nina.own()...)
	c.sAdmin.entry(nina.p, crypto.NewEventID(), nina.r.Device())
	exchange(t, append(c.stations(), nina)...)
	moved, _ := restoredCopy(t, nina, true).moveOnto()
	mine := moved.writesEnv(t)
	raws := moved.own()
	move, err := crypto.ParseEnvelope(raws[0])
	if err != nil || move.Header.Kind != KindMove {
		t.Fatalf("the moved chain's first event: %v %v", move, err)
	}
	s := c.sPhys
	// As an older version kept it: refused by the kind rule.
	err = s.db.Update(ctx, func(tx *store.Tx) error {
		row := rowOf(move, store.Pending, "")
		if _, err := tx.PutEnvelope(ctx, row); err != nil {
			return err
		}
		if err := tx.Refuse(ctx, row.ID, ruleKind, "a device move names the random device id it moves from"); err != nil {
			return err
		}
		return tx.DeleteMeta(ctx, metaFieldsRule)
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.r, err = Open(ctx, s.r.p); err != nil {
		t.Fatal(err)
	}
	s.apply(raws...)
	for _, env := range []*crypto.Envelope{move, mine} {
		if st, why := s.stateOf(env); st != store.Applied && st != store.Sealed {
			t.Errorf("after the upgrade, event %d of the restored chain is %v (%s)", env.Header.Seq, st, why)
		}
	}
}
