package interop

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/frontdesk"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// The export writes a FHIR R4 Bundle of type collection. What it holds
// follows the workstation's keys: the front desk writes Patient,
// Practitioner and Appointment; a physician adds Encounter, Observation
// (vital signs, LOINC and UCUM), Condition, AllergyIntolerance,
// MedicationRequest (this clinic's prescriptions, one per drug),
// MedicationStatement (medications started elsewhere) and Composition
// (signed SOAP notes, with the LOINC section codes of a progress note;
// addenda are Compositions that "append" to the note); an administrator
// writes Practitioner and AuditEvent. Resource ids are the records' ids
// and fullUrls are name-based UUIDs of them, so two exports of the same
// data name everything alike.

// ExportFHIR writes a FHIR R4 Bundle of one patient (patientID, the
// patient's record id) or of the whole clinic (patientID ""), holding the
// resources this workstation's scopes allow. An export of patient data is
// audited first; when the audit cannot be written nothing is exported.
func (s *Service) ExportFHIR(ctx context.Context, w io.Writer, patientID string) (FHIRExport, error) {
	raw, sum, err := s.fhirBundle(ctx, patientID)
	if err != nil {
		return FHIRExport{}, err
	}
	if _, err := w.Write(raw); err != nil {
		return FHIRExport{}, fmt.Errorf("app: write the FHIR export: %w", err)
	}
	return sum, nil
}

// PatientBundle is ExportFHIR of one patient, as bytes.
func (s *Service) PatientBundle(ctx context.Context, patientID string) ([]byte, error) {
	if strings.TrimSpace(patientID) == "" {
		return nil, fmt.Errorf("%w: choose the patient whose record to export", app.ErrInvalidInput)
	}
	raw, _, err := s.fhirBundle(ctx, patientID)
	return raw, err
}

// fhirExporter collects a bundle's entries.
type fhirExporter struct {
	s       *Service
	r       *replica.Replica
	clinic  string
	zone    *time.Location
	now     time.Time
	entries []fhir.BundleEntry
	sum     FHIRExport
	staff   map[string]bool // practitioners referenced
}

func (x *fhirExporter) url(typ, id string) string { return "urn:uuid:" + stableUUID(x.clinic, typ, id) }

func (x *fhirExporter) ref(typ, id string) *fhir.Reference {
	return &fhir.Reference{Reference: str(x.url(typ, id))}
}

func (x *fhirExporter) add(typ, id string, res any) error {
	raw, err := prunedJSON(res)
	if err != nil {
		return fmt.Errorf("app: FHIR export of %s %s: %w", typ, id, err)
	}
	x.entries = append(x.entries, fhir.BundleEntry{FullUrl: str(x.url(typ, id)), Resource: raw})
	x.sum.Resources[typ]++
	x.sum.Total++
	return nil
}

// staffRef refers to a staff member as a Practitioner of the bundle.
func (x *fhirExporter) staffRef(fp string) *fhir.Reference {
	m, ok := x.r.Member(fp)
	if !ok {
		return &fhir.Reference{Display: str(app.MemberName(x.r, fp)),
			Identifier: &fhir.Identifier{System: str(sysStaffKey), Value: str(fp)}}
	}
	x.staff[fp] = true
	ref := x.ref("Practitioner", fp)
	ref.Display = str(m.Name)
	return ref
}

// by names who wrote a record: a record imported from another clinic keeps
// its author's name as text, one of this clinic refers to the staff member.
func (x *fhirExporter) by(fp, attribution string) *fhir.Reference {
	if attribution != "" {
		return &fhir.Reference{Display: str(attribution)}
	}
	if fp == "" {
		return nil
	}
	return x.staffRef(fp)
}

