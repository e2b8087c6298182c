package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// An import reads the whole bundle and checks every entry before it writes
// anything: each resource must decode into the FHIR R4 models (unknown
// elements and wrong types refused), be a type Medihaven keeps, carry what
// Medihaven needs, refer only to resources of the same bundle, and be one
// this workstation's keys may write. Then everything is written in one
// batch (one SQLite transaction), with one audit record per patient.
//
// What a bundle becomes here:
//   - Patients are registered with a new MRN; the other clinic's MRN is kept
//     as a former identifier. A patient already registered here (the same
//     MRN of this clinic, or the same name and birth date, or phone) is
//     refused, naming the registered patient: records are never merged.
//   - Practitioners of another clinic are not staff here: their names are
//     kept as attribution text on the records they wrote.
//   - Appointments and encounters keep their times and status, attributed
//     to the other clinic's physician (they are in no calendar here).
//   - Observations of one patient at one time (and encounter) make one set
//     of vitals; BMI is recomputed from weight and height.
//   - Conditions, allergies and MedicationStatements become problems,
//     allergies and recorded medications; a MedicationRequest becomes a
//     recorded medication that keeps its dosage, dispense and status as
//     given (it is not a prescription of this clinic).
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

// Unwrap makes errors.Is(err, ErrInvalidInput) true, or roles.ErrForbidden
// when the workstation may not write the entry.
func (e *BundleError) Unwrap() error {
	if e.err != nil {
		return e.err
	}
	return ErrInvalidInput
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
}

func (e *bundleEntry) errf(format string, a ...any) error {
	return &BundleError{Entry: e.n, Type: e.typ, Problem: fmt.Sprintf(format, a...)}
}

// importStep adds an entry's records to the batch.
type importStep func(ctx context.Context, b *replica.Batch) error

type fhirImporter struct {
	s       *Session
	r       *replica.Replica
	now     time.Time
	zone    *time.Location
	entries []*bundleEntry
	byRef   map[string]*bundleEntry
	seen    map[string]int // patients of the bundle by name and birth date
	first   []importStep   // patients
	then    []importStep   // what refers to them
	vitals  map[string]*vitalsSet
	order   []string // vitals sets in bundle order
	taken   map[string]bool
	added   []Patient
	sum     FHIRImport
	skipped []string
}

// importActions is what a workstation must be allowed to do to import
// each resource type; Practitioners need nothing (they are kept as names).
var importActions = map[string]roles.Action{
	"Patient": roles.RegisterPatient, "Practitioner": "", "Appointment": roles.BookAppointment,
	"Encounter": roles.WriteNote, "Observation": roles.RecordVitals, "Condition": roles.EditProblems,
	"AllergyIntolerance": roles.EditAllergies, "MedicationRequest": roles.Prescribe,
	"MedicationStatement": roles.Prescribe, "Composition": roles.WriteNote,
}

const importedTypes = "Patient, Practitioner, Appointment, Encounter, Observation, Condition, AllergyIntolerance, " +
	"MedicationRequest, MedicationStatement and Composition"

