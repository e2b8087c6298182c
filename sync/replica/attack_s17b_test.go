package replica

// Session 17 hostile review h-sec17b (a non-administrator member or an
// outsider, whole system).

import (
	"context"
	"testing"

	"github.com/medihaven/medihaven/roles"
)

// TestAttackS17bReceptionistNamesEpochsEveryoneRotates: RetireExposed
// counts every member of a role without the scope as a former holder
// (retire.go: "!m.Active() || !m.Role.Holds(scope)"), so the key-held
// claims of an active receptionist who never held the clinical scope count
// as hers. Rita's modified software reads each new clinical epoch from
// its clear headers (grants, sealed records) and acknowledges it in her
// own key-held record (the fields rule lets any member name "clinical/N"):
// every physician's workstation retires its live clinical epoch and starts
// another, for as long as she likes (session 11's finding 4, which the
// stranger rule closed for unconfirmed members; h-sec16a M1 for held
// members). The same for the administrators' own key (tokens' secrets,
// the audit key's private half). A physician moved to the desk keeps
// counting (she held it).
func TestAttackS17bReceptionistNamesEpochsEveryoneRotates(t *testing.T) {
	for _, tc := range []struct {
		name    string
		scope   roles.Scope
		claimer func(c *clinic) *station
		holder  func(c *clinic) *station // whose upkeep rotates the scope
		rotate  bool
	}{
		{name: "Rita, a receptionist who never held the clinical scope", scope: roles.Clinical,
			claimer: func(c *clinic) *station { return c.sRecep }, holder: func(c *clinic) *station { return c.sPhys }},
		{name: "Rita names the administrators' epochs", scope: roles.Admin,
			claimer: func(c *clinic) *station { return c.sRecep }, holder: func(c *clinic) *station { return c.sAdmin }},
		{name: "control: Pia, a physician moved to the front desk", scope: roles.Clinical, claimer: func(c *clinic) *station {
			c.changeRole(c.phys2, roles.Receptionist)
			return c.sPh2
		}, holder: func(c *clinic) *station { return c.sPhys }, rotate: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			c := newClinic(t)
			all := c.stations()
			s, h := tc.claimer(c), tc.holder(c)
			exchange(t, all...)
			settle := func() {
				fresh, err := h.r.RetireExposed(ctx, tc.scope)
				if err != nil {
					t.Fatal(err)
				}
				if !fresh {
					if _, err := h.r.NewEpoch(ctx, tc.scope); err != nil {
						t.Fatal(err)
					}
				}
				exchange(t, all...)
			}
			settle()
			rotations := 0
			for range 3 {
				live, _ := h.r.Key(tc.scope)
				s.forge(forged{Entity: HeldEntity(s.p.fp()), Kind: KindKeyHeld, Scope: string(roles.Directory),
					Fields: Fields{heldField(string(tc.scope), live.Epoch): mustJSON(true)}})
				exchange(t, all...)
				settle()
				if h.r.Retired(tc.scope, live.Epoch) {
					rotations++
				}
			}
			t.Logf("rotations %d of 3; %s epochs held now: %d", rotations, tc.scope, len(h.r.Keys(tc.scope)))
			if tc.rotate && rotations != 3 {
				t.Errorf("a former physician's claims retired the live epoch %d times out of 3, want 3", rotations)
			}
			if !tc.rotate && rotations > 0 {
				t.Errorf("Rita's claims (an active receptionist who never held the %s key) retired the live epoch %d times out of 3", tc.scope, rotations)
			}
		})
	}
}
