package app

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

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
	s := strings.TrimSpace(strings.Join(strings.Fields(it.Dose+" "+it.Unit+" "+route+" "+it.Frequency), " "))
	if it.Days > 0 {
		s += fmt.Sprintf(" for %d day%s", it.Days, plural(it.Days))
	}
	return s
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

// rxDoc is a prescription's canonical, signed encoding: everything printed.
type rxDoc struct {
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
}

// rxCancelDoc is a cancellation's canonical, signed encoding.
type rxCancelDoc struct {
	ID     string `json:"id"`
	Of     string `json:"of"`
	Author string `json:"author"`
	Time   int64  `json:"time"`
	Reason string `json:"reason"`
}

// ErrOverrideNeeded is wrapped by an *OverrideError.
var ErrOverrideNeeded = errors.New("app: the prescription has warnings that need a reason to override")

// OverrideError lists the warnings still lacking an override reason.
type OverrideError struct{ Warnings []Warning }

func (e *OverrideError) Error() string {
	return fmt.Sprintf("%v: %d warning(s) without a reason; read each and give a reason to go ahead, or change the prescription", ErrOverrideNeeded, len(e.Warnings))
}

// Unwrap lets errors.Is match ErrOverrideNeeded.
func (e *OverrideError) Unwrap() error { return ErrOverrideNeeded }

// verificationCode is the short code printed on a prescription: 50 bits of
// the SHA-256 of its signed content, in base32 as XXXXX-XXXXX.
func verificationCode(doc []byte) string {
	h := sha256.Sum256(signedInput(records.KindPrescription, doc))
	c := base32.StdEncoding.EncodeToString(h[:])[:10]
	return c[:5] + "-" + c[5:]
}

// NormalizeCode reads a verification code as a person types it.
func NormalizeCode(s string) string {
	c := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z', r >= '2' && r <= '7':
			return r
		}
		return -1
	}, s)
	if len(c) != 10 {
		return c
	}
	return c[:5] + "-" + c[5:]
}

// items expands the one-drug shorthand and checks every item against the
// formulary, filling in the drug's label and class as signed.
func (p Prescription) items(f *Formulary) ([]RxItem, error) {
	items := p.Items
	if len(items) == 0 && strings.TrimSpace(p.Drug) != "" {
		d, ok := f.Find(p.Drug)
		if !ok {
			return nil, fmt.Errorf("%w: %q is not in the formulary; choose a drug from the list", ErrInvalidInput, p.Drug)
		}
		dose, unit := splitDose(p.Dose)
		items = []RxItem{{DrugID: d.ID, Dose: dose, Unit: unit, Route: d.Route, Frequency: p.Frequency, Days: p.Days,
			Instructions: p.Instructions}}
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("%w: add at least one drug", ErrInvalidInput)
	}
	if len(items) > 10 {
		return nil, fmt.Errorf("%w: a prescription holds at most 10 drugs", ErrInvalidInput)
	}
	out := make([]RxItem, len(items))
	seen := map[string]bool{}
	for i, it := range items {
		d, ok := f.Drug(it.DrugID)
		if !ok {
			return nil, fmt.Errorf("%w: drug %d is not in the formulary; choose it from the list", ErrInvalidInput, i+1)
		}
		if seen[d.Generic] {
			return nil, fmt.Errorf("%w: %s is on the prescription twice", ErrInvalidInput, d.Generic)
		}
		seen[d.Generic] = true
		it.Drug, it.Generic, it.Class = d.Label(), d.Generic, d.Class
		for _, fld := range []*string{&it.Dose, &it.Unit, &it.Route, &it.Frequency, &it.Quantity, &it.Instructions} {
			*fld = strings.Join(strings.Fields(*fld), " ")
		}
		if it.Route == "" {
			it.Route = d.Route
		}
		if it.Unit == "" {
			it.Unit = d.Form
		}
		switch {
		case it.Dose == "":
			return nil, fmt.Errorf("%w: give the dose of %s", ErrInvalidInput, d.Generic)
		case it.Frequency == "":
			return nil, fmt.Errorf("%w: say how often %s is taken", ErrInvalidInput, d.Generic)
		case it.Days < 1 || it.Days > 365:
			return nil, fmt.Errorf("%w: the duration of %s must be 1 to 365 days", ErrInvalidInput, d.Generic)
		case it.Refills < 0 || it.Refills > 12:
			return nil, fmt.Errorf("%w: %s may have 0 to 12 refills", ErrInvalidInput, d.Generic)
		case len(it.Instructions) > 1000 || len(it.Dose)+len(it.Unit)+len(it.Frequency)+len(it.Quantity) > 400:
			return nil, fmt.Errorf("%w: the directions of %s are too long", ErrInvalidInput, d.Generic)
		}
		if it.Quantity == "" {
			it.Quantity = fmt.Sprintf("%d days' supply", it.Days)
		}
		out[i] = it
	}
	return out, nil
}