// ImportFHIR reads a FHIR R4 Bundle (a patient transferring from another
// clinic, or another Medihaven clinic's export) and writes all of it or
// nothing. A bad bundle gets a *BundleError naming the entry, its resource
// type and the element.
func (s *Session) ImportFHIR(ctx context.Context, rd io.Reader) (FHIRImport, error) {
	r, err := s.live()
	if err != nil {
		return FHIRImport{}, err
	}
	raw, err := io.ReadAll(io.LimitReader(rd, fhirMaxBytes+1))
	if err != nil {
		return FHIRImport{}, fmt.Errorf("app: read the FHIR bundle: %w", err)
	}
	if len(raw) > fhirMaxBytes {
		return FHIRImport{}, bundleErrf("the file is larger than %d MiB; export one bundle per patient instead", fhirMaxBytes>>20)
	}
	x := &fhirImporter{s: s, r: r, now: s.env.Now(), zone: s.clinicZone(ctx, r), byRef: map[string]*bundleEntry{},
		seen: map[string]int{}, vitals: map[string]*vitalsSet{}, taken: map[string]bool{},
		sum: FHIRImport{Resources: map[string]int{}}}
	if err := x.parse(raw); err != nil {
		return FHIRImport{}, err
	}
	if err := x.check(ctx); err != nil {
		return FHIRImport{}, err
	}
	if len(x.first)+len(x.then) == 0 {
		x.sum.Notes = append(x.sum.Notes, x.skipped...)
		return x.sum, nil
	}
	b := r.Batch()
	for _, step := range append(x.first, x.then...) {
		if err := ctx.Err(); err != nil {
			return FHIRImport{}, err
		}
		if err := step(ctx, b); err != nil {
			return FHIRImport{}, fmt.Errorf("app: import: %w; nothing was imported", err)
		}
	}
	for _, p := range x.added {
		if err := s.auditEvent(r, b, AuditRecord{Action: "fhir.import", Entity: p.ID, Patient: p.MRN,
			Detail: fmt.Sprintf("FHIR import of %d records", x.sum.Total)}); err != nil {
			return FHIRImport{}, fmt.Errorf("app: the import could not be audited, so nothing was imported: %w", err)
		}
	}
	if _, err := b.Commit(ctx); err != nil {
		return FHIRImport{}, fmt.Errorf("app: import: %w; nothing was imported", err)
	}
	for _, p := range x.added {
		x.sum.Notes = append(x.sum.Notes, fmt.Sprintf("%s registered as %s.", p.Name(), p.MRN))
	}
	x.sum.Notes = append(x.sum.Notes, x.skipped...)
	return x.sum, nil
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
	case fhir.BundleTypeCollection, fhir.BundleTypeTransaction, fhir.BundleTypeBatch, fhir.BundleTypeDocument:
	default:
		return bundleErrf("Bundle.type %s cannot be imported (collection, transaction, batch or document can)", bundle.Type.Code())
	}
	if len(top.Entry) > fhirMaxEntries {
		return bundleErrf("the bundle has %d entries, more than the %d an import takes; export one bundle per patient instead", len(top.Entry), fhirMaxEntries)
	}
	for i, te := range top.Entry {
		e := &bundleEntry{n: i + 1, raw: te.Resource}
		var head struct {
			ResourceType string  `json:"resourceType"`
			ID           *string `json:"id"`
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
			return e.errf("Medihaven does not import %s resources; it imports %s", e.typ, importedTypes)
		}
		e.id = strOr(head.ID)
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
		if a == "" {
			continue
		}
		if _, err := x.s.can(a); err != nil {
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
	rank := map[string]int{"Practitioner": 0, "Patient": 1, "Appointment": 2, "Encounter": 3, "Composition": 5}
	ordered := append([]*bundleEntry(nil), x.entries...)
	sort.SliceStable(ordered, func(i, j int) bool { return rankOf(rank, ordered[i].typ) < rankOf(rank, ordered[j].typ) })
	for _, e := range ordered {
		if e.typ != "Patient" {
			e.entity = crypto.NewEventID()
		}
	}
	for _, e := range ordered {
		if err := ctx.Err(); err != nil {
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
		}
		if err != nil {
			return err
		}
	}
	return x.vitalsSteps()
}

func rankOf(rank map[string]int, typ string) int {
	if r, ok := rank[typ]; ok {
		return r
	}
	return 4
}

// decodeStrict decodes a resource into its model, refusing unknown
// elements and wrong types; it returns the resource's elements by name
// for the checks of required ones.
func decodeStrict(raw []byte, v any) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, errors.New(jsonProblem(err))
	}
	clean := make(map[string]json.RawMessage, len(m))
	for k, val := range m {
		if k != "resourceType" && !strings.HasPrefix(k, "_") && k != "entry" {
			clean[k] = val
		}
	}
	b, err := json.Marshal(clean)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return nil, errors.New(jsonProblem(err))
	}
	// encoding/json matches names regardless of case; FHIR does not.
	var tree any
	if err := json.Unmarshal(b, &tree); err != nil {
		return nil, err
	}
	if bad := unknownElement(tree, reflect.TypeOf(v), ""); bad != "" {
		return nil, fmt.Errorf("unknown element %q", bad)
	}
	return m, nil
}

