package chart

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/sync/replica"
)

// Prescriptions as the chart reads them: signed e-prescriptions (written
// by app/prescribing) and their signed cancellations, each checked
// against its prescriber's key.

// RxItem is one drug of a prescription, chosen from the formulary.
type RxItem struct {
	DrugID       string `json:"drug_id"` // Drug.ID in the formulary
	Drug         string `json:"drug"`    // label at signing: "amoxicillin 500 mg capsule"
	Generic      string `json:"generic"`
	Class        string `json:"class"`
	Dose         string `json:"dose"`      // "1", "500"
	Unit         string `json:"unit"`      // "capsule", "mg", "puff"
	Route        string `json:"route"`     // "oral"
	Frequency    string `json:"frequency"` // "three times daily"
	Days         int    `json:"days"`      // duration
	Quantity     string `json:"quantity"`  // "21 capsules"
	Refills      int    `json:"refills"`
	Instructions string `json:"instructions,omitempty"`
}

// routeWords says a route the way a patient reads it on the label.
var routeWords = map[string]string{"oral": "by mouth", "sublingual": "under the tongue", "subcutaneous": "by injection under the skin",
	"intramuscular": "by injection into a muscle", "topical": "on the skin", "rectal": "rectally", "nasal": "into the nose",
	"eye": "into the eye", "ear": "into the ear"}

// Directions is the item's sig as a patient and a pharmacist read it:
// "1 capsule by mouth three times daily for 7 days".
func (it RxItem) Directions() string {
	route := it.Route
	if w, ok := routeWords[norm(route)]; ok {
		route = w
	}
	s := strings.TrimSpace(strings.Join(strings.Fields(it.Dose+" "+doseUnit(it.Dose, it.Unit)+" "+route+" "+it.Frequency), " "))
	if it.Days > 0 {
		s += fmt.Sprintf(" for %d day%s", it.Days, plural(it.Days))
	}
	return s
}

// measures are units written the same for one or many.
var measures = map[string]bool{"mg": true, "g": true, "mcg": true, "µg": true, "ml": true, "l": true, "units": true, "unit": true,
	"iu": true, "drops": true, "%": true}

