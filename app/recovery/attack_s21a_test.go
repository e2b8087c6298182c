package recovery

// Session 21 review h-sec21a: the order of admissions the recovery reads
// the clinic's key maker by must not be an administrator's word (open
// h-sec20b S20b-5).

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
)

// sealAndEscrow has p's modified software seal a problem of patient with
// bogus and escrow bogus to the split in force, sent to everyone.
func sealAndEscrow(t *testing.T, c *apptest.Clinic, p *app.Session, everyone []*app.Session, patient string, bogus crypto.ScopeKey) {
	t.Helper()
	sealAndEscrowBy(t, newRecoveryForger(t, p, c.Admin), p, everyone, patient, "sealed for the puppets", bogus)
}

// sealAndEscrowBy is sealAndEscrow by the forger f of p's, the problem
// named name.
func sealAndEscrowBy(t *testing.T, f *recoveryForger, p *app.Session, everyone []*app.Session, patient, name string, bogus crypto.ScopeKey) {
	t.Helper()
	r := rep(t, p)
	pol, err := readRecovery(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	fields, err := records.Problem{Patient: patient, Name: name, Status: "active"}.Fields()
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	f.sign(t, records.KindProblem, string(roles.Clinical), roles.NewRecordID(records.KindProblem), bogus, payload)
	escrowed, err := splitKey(r, pol, bogus)
	if err != nil {
		t.Fatal(err)
	}
	f.sign(t, kindRecoveryEscrow, scopeRecovery, escrowEntity(pol.id, bogus.Scope, bogus.Epoch), crypto.ScopeKey{}, escrowed)
	f.send(t, everyone...)
	mustSync(t, everyone...)
}

// standInClinic is a clinic whose administrator Ada admitted a physician
// of hers (the stand-in) before the clinic's first physician, Paul, then
// Petra; the stand-in's workstation stays away while Paul and Petra
// confirm each other, so Paul makes the clinical key (the vouched come
// first in line, F5), registers a patient and writes a note. Ben and Cleo
// are administrators; recovery is split two of three and Paul approves
// it. When stayAway is false the stand-in's workstation syncs with the
// rest throughout, and she and Paul confirm each other first (she is then
// first in line, and makes the key).
func standInClinic(t *testing.T, stayAway bool) (c *apptest.Clinic, stand, ben, cleo *app.Session, everyone []*app.Session, patient string) {
	t.Helper()
	ctx := context.Background()
	c = upkeptClinic(t, "Stand-in Clinic")
	stand = c.Join(t, "Dr Stand In", roles.Physician)
	// Ada admits her before anyone else (her workstation hears nothing).
	deliver(t, stand, c.Admin)
	mustSync(t, c.Admin)
	if m, ok := rep(t, c.Admin).Member(stand.Fingerprint()); !ok || !m.Active() {
		t.Fatal("the stand-in is not admitted")
	}
	c.Phys = c.Join(t, "Dr Paul Physician", roles.Physician)
	c.Phys2 = c.Join(t, "Dr Petra Second", roles.Physician)
	ben = c.Join(t, "Ben Admin", roles.Administrator)
	cleo = c.Join(t, "Cleo Admin", roles.Administrator)
	everyone = []*app.Session{c.Admin, c.Phys, c.Phys2, ben, cleo}
	if !stayAway {
		everyone = append(everyone, stand)
	}
	mustSync(t, everyone...)
	if !stayAway {
		c.Confirm(t, stand, c.Phys)
		mustSync(t, everyone...)
		mustSync(t, everyone...)
	}
	c.Confirm(t, c.Phys, c.Phys2)
	mustSync(t, everyone...)
	mustSync(t, everyone...)
	if _, ok := rep(t, c.Phys).Key(roles.Clinical); !ok {
		t.Fatal("Paul's workstation holds no clinical key")
	}
	p, err := c.Phys.RegisterPatient(ctx, app.Patient{Family: "Standin", Given: "Erin", Birth: "1961-02-03"})
	if err != nil {
		t.Fatal(err)
	}
	note(t, c.Phys, p.ID, "Paul's word")
	if _, err := New(c.Admin.Core()).Split(ctx, 2); err != nil {
		t.Fatal(err)
	}
	mustSync(t, everyone...)
	approveSplit(t, c.Phys, everyone...)
	mustSync(t, everyone...)
	return c, stand, ben, cleo, everyone, p.ID
}

// TestAttackS21aFoundingStandInTakesTheTurn: Ada admitted a stand-in
// physician at the clinic's founding, before Paul, in the open; while
// nobody confirmed anyone she was first in line, but her workstation stayed
// away, and once Paul and Petra confirmed each other Paul made the
// clinical key. Later the stand-in writes with a key of Ada's and escrows
// it, and a second puppet confirms her: vouched and admitted first, both
// readings of h-sec20b named her the clinic's key maker, and the puppets'
// key was handed over. Nothing signed tells her from a lone founding
// physician whose colleague came late (the data are the same up to
// names): the epoch must be disputed, not handed over (puppets deny, not
// take).
func TestAttackS21aFoundingStandInTakesTheTurn(t *testing.T) {
	c, stand, ben, cleo, everyone, patient := standInClinic(t, true)
	real, _ := rep(t, c.Phys).Key(roles.Clinical)
	everyone = append(everyone, stand)
	mustSync(t, everyone...)
	p2 := c.Join(t, "Dr Puppet Two", roles.Physician)
	everyone = append(everyone, p2)
	mustSync(t, everyone...)
	c.Confirm(t, stand, p2)
	mustSync(t, everyone...)
	bogus := falseKey(t, c.Phys)
	sealAndEscrow(t, c, stand, everyone, patient, bogus)
	sealAndEscrow(t, c, p2, everyone, patient, bogus)
	c.Phys.Close()
	c.Phys2.Close()
	newcomer := c.Join(t, "Dr Nadia New", roles.Physician)
	rec, err := recoverFor(t, ben, cleo, newcomer, c.Admin, ben, cleo, newcomer)
	if n := notesOf(t, newcomer, patient); n != 1 && (!errors.Is(err, ErrDisputed) || !strings.Contains(err.Error(), real.String())) {
		t.Fatalf("recovered %+v (%v): the new physician reads %d of the 1 note, and the clinical epoch %s is not said to be disputed", rec, err, n, real)
	}
}

// TestRecoveryS21aHonestShapes: clinics whose key maker the order of
// admissions by clocks (replica.AdmissionClocks) and the three readings
// still find, with two puppets of Ada's who confirm each other writing
// with a key of hers in the epoch.
func TestRecoveryS21aHonestShapes(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"a stand-in of the founding whom Paul confirmed, who wrote with the clinic's key", func(t *testing.T) {
			// Admitted first and confirmed by the clinic's physicians:
			// she counts, and reaches them.
			c, stand, ben, cleo, everyone, patient := standInClinic(t, false)
			note(t, stand, patient, "the stand-in's word")
			mustSync(t, everyone...)
			puppets(t, c, &everyone, patient, falseKey(t, c.Phys), true, "Dr Puppet One", "Dr Puppet Two")
			c.Phys.Close()
			c.Phys2.Close()
			stand.Close()
			newcomer := c.Join(t, "Dr Nadia New", roles.Physician)
			rec, err := recoverFor(t, ben, cleo, newcomer, c.Admin, ben, cleo, newcomer)
			if n := notesOf(t, newcomer, patient); err != nil || n != 2 {
				t.Fatalf("recovered %+v (%v), the new physician reads %d of 2 notes", rec, err, n)
			}
		}},
		{"a lone founding physician whose colleague came after two vouched puppets", func(t *testing.T) {
			// The stand-in's shape with the names swapped: she was
			// admitted first, wrote first, and is vouched for by a
			// colleague admitted after the puppets vouched for each
			// other. Nothing signed tells the two apart, so it is
			// disputed (until session 21 the clinic's key was handed
			// over here, and the puppets' in the stand-in's shape).
			c, ben, cleo, everyone, patient := loneClinic(t)
			real, _ := rep(t, c.Phys).Key(roles.Clinical)
			puppets(t, c, &everyone, patient, falseKey(t, c.Phys), true, "Dr Puppet One", "Dr Puppet Two")
			petra := c.Join(t, "Dr Petra Late", roles.Physician)
			everyone = append(everyone, petra)
			mustSync(t, everyone...)
			c.Confirm(t, c.Phys, petra)
			mustSync(t, everyone...)
			mustSync(t, everyone...)
			c.Phys.Close()
			petra.Close()
			newcomer := c.Join(t, "Dr Nadia New", roles.Physician)
			rec, err := recoverFor(t, ben, cleo, newcomer, c.Admin, ben, cleo, newcomer)
			if n := notesOf(t, newcomer, patient); n != 1 && (!errors.Is(err, ErrDisputed) || !strings.Contains(err.Error(), real.String())) {
				t.Fatalf("recovered %+v (%v): the new physician reads %d of the 1 note, and the clinical epoch %s is not said to be disputed", rec, err, n, real)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.run)
	}
}
