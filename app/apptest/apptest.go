package apptest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/internal/testkit"
	"github.com/medihaven/medihaven/roles"
)

// Passphrase is every test member's passphrase.
const Passphrase = "correct horse battery"

// Env is an app.Env on a settable clock (Monday 2 November 2026, 09:00
// UTC) whose profiles keep their keys in memory.
func Env() (app.Env, *testkit.Clock) {
	c, keys := testkit.NewClock(), testkit.Keystores()
	return app.Env{Now: c.Now, OpenKeystore: func(p app.Profile, _ []byte) (crypto.Keystore, error) { return keys(p.ID), nil }}, c
}

// Clinic is a test clinic: "Test Clinic", with "Ada Admin", "Rita
// Reception", "Dr Paul Physician" and "Dr Petra Second".
type Clinic struct {
	Env   app.Env
	Clock *testkit.Clock
	Dir   string // the folder of the profiles

	Admin, Recep, Phys, Phys2 *app.Session
}

// All is every member's session.
func (c *Clinic) All() []*app.Session { return []*app.Session{c.Admin, c.Recep, c.Phys, c.Phys2} }

// NewClinic creates a clinic whose members all hold their keys; it closes
// their sessions when the test ends.
func NewClinic(t testing.TB) *Clinic {
	t.Helper()
	env, clk := Env()
	return newClinic(t, env, clk)
}

// NewClinicWith is NewClinic whose workstations also run steps at their
// upkeep: a domain package's own (recovery.Upkeep), in its tests.
func NewClinicWith(t testing.TB, steps ...app.UpkeepStep) *Clinic {
	t.Helper()
	env, clk := Env()
	env.Upkeep = steps
	return newClinic(t, env, clk)
}

// NewLiveClinic is NewClinic on the real clock (Clock is nil), for tests
// over the network, whose servers have their own clocks.
func NewLiveClinic(t testing.TB) *Clinic {
	t.Helper()
	env, _ := Env()
	env.Now = time.Now
	return newClinic(t, env, nil)
}

func newClinic(t testing.TB, env app.Env, clk *testkit.Clock) *Clinic {
	t.Helper()
	ctx := context.Background()
	c := &Clinic{Env: env, Clock: clk, Dir: t.TempDir()}
	var err error
	c.Admin, err = app.CreateClinic(ctx, env, app.NewClinic{Dir: filepath.Join(c.Dir, "admin"), Clinic: "Test Clinic",
		Admin: "Ada Admin", Passphrase: []byte(Passphrase)})
	if err != nil {
		t.Fatalf("CreateClinic: %v", err)
	}
	t.Cleanup(func() {
		for _, s := range c.All() {
			if s != nil {
				s.Close()
			}
		}
	})
	c.Recep = c.redeem(t, "Rita Reception", roles.Receptionist)
	c.Phys = c.redeem(t, "Dr Paul Physician", roles.Physician)
	c.Phys2 = c.redeem(t, "Dr Petra Second", roles.Physician)
	if err := app.SyncLocal(ctx, c.All()...); err != nil {
		t.Fatalf("SyncLocal: %v", err)
	}
	c.Confirm(t, c.Recep, c.Phys)
	c.Confirm(t, c.Phys, c.Phys2)
	if err := app.SyncLocal(ctx, c.All()...); err != nil {
		t.Fatalf("SyncLocal: %v", err)
	}
	return c
}

// Confirm has two members (physicians or receptionists) confirm each other
// in person, as they do in Colleagues: the keys the confirmation counts for
// (the clinical key between physicians, else the front desk's) pass
// between them at the next upkeep.
func (c *Clinic) Confirm(t testing.TB, a, b *app.Session) {
	t.Helper()
	if err := app.ConfirmEachOther(context.Background(), a, b); err != nil {
		t.Fatal(err)
	}
}

// Join makes a new member of the clinic: the administrator issues a token
// for role and name's workstation redeems it. The session closes when the
// test ends.
func (c *Clinic) Join(t testing.TB, name string, role roles.Role) *app.Session {
	t.Helper()
	s := c.redeem(t, name, role)
	t.Cleanup(func() { s.Close() })
	return s
}

func (c *Clinic) redeem(t testing.TB, name string, role roles.Role) *app.Session {
	t.Helper()
	ctx := context.Background()
	tok, err := c.Admin.IssueToken(ctx, role, time.Hour)
	if err != nil {
		t.Fatalf("IssueToken: %v", err)
	}
	s, err := app.Redeem(ctx, c.Env, app.Redemption{Dir: filepath.Join(c.Dir, name), Token: tok.String(), Name: name,
		Passphrase: []byte(Passphrase)})
	if err != nil {
		t.Fatalf("Redeem %s: %v", name, err)
	}
	return s
}

// Zone loads the time zone named (an IANA name like "Europe/Berlin").
func Zone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
