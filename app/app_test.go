package app

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/internal/testkit"
	"github.com/medihaven/medihaven/roles"
)

const testPass = "correct horse battery"

// clock is a settable test clock.
type clock = testkit.Clock

// testEnv keeps every profile's keys in memory, one keystore per profile,
// as the OS keyring would.
func testEnv(t testing.TB) (Env, *clock) {
	t.Helper()
	c, keys := testkit.NewClock(), testkit.Keystores()
	return Env{Now: c.Now, OpenKeystore: func(p Profile, _ []byte) (crypto.Keystore, error) { return keys(p.ID), nil }}, c
}

type clinic struct {
	env                       Env
	clock                     *clock
	dir                       string
	admin, recep, phys, phys2 *Session
}

func (c *clinic) all() []*Session { return []*Session{c.admin, c.recep, c.phys, c.phys2} }

// newClinic creates a clinic with one member of every role and a second
// physician, all admitted and granted through SyncLocal.
func newClinic(t testing.TB) *clinic {
	t.Helper()
	ctx := context.Background()
	env, clk := testEnv(t)
	dir := t.TempDir()
	c := &clinic{env: env, clock: clk, dir: dir}
	var err error
	c.admin, err = CreateClinic(ctx, env, NewClinic{Dir: filepath.Join(dir, "admin"), Clinic: "Test Clinic", Admin: "Ada Admin", Passphrase: []byte(testPass)})
	if err != nil {
		t.Fatalf("CreateClinic: %v", err)
	}
	join := func(name string, role roles.Role) *Session {
		tok, err := c.admin.IssueToken(ctx, role, time.Hour)
		if err != nil {
			t.Fatalf("IssueToken: %v", err)
		}
		s, err := Redeem(ctx, env, Redemption{Dir: filepath.Join(dir, name), Token: tok.String(), Name: name, Passphrase: []byte(testPass)})
		if err != nil {
			t.Fatalf("Redeem %s: %v", name, err)
		}
		return s
	}
	c.recep = join("Rita Reception", roles.Receptionist)
	c.phys = join("Dr Paul Physician", roles.Physician)
	c.phys2 = join("Dr Petra Second", roles.Physician)
	if err := SyncLocal(ctx, c.all()...); err != nil {
		t.Fatalf("SyncLocal: %v", err)
	}
	confirmEachOther(t, c.recep, c.phys)
	confirmEachOther(t, c.phys, c.phys2)
	if err := SyncLocal(ctx, c.all()...); err != nil {
		t.Fatalf("SyncLocal: %v", err)
	}
	t.Cleanup(func() {
		for _, s := range c.all() {
			s.Close()
		}
	})
	return c
}

func TestClinicJoinsAndHoldsTheRightKeys(t *testing.T) {
	c := newClinic(t)
	tests := []struct {
		s    *Session
		role roles.Role
	}{
		{c.admin, roles.Administrator}, {c.recep, roles.Receptionist}, {c.phys, roles.Physician}, {c.phys2, roles.Physician},
	}
	for _, tt := range tests {
		t.Run(tt.s.StaffName(), func(t *testing.T) {
			r, err := tt.s.Replica()
			if err != nil {
				t.Fatal(err)
			}
			if tt.s.Role() != tt.role {
				t.Errorf("role %s, want %s", tt.s.Role(), tt.role)
			}
			for _, scope := range roles.Scopes {
				if got, want := r.Holds(scope), tt.role.Holds(scope); got != want {
					t.Errorf("holds %s = %v, want %v", scope, got, want)
				}
			}
			if n := len(r.Members()); n != 4 {
				t.Errorf("directory has %d members, want 4", n)
			}
			if problems, err := r.Verify(context.Background()); err != nil || len(problems) > 0 {
				t.Errorf("verify: %v %v", problems, err)
			}
		})
	}
	// Both physicians read the same clinical key.
	r1, _ := c.phys.Replica()
	r2, _ := c.phys2.Replica()
	k1, _ := r1.Key(roles.Clinical)
	k2, _ := r2.Key(roles.Clinical)
	if k1.Epoch != k2.Epoch || k1.Secret != k2.Secret {
		t.Errorf("physicians hold different clinical keys")
	}
}