// splitDose reads "1 tablet" as ("1", "tablet") and "500 mg" as ("500", "mg").
func splitDose(s string) (dose, unit string) {
	f := strings.Fields(s)
	if len(f) == 0 {
		return "", ""
	}
	return f[0], strings.Join(f[1:], " ")
}

// CheckPrescription runs the allergy and interaction checks of a
// prescription before it is signed. Each warning carries the reason from
// p.Overrides given for it earlier, if any.
func (s *Session) CheckPrescription(ctx context.Context, p Prescription) ([]Warning, error) {
	r, err := s.can(roles.Prescribe)
	if err != nil {
		return nil, err
	}
	f, err := bundledFormulary()
	if err != nil {
		return nil, err
	}
	items, err := p.items(f)
	if err != nil {
		return nil, err
	}
	pat, err := s.Patient(ctx, p.Patient)
	if err != nil {
		return nil, err
	}
	c, err := s.chart(ctx, r, pat)
	if err != nil {
		return nil, err
	}
	return checkItems(f, items, c, p.Renews, p.Overrides), nil
}

// checkItems runs the checks of items for a chart; renews names a
// prescription whose drugs are being continued, not added.
func checkItems(f *Formulary, items []RxItem, c Chart, renews string, overrides []Warning) []Warning {
	var taking []Taking
	for _, m := range c.Medications {
		if m.Prescription != "" && m.Prescription == renews {
			continue
		}
		taking = append(taking, Taking{Name: m.Name, Source: "current medication"})
	}
	var out []Warning
	for i, it := range items {
		d, _ := f.Drug(it.DrugID)
		others := append([]Taking(nil), taking...)
		for _, o := range items[:i] {
			others = append(others, Taking{Name: o.Generic, Source: "on this prescription"})
		}
		out = append(out, f.CheckAllergies(d, c.Allergies)...)
		out = append(out, f.CheckInteractions(d, others)...)
	}
	reasons := map[string]string{}
	for _, o := range overrides {
		reasons[o.Key()] = strings.TrimSpace(o.Reason)
	}
	for i := range out {
		out[i].Reason = reasons[out[i].Key()]
	}
	return out
}