// unknownElement returns the path of the first element of tree whose name
// is not exactly one of its model's (t), or "".
func unknownElement(tree any, t reflect.Type, path string) string {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		if t == reflect.TypeOf(json.RawMessage{}) {
			return ""
		}
		t = t.Elem()
	}
	switch x := tree.(type) {
	case []any:
		for _, e := range x {
			if bad := unknownElement(e, t, path); bad != "" {
				return bad
			}
		}
	case map[string]any:
		if t.Kind() != reflect.Struct {
			return ""
		}
		for k, val := range x {
			if strings.HasPrefix(k, "_") {
				continue
			}
			f, ok := jsonField(t, k)
			if !ok {
				return path + k
			}
			if bad := unknownElement(val, f.Type, path+k+"."); bad != "" {
				return bad
			}
		}
	}
	return ""
}

// jsonField is the field of struct t named name in JSON, exactly.
func jsonField(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// jsonProblem says what the JSON decoder found wrong, naming the element.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		want := "a " + te.Type.Kind().String()
		switch te.Type.Kind().String() {
		case "string":
			want = "text"
			if te.Type.Name() == "Number" {
				want = "a number"
			}
		case "int", "int64", "float64":
			want = "a number"
		case "bool":
			want = "true or false"
		case "struct", "map":
			want = "an object"
		case "slice":
			want = "a list"
		}
		field := te.Field
		if field == "" {
			field = "the value"
		}
		return fmt.Sprintf("%s is a JSON %s where %s is expected", field, te.Value, want)
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if f, ok := strings.CutPrefix(msg, "unknown field "); ok {
		return "unknown element " + f
	}
	return msg
}

func (x *fhirImporter) decode(e *bundleEntry, v any) (map[string]json.RawMessage, error) {
	m, err := decodeStrict(e.raw, v)
	if err != nil {
		return nil, e.errf("%s", err)
	}
	return m, nil
}

func (x *fhirImporter) count(e *bundleEntry) {
	x.sum.Resources[e.typ]++
	x.sum.Total++
}

func (x *fhirImporter) skip(e *bundleEntry, why string) {
	x.skipped = append(x.skipped, fmt.Sprintf("Entry %d (%s) was left out: %s.", e.n, e.typ, why))
}

// resolve finds the entry a reference points to (nil when the reference
// names no resource, only a display text).
func (x *fhirImporter) resolve(e *bundleEntry, field string, ref *fhir.Reference, want string) (*bundleEntry, error) {
	if ref == nil || ref.Reference == nil {
		return nil, nil
	}
	s := *ref.Reference
	t, ok := x.byRef[s]
	if parts := strings.Split(s, "/"); !ok && len(parts) >= 2 {
		t, ok = x.byRef[parts[len(parts)-2]+"/"+parts[len(parts)-1]]
	}
	switch {
	case !ok:
		return nil, e.errf("%s %q points to no resource of this bundle", field, s)
	case t.typ != want:
		return nil, e.errf("%s points to a %s (entry %d), not a %s", field, t.typ, t.n, want)
	case t.entity == "" && t.typ != "Patient":
		return nil, e.errf("%s points to entry %d, which is left out", field, t.n)
	}
	return t, nil
}

// subject is the patient a record is about, which the bundle must hold.
func (x *fhirImporter) subject(e *bundleEntry, field string, ref *fhir.Reference) (*bundleEntry, error) {
	if ref == nil || ref.Reference == nil {
		return nil, e.errf("%s missing: every record must name its patient", field)
	}
	return x.resolve(e, field, ref, "Patient")
}

// attribution is the name of who wrote a record: the Practitioner it
// refers to, or the reference's display text.
func (x *fhirImporter) attribution(e *bundleEntry, field string, refs ...*fhir.Reference) (string, error) {
	for _, ref := range refs {
		if ref == nil {
			continue
		}
		if ref.Reference != nil {
			if t, ok := x.byRef[*ref.Reference]; ok && t.typ == "Practitioner" {
				return t.name, nil
			}
			if _, ok := x.byRef[*ref.Reference]; !ok {
				return "", e.errf("%s %q points to no resource of this bundle", field, *ref.Reference)
			}
		}
		if d := strings.TrimSpace(strOr(ref.Display)); d != "" {
			return d, nil
		}
	}
	return "", nil
}

// when reads a FHIR dateTime or instant with a time, or a date (midnight
// UTC).
func when(e *bundleEntry, field, s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, e.errf("%s %q is not a date and time (write it like 2024-05-01T09:30:00+02:00)", field, s)
}

