package replica

import (
	"context"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// TestGrantTakenWhateverTheOrder: a newcomer takes a clinical key only
// from a colleague she reaches by confirmations, and ends the same
// whether the grant reaches her before or after the confirmations record
// that makes its author reached: held aside first, taken when the record
// comes, and the note kept sealed meanwhile opens.
func TestGrantTakenWhateverTheOrder(t *testing.T) {
	for _, grantFirst := range []bool{true, false} {
		name := map[bool]string{true: "grant first", false: "confirmation first"}[grantFirst]
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			c := newClinic(t)
			nora, sNora := c.admitted(t, "Nora Newcomer", roles.Physician)
			q, sQ := c.admitted(t, "Quinn Third", roles.Physician)
			all := append(c.stations(), sNora, sQ)
			exchange(t, all...)
			// Nora met Pia; Quinn met Pia and has the key from her.
			for _, s := range []*station{sNora, sQ} {
				if err := s.r.Confirm(ctx, c.phys2.fp()); err != nil {
					t.Fatal(err)
				}
			}
			exchange(t, all...)
			c.sPh2.grant(roles.Clinical, q)
			note := c.sPhys.append(Change{Entity: crypto.NewEventID(), Kind: "note", Scope: roles.Clinical,
				Fields: fields(t, map[string]any{"plan": "written before Nora held the key"})})
			exchange(t, all...)
			if !sQ.r.Holds(roles.Clinical) || sNora.r.Holds(roles.Clinical) {
				t.Fatalf("setup: Quinn holds %v, Nora %v", sQ.r.Holds(roles.Clinical), sNora.r.Holds(roles.Clinical))
			}
			// Quinn grants Nora; Pia confirms Quinn (so Nora reaches him
			// through Pia). Nora hears of the two in either order.
			k, _ := sQ.r.Key(roles.Clinical)
			grant, err := sQ.r.Grant(ctx, k, nora.fp())
			if err != nil {
				t.Fatal(err)
			}
			if err := c.sPh2.r.Confirm(ctx, q.fp()); err != nil {
				t.Fatal(err)
			}
			confirms := c.sPh2.own()
			first, second := [][]byte{grant.Raw}, confirms
			if !grantFirst {
				first, second = second, first
			}
			sNora.apply(first...)
			if grantFirst {
				if sNora.r.Holds(roles.Clinical) {
					t.Error("Nora took a key from a physician she does not reach yet")
				}
				if st, _ := sNora.state(grant.Header.ID); st != store.Applied {
					t.Errorf("the grant held aside is %v, want applied", st)
				}
			}
			sNora.apply(second...)
			got, ok := sNora.r.Key(roles.Clinical)
			if !ok || got.Epoch != k.Epoch || got.Secret != k.Secret {
				t.Fatalf("Nora writes with %#x (%v), want Quinn's %#x", got.Epoch, ok, k.Epoch)
			}
			if _, _, err := sNora.r.Entity(ctx, note.Header.Entity); err != nil {
				t.Errorf("the note kept sealed before the key came: %v", err)
			}
			// A restart keeps the key and whose it is.
			again, err := Open(ctx, sNora.r.p)
			if err != nil {
				t.Fatal(err)
			}
			if now, ok := again.Key(roles.Clinical); !ok || now.Epoch != k.Epoch {
				t.Errorf("after a restart Nora writes with %#x (%v)", now.Epoch, ok)
			}
		})
	}
}

// TestKeySourcesOfAnOlderProfile: a profile from before key sources were
// kept takes a key to be its own when no grant names its epoch, a
// reached colleague's when only reached colleagues granted it; when a
// stranger also granted that epoch, the key may be hers: it is not used
// for new writes, and a reached colleague's grant of it is taken again.
func TestKeySourcesOfAnOlderProfile(t *testing.T) {
	ctx := context.Background()
	c, s3, all := clinicWithStranger(t)
	live, _ := c.sPh2.r.Key(roles.Clinical)
	forget := func(s *station) *Replica {
		t.Helper()
		err := s.db.Update(ctx, func(tx *store.Tx) error {
			for _, k := range s.r.Keys(roles.Clinical) {
				if err := tx.DeleteMeta(ctx, keySourceMeta(k.Scope, k.Epoch)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		r, err := Open(ctx, s.r.p)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if k, ok := forget(c.sPhys).Key(roles.Clinical); !ok || k.Epoch != live.Epoch {
		t.Errorf("made here: writes with %#x (%v), want %#x", k.Epoch, ok, live.Epoch)
	}
	if k, ok := forget(c.sPh2).Key(roles.Clinical); !ok || k.Epoch != live.Epoch {
		t.Errorf("granted by a confirmed colleague: writes with %#x (%v), want %#x", k.Epoch, ok, live.Epoch)
	}
	// The stranger's made-up key under the same epoch, which an older
	// version may have kept instead of Paul's.
	fake := s3.grantMadeUp(roles.Clinical, live.Epoch, c.phys2)
	exchange(t, all...)
	err := c.sPh2.db.Update(ctx, func(tx *store.Tx) error { return c.sPh2.r.keepKeyFrom(ctx, tx, fake, s3.p.fp()) })
	if err != nil {
		t.Fatal(err)
	}
	older := forget(c.sPh2)
	if k, ok := older.Key(roles.Clinical); ok && k.Epoch == live.Epoch {
		t.Error("a key a stranger may have given is used for new writes")
	}
	c.sPh2.r = older
	c.sPh2.apply()
	if k, ok := older.Key(roles.Clinical); !ok || k.Secret != live.Secret {
		t.Errorf("Paul's grant of the epoch was not taken again (writes with %#x, %v)", k.Epoch, ok)
	}
}

// clinicWithStranger is a clinic and a physician nobody confirmed, with
// every workstation in step.
func clinicWithStranger(t *testing.T) (*clinic, *station, []*station) {
	t.Helper()
	c := newClinic(t)
	_, s3 := c.admitted(t, "Sly Stranger", roles.Physician)
	all := append(c.stations(), s3)
	exchange(t, all...)
	return c, s3, all
}

// grantMadeUp has s's modified software grant to a key of its own making
// under epoch of scope, and returns that key.
func (s *station) grantMadeUp(scope roles.Scope, epoch uint32, to *person) crypto.ScopeKey {
	s.t.Helper()
	k, err := crypto.NewScopeKey(string(scope), epoch)
	if err != nil {
		s.t.Fatal(err)
	}
	if _, err := s.r.Grant(context.Background(), k, to.fp()); err != nil {
		s.t.Fatal(err)
	}
	return k
}