// Prescribe checks and signs a prescription. When a check warns, every
// warning needs a reason in p.Overrides (matched by Warning.Key), else it
// returns an *OverrideError and records nothing.
func (s *Session) Prescribe(ctx context.Context, p Prescription) (Prescription, error) {
	r, err := s.can(roles.Prescribe)
	if err != nil {
		return Prescription{}, err
	}
	f, err := bundledFormulary()
	if err != nil {
		return Prescription{}, err
	}
	items, err := p.items(f)
	if err != nil {
		return Prescription{}, err
	}
	pat, err := s.Patient(ctx, p.Patient)
	if err != nil {
		return Prescription{}, err
	}
	c, err := s.chart(ctx, r, pat)
	if err != nil {
		return Prescription{}, err
	}
	warnings := checkItems(f, items, c, p.Renews, p.Overrides)
	var missing []Warning
	for _, w := range warnings {
		if w.Reason == "" {
			missing = append(missing, w)
		}
	}
	if len(missing) > 0 {
		return Prescription{}, &OverrideError{Warnings: missing}
	}
	now := s.env.Now()
	d := rxDoc{ID: crypto.NewEventID(), Clinic: s.prof.Clinic, ClinicID: s.prof.ClinicID, Patient: pat.ID,
		PatientName: strings.TrimSpace(pat.Given + " " + pat.Family), PatientBirth: pat.Birth, PatientMRN: pat.MRN,
		Prescriber: r.Fingerprint(), PrescriberName: memberName(r, r.Fingerprint()), Time: now.UnixMilli(),
		Encounter: p.Encounter, Renews: p.Renews, Items: items, Overrides: warnings}
	doc, sig, err := signDoc(r, records.KindPrescription, d)
	if err != nil {
		return Prescription{}, err
	}
	code := verificationCode(doc)
	fields, err := records.Signed{ID: d.ID, Doc: doc, Sig: sig, Patient: pat.ID, Code: code}.Fields()
	if err != nil {
		return Prescription{}, err
	}
	if _, err := r.Append(ctx, replica.Change{Entity: d.ID, Kind: records.KindPrescription, Scope: roles.Clinical, Fields: fields}); err != nil {
		return Prescription{}, fmt.Errorf("app: prescribe: %w", err)
	}
	return rxFromDoc(d, code, true), nil
}

func rxFromDoc(d rxDoc, code string, verified bool) Prescription {
	p := Prescription{ID: d.ID, Patient: d.Patient, Prescriber: d.Prescriber, PrescriberName: d.PrescriberName,
		Time: time.UnixMilli(d.Time), Encounter: d.Encounter, Items: d.Items, Overrides: d.Overrides, Renews: d.Renews,
		Code: code, Status: RxActive, Verified: verified, PatientName: d.PatientName, PatientBirth: d.PatientBirth,
		PatientMRN: d.PatientMRN, Clinic: d.Clinic}
	if len(d.Items) > 0 {
		it := d.Items[0]
		p.Drug, p.Dose, p.Frequency, p.Days, p.Instructions = it.Drug, strings.TrimSpace(it.Dose+" "+it.Unit), it.Frequency, it.Days, it.Instructions
	}
	return p
}