// datePart reads a FHIR date or dateTime and returns its date: YYYY,
// YYYY-MM or YYYY-MM-DD as written.
func datePart(e *bundleEntry, field, s string) (string, error) {
	for _, layout := range []string{"2006", "2006-01", "2006-01-02"} {
		if _, err := time.Parse(layout, s); err == nil && len(s) == len(layout) {
			return s, nil
		}
	}
	if _, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return s[:10], nil
	}
	return "", e.errf("%s %q is not a date (write YYYY-MM-DD, or a date and time)", field, s)
}

func (x *fhirImporter) practitioner(e *bundleEntry) error {
	var p fhir.Practitioner
	if _, err := x.decode(e, &p); err != nil {
		return err
	}
	for _, n := range p.Name {
		e.name = humanName(n)
		if e.name != "" {
			break
		}
	}
	if e.name == "" {
		return e.errf("name missing: the practitioner's name is kept on the records they wrote")
	}
	e.entity = "practitioner"
	x.count(e)
	return nil
}

func humanName(n fhir.HumanName) string {
	if t := strings.TrimSpace(strOr(n.Text)); t != "" {
		return t
	}
	parts := append(append([]string{}, n.Prefix...), n.Given...)
	parts = append(parts, strOr(n.Family))
	parts = append(parts, n.Suffix...)
	return strings.Join(strings.Fields(strings.Join(parts, " ")), " ")
}

// patientElements names Patient.Check's fields as FHIR elements.
var patientElements = map[string]string{"family": "name.family", "given": "name.given", "birth": "birthDate", "sex": "gender",
	"phone": "telecom (phone)", "email": "telecom (email)", "address": "address", "insurance": "identifier (insurance)",
	"emergency_name": "contact.name", "emergency_phone": "contact.telecom", "consent_date": "extension (consent date)"}

func (x *fhirImporter) patient(ctx context.Context, e *bundleEntry) error {
	var fp fhir.Patient
	if _, err := x.decode(e, &fp); err != nil {
		return err
	}
	var p Patient
	names := fp.Name
	sort.SliceStable(names, func(i, j int) bool {
		return names[i].Use != nil && *names[i].Use == fhir.NameUseOfficial && (names[j].Use == nil || *names[j].Use != fhir.NameUseOfficial)
	})
	if len(names) == 0 {
		return e.errf("name missing")
	}
	p.Family, p.Given = strOr(names[0].Family), strings.Join(names[0].Given, " ")
	if w := strings.Fields(strOr(names[0].Text)); p.Family == "" && p.Given == "" && len(w) > 1 {
		p.Family, p.Given = w[len(w)-1], strings.Join(w[:len(w)-1], " ")
	}
	switch {
	case strings.TrimSpace(p.Family) == "":
		return e.errf("name.family missing")
	case strings.TrimSpace(p.Given) == "":
		return e.errf("name.given missing")
	case fp.BirthDate == nil:
		return e.errf("birthDate missing")
	}
	p.Birth = *fp.BirthDate
	if fp.Gender != nil {
		p.Sex = fp.Gender.Code()
	}
	for _, t := range fp.Telecom {
		switch {
		case t.System == nil:
		case *t.System == fhir.ContactPointSystemPhone && p.Phone == "":
			p.Phone = strOr(t.Value)
		case *t.System == fhir.ContactPointSystemEmail && p.Email == "":
			p.Email = strOr(t.Value)
		}
	}
	if len(fp.Address) > 0 {
		a := fp.Address[0]
		p.Address = strOr(a.Text)
		if p.Address == "" {
			p.Address = strings.Join(strings.Fields(strings.Join(append(a.Line, strOr(a.City), strOr(a.State),
				strOr(a.PostalCode), strOr(a.Country)), ", ")), " ")
			p.Address = strings.Trim(strings.ReplaceAll(p.Address, ", ,", ","), ", ")
		}
	}
	var former []string
	mine := "urn:medihaven:clinic:" + x.s.prof.ClinicID + ":mrn"
	for _, id := range fp.Identifier {
		system, value := strOr(id.System), strings.TrimSpace(strOr(id.Value))
		switch {
		case value == "":
		case system == mine:
			found, err := x.s.SearchPatients(ctx, value, 1)
			if err != nil {
				return err
			}
			if len(found) > 0 {
				return e.errf("%s is already registered here as %s (the bundle was exported from this clinic); open that record instead", found[0].Name(), found[0].MRN)
			}
		case system == "urn:medihaven:insurance" || hasCode(id.Type, sysIDType, "MB"):
			p.Insurance = value
		default:
			former = append(former, system+"|"+value)
		}
	}
	for _, c := range fp.Contact {
		emergency := len(fp.Contact) == 1
		for _, rel := range c.Relationship {
			emergency = emergency || hasCode(&rel, sysContactRole, "C")
		}
		if !emergency {
			continue
		}
		if c.Name != nil {
			p.EmergencyName = humanName(*c.Name)
		}
		for _, t := range c.Telecom {
			if t.System != nil && *t.System == fhir.ContactPointSystemPhone {
				p.EmergencyPhone = strOr(t.Value)
			}
		}
		break
	}
	for _, ext := range fp.Extension {
		if ext.Url == extConsent && ext.ValueDate != nil {
			p.Consent, p.ConsentDate = true, *ext.ValueDate
		}
	}
	if errs := p.Check(x.now); len(errs) > 0 {
		return e.errf("%s: %s", patientElements[errs[0].Field], errs[0].Problem)
	}
	key := crypto.Normalize(p.Family+" "+p.Given) + "|" + p.Birth
	if o, dup := x.seen[key]; dup {
		return e.errf("the bundle holds this patient twice (entries %d and %d)", o, e.n)
	}
	x.seen[key] = e.n
	dups, err := x.s.LikelyDuplicates(ctx, p)
	if err != nil {
		return err
	}
	if len(dups) > 0 {
		d := dups[0]
		return e.errf("%s %s, born %s, looks like %s, registered here as %s (same name and birth date, or same phone); "+
			"Medihaven does not merge records: open that record instead, or take the patient out of the bundle",
			p.Given, p.Family, p.Birth, d.Name(), d.MRN)
	}
	x.count(e)
	x.first = append(x.first, func(ctx context.Context, b *replica.Batch) error {
		np, err := registerInto(ctx, x.r, b, p, x.now, x.taken)
		if err != nil {
			return err
		}
		e.entity = np.ID
		x.added = append(x.added, np)
		if len(former) == 0 {
			return nil
		}
		return x.append(b, np.ID, kindPatient, roles.FrontDesk, map[string]any{"former_ids": former})
	})
	return nil
}

