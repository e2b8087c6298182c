package app

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
)

// join issues a token on admin's workstation and redeems it.
func (c *clinic) join(t *testing.T, name string, role roles.Role) *Session {
	t.Helper()
	ctx := context.Background()
	tok, err := c.admin.IssueToken(ctx, role, time.Hour)
	if err != nil {
		t.Fatalf("IssueToken: %v", err)
	}
	s, err := Redeem(ctx, c.env, Redemption{Dir: filepath.Join(c.dir, name), Token: tok.String(), Name: name, Passphrase: []byte(testPass)})
	if err != nil {
		t.Fatalf("Redeem %s: %v", name, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestRecoveryAfterEveryPhysicianKeyIsLost: three administrators split the
// recovery key two-of-three; both physicians' workstations are lost; two
// administrators together hand the clinical keys to a new physician, who
// reads the old chart again. Split, release and recovery are audited.
func TestRecoveryAfterEveryPhysicianKeyIsLost(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	admin2 := c.join(t, "Ben Admin", roles.Administrator)
	admin3 := c.join(t, "Cleo Admin", roles.Administrator)
	everyone := append(c.all(), admin2, admin3)
	if err := SyncLocal(ctx, everyone...); err != nil {
		t.Fatal(err)
	}
	p, err := c.recep.RegisterPatient(ctx, Patient{Family: "Lost", Given: "Keys", Birth: "1950-03-04"})
	if err != nil {
		t.Fatal(err)
	}
	if err := SyncLocal(ctx, everyone...); err != nil {
		t.Fatal(err)
	}
	if _, err := clin(c.phys).WriteNote(ctx, Note{Patient: p.ID, Assessment: "words only a physician reads"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.admin.SplitRecoveryKey(ctx, 4); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("threshold 4 of 3: %v, want ErrInvalidInput", err)
	}
	if _, err := c.recep.SplitRecoveryKey(ctx, 2); !errors.Is(err, roles.ErrForbidden) {
		t.Errorf("receptionist splits: %v, want ErrForbidden", err)
	}
	st, err := c.admin.SplitRecoveryKey(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Set || st.Threshold != 2 || st.Shares != 3 {
		t.Fatalf("status after split: %+v", st)
	}
	if err := SyncLocal(ctx, everyone...); err != nil { // physicians escrow their keys
		t.Fatal(err)
	}
	// Every physician's workstation is lost.
	c.phys.Close()
	c.phys2.Close()
	alive := []*Session{c.admin, admin2, admin3, c.recep}
	newcomer := c.join(t, "Dr Nadia New", roles.Physician)
	alive = append(alive, newcomer)
	if err := SyncLocal(ctx, alive...); err != nil {
		t.Fatal(err)
	}
	if _, err := clin(newcomer).OpenChart(ctx, p.ID); err == nil {
		t.Fatal("the new physician reads the chart before any recovery")
	}
	// One administrator alone cannot recover.
	if _, err := c.admin.RecoverScopes(ctx, newcomer.Fingerprint()); !errors.Is(err, crypto.ErrTooFewShares) {
		t.Fatalf("recover with one share: %v, want ErrTooFewShares", err)
	}
	if err := admin3.ReleaseRecoveryShare(ctx, c.admin.Fingerprint()); err != nil {
		t.Fatal(err)
	}
	if err := SyncLocal(ctx, alive...); err != nil {
		t.Fatal(err)
	}
	if st, _ := c.admin.RecoveryStatus(ctx); st.Released != 2 {
		t.Errorf("shares at hand: %d, want 2", st.Released)
	}
	if _, err := c.admin.RecoverScopes(ctx, c.recep.Fingerprint()); err != nil {
		t.Errorf("recover front-desk keys for the receptionist: %v", err)
	}
	rec, err := c.admin.RecoverScopes(ctx, newcomer.Fingerprint())
	if err != nil {
		t.Fatal(err)
	}
	if rec.Epochs == 0 || len(rec.Scopes) != 2 {
		t.Errorf("recovery: %+v", rec)
	}
	if err := SyncLocal(ctx, alive...); err != nil {
		t.Fatal(err)
	}
	chart, err := clin(newcomer).OpenChart(ctx, p.ID)
	if err != nil {
		t.Fatalf("the new physician cannot read the chart after recovery: %v", err)
	}
	if len(chart.Notes) != 1 || chart.Notes[0].Assessment != "words only a physician reads" {
		t.Fatalf("chart after recovery: %+v", chart.Notes)
	}
	// The administrators still hold no patient key.
	for _, a := range []*Session{c.admin, admin2, admin3} {
		r, _ := a.Replica()
		if r.Holds(roles.Clinical) || r.Holds(roles.FrontDesk) {
			t.Errorf("%s holds patient keys", a.StaffName())
		}
	}
	log, err := admin2.AuditLog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range log {
		seen[e.Record.Action] = true
	}
	for _, a := range []string{"recovery.split", "recovery.release", "recovery.recover"} {
		if !seen[a] {
			t.Errorf("no %s in the audit log", a)
		}
	}
	ra, _ := c.admin.Replica()
	if ps, err := ra.Verify(ctx); err != nil || len(ps) > 0 {
		t.Errorf("verify after recovery: %v %v", ps, err)
	}
}

func TestRecoveryKeyMustBeSignedByAnAdministrator(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	admin2 := c.join(t, "Ben Admin", roles.Administrator)
	everyone := append(c.all(), admin2)
	r, _ := c.admin.Replica()
	if _, err := readRecovery(ctx, r); !errors.Is(err, ErrNoRecovery) {
		t.Fatalf("before any split: %v", err)
	}
	if err := SyncLocal(ctx, everyone...); err != nil {
		t.Fatal(err)
	}
	if _, err := c.admin.SplitRecoveryKey(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if err := SyncLocal(ctx, everyone...); err != nil {
		t.Fatal(err)
	}
	// A receptionist's modified software names her among the shareholders.
	rr, _ := c.recep.Replica()
	k, _ := rr.Key(roles.Directory)
	f := newRecoveryForger(t, c.recep, c.admin)
	fields, _ := json.Marshal(map[string]any{"admins": []string{c.admin.Fingerprint(), c.recep.Fingerprint()}})
	f.sign(t, records.KindRecovery, string(roles.Directory), entityRecovery, k, fields)
	f.send(t, everyone...)
	if err := SyncLocal(ctx, everyone...); err != nil {
		t.Fatal(err)
	}
	for _, s := range everyone {
		rs, _ := s.Replica()
		p, err := readRecovery(ctx, rs)
		if err == nil && slices.Contains(p.admins, c.recep.Fingerprint()) || errors.Is(err, ErrNoRecovery) {
			t.Errorf("%s: a forged recovery is accepted: %v %v", s.StaffName(), p.admins, err)
		}
	}
}

func TestLockoutAfterWrongPassphrases(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	if err := c.admin.SetSecuritySettings(ctx, SecuritySettings{IdleLock: 5 * time.Minute, MaxAttempts: 3}); err != nil {
		t.Fatal(err)
	}
	if err := c.recep.SetSecuritySettings(ctx, SecuritySettings{IdleLock: 5 * time.Hour, MaxAttempts: 20}); !errors.Is(err, roles.ErrForbidden) {
		t.Errorf("receptionist changes settings: %v", err)
	}
	if err := c.admin.SetSecuritySettings(ctx, SecuritySettings{IdleLock: 0, MaxAttempts: 3}); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("idle lock 0: %v", err)
	}
	if err := SyncLocal(ctx, c.all()...); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.recep.SecuritySettings(ctx); got.IdleLock != 5*time.Minute || got.MaxAttempts != 3 {
		t.Fatalf("receptionist reads settings %+v", got)
	}
	dir := c.recep.Profile().Dir
	c.recep.Lock()
	if err := c.recep.Unlock(ctx, []byte(testPass)); err != nil { // caches the clinic's limit of 3
		t.Fatal(err)
	}
	c.recep.Lock()
	steps := []struct {
		pass string
		want error
	}{
		{"wrong one!", ErrWrongPassphrase},
		{"wrong two!", ErrWrongPassphrase},
		{"wrong three", ErrLockedOut}, // third wrong: paused 30 s
		{testPass, ErrLockedOut},      // even the right one waits
	}
	for i, st := range steps {
		if _, err := Login(ctx, c.env, dir, "", []byte(st.pass)); !errors.Is(err, st.want) {
			t.Fatalf("attempt %d: %v, want %v", i+1, err, st.want)
		}
	}
	c.clock.Add(31 * time.Second)
	if _, err := Login(ctx, c.env, dir, "", []byte("wrong four")); !errors.Is(err, ErrLockedOut) || !strings.Contains(err.Error(), "1 minute") {
		t.Fatalf("fourth wrong: %v, want a 1 minute pause", err)
	}
	c.clock.Add(61 * time.Second)
	s, err := Login(ctx, c.env, dir, "", []byte(testPass))
	if err != nil {
		t.Fatalf("right passphrase after the pause: %v", err)
	}
	s.Close()
	if l := readLockout(dir); l.Failures != 0 || l.Until != 0 {
		t.Errorf("lockout not cleared: %+v", l)
	}
}

func TestLockoutDelayGrows(t *testing.T) {
	tests := []struct {
		failures int
		want     time.Duration
	}{{4, 0}, {5, 30 * time.Second}, {6, time.Minute}, {8, 4 * time.Minute}, {30, 30 * time.Minute}}
	for _, tt := range tests {
		if got := (lockout{Failures: tt.failures, MaxAttempts: 5}).delay(); got != tt.want {
			t.Errorf("delay after %d = %s, want %s", tt.failures, got, tt.want)
		}
	}
}