func (s *Service) fhirBundle(ctx context.Context, patientID string) ([]byte, FHIRExport, error) {
	r, err := s.c.Replica()
	if err != nil {
		return nil, FHIRExport{}, err
	}
	_, deskErr := s.c.ReplicaFor(roles.SearchPatients)
	_, clinErr := s.c.ReplicaFor(roles.ExportClinical)
	_, auditErr := s.c.ReplicaFor(roles.ReadAudit)
	switch {
	case deskErr != nil && patientID != "" && auditErr == nil:
		return nil, FHIRExport{}, fmt.Errorf("%w: an administrator's workstation holds no patient records; export the whole clinic for its staff and audit trail", roles.ErrForbidden)
	case deskErr != nil && auditErr != nil:
		return nil, FHIRExport{}, deskErr
	}
	x := &fhirExporter{s: s, r: r, clinic: s.c.Profile().ClinicID, zone: s.c.Zone(ctx, r), now: s.c.Now(),
		sum: FHIRExport{Resources: map[string]int{}}, staff: map[string]bool{}}
	var patients []app.Patient
	if deskErr == nil {
		if patients, err = s.exportedPatients(ctx, r, patientID); err != nil {
			return nil, FHIRExport{}, err
		}
	}
	rec := app.AuditRecord{Action: "fhir.export", Entity: patientID, Detail: fmt.Sprintf("FHIR export of %d patients", len(patients))}
	switch {
	case patientID != "":
		rec.Patient, rec.Detail = patients[0].MRN, "FHIR export of the patient's record"
	case deskErr != nil:
		rec.Detail = "FHIR export of the staff and the audit trail"
	}
	if err := s.c.Audit(ctx, rec); err != nil {
		return nil, FHIRExport{}, fmt.Errorf("app: the export could not be audited, so nothing was exported: %w", err)
	}
	for _, p := range patients {
		if err := x.patient(ctx, p, clinErr == nil); err != nil {
			return nil, FHIRExport{}, err
		}
	}
	if auditErr == nil {
		log, err := s.c.AuditLog(ctx)
		if err != nil {
			return nil, FHIRExport{}, err
		}
		for _, e := range log {
			if err := x.add("AuditEvent", e.Event, s.c.AuditEventFHIR(e)); err != nil {
				return nil, FHIRExport{}, err
			}
		}
	}
	body := x.entries
	x.entries = nil
	if err := x.practitioners(patientID == ""); err != nil {
		return nil, FHIRExport{}, err
	}
	b := fhir.Bundle{Type: fhir.BundleTypeCollection, Timestamp: str(fhirInstant(x.now)), Entry: append(x.entries, body...)}
	raw, err := json.MarshalIndent(b, "", " ")
	if err != nil {
		return nil, FHIRExport{}, fmt.Errorf("app: FHIR export: %w", err)
	}
	return append(raw, '\n'), x.sum, nil
}

// exportedPatients is the patient asked for, or every patient by MRN.
func (s *Service) exportedPatients(ctx context.Context, r *replica.Replica, patientID string) ([]app.Patient, error) {
	if patientID != "" {
		p, err := s.c.Patient(ctx, patientID)
		if err != nil {
			return nil, err
		}
		return []app.Patient{p}, nil
	}
	rows, err := r.Entities(ctx, records.KindPatient)
	if err != nil {
		return nil, fmt.Errorf("app: FHIR export: %w", err)
	}
	out := make([]app.Patient, 0, len(rows))
	for _, e := range rows {
		out = append(out, records.PatientFromState(e.ID, e.State))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].MRN < out[j].MRN })
	return out, nil
}

// practitioners adds the staff: everyone for a whole-clinic export, else
// those the records refer to.
func (x *fhirExporter) practitioners(all bool) error {
	members := x.r.Members()
	sort.Slice(members, func(i, j int) bool { return members[i].Fingerprint < members[j].Fingerprint })
	for _, m := range members {
		if !all && !x.staff[m.Fingerprint] {
			continue
		}
		active := m.Active()
		p := fhir.Practitioner{Id: str(m.Fingerprint), Active: &active,
			Identifier: []fhir.Identifier{{System: str(sysStaffKey), Value: str(m.Fingerprint)}},
			Name:       []fhir.HumanName{{Text: str(m.Name)}}}
		if err := x.add("Practitioner", m.Fingerprint, p); err != nil {
			return err
		}
	}
	return nil
}

// typeOrder orders a patient's resources in the bundle.
var typeOrder = map[string]int{"Patient": 0, "Appointment": 1, "Encounter": 2, "Condition": 3, "AllergyIntolerance": 4,
	"MedicationStatement": 5, "MedicationRequest": 6, "Observation": 7, "Composition": 8}

// patient adds one patient's resources, the clinical ones when asked.
func (x *fhirExporter) patient(ctx context.Context, p app.Patient, clinical bool) error {
	start := len(x.entries)
	defer func() {
		part := x.entries[start:]
		sort.SliceStable(part, func(i, j int) bool {
			a, b := entryKey(part[i]), entryKey(part[j])
			return a < b
		})
	}()
	if err := x.add("Patient", p.ID, x.patientResource(p)); err != nil {
		return err
	}
	pref := x.ref("Patient", p.ID)
	pref.Display = str(p.Name())
	appts, err := x.s.desk().PatientAppointments(ctx, p.ID)
	if err != nil {
		return err
	}
	for _, a := range appts {
		if a.Start.IsZero() {
			continue // its time is unreadable (records.StartUnreadable): FHIR needs a start for it
		}
		if err := x.add("Appointment", a.ID, x.appointment(a, pref, a.Attribution)); err != nil {
			return err
		}
	}
	if !clinical {
		return nil
	}
	return x.chart(ctx, p, pref)
}