// append adds one change to the batch.
func (x *fhirImporter) append(b *replica.Batch, id, kind string, scope roles.Scope, kv map[string]any) error {
	fields, err := replica.F(kv)
	if err != nil {
		return err
	}
	b.Append(replica.Change{Entity: id, Kind: kind, Scope: scope, Fields: fields})
	return nil
}

// record plans a clinical record about patient pe, written with kv.
func (x *fhirImporter) record(e, pe *bundleEntry, kind string, kv func() map[string]any) {
	x.count(e)
	x.then = append(x.then, func(_ context.Context, b *replica.Batch) error {
		m := kv()
		m["patient"], m["imported"] = pe.entity, x.now.UnixMilli()
		return x.append(b, e.entity, kind, roles.Clinical, m)
	})
}

var fhirAppointmentStatus = map[string]string{
	"proposed": StatusBooked, "pending": StatusBooked, "booked": StatusBooked, "waitlist": StatusBooked,
	"arrived": StatusArrived, "checked-in": StatusArrived, "fulfilled": StatusArrived,
	"cancelled": StatusCancelled, "noshow": StatusNoShow,
}

func (x *fhirImporter) appointment(e *bundleEntry) error {
	var a fhir.Appointment
	m, err := x.decode(e, &a)
	if err != nil {
		return err
	}
	if _, ok := m["status"]; !ok {
		return e.errf("status missing")
	}
	if a.Status == fhir.AppointmentStatusEnteredInError {
		e.entity = ""
		x.skip(e, "it was entered in error")
		return nil
	}
	if a.Start == nil {
		return e.errf("start missing")
	}
	start, err := when(e, "start", *a.Start)
	if err != nil {
		return err
	}
	var end time.Time
	switch {
	case a.End != nil:
		if end, err = when(e, "end", *a.End); err != nil {
			return err
		}
	case a.MinutesDuration != nil:
		end = start.Add(time.Duration(*a.MinutesDuration) * time.Minute)
	default:
		return e.errf("end missing")
	}
	minutes := int(end.Sub(start).Minutes())
	if minutes < 1 || minutes > 8*60 {
		return e.errf("the appointment lasts %d minutes from start to end; an appointment lasts 1 minute to 8 hours", minutes)
	}
	var pe *bundleEntry
	var attribution string
	for i, p := range a.Participant {
		field := fmt.Sprintf("participant[%d].actor", i)
		if p.Actor == nil {
			continue
		}
		if t, ok := x.byRef[strOr(p.Actor.Reference)]; ok && t.typ == "Patient" || strOr(p.Actor.Type) == "Patient" {
			if pe, err = x.subject(e, field, p.Actor); err != nil {
				return err
			}
			continue
		}
		if attribution == "" {
			if attribution, err = x.attribution(e, field, p.Actor); err != nil {
				return err
			}
		}
	}
	if pe == nil {
		return e.errf("participant with the patient missing")
	}
	reason := strings.Join(strings.Fields(strOr(a.Description)), " ")
	if len(a.ReasonCode) > 0 {
		reason = conceptText(&a.ReasonCode[0])
	}
	if len(reason) > 300 {
		return e.errf("the reason is longer than 300 characters")
	}
	ap := Appointment{Physician: "", Start: start, Minutes: minutes, Reason: reason, Status: fhirAppointmentStatus[a.Status.Code()]}
	cancel := conceptText(a.CancelationReason)
	x.count(e)
	x.then = append(x.then, func(_ context.Context, b *replica.Batch) error {
		ap.Patient = pe.entity
		kv := appointmentFields(ap, x.zone)
		kv["attribution"], kv["booked_by"], kv["booked_at"] = attribution, x.r.Fingerprint(), x.now.UnixMilli()
		if cancel != "" {
			kv["cancel_reason"] = cancel
		}
		return x.append(b, e.entity, kindAppointment, roles.FrontDesk, kv)
	})
	return nil
}

