package app

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
