package chat

import (
	"context"
	"errors"
	"testing"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// TestAttackS25aSecondPatientWithTheSameMRN: Attack (MEDIUM, session 25
// review h-rev25a): a patient's MRN is drawn by the registering
// workstation, free on it (app's freshMRN), and never written again; no
// workstation applying a registration checks it. A receptionist's modified
// software registers a second patient carrying the MRN of a patient
// already registered (two desks' concurrent registrations may also draw
// the same MRN by chance). A chat message naming the MRN ("MH… potassium
// 6.9, call back") opened, on the physician's workstation, whichever of
// the two sorts first by name: the attacker's, named to sort first. The
// lookup now says the MRN is carried by two patients and opens neither.
func TestAttackS25aSecondPatientWithTheSameMRN(t *testing.T) {
	ctx := context.Background()
	c := apptest.NewClinic(t)
	anna, err := c.Recep.RegisterPatient(ctx, app.Patient{Family: "Zimmer", Given: "Anna", Birth: "1950-02-03"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Recep.Replica()
	if err != nil {
		t.Fatal(err)
	}
	// (Under an id of its own bound to the MRN, as a registration's: since
	// session 26 no event under Anna's may write another.)
	twin := records.NewPatientID(app.Patient{Family: "Abel", Given: "Bob", Birth: "1990-01-01", MRN: anna.MRN, Registered: c.Env.Now()})
	f, err := twin.Fields()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Append(ctx, replica.Change{Entity: twin.ID, Kind: records.KindPatient, Scope: roles.FrontDesk, Fields: f}); err != nil {
		t.Fatal(err)
	}
	if err := app.SyncLocal(ctx, c.Recep, c.Phys); err != nil {
		t.Fatal(err)
	}
	p, err := New(c.Phys.Core()).Patient(ctx, anna.MRN)
	if err == nil {
		t.Fatalf("the physician's lookup of MRN %s opens %s (id %s; Anna's is %s), want it to say two patients carry it", anna.MRN, p.Name(), p.ID, anna.ID)
	}
	if !errors.Is(err, app.ErrInvalidInput) {
		t.Errorf("the lookup says %v; want ErrInvalidInput naming both", err)
	}
	t.Log(err)
}