func (x *fhirImporter) encounter(e *bundleEntry) error {
	var en fhir.Encounter
	m, err := x.decode(e, &en)
	if err != nil {
		return err
	}
	if _, ok := m["status"]; !ok {
		return e.errf("status missing")
	}
	if en.Status == fhir.EncounterStatusEnteredInError || en.Status == fhir.EncounterStatusCancelled {
		e.entity = ""
		x.skip(e, "it was "+en.Status.Code())
		return nil
	}
	pe, err := x.subject(e, "subject", en.Subject)
	if err != nil {
		return err
	}
	if en.Period == nil || en.Period.Start == nil {
		return e.errf("period.start missing")
	}
	start, err := when(e, "period.start", *en.Period.Start)
	if err != nil {
		return err
	}
	var appt *bundleEntry
	for i := range en.Appointment {
		if appt, err = x.resolve(e, fmt.Sprintf("appointment[%d]", i), &en.Appointment[i], "Appointment"); err != nil {
			return err
		}
	}
	var who []*fhir.Reference
	for _, p := range en.Participant {
		who = append(who, p.Individual)
	}
	attribution, err := x.attribution(e, "participant.individual", who...)
	if err != nil {
		return err
	}
	reason := ""
	if len(en.ReasonCode) > 0 {
		reason = conceptText(&en.ReasonCode[0])
	}
	x.record(e, pe, kindEncounter, func() map[string]any {
		kv := map[string]any{"appointment": "", "physician": "", "start": start.UnixMilli(), "reason": reason, "attribution": attribution}
		if appt != nil {
			kv["appointment"] = appt.entity
		}
		return kv
	})
	return nil
}

// encounterOf is the encounter a record belongs to ("" when none).
func (x *fhirImporter) encounterOf(e *bundleEntry, ref *fhir.Reference) (*bundleEntry, error) {
	return x.resolve(e, "encounter", ref, "Encounter")
}

func entity(e *bundleEntry) string {
	if e == nil {
		return ""
	}
	return e.entity
}

