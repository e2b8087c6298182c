package replica

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// TestKeyOpensWhatWasSealed: a newcomer stores a receptionist's records
// sealed until her grant, at the end of the receptionist's chain, brings
// the front-desk key; then they open where they lie, in transactions of the
// settle budget, each applied once. A key held while envelopes of its epoch
// are still sealed (the program ended between those transactions) opens
// them at the next Apply after the replica is opened again.
func TestKeyOpensWhatWasSealed(t *testing.T) {
	defer func(b int) { settleBudget = b }(settleBudget)
	settleBudget = 2
	ctx := context.Background()
	c := newClinic(t)
	nia, n := c.admitted(t, "Nia Newcomer", roles.Receptionist)
	exchange(t, c.sAdmin, c.sRecep)
	var patients []string
	for _, family := range []string{"One", "Two", "Three", "Four", "Five"} {
		env := c.sRecep.append(Change{Entity: crypto.NewEventID(), Kind: "patient", Scope: roles.FrontDesk, Fields: fields(t, map[string]any{"family": family})})
		patients = append(patients, env.Header.Entity)
	}
	n.apply(c.sAdmin.own()...)       // the directory key, to write her confirmations
	confirmEachOther(t, c.sRecep, n) // the key goes only to a colleague met in person
	c.sRecep.grant(roles.FrontDesk, nia)
	recep := c.sRecep.own()
	n.apply(c.sAdmin.own()...)
	n.apply(recep[:len(recep)-1]...)
	for _, id := range patients {
		if _, _, err := n.r.Entity(ctx, id); err == nil {
			t.Fatalf("patient %s open before the key arrived", id)
		}
	}
	sealed := func() int { return n.count(store.Sealed) }
	if got := sealed(); got < len(patients) || n.r.Opening() != got {
		t.Fatalf("%d envelopes sealed before the key, %d of them counted as still to open; want at least %d, all counted",
			got, n.r.Opening(), len(patients))
	}
	rep := n.apply(recep[len(recep)-1])
	if got := sealed(); got != 0 || rep.Applied != len(patients)+1 || rep.Sealed != 0 || n.r.Opening() != 0 {
		t.Errorf("after the grant: %d sealed, report %+v, %d opening; want every patient applied once", got, rep, n.r.Opening())
	}
	for i, id := range patients {
		if _, st, err := n.r.Entity(ctx, id); err != nil || st.String("family") == "" {
			t.Errorf("patient %d after the grant: %v %v", i, st, err)
		}
	}

	// A key held while its envelopes are still sealed: an observer that
	// stored the receptionist's records sealed, then was given the key
	// behind the replica's back, as if the Apply that brought it ended.
	o := open(t, newPerson(t, "Olga Observer", roles.Physician), c.id)
	o.holdKeys(c.sAdmin, roles.Directory)
	o.apply(c.sAdmin.own()...)
	o.apply(recep...)
	o.holdKeys(c.sRecep, roles.FrontDesk)
	again, err := Open(ctx, o.r.p)
	if err != nil {
		t.Fatal(err)
	}
	o.r = again
	if rep := o.apply(); rep.Applied != len(patients) {
		t.Errorf("the first Apply after opening applied %d, want the %d sealed patients", rep.Applied, len(patients))
	}
	for i, id := range patients {
		if _, st, err := o.r.Entity(ctx, id); err != nil || st.String("family") == "" {
			t.Errorf("observer's patient %d: %v %v", i, st, err)
		}
	}
}

