package interop

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// An import reads the whole bundle and checks every entry before it writes
// anything: each resource Medihaven keeps must decode into the FHIR R4
// models (unknown elements and wrong types refused), carry what Medihaven
// needs, refer only to resources of the same bundle, and be one this
// workstation's keys may write. Then everything is written in one batch
// (one SQLite transaction), with one audit record per patient. Entries of
// the types Medihaven does not keep are counted and left out.
//
// What a bundle becomes here:
//   - Patients are registered with a new MRN; the other clinic's MRN is kept
//     as a former identifier. A patient already registered here (the same
//     MRN of this clinic, or the same name and birth date, or phone) is
//     refused, naming the registered patient: records are never merged.
//   - Practitioners of another clinic are not staff here: their names are
//     kept as attribution text on the records they wrote (found through a
//     literal or conditional reference, or the reference's display).
//   - Appointments and encounters keep their times and status, attributed
//     to the other clinic's physician (they are in no calendar here).
//   - Observations of the vital-signs and laboratory categories become
//     results as written (codes, decimal values, units, reference ranges,
//     interpretation); a vital sign no person can have is refused. Other
//     categories (surveys, exams, social history) are left out.
//   - Procedures, Immunizations and DiagnosticReports (grouping their
//     results, or a report's plain text) are kept as they came.
//   - Conditions, allergies and MedicationStatements become problems,
//     allergies and recorded medications with their codes (SNOMED CT,
//     ICD-10, RxNorm); a MedicationRequest becomes a recorded medication
//     that keeps its dosage, dispense and status as given (it is not a
//     prescription of this clinic). A medication is matched to the
//     formulary by name, else flagged as not checked.
//   - Compositions (SOAP progress notes, addenda) become signed notes: the
//     importing physician signs that this is the text received, and the
//     author's name is kept as attribution.
//   - Records entered in error are left out, and the summary says so.

// The bundle's limits: the file's size and its number of entries.
const (
	fhirMaxBytes   = 50 << 20
	fhirMaxEntries = 100000
)

// BundleError says which entry of a FHIR bundle cannot be imported and why.
type BundleError struct {
	Entry   int    // 1-based; 0 for the bundle itself
	Type    string // the entry's resourceType
	Problem string // in plain words, naming the element
	err     error
}

func (e *BundleError) Error() string {
	if e.Entry == 0 {
		return "FHIR bundle: " + e.Problem + "; nothing was imported"
	}
	return fmt.Sprintf("entry %d (%s): %s; nothing was imported", e.Entry, e.Type, e.Problem)
}

// Unwrap makes errors.Is(err, app.ErrInvalidInput) true, or roles.ErrForbidden
// when the workstation may not write the entry.
func (e *BundleError) Unwrap() error {
	if e.err != nil {
		return e.err
	}
	return app.ErrInvalidInput
}

func bundleErrf(format string, a ...any) error {
	return &BundleError{Problem: fmt.Sprintf(format, a...)}
}

// bundleEntry is one entry of the bundle being imported.
type bundleEntry struct {
	n       int
	typ, id string
	raw     json.RawMessage
	entity  string // the record it becomes here
	name    string // a Practitioner's name
	leftOut bool   // a type Medihaven does not keep
	med     *fhir.CodeableConcept
}

func (e *bundleEntry) errf(format string, a ...any) error {
	return &BundleError{Entry: e.n, Type: e.typ, Problem: fmt.Sprintf(format, a...)}
}

// importStep adds an entry's records to the batch.
type importStep func(ctx context.Context, b *replica.Batch) error

type fhirImporter struct {
	s        *Service
	r        *replica.Replica
	now      time.Time
	zone     *time.Location
	entries  []*bundleEntry
	byRef    map[string]*bundleEntry
	seen     map[string]int            // patients of the bundle by name and birth date
	first    []importStep              // patients
	then     []importStep              // what refers to them
	byIdent  map[string][]*bundleEntry // conditional references: "Type?identifier=system|value"
	taken    map[string]bool
	added    []app.Patient
	sum      FHIRImport
	skipped  []string
	progress func(done, total int)
}

