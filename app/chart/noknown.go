package chart

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// A chart with no allergy says nothing about whether anybody asked. A
// physician who asked, and heard of none, records "No known allergy"
// (SNOMED CT 716186003, FHIR's AllergyIntolerance for it): an allergy
// record like the others, signed by her workstation, whose author every
// workstation reads from the verified event that made it. It is current
// while no allergy is recorded beside it: a real allergy, recorded later
// or synced from a colleague in any order, supersedes it, and the entry
// stays in the record's history. It is never an allergy the prescribing
// checks see.

// NoneKnown is a physician's "asked: no known allergies".
type NoneKnown struct {
	ID    string
	Asked time.Time // when it was recorded (or, imported, the other clinic's recorded date)
	// By is the fingerprint of the physician whose signed event recorded
	// it; ByName her name. On a record imported from another clinic
	// ByName is the transfer's attribution, or "another clinic".
	By, ByName string
	// Current is false once an allergy is recorded beside it: shown as
	// history, never as the patient's state.
	Current bool
	// Of is what the patient was asked about: "" every allergy
	// (716186003), "drug" (409137002: "no known drug allergy", as Epic and
	// Synthea send it), "food" or "environmental" (records.NoneKnownOf).
	Of string
	Origin
}

// Words say the statement in a sentence's words: "no known allergies",
// "no known drug allergies".
func (n NoneKnown) Words() string {
	if n.Of == "" {
		return "no known allergies"
	}
	return "no known " + n.Of + " allergies"
}

// CoversDrugs reports whether the patient was asked about drugs: a
// prescription's allergy check counts the statement as asked only then
// (no known food allergies says nothing of penicillin).
func (n NoneKnown) CoversDrugs() bool { return n.Of == "" || n.Of == "drug" }

// RecordNoKnownAllergies records that the patient was asked and knows of
// no allergy. It is refused while an allergy is recorded: mark it entered
// in error first if it is wrong.
func (s *Service) RecordNoKnownAllergies(ctx context.Context, patient string) (NoneKnown, error) {
	r, err := s.c.ReplicaFor(roles.EditAllergies)
	if err != nil {
		return NoneKnown{}, err
	}
	recs, err := PatientRecords(ctx, r, patient, records.KindAllergy)
	if err != nil {
		return NoneKnown{}, err
	}
	var recorded []string
	for _, e := range recs[records.KindAllergy] {
		if a := records.AllergyFromState(e.ID, e.State); a.Status != AllergyEnteredInError && !a.NoneKnown() {
			recorded = append(recorded, a.Substance)
		}
	}
	if len(recorded) > 0 {
		return NoneKnown{}, fmt.Errorf("%w: %s is recorded as an allergy of this patient; mark it entered in error first if it is wrong",
			app.ErrInvalidInput, strings.Join(recorded, ", "))
	}
	a := Allergy{ID: roles.NewRecordID(records.KindAllergy), Patient: patient, Substance: records.NoKnownAllergyText,
		Status: AllergyActive, Noted: s.c.Now(), Codes: []records.Coding{records.NoKnownAllergy}}
	if err := s.record(ctx, edit{roles.EditAllergies, patient, a.ID, records.KindAllergy, ActionAllergy, "recorded no known allergies (patient asked)"}, a); err != nil {
		return NoneKnown{}, err
	}
	return NoneKnown{ID: a.ID, Asked: a.Noted, By: s.c.Fingerprint(), ByName: app.MemberName(r, s.c.Fingerprint()), Current: true}, nil
}

// noneKnown is the newest of a patient's "no known allergies" entries
// (nil when there is none), current when no allergy is recorded.
func noneKnown(ctx context.Context, r *replica.Replica, entries []Allergy, allergies int) (*NoneKnown, error) {
	var newest *Allergy
	for i := range entries {
		if newest == nil || entries[i].Noted.After(newest.Noted) {
			newest = &entries[i]
		}
	}
	if newest == nil {
		return nil, nil
	}
	n := &NoneKnown{ID: newest.ID, Asked: newest.Noted, Current: allergies == 0, Of: newest.NoneKnownClass(), Origin: newest.Origin}
	events, err := r.History(ctx, roles.Clinical, records.KindAllergy, newest.ID)
	if err != nil {
		return nil, fmt.Errorf("app: read who recorded no known allergies: %w", err)
	}
	if len(events) > 0 {
		n.By = events[0].Author // the verified author of the event that made it
	}
	switch {
	case n.Attribution != "":
		n.ByName = n.Attribution
	case n.IsImported():
		n.ByName = "another clinic"
	case n.By != "":
		n.ByName = app.MemberName(r, n.By)
	default:
		n.ByName = "unknown"
	}
	return n, nil
}
