package app

// Session 22 (h-seal22): the store's seal covered the meta rows, the
// directory's rows and the index (session 21, attack_s15c_store_test.go),
// not the rows of other records, the envelopes' rows and states, nor the
// bindings. Someone who can write the profile folder while Medihaven is
// closed, without the keyring's secrets or the passphrase, deleted an
// allergy's row (gone from the chart and the prescription check), put an
// older version of a record back, set a revocation's event back to
// refused, deleted an event, or changed a record's binding, and nothing
// noticed.

import (
	"context"
	"database/sql"
	"testing"
)

// allergic registers a patient and the physician's penicillin allergy
// for her, synced to everyone.
func allergic(t *testing.T, c *clinic) (patient string, a Allergy) {
	t.Helper()
	ctx := context.Background()
	p, err := c.recep.RegisterPatient(ctx, Patient{Family: "Allergic", Given: "Anna", Birth: "1970-01-02"})
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, c.all()...)
	a, err = clin(c.phys).AddAllergy(ctx, Allergy{Patient: p.ID, Substance: "penicillin", Reaction: "anaphylaxis", Severity: "severe"})
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, c.all()...)
	return p.ID, a
}

// entityNumber is id's number in db (the folder writer's view).
func entityNumber(t *testing.T, db *sql.DB, id string) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(`SELECT n FROM entity_numbers WHERE id = ? OR id = unhex(?)`, id, id).Scan(&n); err != nil {
		t.Fatalf("setup: number of %s: %v", id, err)
	}
	return n
}

// entityRow is a record's row as the store held it, to put back later
// (an older version over a newer one).
type entityRow struct {
	n, lamport, updated int64
	state               []byte
}

func copyEntityRow(t *testing.T, db *sql.DB, id string) entityRow {
	t.Helper()
	r := entityRow{n: entityNumber(t, db, id)}
	if err := db.QueryRow(`SELECT state, lamport, updated FROM entities WHERE n = ?`, r.n).Scan(&r.state, &r.lamport, &r.updated); err != nil {
		t.Fatal(err)
	}
	return r
}

func putEntityRow(t *testing.T, db *sql.DB, r entityRow) {
	t.Helper()
	if _, err := db.Exec(`UPDATE entities SET state = ?, lamport = ?, updated = ? WHERE n = ?`, r.state, r.lamport, r.updated, r.n); err != nil {
		t.Fatal(err)
	}
}

// afterChecks logs s in again and waits for the checks after login.
func afterChecks(t *testing.T, s *Session) {
	t.Helper()
	relogin(t, s)
	s.indexChecks.Wait()
}

// wantChartAllergy checks the chart of patient on s shows the allergy
// (active), or none (entered in error: left out).
func wantChartAllergy(t *testing.T, s *Session, patient string, active bool) {
	t.Helper()
	chart, err := clin(s).OpenChart(context.Background(), patient)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case active && (len(chart.Allergies) != 1 || chart.Allergies[0].Status != "active"):
		t.Errorf("the chart shows allergies %+v, want the penicillin allergy (the prescription check reads the same)", chart.Allergies)
	case !active && len(chart.Allergies) != 0:
		t.Errorf("the chart shows allergies %+v, want none (the allergy was entered in error)", chart.Allergies)
	}
}