func (x *fhirImporter) condition(e *bundleEntry) error {
	var c fhir.Condition
	if _, err := x.decode(e, &c); err != nil {
		return err
	}
	if v := firstCode(c.VerificationStatus, sysCondVer); v == "entered-in-error" || v == "refuted" {
		e.entity = ""
		x.skip(e, "its verification status is "+v)
		return nil
	}
	pe, err := x.subject(e, "subject", &c.Subject)
	if err != nil {
		return err
	}
	name := conceptText(c.Code)
	if name == "" {
		return e.errf("code missing: name the problem in code.text or a coding's display")
	}
	var p Problem
	if p.Onset, err = x.date(e, "onsetDateTime", c.OnsetDateTime); err != nil {
		return err
	}
	if p.Resolved, err = x.date(e, "abatementDateTime", c.AbatementDateTime); err != nil {
		return err
	}
	p.Status = ProblemActive
	switch firstCode(c.ClinicalStatus, sysCondClin) {
	case "inactive", "remission", "resolved":
		p.Status = ProblemResolved
	case "":
		if p.Resolved != "" {
			p.Status = ProblemResolved
		}
	}
	noted, err := x.recorded(e, c.RecordedDate)
	if err != nil {
		return err
	}
	attribution, err := x.attribution(e, "recorder", c.Recorder, c.Asserter)
	if err != nil {
		return err
	}
	x.record(e, pe, kindProblem, func() map[string]any {
		return map[string]any{"name": strings.Join(strings.Fields(name), " "), "status": p.Status, "onset": p.Onset,
			"resolved": p.Resolved, "noted": noted.UnixMilli(), "attribution": attribution}
	})
	return nil
}

// date reads an optional FHIR date or dateTime as a chart date, not in the
// future.
func (x *fhirImporter) date(e *bundleEntry, field string, s *string) (string, error) {
	if s == nil {
		return "", nil
	}
	d, err := datePart(e, field, *s)
	if err != nil {
		return "", err
	}
	if err := checkDate(field, d, x.now); err != nil {
		return "", e.errf("%s", strings.TrimPrefix(err.Error(), ErrInvalidInput.Error()+": "))
	}
	return d, nil
}

// recorded reads when a record was made (now when the bundle does not say).
func (x *fhirImporter) recorded(e *bundleEntry, s *string) (time.Time, error) {
	if s == nil {
		return x.now, nil
	}
	return when(e, "recordedDate", *s)
}

func (x *fhirImporter) allergy(e *bundleEntry) error {
	var a fhir.AllergyIntolerance
	if _, err := x.decode(e, &a); err != nil {
		return err
	}
	if v := firstCode(a.VerificationStatus, sysAllergyVer); v == "entered-in-error" || v == "refuted" {
		e.entity = ""
		x.skip(e, "its verification status is "+v)
		return nil
	}
	if c := firstCode(a.ClinicalStatus, sysAllergyClin); c == "inactive" || c == "resolved" {
		e.entity = ""
		x.skip(e, "the allergy is "+c)
		return nil
	}
	pe, err := x.subject(e, "patient", &a.Patient)
	if err != nil {
		return err
	}
	substance := conceptText(a.Code)
	if substance == "" {
		return e.errf("code missing: name the substance in code.text or a coding's display")
	}
	severity, reaction := "", ""
	for _, re := range a.Reaction {
		if re.Severity != nil && severity == "" {
			severity = re.Severity.Code()
		}
		if len(re.Manifestation) > 0 && reaction == "" {
			reaction = conceptText(&re.Manifestation[0])
		}
	}
	if severity == "" && a.Criticality != nil {
		severity = map[string]string{"low": "mild", "high": "severe"}[a.Criticality.Code()]
	}
	if severity == "" {
		return e.errf("reaction.severity missing (mild, moderate or severe)")
	}
	noted, err := x.recorded(e, a.RecordedDate)
	if err != nil {
		return err
	}
	attribution, err := x.attribution(e, "recorder", a.Recorder, a.Asserter)
	if err != nil {
		return err
	}
	x.record(e, pe, kindAllergy, func() map[string]any {
		return map[string]any{"substance": strings.Join(strings.Fields(substance), " "), "reaction": reaction, "severity": severity,
			"status": AllergyActive, "noted": noted.UnixMilli(), "attribution": attribution}
	})
	return nil
}

// medicationName is the drug a medication resource names.
func medicationName(e *bundleEntry, m map[string]json.RawMessage, c fhir.CodeableConcept) (string, error) {
	if _, ok := m["medicationReference"]; ok && len(bytes.TrimSpace(m["medicationReference"])) > 2 {
		return "", e.errf("medicationReference is not supported: name the drug in medicationCodeableConcept")
	}
	name := strings.Join(strings.Fields(conceptText(&c)), " ")
	if name == "" {
		return "", e.errf("medicationCodeableConcept missing")
	}
	return name, nil
}

