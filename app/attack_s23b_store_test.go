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