func TestRoleBoundaryIsCryptographic(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	p, err := c.recep.RegisterPatient(ctx, Patient{Family: "Quixotic", Given: "Zebedee", Birth: "1970-01-02", Phone: "555 0101"})
	if err != nil {
		t.Fatal(err)
	}
	if err := SyncLocal(ctx, c.all()...); err != nil {
		t.Fatal(err)
	}
	n, err := clin(c.phys).WriteNote(ctx, Note{Patient: p.ID, Subjective: "secret clinical words"})
	if err != nil {
		t.Fatal(err)
	}
	if err := SyncLocal(ctx, c.all()...); err != nil {
		t.Fatal(err)
	}
	rp, _ := c.phys.Replica()
	raws, err := rp.Everything(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var clinical, frontdesk *crypto.Envelope
	for _, raw := range raws {
		e, err := crypto.ParseEnvelope(raw)
		if err != nil {
			t.Fatal(err)
		}
		if e.Header.Entity == n.ID {
			clinical = e
		}
		if e.Header.Entity == p.ID && e.Header.Kind == records.KindPatient {
			frontdesk = e
		}
	}
	if clinical == nil || frontdesk == nil {
		t.Fatal("envelopes not found")
	}
	try := func(s *Session, e *crypto.Envelope) bool {
		r, _ := s.Replica()
		for _, scope := range roles.Scopes {
			for _, k := range r.Keys(scope) {
				if _, err := e.Open(k); err == nil {
					return true
				}
			}
		}
		return false
	}
	if try(c.recep, clinical) {
		t.Error("a receptionist's keys open a clinical envelope")
	}
	if try(c.admin, clinical) || try(c.admin, frontdesk) {
		t.Error("an administrator's keys open patient data")
	}
	if !try(c.phys2, clinical) || !try(c.recep, frontdesk) {
		t.Error("the entitled members cannot open their data")
	}
	// The receptionist keeps the note as ciphertext, and cannot read charts.
	if _, err := clin(c.recep).OpenChart(ctx, p.ID); !errors.Is(err, roles.ErrForbidden) {
		t.Errorf("receptionist OpenChart: %v, want ErrForbidden", err)
	}
	chart, err := clin(c.phys2).OpenChart(ctx, p.ID)
	if err != nil || len(chart.Notes) != 1 || chart.Notes[0].Subjective != "secret clinical words" {
		t.Errorf("second physician's chart: %+v, %v", chart, err)
	}
}

func TestChartReadIsAudited(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	p, err := c.recep.RegisterPatient(ctx, Patient{Family: "Audit", Given: "Anna", Birth: "1980-05-06"})
	if err != nil {
		t.Fatal(err)
	}
	if err := SyncLocal(ctx, c.all()...); err != nil {
		t.Fatal(err)
	}
	if _, err := clin(c.phys).OpenChart(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if err := SyncLocal(ctx, c.all()...); err != nil {
		t.Fatal(err)
	}
	log, err := c.admin.AuditLog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range log {
		if e.Kind == kindAudit && e.Record.Action == "chart.read" && e.Record.Patient == p.MRN && e.Name == "Dr Paul Physician" {
			found = true
		}
	}
	if !found {
		t.Errorf("no chart.read audit entry for %s in %d entries", p.MRN, len(log))
	}
	if _, err := c.phys.AuditLog(ctx); !errors.Is(err, roles.ErrForbidden) {
		t.Errorf("physician AuditLog: %v, want ErrForbidden", err)
	}
}

// confirmEachOther has two members (physicians or receptionists) confirm
// each other in person, as in Colleagues: the keys a confirmation counts
// for pass between them at the next upkeep.
func confirmEachOther(t testing.TB, a, b *Session) {
	t.Helper()
	if err := ConfirmEachOther(context.Background(), a, b); err != nil {
		t.Fatal(err)
	}
}