var rxStatuses = map[string]string{"active": MedicationActive, "on-hold": MedicationActive, "draft": MedicationActive,
	"cancelled": MedicationStopped, "completed": MedicationStopped, "stopped": MedicationStopped, "unknown": MedicationStopped}

func (x *fhirImporter) medicationRequest(e *bundleEntry) error {
	var mr fhir.MedicationRequest
	m, err := x.decode(e, &mr)
	if err != nil {
		return err
	}
	switch {
	case mr.Status == "":
		return e.errf("status missing")
	case mr.Status == "entered-in-error":
		e.entity = ""
		x.skip(e, "it was entered in error")
		return nil
	case rxStatuses[mr.Status] == "":
		return e.errf("status %q is not a MedicationRequest status", mr.Status)
	case mr.Intent == "":
		return e.errf("intent missing")
	}
	pe, err := x.subject(e, "subject", &mr.Subject)
	if err != nil {
		return err
	}
	name, err := medicationName(e, m, mr.MedicationCodeableConcept)
	if err != nil {
		return err
	}
	since, err := x.date(e, "authoredOn", mr.AuthoredOn)
	if err != nil {
		return err
	}
	enc, err := x.encounterOf(e, mr.Encounter)
	if err != nil {
		return err
	}
	attribution, err := x.attribution(e, "requester", mr.Requester, mr.Recorder)
	if err != nil {
		return err
	}
	var dose []string
	for _, d := range mr.DosageInstruction {
		if t := strings.TrimSpace(strOr(d.Text)); t != "" {
			dose = append(dose, t)
		}
	}
	x.record(e, pe, kindMedication, func() map[string]any {
		return map[string]any{"name": name, "dose": strings.Join(dose, "; "), "since": since, "status": rxStatuses[mr.Status],
			"attribution": attribution, "intent": mr.Intent, "rx_status": mr.Status, "authored": strOr(mr.AuthoredOn),
			"dosage": mr.DosageInstruction, "dispense": mr.DispenseRequest, "notes": mr.Note,
			"status_reason": conceptText(mr.StatusReason), "encounter": entity(enc)}
	})
	return nil
}

var statementStatuses = map[string]string{"active": MedicationActive, "intended": MedicationActive, "on-hold": MedicationActive,
	"completed": MedicationStopped, "stopped": MedicationStopped, "not-taken": MedicationStopped, "unknown": MedicationActive}

func (x *fhirImporter) medicationStatement(e *bundleEntry) error {
	var ms fhir.MedicationStatement
	m, err := x.decode(e, &ms)
	if err != nil {
		return err
	}
	switch {
	case ms.Status == "":
		return e.errf("status missing")
	case ms.Status == "entered-in-error":
		e.entity = ""
		x.skip(e, "it was entered in error")
		return nil
	case statementStatuses[ms.Status] == "":
		return e.errf("status %q is not a MedicationStatement status", ms.Status)
	}
	pe, err := x.subject(e, "subject", &ms.Subject)
	if err != nil {
		return err
	}
	name, err := medicationName(e, m, ms.MedicationCodeableConcept)
	if err != nil {
		return err
	}
	start, end := ms.EffectiveDateTime, (*string)(nil)
	if ms.EffectivePeriod != nil {
		start, end = ms.EffectivePeriod.Start, ms.EffectivePeriod.End
	}
	since, err := x.date(e, "effective start", start)
	if err != nil {
		return err
	}
	stopped, err := x.date(e, "effectivePeriod.end", end)
	if err != nil {
		return err
	}
	attribution, err := x.attribution(e, "informationSource", ms.InformationSource)
	if err != nil {
		return err
	}
	dose := ""
	if len(ms.Dosage) > 0 {
		dose = strings.TrimSpace(strOr(ms.Dosage[0].Text))
	}
	x.record(e, pe, kindMedication, func() map[string]any {
		kv := map[string]any{"name": name, "dose": dose, "since": since, "status": statementStatuses[ms.Status], "attribution": attribution}
		if stopped != "" {
			kv["stopped"] = stopped
		}
		return kv
	})
	return nil
}
