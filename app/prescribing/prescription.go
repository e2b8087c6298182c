package prescribing

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/app/prescribing/drugs"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// ErrOverrideNeeded is wrapped by an *OverrideError.
var ErrOverrideNeeded = errors.New("app: the prescription has warnings that need a reason to override")

// OverrideError lists the warnings still lacking an override reason.
type OverrideError struct{ Warnings []Warning }

func (e *OverrideError) Error() string {
	return fmt.Sprintf("%v: %d warning(s) without a reason; read each and give a reason to go ahead, or change the prescription", ErrOverrideNeeded, len(e.Warnings))
}

// Unwrap lets errors.Is match ErrOverrideNeeded.
func (e *OverrideError) Unwrap() error { return ErrOverrideNeeded }

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
func items(p Prescription, f *Formulary) ([]RxItem, error) {
	items := p.Items
	if len(items) == 0 && strings.TrimSpace(p.Drug) != "" {
		d, ok := f.Find(p.Drug)
		if !ok {
			return nil, fmt.Errorf("%w: %q is not in the formulary; choose a drug from the list", app.ErrInvalidInput, p.Drug)
		}
		dose, unit := splitDose(p.Dose)
		items = []RxItem{{DrugID: d.ID, Dose: dose, Unit: unit, Route: d.Route, Frequency: p.Frequency, Days: p.Days,
			Instructions: p.Instructions}}
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("%w: add at least one drug", app.ErrInvalidInput)
	}
	if len(items) > 10 {
		return nil, fmt.Errorf("%w: a prescription holds at most 10 drugs", app.ErrInvalidInput)
	}
	out := make([]RxItem, len(items))
	seen := map[string]bool{}
	for i, it := range items {
		d, ok := f.Drug(it.DrugID)
		if !ok {
			return nil, fmt.Errorf("%w: drug %d is not in the formulary; choose it from the list", app.ErrInvalidInput, i+1)
		}
		if seen[d.Generic] {
			return nil, fmt.Errorf("%w: %s is on the prescription twice", app.ErrInvalidInput, d.Generic)
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
		if err := CheckDose(it.Dose); err != nil {
			return nil, fmt.Errorf("%s: %w", d.Generic, err)
		}
		switch {
		case it.Frequency == "":
			return nil, fmt.Errorf("%w: say how often %s is taken", app.ErrInvalidInput, d.Generic)
		case it.Days < 1 || it.Days > 365:
			return nil, fmt.Errorf("%w: the duration of %s must be 1 to 365 days", app.ErrInvalidInput, d.Generic)
		case it.Refills < 0 || it.Refills > 12:
			return nil, fmt.Errorf("%w: %s may have 0 to 12 refills", app.ErrInvalidInput, d.Generic)
		case len(it.Instructions) > 1000 || len(it.Dose)+len(it.Unit)+len(it.Frequency)+len(it.Quantity) > 400:
			return nil, fmt.Errorf("%w: the directions of %s are too long", app.ErrInvalidInput, d.Generic)
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
func (s *Service) CheckPrescription(ctx context.Context, p Prescription) ([]Warning, error) {
	r, err := s.c.ReplicaFor(roles.Prescribe)
	if err != nil {
		return nil, err
	}
	f, err := BundledFormulary()
	if err != nil {
		return nil, err
	}
	items, err := items(p, f)
	if err != nil {
		return nil, err
	}
	pat, err := s.c.Patient(ctx, p.Patient)
	if err != nil {
		return nil, err
	}
	c, err := chart.New(s.c).ReadUnaudited(ctx, r, pat)
	if err != nil {
		return nil, err
	}
	return checkItems(f, items, c, p.Renews, p.Overrides), nil
}

// checkItems runs the checks of items for a chart; renews names a
// prescription whose drugs are being continued, not added.
func checkItems(f *Formulary, items []RxItem, c chart.Chart, renews string, overrides []Warning) []Warning {
	var taking []Taking
	for _, m := range c.Medications {
		if m.Prescription != "" && m.Prescription == renews {
			continue
		}
		taking = append(taking, Taking{Name: m.Name, Source: "current medication"})
	}
	var out []Warning
	at := map[string]int{} // warning key → its place in out
	for i, it := range items {
		d, _ := f.Drug(it.DrugID)
		others := append([]Taking(nil), taking...)
		for _, o := range items[:i] {
			others = append(others, Taking{Name: o.Generic, Source: "on this prescription"})
		}
		for _, w := range f.Check(d, c.Allergies, others) {
			j, ok := at[w.Key()]
			if !ok {
				at[w.Key()] = len(out)
				out = append(out, w)
				continue
			}
			// One override covers one key, so a second finding of the
			// same pair (another effect) joins the first, shown whole,
			// never dropped; an allergy the formulary does not know is
			// one warning whatever the drugs (the same message).
			if !strings.Contains(out[j].Message, w.Message) {
				out[j].Message += " Also: " + w.Message
			}
			if severityRank(w.Severity) > severityRank(out[j].Severity) {
				out[j].Severity = w.Severity
			}
		}
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

// severityRank orders the severities of warnings (0 for an allergy's
// recorded severity or "unknown", which drugs does not rank).
func severityRank(s string) drugs.Severity {
	v, err := drugs.ParseSeverity(s)
	if err != nil {
		return 0
	}
	return v
}

// Prescribe checks and signs a prescription. When a check warns, every
// warning needs a reason in p.Overrides (matched by Warning.Key), else it
// returns an *OverrideError and records nothing.
func (s *Service) Prescribe(ctx context.Context, p Prescription) (Prescription, error) {
	r, err := s.c.ReplicaFor(roles.Prescribe)
	if err != nil {
		return Prescription{}, err
	}
	f, err := BundledFormulary()
	if err != nil {
		return Prescription{}, err
	}
	items, err := items(p, f)
	if err != nil {
		return Prescription{}, err
	}
	pat, err := s.c.Patient(ctx, p.Patient)
	if err != nil {
		return Prescription{}, err
	}
	c, err := chart.New(s.c).ReadUnaudited(ctx, r, pat)
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
	now := s.c.Now()
	d := chart.RxDoc{ID: roles.NewRecordID(records.KindPrescription), Clinic: s.c.Profile().Clinic, ClinicID: s.c.Profile().ClinicID, Patient: pat.ID,
		PatientName: strings.TrimSpace(pat.Given + " " + pat.Family), PatientBirth: pat.Birth, PatientMRN: pat.MRN,
		Prescriber: r.Fingerprint(), PrescriberName: app.MemberName(r, r.Fingerprint()), Time: now.UnixMilli(),
		Encounter: p.Encounter, Renews: p.Renews, Items: items, Overrides: warnings}
	clinic := s.c.ClinicRecord(ctx, r)
	d.ClinicAddress, d.ClinicPhone, d.PrescriberLicence = clinic.Address, clinic.Phone, s.c.Licence(ctx, r, r.Fingerprint())
	doc, sig, err := chart.SignDoc(r, records.KindPrescription, d)
	if err != nil {
		return Prescription{}, err
	}
	code := chart.VerificationCode(doc)
	fields, err := records.Signed{ID: d.ID, Doc: doc, Sig: sig, Patient: pat.ID, Code: code}.Fields()
	if err != nil {
		return Prescription{}, err
	}
	if err := chart.New(s.c).Commit(ctx, r, pat.ID, chart.ActionPrescription, signedDetail(warnings),
		replica.Change{Entity: d.ID, Kind: records.KindPrescription, Scope: roles.Clinical, Fields: fields}); err != nil {
		return Prescription{}, err
	}
	return chart.FromDoc(d, code, true), nil
}

// Prescription returns one prescription with its status.
func (s *Service) Prescription(ctx context.Context, id string) (Prescription, error) {
	r, err := s.c.ReplicaFor(roles.ReadChart)
	if err != nil {
		return Prescription{}, err
	}
	kind, st, err := r.Entity(ctx, id)
	if err != nil || kind != records.KindPrescription {
		return Prescription{}, fmt.Errorf("%w: no prescription %s on this workstation", app.ErrInvalidInput, id)
	}
	cancels, err := chart.Cancellations(ctx, r)
	if err != nil {
		return Prescription{}, err
	}
	p := chart.PrescriptionFromState(r, s.c.Profile().ClinicID, id, st, cancels)
	rows, err := r.Entities(ctx, records.KindAddendum)
	if err != nil {
		return Prescription{}, err
	}
	for _, e := range rows {
		if a, _ := records.SignedFromState(e.ID, e.State); a.Of == id {
			p.Addenda = append(p.Addenda, chart.AddendumFromState(r, e.ID, e.State))
		}
	}
	sort.Slice(p.Addenda, func(i, j int) bool { return p.Addenda[i].Time.Before(p.Addenda[j].Time) })
	return p, nil
}

// CancelPrescription signs the cancellation of a prescription, with the
// reason. The prescription itself stays as signed.
func (s *Service) CancelPrescription(ctx context.Context, id, reason string) error {
	r, err := s.c.ReplicaFor(roles.Prescribe)
	if err != nil {
		return err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return fmt.Errorf("%w: give the reason for cancelling", app.ErrInvalidInput)
	}
	p, err := s.Prescription(ctx, id)
	if err != nil {
		return err
	}
	if p.Status == chart.RxCancelled {
		return fmt.Errorf("%w: the prescription was already cancelled on %s", app.ErrInvalidInput, p.Cancellation.Time.Format("2 Jan 2006"))
	}
	d := chart.RxCancelDoc{ID: roles.NewRecordID(records.KindRxCancel), Of: id, Author: r.Fingerprint(), Time: s.c.Now().UnixMilli(), Reason: reason}
	ch, err := chart.SignedChange(r, d.ID, records.KindRxCancel, d, records.Signed{Patient: p.Patient, Of: id})
	if err != nil {
		return err
	}
	return chart.New(s.c).Commit(ctx, r, p.Patient, chart.ActionRxCancel, "cancelled a prescription", ch)
}

// RenewPrescription signs a new prescription with the same drugs and
// directions as id, dated today and checked again; overrides give reasons
// for the warnings of the new checks.
func (s *Service) RenewPrescription(ctx context.Context, id string, overrides []Warning) (Prescription, error) {
	old, err := s.Prescription(ctx, id)
	if err != nil {
		return Prescription{}, err
	}
	if old.Status == chart.RxCancelled {
		return Prescription{}, fmt.Errorf("%w: a cancelled prescription cannot be renewed; write a new one", app.ErrInvalidInput)
	}
	if !old.Verified {
		return Prescription{}, fmt.Errorf("%w: the prescription's signature does not check out, so it cannot be renewed", app.ErrInvalidInput)
	}
	return s.Prescribe(ctx, Prescription{Patient: old.Patient, Items: old.Items, Renews: old.ID, Overrides: overrides})
}

// RecentPrescriptions returns the prescriptions the logged-in physician
// signed, newest first, at most limit (all when limit <= 0).
func (s *Service) RecentPrescriptions(ctx context.Context, limit int) ([]Prescription, error) {
	r, err := s.c.ReplicaFor(roles.ReadChart)
	if err != nil {
		return nil, err
	}
	rows, err := r.Entities(ctx, records.KindPrescription)
	if err != nil {
		return nil, err
	}
	cancels, err := chart.Cancellations(ctx, r)
	if err != nil {
		return nil, err
	}
	var out []Prescription
	for _, e := range rows {
		if p := chart.PrescriptionFromState(r, s.c.Profile().ClinicID, e.ID, e.State, cancels); p.Prescriber == r.Fingerprint() {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Time.After(out[j].Time) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// signedDetail is what the audit log says of a signed prescription: the
// overrides and confirmations it carries, by count (their content is
// clinical).
func signedDetail(ws []Warning) string {
	over, confirmed := 0, 0
	for _, w := range ws {
		if w.Kind == WarnNotChecked {
			confirmed++
		} else {
			over++
		}
	}
	d := "signed a prescription"
	if over > 0 {
		d += fmt.Sprintf(", %d warning(s) overridden", over)
	}
	if confirmed > 0 {
		d += fmt.Sprintf(", %d item(s) not checked confirmed by the prescriber", confirmed)
	}
	return d
}
