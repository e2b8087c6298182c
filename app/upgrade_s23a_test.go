package app

import (
	"context"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// sealVersionOf is the version byte of s's closed store's seal.
func sealVersionOf(t *testing.T, s *Session) byte {
	t.Helper()
	db := rawStore(t, s)
	defer db.Close()
	var row []byte
	if err := db.QueryRow(`SELECT value FROM meta WHERE key = 'store/seal'`).Scan(&row); err != nil || len(row) == 0 {
		t.Fatalf("the store's seal: %v", err)
	}
	return row[0]
}

// TestUpgradeS23aSealOfVersion2NoFalseAlarm (h-chain23): the seal of
// version 3 holds the store's note of its chain (replica/chain). A store
// sealed by the version before (2), holding the note (the physician's) or
// not yet (the receptionist's, a store of before session 22), logs in for
// the first time after the upgrade: no "altered store" (which would rebuild
// it, retire every key and move it), the same chain, the same keys, and
// the note is sealed at its next write. The note's write at login
// (OwnChain, before the seal's check, unsealed) and the seal's check
// (replica.Open) keep that order: the note is a field of its own in the
// seal, not in the meta digest of version 2, so nothing of a store of
// version 2 reads otherwise after the upgrade.
func TestUpgradeS23aSealOfVersion2NoFalseAlarm(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	type before struct {
		chain string
		epoch uint32
	}
	was := map[*Session]before{}
	for _, s := range []*Session{c.phys, c.recep} {
		// Logged in again, the keyring keeps the seal's generation: the
		// logout after writes nothing (else it seals by version 3).
		s.Close()
		afterChecks(t, s)
		r := rep(t, s)
		k, ok := r.Key(roles.Directory)
		if !ok {
			t.Fatal("setup: no directory key")
		}
		was[s] = before{r.Device(), k.Epoch}
		if err := r.SealAsVersion2ForTest(ctx); err != nil {
			t.Fatal(err)
		}
		s.Close()
		if v := sealVersionOf(t, s); v != 2 {
			t.Fatalf("setup: %s's store sealed by version %d", s.StaffName(), v)
		}
		// A keyring of before session 24 too (no seal's home).
		keyringAsBeforeS24(t, c.env, s)
	}
	// The receptionist's store is one of before session 22: no note.
	db := rawStore(t, c.recep)
	if _, err := db.Exec(`DELETE FROM meta WHERE key = ?`, replica.MetaChain); err != nil {
		t.Fatal(err)
	}
	db.Close()

	for _, s := range []*Session{c.phys, c.recep} {
		afterChecks(t, s)
		r := rep(t, s)
		if msg := s.StoreAltered(); msg != "" {
			t.Errorf("%s's first login after the upgrade says: %s", s.StaffName(), msg)
		}
		if r.Device() != was[s].chain || r.ChainSuspect() {
			t.Errorf("%s writes in %s (suspect %v), before the upgrade in %s", s.StaffName(), r.Device(), r.ChainSuspect(), was[s].chain)
		}
		if _, restored := r.Restored(); restored {
			t.Errorf("%s's store is marked restored", s.StaffName())
		}
		if k, _ := r.Key(roles.Directory); k.Epoch != was[s].epoch || r.Retired(roles.Directory, k.Epoch) {
			t.Errorf("%s's directory key: epoch %d (retired %v), before %d", s.StaffName(), k.Epoch, r.Retired(roles.Directory, k.Epoch), was[s].epoch)
		}
	}
	// Each writes: sealed by version 3, the note with it.
	if _, err := c.recep.RegisterPatient(ctx, Patient{Family: "After", Given: "Upgrade", Birth: "1970-01-02"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.phys.RegisterPatient(ctx, Patient{Family: "After", Given: "Upgrade", Birth: "1970-01-03"}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Session{c.phys, c.recep} {
		s.Close()
		if v := sealVersionOf(t, s); v < 3 {
			t.Errorf("%s's store sealed by version %d after a write", s.StaffName(), v)
		}
		// The note pointed at another chain bound to the member's key:
		// the sealed note is believed and put back.
		db := rawStore(t, s)
		if _, err := db.Exec(`UPDATE meta SET value = ? WHERE key = ?`, []byte(crypto.NewDeviceID(s.Fingerprint())), replica.MetaChain); err != nil {
			t.Fatal(err)
		}
		db.Close()
		afterChecks(t, s)
		if r := rep(t, s); r.Device() != was[s].chain || s.StoreAltered() != "" {
			t.Errorf("%s writes in %s after its note was pointed elsewhere (before %s); altered: %q", s.StaffName(), r.Device(), was[s].chain, s.StoreAltered())
		}
	}
}
