package recovery

import (
	"context"
	"testing"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/roles"
)

// TestFormerShareholdersRotateOnce (session 12 review, finding 8): an
// administrator a split the physicians escrowed to named leaves (revoked
// or moved to another role): each physician's workstation starts one new
// clinical epoch, once, however often its upkeep runs after. An
// administrator no trusted split named starts none (directory entries of
// former administrators cost an administrator one event each:
// app.TestAttackS12FormerAdministratorEntriesForceEpochs).
func TestFormerShareholdersRotateOnce(t *testing.T) {
	for _, tc := range []struct {
		name  string
		leave func(t *testing.T, c *recoveryCase) *app.Session // who leaves, how
		want  bool                                             // new epochs started
	}{
		{"shareholder revoked", func(t *testing.T, c *recoveryCase) *app.Session {
			return c.revoke(t, c.cleo)
		}, true},
		{"shareholder moved to the front desk", func(t *testing.T, c *recoveryCase) *app.Session {
			if err := c.Admin.ChangeRole(context.Background(), rep(t, c.cleo).Fingerprint(), roles.Receptionist); err != nil {
				t.Fatal(err)
			}
			return c.cleo // her session must log in again
		}, true},
		{"shareholder moved away, back, and away again", func(t *testing.T, c *recoveryCase) *app.Session {
			// The first move rotates; made an administrator again, her
			// next move must rotate again (session 13 review, O1).
			fp := rep(t, c.cleo).Fingerprint()
			for _, role := range []roles.Role{roles.Receptionist, roles.Administrator} {
				if err := c.Admin.ChangeRole(context.Background(), fp, role); err != nil {
					t.Fatal(err)
				}
				mustSync(t, without(c.everyone, c.cleo)...)
				mustSync(t, without(c.everyone, c.cleo)...)
			}
			c.before = len(rep(t, c.Phys).Keys(roles.Clinical))
			if err := c.Admin.ChangeRole(context.Background(), fp, roles.Receptionist); err != nil {
				t.Fatal(err)
			}
			return c.cleo
		}, true},
		{"administrator no split named revoked", func(t *testing.T, c *recoveryCase) *app.Session {
			extra := c.Join(t, "Dora Admin", roles.Administrator)
			c.everyone = append(c.everyone, extra)
			mustSync(t, c.everyone...)
			c.before = len(rep(t, c.Phys).Keys(roles.Clinical))
			return c.revoke(t, extra)
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			cl, _, cleo, everyone, _ := recoveryClinic(t)
			c := &recoveryCase{Clinic: cl, cleo: cleo, everyone: everyone}
			mustSync(t, c.everyone...)
			c.before = len(rep(t, c.Phys).Keys(roles.Clinical))
			if gone := tc.leave(t, c); gone != nil {
				c.everyone = without(c.everyone, gone)
			}
			mustSync(t, c.everyone...)
			mustSync(t, c.everyone...)
			after := len(rep(t, c.Phys).Keys(roles.Clinical))
			// Each of the two physicians starts one, and grants it to the other.
			if started := after - c.before; tc.want && (started < 1 || started > 2) || !tc.want && started != 0 {
				t.Errorf("Paul's workstation holds %d new clinical epochs, want %v", started, map[bool]string{true: "1 or 2", false: "none"}[tc.want])
			}
			for range 3 {
				mustSync(t, c.everyone...)
				if _, err := c.Phys.Maintain(ctx); err != nil {
					t.Fatal(err)
				}
			}
			if again := len(rep(t, c.Phys).Keys(roles.Clinical)); again != after {
				t.Errorf("later upkeeps started %d more clinical epochs: one per newly seen departure", again-after)
			}
		})
	}
}

// recoveryCase is recoveryClinic's clinic as a table case changes it.
type recoveryCase struct {
	*apptest.Clinic
	cleo     *app.Session
	everyone []*app.Session
	before   int
}

func (c *recoveryCase) revoke(t *testing.T, s *app.Session) *app.Session {
	t.Helper()
	if err := c.Admin.RevokeMember(context.Background(), rep(t, s).Fingerprint()); err != nil {
		t.Fatal(err)
	}
	return s
}
