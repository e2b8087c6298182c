package app

// Session 23 (h-rejudge23): the seal's rebuild (session 22,
// sync/replica/storeseal.go rebuildRows) sent refused events back to be
// judged, but trusted the state column of every other event: someone who
// can write the profile folder while Medihaven is closed set a revoked
// colleague's refused allergy to applied, the seal noticed the envelopes
// changed, and the rebuild built the record with it.

import (
	"context"
	"testing"

	"github.com/medihaven/medihaven/sync/store"
)

// TestAttackS23bRefusedSetToApplied: the revoked physician's allergy,
// written after her revocation and refused by every workstation, set to
// applied in the physician's file: after the login's checks it must be
// refused again and stay out of the chart.
func TestAttackS23bRefusedSetToApplied(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	p, err := c.recep.RegisterPatient(ctx, Patient{Family: "Allergic", Given: "Anna", Birth: "1970-01-02"})
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, c.all()...)
	revoked := c.phys2.Fingerprint()
	if err := c.admin.RevokeMember(ctx, revoked); err != nil {
		t.Fatal(err)
	}
	mustSync(t, c.admin, c.recep, c.phys)
	// Her workstation has not heard of it yet: she writes on.
	a, err := clin(c.phys2).AddAllergy(ctx, Allergy{Patient: p.ID, Substance: "latex", Reaction: "rash", Severity: "mild"})
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, c.all()...)
	wantChartAllergy(t, c.phys, p.ID, false)
	if t.Failed() {
		t.Fatal("setup: the revoked colleague's allergy stands")
	}
	c.phys.Close()
	db := rawStore(t, c.phys)
	res, err := db.Exec(`UPDATE envelopes SET state = 1, rule = '', reason = '' WHERE (entity = ? OR entity = unhex(?)) AND state = 3`, a.ID, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if k, _ := res.RowsAffected(); k != 1 {
		t.Fatalf("setup: %d refused events of the allergy, want 1", k)
	}
	db.Close()
	afterChecks(t, c.phys)
	wantAltered(t, c.phys)
	wantChartAllergy(t, c.phys, p.ID, false)
	c.phys.Close()
	db = rawStore(t, c.phys)
	var state int
	if err := db.QueryRow(`SELECT state FROM envelopes WHERE entity = ? OR entity = unhex(?)`, a.ID, a.ID).Scan(&state); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if state != 3 {
		t.Errorf("the revoked colleague's allergy event is in state %d after the rebuild, want refused (3)", state)
	}
	relogin(t, c.phys)
}

// TestAttackS23bDeletedEventFetchedAgain: a colleague's allergy event
// deleted from the physician's file, with its record's row, and an event
// of hers after it left in place: the rebuild said events may be missing,
// but her device's head still covered the place, so the next catch-up
// never asked for it and the chart stayed without the allergy.
func TestAttackS23bDeletedEventFetchedAgain(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	p, err := c.recep.RegisterPatient(ctx, Patient{Family: "Allergic", Given: "Anna", Birth: "1970-01-02"})
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, c.all()...)
	a, err := clin(c.phys2).AddAllergy(ctx, Allergy{Patient: p.ID, Substance: "penicillin", Reaction: "anaphylaxis", Severity: "severe"})
	if err != nil {
		t.Fatal(err)
	}
	// Another event of hers after it: her device's head is above it.
	if _, err := clin(c.phys2).OpenChart(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	mustSync(t, c.all()...)
	wantChartAllergy(t, c.phys, p.ID, true)
	if t.Failed() {
		t.FailNow()
	}
	c.phys.Close()
	db := rawStore(t, c.phys)
	var kept string
	if err := db.QueryRow(`SELECT sql FROM sqlite_master WHERE name = 'envelopes_kept'`).Scan(&kept); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DROP TRIGGER envelopes_kept`); err != nil {
		t.Fatal(err)
	}
	var seq, head int64
	if err := db.QueryRow(`SELECT seq FROM envelopes WHERE entity = ? OR entity = unhex(?)`, a.ID, a.ID).Scan(&seq); err != nil {
		t.Fatal(err)
	}
	res, err := db.Exec(`DELETE FROM envelopes WHERE entity = ? OR entity = unhex(?)`, a.ID, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(kept); err != nil {
		t.Fatal(err)
	}
	if k, _ := res.RowsAffected(); k != 1 {
		t.Fatalf("setup: %d events of the allergy, want 1", k)
	}
	if _, err := db.Exec(`DELETE FROM entities WHERE n = ?`, entityNumber(t, db, a.ID)); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT h.seq FROM heads h JOIN envelopes e ON e.device = h.device WHERE e.author = ? LIMIT 1`, c.phys2.Fingerprint()).Scan(&head); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if head <= seq {
		t.Fatalf("setup: her device's head %d is not above the deleted event %d", head, seq)
	}
	afterChecks(t, c.phys)
	wantAltered(t, c.phys)
	mustSync(t, c.all()...)
	wantChartAllergy(t, c.phys, p.ID, true)
}

// TestAttackS23bOwnEventDeletedFetchedAgain: the physician's own allergy
// event deleted from his file under a later event of his: after the
// rebuild and a catch-up, the allergy is back, and so are his events
// after it (they waited for it), and he writes on.
func TestAttackS23bOwnEventDeletedFetchedAgain(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	patient, a := allergic(t, c)
	if _, err := clin(c.phys).OpenChart(ctx, patient); err != nil {
		t.Fatal(err)
	}
	mustSync(t, c.all()...)
	c.phys.Close()
	db := rawStore(t, c.phys)
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
	if k, _ := res.RowsAffected(); k != 1 {
		t.Fatalf("setup: %d events of the allergy, want 1", k)
	}
	if _, err := db.Exec(`DELETE FROM entities WHERE n = ?`, entityNumber(t, db, a.ID)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	afterChecks(t, c.phys)
	wantAltered(t, c.phys)
	mustSync(t, c.all()...)
	wantChartAllergy(t, c.phys, patient, true)
	if _, err := clin(c.phys).AddAllergy(ctx, Allergy{Patient: patient, Substance: "latex", Reaction: "rash", Severity: "mild"}); err != nil {
		t.Fatal(err)
	}
	mustSync(t, c.all()...)
	for _, s := range []*Session{c.phys, c.phys2} {
		chart, err := clin(s).OpenChart(ctx, patient)
		if err != nil {
			t.Fatal(err)
		}
		if len(chart.Allergies) != 2 {
			t.Errorf("%s: the chart shows allergies %+v, want penicillin and latex", s.name, chart.Allergies)
		}
	}
	r := rep(t, c.phys)
	var pending int
	if err := r.DB().View(ctx, func(tx *store.Tx) error {
		n, err := tx.CountPending(ctx)
		pending = n
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if pending != 0 {
		t.Errorf("%d events still wait on the physician's workstation", pending)
	}
}