// TestAttackS22dAllergyRowDeleted: the allergy's own record row deleted
// (its index rows left as they are): the chart and the prescription check
// no longer showed it, and nothing was said.
func TestAttackS22dAllergyRowDeleted(t *testing.T) {
	c := newClinic(t)
	patient, a := allergic(t, c)
	c.phys.Close()
	db := rawStore(t, c.phys)
	if _, err := db.Exec(`DELETE FROM entities WHERE n = ?`, entityNumber(t, db, a.ID)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	afterChecks(t, c.phys)
	wantAltered(t, c.phys)
	wantChartAllergy(t, c.phys, patient, true)
}

// TestAttackS22dSealDeletedWithRow: the allergy's row deleted, and the
// seal's row with it: the store is not believed at all (the keyring knows
// a generation), and its records are rebuilt from the log too.
func TestAttackS22dSealDeletedWithRow(t *testing.T) {
	c := newClinic(t)
	patient, a := allergic(t, c)
	c.phys.Close()
	db := rawStore(t, c.phys)
	if _, err := db.Exec(`DELETE FROM entities WHERE n = ?`, entityNumber(t, db, a.ID)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DELETE FROM meta WHERE key = 'store/seal'`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	afterChecks(t, c.phys)
	wantAltered(t, c.phys)
	wantChartAllergy(t, c.phys, patient, true)
}

// TestAttackS22dOlderRecordPutBack: the allergy's row from before it was
// marked entered in error written back over the newer one.
func TestAttackS22dOlderRecordPutBack(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	patient, a := allergic(t, c)
	c.phys.Close()
	db := rawStore(t, c.phys)
	older := copyEntityRow(t, db, a.ID)
	db.Close()
	relogin(t, c.phys)
	if err := clin(c.phys).RemoveAllergy(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	wantChartAllergy(t, c.phys, patient, false)
	c.phys.Close()
	db = rawStore(t, c.phys)
	putEntityRow(t, db, older)
	db.Close()
	afterChecks(t, c.phys)
	wantAltered(t, c.phys)
	wantChartAllergy(t, c.phys, patient, false)
}

// TestAttackS22dRevocationSetBack: the revocation's event set back to
// refused, and the revoked colleague's member row from before put back:
// the directory's rebuild (the member row is sealed) read the log as it
// found it, and she was active again.
func TestAttackS22dRevocationSetBack(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	c.phys.Close()
	db := rawStore(t, c.phys)
	id := c.phys2.Fingerprint()
	older := copyEntityRow(t, db, id)
	db.Close()
	relogin(t, c.phys)
	if err := c.admin.RevokeMember(ctx, id); err != nil {
		t.Fatal(err)
	}
	mustSync(t, c.admin, c.recep, c.phys)
	if m, _ := rep(t, c.phys).Member(id); m.Active() {
		t.Fatal("setup: the revocation did not reach the physician")
	}
	c.phys.Close()
	db = rawStore(t, c.phys)
	res, err := db.Exec(`UPDATE envelopes SET state = 3, reason = 'refused' WHERE id = (SELECT id FROM envelopes
		WHERE kind = 'member' AND (entity = ? OR entity = unhex(?)) AND state = 1 ORDER BY lamport DESC LIMIT 1)`, id, id)
	if err != nil {
		t.Fatal(err)
	}
	if k, _ := res.RowsAffected(); k != 1 {
		t.Fatal("setup: no revocation event found")
	}
	putEntityRow(t, db, older)
	db.Close()
	afterChecks(t, c.phys)
	wantAltered(t, c.phys)
	if m, _ := rep(t, c.phys).Member(id); m.Active() {
		t.Error("the revoked colleague is active again to the physician's workstation (her revocation's event was set back to refused)")
	}
}

// TestAttackS22dEventDeleted: the allergy's event deleted from the log,
// with its record's row: the log no longer held it, and nothing was said.
func TestAttackS22dEventDeleted(t *testing.T) {
	c := newClinic(t)
	patient, a := allergic(t, c)
	// Another event of the physician's after it: the own chain's tip is
	// not the allergy's event.
	if _, err := clin(c.phys).OpenChart(context.Background(), patient); err != nil {
		t.Fatal(err)
	}
	mustSync(t, c.all()...)
	c.phys.Close()
	db := rawStore(t, c.phys)
	// The store's own triggers keep envelopes: the folder writer drops
	// them first and puts them back after.
	var kept string
	if err := db.QueryRow(`SELECT sql FROM sqlite_master WHERE name = 'envelopes_kept'`).Scan(&kept); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DROP TRIGGER envelopes_kept`); err != nil {
		t.Fatal(err)
	}
	res, err := db.Exec(`DELETE FROM envelopes WHERE entity = ? OR entity = unhex(?)`, a.ID, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(kept); err != nil {
		t.Fatal(err)
	}
	if k, _ := res.RowsAffected(); k == 0 {
		t.Fatal("setup: the allergy has no event")
	}
	if _, err := db.Exec(`DELETE FROM entities WHERE n = ?`, entityNumber(t, db, a.ID)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	afterChecks(t, c.phys)
	wantAltered(t, c.phys)
}

// TestAttackS22dBindingAltered: the allergy's binding (the kind and scope
// its record was settled to) changed to another kind: later events of the
// allergy are refused for it.
func TestAttackS22dBindingAltered(t *testing.T) {
	c := newClinic(t)
	_, a := allergic(t, c)
	c.phys.Close()
	db := rawStore(t, c.phys)
	n := entityNumber(t, db, a.ID)
	var kind int64
	if err := db.QueryRow(`SELECT kind FROM bindings WHERE entity = ?`, n).Scan(&kind); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE bindings SET kind = (SELECT n FROM names WHERE name = 'patient') WHERE entity = ?`, n); err != nil {
		t.Fatal(err)
	}
	db.Close()
	afterChecks(t, c.phys)
	wantAltered(t, c.phys)
	c.phys.Close()
	db = rawStore(t, c.phys)
	var now int64
	if err := db.QueryRow(`SELECT kind FROM bindings WHERE entity = ?`, n).Scan(&now); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if now != kind {
		t.Error("the allergy's altered binding was kept")
	}
	relogin(t, c.phys)
}

// TestStoreSealHonestRowWrites: records added and changed, a member
// revoked, everything synced: no restart is taken for an altered store.
func TestStoreSealHonestRowWrites(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	_, a := allergic(t, c)
	if err := clin(c.phys).RemoveAllergy(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if err := c.admin.RevokeMember(ctx, c.phys2.Fingerprint()); err != nil {
		t.Fatal(err)
	}
	mustSync(t, c.admin, c.recep, c.phys)
	if _, err := c.phys.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	mustSync(t, c.admin, c.recep, c.phys)
	for _, s := range []*Session{c.admin, c.recep, c.phys} {
		s.Close()
		afterChecks(t, s)
		if msg := s.StoreAltered(); msg != "" {
			t.Fatalf("%s: an honest restart is taken for an altered store: %s", s.name, msg)
		}
	}
}