// TestSealedPagesFoldInOrder: the envelopes kept sealed open a page at a
// time, the next page opened and folded while the one before is written;
// records changed on both pages (and on pages further apart) end as on
// the workstation that wrote them, whatever the pages and the budget.
func TestSealedPagesFoldInOrder(t *testing.T) {
	defer func(b, p int) { settleBudget, openPage = b, p }(settleBudget, openPage)
	ctx := context.Background()
	for _, tc := range []struct {
		name         string
		budget, page int
	}{
		{"pages of 4", 20000, 4},
		{"pages of 3, budget 7", 7, 3},
		{"pages of 1", 20000, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			settleBudget, openPage = tc.budget, tc.page
			c := newClinic(t)
			nia, n := c.admitted(t, "Nia Newcomer", roles.Receptionist)
			// Indexed by family name: a record changed on several pages
			// is indexed by its final state.
			p := n.r.p
			p.Index = func(_ string, st State) []Term { return []Term{{Field: "family", Value: st.String("family")}} }
			again, err := Open(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			n.r = again
			exchange(t, c.sAdmin, c.sRecep)
			patients := make([]string, 5)
			for i := range patients {
				patients[i] = crypto.NewEventID()
			}
			for round, field := range []string{"family", "given", "family", "phone"} {
				for i, id := range patients {
					c.sRecep.append(Change{Entity: id, Kind: "patient", Scope: roles.FrontDesk,
						Fields: fields(t, map[string]any{field: field + string(rune('A'+i)) + string(rune('0'+round))})})
				}
			}
			n.apply(c.sAdmin.own()...)       // the directory key, to write her confirmations
			confirmEachOther(t, c.sRecep, n) // the key goes only to a colleague met in person
			c.sRecep.grant(roles.FrontDesk, nia)
			n.apply(c.sRecep.own()...)
			for i, id := range patients {
				_, want, err := c.sRecep.r.Entity(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				_, got, err := n.r.Entity(ctx, id)
				if err != nil {
					t.Fatalf("patient %d: %v", i, err)
				}
				for _, f := range []string{"family", "given", "phone"} {
					if got.String(f) != want.String(f) || got.String(f) == "" {
						t.Errorf("patient %d %s: %q, want %q", i, f, got.String(f), want.String(f))
					}
				}
				// The index as stored (not checked after decryption, as
				// Find checks it): the family name of the first round is
				// gone, the last one's found.
				for _, tc := range []struct {
					family string
					found  bool
				}{{"family" + string(rune('A'+i)) + "0", false}, {got.String("family"), true}} {
					tokens, _ := n.r.Tokens(roles.FrontDesk, Term{Field: "family", Value: tc.family})
					var ids []string
					if err := n.db.View(ctx, func(tx *store.Tx) (err error) { ids, err = tx.Lookup(ctx, tokens, 0); return err }); err != nil {
						t.Fatal(err)
					}
					if slices.Contains(ids, id) != tc.found {
						t.Errorf("patient %d: the index finds %v for family %q, want it found: %v", i, ids, tc.family, tc.found)
					}
				}
			}
		})
	}
}

// TestOpeningCountsWhatIsStored: the envelopes kept sealed for a scope
// the member's role holds count in Opening (the status bar's "behind") as
// the store holds them. An Apply whose transaction fails (the disk
// refuses a write at its commit) counts nothing, and tried again, in
// Applies of 3, counts each once after each of them; the replica opened again on the profile counts them; a role
// that no longer holds the scope waits for no key, and given back waits
// again; the key opens every one and Opening is 0.
func TestOpeningCountsWhatIsStored(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	nia, n := c.admitted(t, "Nia Newcomer", roles.Receptionist)
	exchange(t, c.sAdmin, c.sRecep)
	for i := range 20 {
		c.sRecep.append(Change{Entity: crypto.NewEventID(), Kind: "patient", Scope: roles.FrontDesk,
			Fields: fields(t, map[string]any{"family": fmt.Sprint("Family", i)})})
	}
	n.apply(c.sAdmin.own()...)       // the directory key, to write her confirmations
	confirmEachOther(t, c.sRecep, n) // the key goes only to a colleague met in person
	c.sRecep.grant(roles.FrontDesk, nia)
	recep := c.sRecep.own()
	n.apply(c.sAdmin.own()...)
	sealed := func() int { return n.count(store.Sealed) }
	disk, err := sql.Open("sqlite3", n.db.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer disk.Close()
	last := len(recep) - 2 // the seq of the last patient
	if _, err := disk.ExecContext(ctx, fmt.Sprintf(`CREATE TRIGGER test_disk_refuses BEFORE INSERT ON envelopes
		WHEN NEW.device = '%s' AND NEW.seq = %d BEGIN SELECT RAISE(ABORT, 'the disk refuses'); END`, c.sRecep.r.Device(), last)); err != nil {
		t.Fatal(err)
	}
	if _, err := n.r.Apply(ctx, recep[:len(recep)-1]); err == nil || !strings.Contains(err.Error(), "the disk refuses") {
		t.Fatalf("Apply with the disk refusing: %v", err)
	}
	if got, opening := sealed(), n.r.Opening(); got != 0 || opening != 0 {
		t.Fatalf("after the failed Apply: %d sealed, %d counted as still to open; want 0 and 0", got, opening)
	}
	if _, err := disk.ExecContext(ctx, `DROP TRIGGER test_disk_refuses`); err != nil {
		t.Fatal(err)
	}
	// Tried again in Applies of 3, as a catch-up hands them over in
	// chunks: each Apply adds what it stored sealed to the count.
	for i := 0; i < len(recep)-1; i += 3 {
		n.apply(recep[i:min(i+3, len(recep)-1)]...)
		if got, opening := sealed(), n.r.Opening(); opening != got {
			t.Fatalf("tried again, after %d envelopes: %d sealed, %d counted as still to open", min(i+3, len(recep)-1), got, opening)
		}
	}
	if got, opening := sealed(), n.r.Opening(); got < 20 || opening != got {
		t.Fatalf("tried again: %d sealed, %d counted as still to open; want at least 20, each counted once", got, opening)
	}
	again, err := Open(ctx, n.r.p)
	if err != nil {
		t.Fatal(err)
	}
	if got, opening := sealed(), again.Opening(); opening != got {
		t.Fatalf("opened again: %d sealed, %d counted as still to open", got, opening)
	}
	role := func(r roles.Role) {
		t.Helper()
		env := c.sAdmin.append(Change{Entity: nia.fp(), Kind: KindMember, Scope: roles.Directory,
			Fields: fields(t, map[string]any{"role": r})})
		n.apply(env.Raw)
	}
	role(roles.Administrator)
	if got, opening := sealed(), n.r.Opening(); got < 20 || opening != 0 {
		t.Fatalf("the role holds no front-desk key: %d sealed, %d counted as still to open; want 0 counted", got, opening)
	}
	role(roles.Receptionist)
	if got, opening := sealed(), n.r.Opening(); got < 20 || opening != got {
		t.Fatalf("the role given back: %d sealed, %d counted as still to open", got, opening)
	}
	n.apply(recep[len(recep)-1])
	if got, opening := sealed(), n.r.Opening(); got != 0 || opening != 0 {
		t.Fatalf("after the grant: %d sealed, %d counted as still to open; want 0 and 0", got, opening)
	}
}

// count returns how many envelopes s stores in state.
func (s *station) count(state store.EnvelopeState) int {
	s.t.Helper()
	var counts map[store.EnvelopeState]int
	if err := s.db.View(context.Background(), func(tx *store.Tx) error {
		var err error
		counts, err = tx.CountEnvelopes(context.Background())
		return err
	}); err != nil {
		s.t.Fatal(err)
	}
	return counts[state]
}