// importActions is what a workstation must be allowed to do to import
// each resource type; Practitioners need nothing (they are kept as names).
// A Medication is read into the MedicationRequests and statements that
// name it. Every other type is left out and counted in the summary.
var importActions = map[string]roles.Action{
	"Patient": roles.RegisterPatient, "Practitioner": "", "Appointment": roles.BookAppointment,
	"Encounter": roles.WriteNote, "Observation": roles.RecordVitals, "Condition": roles.EditProblems,
	"AllergyIntolerance": roles.EditAllergies, "MedicationRequest": roles.Prescribe,
	"MedicationStatement": roles.Prescribe, "Composition": roles.WriteNote, "Procedure": roles.WriteNote,
	"Immunization": roles.WriteNote, "DiagnosticReport": roles.RecordVitals, "Medication": "",
}

// ImportFHIR reads a FHIR R4 Bundle (a patient transferring from another
// clinic, or another Medihaven clinic's export) and writes all of it or
// nothing. A bad bundle gets a *BundleError naming the entry, its resource
// type and the element.
func (s *Service) ImportFHIR(ctx context.Context, rd io.Reader) (FHIRImport, error) {
	return s.ImportFHIRProgress(ctx, rd, nil)
}

// PreviewFHIR reads and checks a bundle as ImportFHIR does and says what
// an import would keep and leave out, writing nothing.
func (s *Service) PreviewFHIR(ctx context.Context, rd io.Reader) (FHIRImport, error) {
	x, err := s.prepare(ctx, rd, nil)
	if err != nil {
		return FHIRImport{}, err
	}
	x.sum.Notes = append(x.sum.Notes, x.skipped...)
	return x.sum, nil
}

// ImportFHIRProgress is ImportFHIR telling progress how far it is (done
// of total steps; progress may be nil). The steps are the bundle's
// entries, checked, then the records written.
func (s *Service) ImportFHIRProgress(ctx context.Context, rd io.Reader, progress func(done, total int)) (FHIRImport, error) {
	if progress == nil {
		progress = func(int, int) {}
	}
	x, err := s.prepare(ctx, rd, progress)
	if err != nil {
		return FHIRImport{}, err
	}
	r := x.r
	if len(x.first)+len(x.then) == 0 {
		x.sum.Notes = append(x.sum.Notes, x.skipped...)
		return x.sum, nil
	}
	b := r.Batch()
	steps := append(x.first, x.then...)
	total := len(x.entries) + len(steps) + 1
	for i, step := range steps {
		if err := ctx.Err(); err != nil {
			return FHIRImport{}, err
		}
		if err := step(ctx, b); err != nil {
			return FHIRImport{}, fmt.Errorf("import: %w; nothing was imported", err)
		}
		progress(len(x.entries)+i+1, total)
	}
	for _, p := range x.added {
		if err := s.c.AuditInBatch(r, b, app.AuditRecord{Action: "fhir.import", Entity: p.ID, Patient: p.MRN,
			Detail: fmt.Sprintf("FHIR import of %d records", x.sum.Total)}); err != nil {
			return FHIRImport{}, fmt.Errorf("the import could not be audited, so nothing was imported: %w", err)
		}
	}
	if _, err := b.Commit(ctx); err != nil {
		return FHIRImport{}, fmt.Errorf("import: %w; nothing was imported", err)
	}
	progress(total, total)
	for _, p := range x.added {
		x.sum.Notes = append(x.sum.Notes, fmt.Sprintf("%s registered as %s.", p.Name(), p.MRN))
	}
	x.sum.Notes = append(x.sum.Notes, x.skipped...)
	return x.sum, nil
}

