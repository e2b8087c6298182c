package app

import (
	"context"
	"errors"
	"strconv"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
)

// keyringAsBeforeS24 rewrites s's keyring item of the store's seal (s is
// closed) as session 23 kept it: the generation alone, no home. It
// returns the keystore.
func keyringAsBeforeS24(t *testing.T, env Env, s *Session) crypto.Keystore {
	t.Helper()
	ks, err := env.OpenKeystore(s.Profile(), nil)
	if err != nil {
		t.Fatal(err)
	}
	v, err := ks.Get(nameStoreSeal)
	if err != nil {
		t.Fatal(err)
	}
	gen, home, _ := parseSealRecord(v)
	if gen == 0 || home == "" {
		t.Fatalf("setup: the keyring keeps %q", v)
	}
	if err := ks.Set(nameStoreSeal, []byte(strconv.FormatUint(gen, 10))); err != nil {
		t.Fatal(err)
	}
	return ks
}

// TestUpgradeS24aKeyringWithoutHomeNoFalseAlarm (h-keystore24): since
// session 24 the keyring keeps the seal's home beside its generation
// ("GEN HOME") and every seal carries it (version 4). A workstation of
// before (the keyring's item a generation alone, the store sealed by
// version 3) logs in after the upgrade with no alarm: the same chain, not
// restored, the same keys; its store is sealed by 4 at once and the
// keyring keeps a home; the next logins, read-only, say nothing and write
// no keyring item.
func TestUpgradeS24aKeyringWithoutHomeNoFalseAlarm(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	s := c.phys
	s.Close()
	afterChecks(t, s)
	r := rep(t, s)
	k, ok := r.Key(roles.Directory)
	if !ok {
		t.Fatal("setup: no directory key")
	}
	chain, epoch := r.Device(), k.Epoch
	if err := r.SealAsVersion3ForTest(ctx); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if v := sealVersionOf(t, s); v != 3 {
		t.Fatalf("setup: the store sealed by version %d", v)
	}
	ks := keyringAsBeforeS24(t, c.env, s)

	var kept []byte
	for i := range 3 {
		afterChecks(t, s)
		r := rep(t, s)
		if msg := s.StoreAltered(); msg != "" {
			t.Errorf("login %d after the upgrade says: %s", i+1, msg)
		}
		if r.Device() != chain || r.ChainSuspect() {
			t.Errorf("login %d: writes in %s (suspect %v), before in %s", i+1, r.Device(), r.ChainSuspect(), chain)
		}
		if _, restored := r.Restored(); restored {
			t.Errorf("login %d: the store is marked restored", i+1)
		}
		if k, _ := r.Key(roles.Directory); k.Epoch != epoch || r.Retired(roles.Directory, k.Epoch) {
			t.Errorf("login %d: directory key epoch %d (retired %v), before %d", i+1, k.Epoch, r.Retired(roles.Directory, k.Epoch), epoch)
		}
		s.Close()
		if v := sealVersionOf(t, s); v != 4 {
			t.Errorf("login %d: the store sealed by version %d", i+1, v)
		}
		v, err := ks.Get(nameStoreSeal)
		if err != nil {
			t.Fatal(err)
		}
		if _, home, _ := parseSealRecord(v); home == "" {
			t.Errorf("login %d: the keyring keeps no home: %q", i+1, v)
		}
		if i > 0 && string(v) != string(kept) {
			t.Errorf("login %d, read-only, wrote the keyring's item again: %q, before %q", i+1, v, kept)
		}
		kept = v
	}
}

// sealUnreadable is a keystore whose seal item cannot be read (a keyring
// that refused once).
type sealUnreadable struct{ crypto.Keystore }

func (k sealUnreadable) Get(name string) ([]byte, error) {
	if name == nameStoreSeal {
		return nil, errors.New("keyring: the request was dismissed")
	}
	return k.Keystore.Get(name)
}

// TestStoreSealKeyringUnreadKeepsHome (h-keystore24): a login whose
// keyring item of the seal cannot be read (not "none": an error) knows no
// home; it must not seal the store under a new one (the keyring keeps the
// old home, and the next login would take its own store for another
// copy's), nor write the keyring's item. The next login says nothing.
func TestStoreSealKeyringUnreadKeepsHome(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	s := c.phys
	s.Close()
	ks, err := c.env.OpenKeystore(s.Profile(), nil)
	if err != nil {
		t.Fatal(err)
	}
	before, err := ks.Get(nameStoreSeal)
	if err != nil {
		t.Fatal(err)
	}
	open := s.env.OpenKeystore
	s.env.OpenKeystore = func(p Profile, pass []byte) (crypto.Keystore, error) {
		ks, err := open(p, pass)
		if err != nil {
			return nil, err
		}
		return sealUnreadable{ks}, nil
	}
	afterChecks(t, s)
	if msg := s.StoreAltered(); msg != "" {
		t.Errorf("the login with the keyring unread says: %s", msg)
	}
	if _, err := s.RegisterPatient(ctx, Patient{Family: "Unread", Given: "Keyring", Birth: "1970-01-02"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if v, _ := ks.Get(nameStoreSeal); string(v) != string(before) {
		t.Errorf("the keyring's item was written: %q, before %q", v, before)
	}
	s.env.OpenKeystore = open
	afterChecks(t, s)
	if msg := s.StoreAltered(); msg != "" {
		t.Errorf("the next login says: %s", msg)
	}
}