// doseUnit writes a countable form in the plural for a dose above one:
// "2 tablets", "2 puffs", but "500 mg".
func doseUnit(dose, unit string) string {
	n, err := strconv.ParseFloat(strings.TrimSpace(dose), 64)
	u := strings.TrimSpace(unit)
	if err != nil || n <= 1 || u == "" || strings.Contains(u, " ") || strings.HasSuffix(u, "s") || measures[strings.ToLower(u)] {
		return u
	}
	return u + "s"
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// Prescription statuses.
const (
	RxActive    = "active"
	RxCancelled = "cancelled"
)

// Prescription is a signed e-prescription. Once signed it never changes:
// cancelling adds a signed cancellation, renewing signs a new prescription
// pointing to it, corrections are addenda.
type Prescription struct {
	ID             string
	Patient        string
	Prescriber     string // fingerprint
	PrescriberName string
	Time           time.Time
	Encounter      string
	Items          []RxItem
	// Overrides are the warnings of the checks with the prescriber's reason
	// for going ahead, kept in the signed prescription.
	Overrides []Warning
	Renews    string // id of the prescription this one renews
	// Code is the short verification code printed on the prescription.
	Code         string
	Status       string // RxActive or RxCancelled
	Cancellation *RxCancellation
	Addenda      []Addendum
	Verified     bool // the prescriber's signature checks out
	Problem      string

	// PatientName, PatientBirth and PatientMRN are as signed (and printed).
	PatientName, PatientBirth, PatientMRN string
	Clinic                                string
	// ClinicAddress, ClinicPhone and PrescriberLicence are as signed: what
	// an administrator had set when it was signed ("" when nothing was).
	ClinicAddress, ClinicPhone, PrescriberLicence string

	// Drug, Dose, Frequency, Days and Instructions are a shorthand for a
	// one-drug prescription (Drug a formulary label, "Amoxicillin 500 mg"),
	// used when Items is empty.
	Drug, Dose, Frequency string
	Days                  int
	Instructions          string
}

// RxCancellation is the signed cancellation of a prescription.
type RxCancellation struct {
	Author, AuthorName string
	Time               time.Time
	Reason             string
	Verified           bool
}

// Running reports whether the prescription still supplies the patient at
// now: signed, not cancelled, within its duration and refills.
func (p Prescription) Running(now time.Time) bool {
	if p.Status != RxActive || !p.Verified {
		return false
	}
	for _, it := range p.Items {
		if now.Before(p.Time.AddDate(0, 0, it.Days*(it.Refills+1))) {
			return true
		}
	}
	return false
}

// RxDoc is a prescription's canonical, signed encoding: everything printed.
type RxDoc struct {
	ID             string    `json:"id"`
	Clinic         string    `json:"clinic"`
	ClinicID       string    `json:"clinic_id"`
	Patient        string    `json:"patient"`
	PatientName    string    `json:"patient_name"`
	PatientBirth   string    `json:"patient_birth"`
	PatientMRN     string    `json:"patient_mrn"`
	Prescriber     string    `json:"prescriber"`
	PrescriberName string    `json:"prescriber_name"`
	Time           int64     `json:"time"`
	Encounter      string    `json:"encounter,omitempty"`
	Renews         string    `json:"renews,omitempty"`
	Items          []RxItem  `json:"items"`
	Overrides      []Warning `json:"overrides,omitempty"`
	// Printed since issue 14; absent from earlier prescriptions.
	ClinicAddress     string `json:"clinic_address,omitempty"`
	ClinicPhone       string `json:"clinic_phone,omitempty"`
	PrescriberLicence string `json:"prescriber_licence,omitempty"`
}

// RxCancelDoc is a cancellation's canonical, signed encoding.
type RxCancelDoc struct {
	ID     string `json:"id"`
	Of     string `json:"of"`
	Author string `json:"author"`
	Time   int64  `json:"time"`
	Reason string `json:"reason"`
}

// VerificationCode is the short code printed on a prescription: 50 bits of
// the SHA-256 of its signed content, in base32 as XXXXX-XXXXX.
func VerificationCode(doc []byte) string {
	h := sha256.Sum256(SignedInput(records.KindPrescription, doc))
	c := base32.StdEncoding.EncodeToString(h[:])[:10]
	return c[:5] + "-" + c[5:]
}

// FromDoc is the prescription signed as d, with its verification code.
func FromDoc(d RxDoc, code string, verified bool) Prescription {
	p := Prescription{ID: d.ID, Patient: d.Patient, Prescriber: d.Prescriber, PrescriberName: d.PrescriberName,
		Time: time.UnixMilli(d.Time), Encounter: d.Encounter, Items: d.Items, Overrides: d.Overrides, Renews: d.Renews,
		Code: code, Status: RxActive, Verified: verified, PatientName: d.PatientName, PatientBirth: d.PatientBirth,
		PatientMRN: d.PatientMRN, Clinic: d.Clinic, ClinicAddress: d.ClinicAddress, ClinicPhone: d.ClinicPhone,
		PrescriberLicence: d.PrescriberLicence}
	if len(d.Items) > 0 {
		it := d.Items[0]
		p.Drug, p.Dose, p.Frequency, p.Days, p.Instructions = it.Drug, strings.TrimSpace(it.Dose+" "+it.Unit), it.Frequency, it.Days, it.Instructions
	}
	return p
}

// PrescriptionFromState reads the signed prescription id of a clinic
// (clinicID) from its state and checks its signature; cancels are the
// signed cancellations (Cancellations).
func PrescriptionFromState(r *replica.Replica, clinicID, id string, st replica.State, cancels map[string]RxCancellation) Prescription {
	var d RxDoc
	s, err := OpenDoc(id, st, &d)
	if err != nil {
		return Prescription{ID: id, Patient: s.Patient, Status: RxActive, Problem: err.Error()}
	}
	p := FromDoc(d, VerificationCode(s.Doc), false)
	switch err := VerifyDoc(r, records.KindPrescription, d.Prescriber, s.Doc, s.Sig, st); {
	case err != nil:
		p.Problem = err.Error()
	case d.ID != id || d.Patient != s.Patient || d.ClinicID != clinicID:
		p.Problem = "the signed prescription belongs to another record"
	default:
		p.Verified = true
	}
	if c, ok := cancels[id]; ok {
		p.Status, p.Cancellation = RxCancelled, &c
	}
	return p
}

// Cancellations returns the signed cancellations by prescription id.
func Cancellations(ctx context.Context, r *replica.Replica) (map[string]RxCancellation, error) {
	rows, err := r.Entities(ctx, records.KindRxCancel)
	if err != nil {
		return nil, fmt.Errorf("app: read cancellations: %w", err)
	}
	out := map[string]RxCancellation{}
	for _, e := range rows {
		var d RxCancelDoc
		s, err := OpenDoc(e.ID, e.State, &d)
		if err != nil || d.ID != e.ID {
			continue
		}
		if VerifyDoc(r, records.KindRxCancel, d.Author, s.Doc, s.Sig, e.State) != nil {
			continue // an unsigned cancellation cancels nothing
		}
		c := RxCancellation{Author: d.Author, AuthorName: app.MemberName(r, d.Author), Time: time.UnixMilli(d.Time), Reason: d.Reason, Verified: true}
		if old, ok := out[d.Of]; !ok || c.Time.Before(old.Time) {
			out[d.Of] = c
		}
	}
	return out, nil
}

// Warning is one finding of the checks run before a prescription is
// signed. Signing needs a Reason for each: the physician's override, kept
// in the signed prescription.
type Warning struct {
	Kind     string `json:"kind"`     // WarnAllergy or WarnInteraction
	Drug     string `json:"drug"`     // the prescribed drug's label
	With     string `json:"with"`     // the allergy, or the other drug
	Severity string `json:"severity"` // allergy: the recorded severity; interaction: major or moderate
	Message  string `json:"message"`  // what the physician reads
	Reason   string `json:"reason,omitempty"`
}

// Key identifies a warning across re-checks, so an override reason given
// once stays with its warning.
func (w Warning) Key() string { return w.Kind + "|" + norm(w.Drug) + "|" + norm(w.With) }