func entryKey(e fhir.BundleEntry) string {
	var head struct {
		ResourceType string `json:"resourceType"`
		ID           string `json:"id"`
	}
	json.Unmarshal(e.Resource, &head) //nolint:errcheck // our own output
	return fmt.Sprintf("%02d %s", typeOrder[head.ResourceType], head.ID)
}

func (x *fhirExporter) mrnSystem() string { return "urn:medihaven:clinic:" + x.clinic + ":mrn" }

func (x *fhirExporter) patientResource(p app.Patient) fhir.Patient {
	mr := concept("", coding(sysIDType, "MR", "Medical record number"))
	official, old := fhir.IdentifierUseOfficial, fhir.IdentifierUseOld
	ids := []fhir.Identifier{{Use: &official, Type: mr, System: str(x.mrnSystem()), Value: str(p.MRN)}}
	for _, f := range p.FormerIDs {
		system, value, _ := strings.Cut(f, "|")
		ids = append(ids, fhir.Identifier{Use: &old, Type: mr, System: str(system), Value: str(value)})
	}
	if p.Insurance != "" {
		ids = append(ids, fhir.Identifier{Type: concept("Insurance id", coding(sysIDType, "MB", "Member Number")),
			System: str("urn:medihaven:insurance"), Value: str(p.Insurance)})
	}
	active, use := true, fhir.NameUseOfficial
	out := fhir.Patient{Id: str(p.ID), Identifier: ids, Active: &active,
		Name:      []fhir.HumanName{{Use: &use, Family: str(p.Family), Given: strings.Fields(p.Given)}},
		BirthDate: str(p.Birth)}
	var g fhir.AdministrativeGender
	if g.UnmarshalJSON([]byte(strconv.Quote(p.Sex))) != nil {
		g = fhir.AdministrativeGenderUnknown
	}
	out.Gender = &g
	phone, email := fhir.ContactPointSystemPhone, fhir.ContactPointSystemEmail
	if p.Phone != "" {
		out.Telecom = append(out.Telecom, fhir.ContactPoint{System: &phone, Value: str(p.Phone)})
	}
	if p.Email != "" {
		out.Telecom = append(out.Telecom, fhir.ContactPoint{System: &email, Value: str(p.Email)})
	}
	if p.Address != "" {
		out.Address = []fhir.Address{{Text: str(p.Address)}}
	}
	if p.EmergencyName != "" || p.EmergencyPhone != "" {
		c := fhir.PatientContact{Relationship: []fhir.CodeableConcept{*concept("", coding(sysContactRole, "C", "Emergency Contact"))}}
		if p.EmergencyName != "" {
			c.Name = &fhir.HumanName{Text: str(p.EmergencyName)}
		}
		if p.EmergencyPhone != "" {
			c.Telecom = []fhir.ContactPoint{{System: &phone, Value: str(p.EmergencyPhone)}}
		}
		out.Contact = []fhir.PatientContact{c}
	}
	if p.Consent {
		out.Extension = []fhir.Extension{{Url: extConsent, ValueDate: str(p.ConsentDate)}}
	}
	return out
}

// appointmentStatus maps Medihaven's appointment statuses to FHIR's.
var appointmentStatus = map[string]fhir.AppointmentStatus{
	frontdesk.StatusBooked: fhir.AppointmentStatusBooked, frontdesk.StatusArrived: fhir.AppointmentStatusArrived,
	frontdesk.StatusCancelled: fhir.AppointmentStatusCancelled, frontdesk.StatusNoShow: fhir.AppointmentStatusNoshow,
	records.StatusInVisit: fhir.AppointmentStatusArrived, records.StatusSeen: fhir.AppointmentStatusFulfilled,
}

func (x *fhirExporter) appointment(a frontdesk.Appointment, patient *fhir.Reference, attribution string) fhir.Appointment {
	out := fhir.Appointment{Id: str(a.ID), Status: appointmentStatus[a.Status],
		Start: str(a.Start.In(x.zone).Format(time.RFC3339)), End: str(a.End().In(x.zone).Format(time.RFC3339)),
		MinutesDuration: &a.Minutes,
		Participant:     []fhir.AppointmentParticipant{{Actor: patient, Status: fhir.ParticipationStatusAccepted}}}
	if a.Reason != "" {
		out.ReasonCode = []fhir.CodeableConcept{*concept(a.Reason)}
	}
	if a.CancelReason != "" {
		out.CancelationReason = concept(a.CancelReason)
	}
	if who := x.by(a.Physician, attribution); who != nil {
		out.Participant = append(out.Participant, fhir.AppointmentParticipant{Actor: who, Status: fhir.ParticipationStatusAccepted})
	}
	return out
}