// prepare reads and checks a bundle and plans its writes.
func (s *Service) prepare(ctx context.Context, rd io.Reader, progress func(done, total int)) (*fhirImporter, error) {
	r, err := s.c.Replica()
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(io.LimitReader(rd, fhirMaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read the FHIR bundle: %w", err)
	}
	if len(raw) > fhirMaxBytes {
		return nil, bundleErrf("the file is larger than %d MiB; export one bundle per patient instead", fhirMaxBytes>>20)
	}
	x := &fhirImporter{s: s, r: r, now: s.c.Now(), zone: s.c.Zone(ctx, r), byRef: map[string]*bundleEntry{},
		byIdent: map[string][]*bundleEntry{}, seen: map[string]int{}, taken: map[string]bool{},
		sum: FHIRImport{Resources: map[string]int{}, LeftOut: map[string]int{}}, progress: progress}
	if err := x.parse(raw); err != nil {
		return nil, err
	}
	if err := x.check(ctx); err != nil {
		return nil, err
	}
	x.summarize()
	return x, nil
}

// parse reads the bundle and indexes its entries by fullUrl and Type/id.
func (x *fhirImporter) parse(raw []byte) error {
	var top struct {
		ResourceType string          `json:"resourceType"`
		Type         json.RawMessage `json:"type"`
		Entry        []struct {
			FullURL  *string         `json:"fullUrl"`
			Resource json.RawMessage `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(raw, &top); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return bundleErrf("the file is not JSON (byte %d: %v)", syn.Offset, syn)
		}
		return bundleErrf("the file is not a FHIR Bundle: %s", jsonProblem(err))
	}
	switch {
	case top.ResourceType == "":
		return bundleErrf("resourceType missing: the file is not a FHIR resource")
	case top.ResourceType != "Bundle":
		return bundleErrf("the file holds a %s, not a Bundle", top.ResourceType)
	case len(top.Type) == 0:
		return bundleErrf("Bundle.type missing")
	}
	var bundle fhir.Bundle
	if _, err := decodeStrict(raw, &bundle); err != nil {
		return bundleErrf("Bundle: %s", err)
	}
	switch bundle.Type {
	case fhir.BundleTypeCollection, fhir.BundleTypeTransaction, fhir.BundleTypeBatch, fhir.BundleTypeDocument,
		fhir.BundleTypeSearchset:
	default:
		return bundleErrf("Bundle.type %s cannot be imported (collection, transaction, batch, searchset or document can)", bundle.Type.Code())
	}
	if len(top.Entry) > fhirMaxEntries {
		return bundleErrf("the bundle has %d entries, more than the %d an import takes; export one bundle per patient instead", len(top.Entry), fhirMaxEntries)
	}
	for i, te := range top.Entry {
		e := &bundleEntry{n: i + 1, raw: te.Resource}
		var head struct {
			ResourceType string  `json:"resourceType"`
			ID           *string `json:"id"`
			Identifier   []struct {
				System *string `json:"system"`
				Value  *string `json:"value"`
			} `json:"identifier"`
		}
		if len(te.Resource) == 0 || string(te.Resource) == "null" {
			return e.errf("resource missing")
		}
		if err := json.Unmarshal(te.Resource, &head); err != nil {
			return e.errf("the resource is not a FHIR resource: %s", jsonProblem(err))
		}
		if e.typ = head.ResourceType; e.typ == "" {
			e.typ = "?"
			return e.errf("resourceType missing")
		}
		if _, ok := importActions[e.typ]; !ok {
			e.leftOut = true
		}
		e.id = strOr(head.ID)
		for _, id := range head.Identifier {
			if v := strOr(id.Value); v != "" {
				k := e.typ + "?identifier=" + v
				if sys := strOr(id.System); sys != "" {
					k = e.typ + "?identifier=" + sys + "|" + v
				}
				x.byIdent[k] = append(x.byIdent[k], e)
			}
		}
		keys := []string{}
		if te.FullURL != nil && *te.FullURL != "" {
			keys = append(keys, *te.FullURL)
		}
		if e.id != "" {
			keys = append(keys, e.typ+"/"+e.id)
		}
		for _, k := range keys {
			if o, dup := x.byRef[k]; dup {
				return e.errf("%q is also the name of entry %d", k, o.n)
			}
			x.byRef[k] = e
		}
		x.entries = append(x.entries, e)
	}
	return nil
}

// check validates every entry and plans its writes. Scopes come first, so
// a front desk importing a chart hears that a physician must import it.
func (x *fhirImporter) check(ctx context.Context) error {
	for _, e := range x.entries {
		a := importActions[e.typ]
		if a == "" || e.leftOut {
			continue
		}
		if _, err := x.s.c.ReplicaFor(a); err != nil {
			if errors.Is(err, roles.ErrForbidden) && a.Needs() == roles.Clinical {
				return &BundleError{Entry: e.n, Type: e.typ, err: err,
					Problem: "only a physician can import clinical records; ask a physician to import this bundle"}
			}
			if errors.Is(err, roles.ErrForbidden) {
				return &BundleError{Entry: e.n, Type: e.typ, err: err,
					Problem: "only the front desk or a physician can import patients and appointments"}
			}
			return &BundleError{Entry: e.n, Type: e.typ, err: err, Problem: err.Error()}
		}
	}
	// Practitioners and patients first: the others refer to them.
	rank := map[string]int{"Practitioner": 0, "Medication": 0, "Patient": 1, "Appointment": 2, "Encounter": 3,
		"Observation": 4, "DiagnosticReport": 5, "Composition": 6}
	ordered := append([]*bundleEntry(nil), x.entries...)
	sort.SliceStable(ordered, func(i, j int) bool { return rankOf(rank, ordered[i].typ) < rankOf(rank, ordered[j].typ) })
	for _, e := range ordered {
		if e.typ != "Patient" && !e.leftOut {
			e.entity = crypto.NewEventID()
		}
	}
	for i, e := range ordered {
		if err := ctx.Err(); err != nil {
			return err
		}
		if x.progress != nil {
			x.progress(i, len(ordered)*2)
		}
		if e.leftOut {
			x.sum.LeftOut[e.typ]++
			continue
		}
		if err := x.references(e); err != nil {
			return err
		}
		var err error
		switch e.typ {
		case "Practitioner":
			err = x.practitioner(e)
		case "Patient":
			err = x.patient(ctx, e)
		case "Appointment":
			err = x.appointment(e)
		case "Encounter":
			err = x.encounter(e)
		case "Observation":
			err = x.observation(e)
		case "Condition":
			err = x.condition(e)
		case "AllergyIntolerance":
			err = x.allergy(e)
		case "MedicationRequest":
			err = x.medicationRequest(e)
		case "MedicationStatement":
			err = x.medicationStatement(e)
		case "Composition":
			err = x.composition(e)
		case "Procedure":
			err = x.procedure(e)
		case "Immunization":
			err = x.immunization(e)
		case "DiagnosticReport":
			err = x.report(e)
		case "Medication":
			err = x.medicationResource(e)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func rankOf(rank map[string]int, typ string) int {
	if r, ok := rank[typ]; ok {
		return r
	}
	return 4
}

func (x *fhirImporter) count(e *bundleEntry) {
	x.sum.Resources[e.typ]++
	x.sum.Total++
}

func (x *fhirImporter) skip(e *bundleEntry, why string) {
	e.entity = ""
	x.sum.LeftOut[e.typ]++
	x.skipped = append(x.skipped, fmt.Sprintf("Entry %d (%s) was left out: %s.", e.n, e.typ, why))
}

// mint gives e a record id bound to its kind (roles.NewRecordID), once the
// kind is known: no event of another kind can take it (session 18, h-sec18b
// F2). The id given before, for the references, is read by the changes
// only when they are written (x.then), after every entry has its kind.
func (x *fhirImporter) mint(e *bundleEntry, kind string) {
	e.entity = roles.NewRecordID(kind)
}

// append adds one change to the batch, writing fields (a record's Fields).
func (x *fhirImporter) append(b *replica.Batch, id, kind string, scope roles.Scope, fields func() (replica.Fields, error)) error {
	f, err := fields()
	if err != nil {
		return err
	}
	b.Append(replica.Change{Entity: id, Kind: kind, Scope: scope, Fields: f})
	return nil
}

// record plans a clinical record about patient pe: rec makes it for the
// patient's record id.
func (x *fhirImporter) record(e, pe *bundleEntry, kind string, rec func(patient string) records.Record) {
	x.mint(e, kind)
	x.count(e)
	x.then = append(x.then, func(_ context.Context, b *replica.Batch) error {
		return x.append(b, e.entity, kind, roles.Clinical, rec(pe.entity).Fields)
	})
}

// origin is the origin of a record imported now, written by attribution
// at the other clinic.
func (x *fhirImporter) origin(attribution string) chart.Origin {
	return chart.Origin{Attribution: attribution, Imported: x.now}
}
