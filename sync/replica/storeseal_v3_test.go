package replica

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/sync/store"
)

// TestStoreSealUpgradeFromV2 (h-sealc23): a store sealed by session 22
// (version 2: the rows' marks AES of SHA-256) is opened by this version
// (keyed BLAKE2b in C): nothing is said, its seal is written again at once
// in version 3, and neither the check after login nor a later login
// finds anything. The same store with an event's rule changed behind it
// before the upgrade: the version 2 marks catch it at the upgrade's
// login, it is said and the rows rebuilt (as session 22's check after
// login did), and the next login finds nothing.
func TestStoreSealUpgradeFromV2(t *testing.T) {
	ctx := context.Background()
	for _, altered := range []bool{false, true} {
		c := newClinic(t)
		p := c.sPhys.r.p
		db := p.DB
		p.Seal = &SealCheck{}
		r1, err := Open(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		// The seal as session 22 wrote it: version 2, its marks.
		var row []byte
		var v2 store.RowMarks
		err = db.View(ctx, func(tx *store.Tx) error {
			var err error
			if row, err = tx.Meta(ctx, metaSeal); err != nil {
				return err
			}
			v2, err = r1.seal.rowsNowV2(ctx, tx)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		gen, parts, ok, version := r1.seal.decode(row)
		if !ok || version != sealVersion {
			t.Fatalf("the first seal: ok %v, version %d", ok, version)
		}
		if parts.rows == v2 {
			t.Fatal("version 2's marks and version 3's are the same")
		}
		parts.rows = v2
		db.SetSealer(nil)
		if err := db.Update(ctx, func(tx *store.Tx) error { return tx.SetMeta(ctx, metaSeal, r1.seal.encodeAs(2, gen, parts)) }); err != nil {
			t.Fatal(err)
		}
		if altered {
			raw, err := sql.Open("sqlite3", db.Path())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := raw.Exec(`UPDATE envelopes SET rule = 'altered' WHERE rowid = (SELECT min(rowid) FROM envelopes)`); err != nil {
				t.Fatal(err)
			}
			raw.Close()
		}
		p.Seal = &SealCheck{Floor: gen}
		r2, err := Open(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.View(ctx, func(tx *store.Tx) error { row, err = tx.Meta(ctx, metaSeal); return err }); err != nil {
			t.Fatal(err)
		}
		if _, _, ok, version := r2.seal.decode(row); !ok || version != sealVersion {
			t.Errorf("altered %v: after the upgrade's login the seal is version %d (ok %v)", altered, version, ok)
		}
		if _, err := r2.CheckIndex(ctx); err != nil {
			t.Fatal(err)
		}
		say := r2.Altered()
		switch {
		case !altered && say != "":
			t.Fatalf("an honest store sealed in version 2 is taken for an altered one: %s", say)
		case altered && !strings.Contains(say, "events changed"):
			t.Fatalf("an event's rule changed before the upgrade is not said: %q", say)
		}
		// A later login, and its check, find nothing.
		gen = r2.seal.Gen()
		p.Seal = &SealCheck{Floor: gen}
		r3, err := Open(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if a, err := r3.CheckIndex(ctx); err != nil || a || r3.Altered() != "" {
			t.Fatalf("altered %v: the login after the upgrade: altered %v %q, %v", altered, a, r3.Altered(), err)
		}
	}
}

// TestStoreSealSaysForeignTriggers (h-sealc23): a trigger added in the
// file while Medihaven was closed is dropped by the store's Open before
// any write runs it, and the login says the store was altered.
func TestStoreSealSaysForeignTriggers(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	p := c.sPhys.r.p
	p.Seal = &SealCheck{}
	r1, err := Open(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	gen := r1.seal.Gen()
	raw, err := sql.Open("sqlite3", p.DB.Path())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`CREATE TRIGGER hide AFTER INSERT ON envelopes BEGIN DELETE FROM entities; END`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	db, err := store.Open(ctx, p.DB.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p.DB, p.Seal = db, &SealCheck{Floor: gen}
	r2, err := Open(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if say := r2.Altered(); !strings.Contains(say, "triggers Medihaven did not write") {
		t.Errorf("a trigger added in the file is not said: %q", say)
	}
}

// TestStoreSealRefusesAWriteAfterTheLock (the lead, session 23): a write
// that commits after the session locked (Replica.Wipe cleared the seal's
// keys) used to seal the store with the wiped key, and the next login
// read it as altered (everything rebuilt, every key retired, the
// workstation moved: TestMoveOverTheNetwork failed so once in the whole
// CI). It now rolls back, and the seal stays the last honest one.
func TestStoreSealRefusesAWriteAfterTheLock(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	p := c.sPhys.r.p
	p.Seal = &SealCheck{}
	dk := p.DeviceKey // a copy: Wipe clears the replica's
	r1, err := Open(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	r1.Wipe()
	err = p.DB.Update(ctx, func(tx *store.Tx) error { return tx.SetMeta(ctx, "test/after-lock", []byte{1}) })
	if !errors.Is(err, errSealWiped) {
		t.Fatalf("a write after the lock: %v, want it refused", err)
	}
	var row, after []byte
	err = p.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		if row, err = tx.Meta(ctx, metaSeal); err != nil {
			return err
		}
		if after, err = tx.Meta(ctx, "test/after-lock"); errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if after != nil {
		t.Error("the write after the lock was kept")
	}
	s := &storeSeal{mac: sealKey(dk, "mac")}
	if _, _, ok, _ := s.decode(row); !ok {
		t.Error("the store's seal no longer holds under the workstation's key")
	}
}