func prescriptionFromState(r *replica.Replica, clinicID, id string, st replica.State, cancels map[string]RxCancellation) Prescription {
	var d rxDoc
	s, err := openDoc(id, st, &d)
	if err != nil {
		return Prescription{ID: id, Patient: s.Patient, Status: RxActive, Problem: err.Error()}
	}
	p := rxFromDoc(d, verificationCode(s.Doc), false)
	switch err := verifyDoc(r, records.KindPrescription, d.Prescriber, s.Doc, s.Sig); {
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

// rxCancellations returns the signed cancellations by prescription id.
func rxCancellations(ctx context.Context, r *replica.Replica) (map[string]RxCancellation, error) {
	rows, err := r.Entities(ctx, records.KindRxCancel)
	if err != nil {
		return nil, fmt.Errorf("app: read cancellations: %w", err)
	}
	out := map[string]RxCancellation{}
	for _, e := range rows {
		var d rxCancelDoc
		s, err := openDoc(e.ID, e.State, &d)
		if err != nil || d.ID != e.ID {
			continue
		}
		if verifyDoc(r, records.KindRxCancel, d.Author, s.Doc, s.Sig) != nil {
			continue // an unsigned cancellation cancels nothing
		}
		c := RxCancellation{Author: d.Author, AuthorName: memberName(r, d.Author), Time: time.UnixMilli(d.Time), Reason: d.Reason, Verified: true}
		if old, ok := out[d.Of]; !ok || c.Time.Before(old.Time) {
			out[d.Of] = c
		}
	}
	return out, nil
}

// Prescription returns one prescription with its status.
func (s *Session) Prescription(ctx context.Context, id string) (Prescription, error) {
	r, err := s.can(roles.ReadChart)
	if err != nil {
		return Prescription{}, err
	}
	kind, st, err := r.Entity(ctx, id)
	if err != nil || kind != records.KindPrescription {
		return Prescription{}, fmt.Errorf("%w: no prescription %s on this workstation", ErrInvalidInput, id)
	}
	cancels, err := rxCancellations(ctx, r)
	if err != nil {
		return Prescription{}, err
	}
	p := prescriptionFromState(r, s.prof.ClinicID, id, st, cancels)
	rows, err := r.Entities(ctx, records.KindAddendum)
	if err != nil {
		return Prescription{}, err
	}
	for _, e := range rows {
		if a, _ := records.SignedFromState(e.ID, e.State); a.Of == id {
			p.Addenda = append(p.Addenda, addendumFromState(r, e.ID, e.State))
		}
	}
	sort.Slice(p.Addenda, func(i, j int) bool { return p.Addenda[i].Time.Before(p.Addenda[j].Time) })
	return p, nil
}

// CancelPrescription signs the cancellation of a prescription, with the
// reason. The prescription itself stays as signed.
func (s *Session) CancelPrescription(ctx context.Context, id, reason string) error {
	r, err := s.can(roles.Prescribe)
	if err != nil {
		return err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return fmt.Errorf("%w: give the reason for cancelling", ErrInvalidInput)
	}
	p, err := s.Prescription(ctx, id)
	if err != nil {
		return err
	}
	if p.Status == RxCancelled {
		return fmt.Errorf("%w: the prescription was already cancelled on %s", ErrInvalidInput, p.Cancellation.Time.Format("2 Jan 2006"))
	}
	d := rxCancelDoc{ID: crypto.NewEventID(), Of: id, Author: r.Fingerprint(), Time: s.env.Now().UnixMilli(), Reason: reason}
	ch, err := signedChange(r, d.ID, records.KindRxCancel, d, records.Signed{Patient: p.Patient, Of: id})
	if err != nil {
		return err
	}
	if _, err := r.Append(ctx, ch); err != nil {
		return fmt.Errorf("app: cancel prescription: %w", err)
	}
	return nil
}

// RenewPrescription signs a new prescription with the same drugs and
// directions as id, dated today and checked again; overrides give reasons
// for the warnings of the new checks.
func (s *Session) RenewPrescription(ctx context.Context, id string, overrides []Warning) (Prescription, error) {
	old, err := s.Prescription(ctx, id)
	if err != nil {
		return Prescription{}, err
	}
	if old.Status == RxCancelled {
		return Prescription{}, fmt.Errorf("%w: a cancelled prescription cannot be renewed; write a new one", ErrInvalidInput)
	}
	if !old.Verified {
		return Prescription{}, fmt.Errorf("%w: the prescription's signature does not check out, so it cannot be renewed", ErrInvalidInput)
	}
	return s.Prescribe(ctx, Prescription{Patient: old.Patient, Items: old.Items, Renews: old.ID, Overrides: overrides})
}

// RecentPrescriptions returns the prescriptions the logged-in physician
// signed, newest first, at most limit (all when limit <= 0).
func (s *Session) RecentPrescriptions(ctx context.Context, limit int) ([]Prescription, error) {
	r, err := s.can(roles.ReadChart)
	if err != nil {
		return nil, err
	}
	rows, err := r.Entities(ctx, records.KindPrescription)
	if err != nil {
		return nil, err
	}
	cancels, err := rxCancellations(ctx, r)
	if err != nil {
		return nil, err
	}
	var out []Prescription
	for _, e := range rows {
		if p := prescriptionFromState(r, s.prof.ClinicID, e.ID, e.State, cancels); p.Prescriber == r.Fingerprint() {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Time.After(out[j].Time) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
