package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"

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
func (s *Session) ExportFHIR(ctx context.Context, w io.Writer, patientID string) (FHIRExport, error) {
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
func (s *Session) PatientBundle(ctx context.Context, patientID string) ([]byte, error) {
	if strings.TrimSpace(patientID) == "" {
		return nil, fmt.Errorf("%w: choose the patient whose record to export", ErrInvalidInput)
	}
	raw, _, err := s.fhirBundle(ctx, patientID)
	return raw, err
}

// fhirExporter collects a bundle's entries.
type fhirExporter struct {
	s       *Session
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
		return &fhir.Reference{Display: str(memberName(x.r, fp)),
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

func (s *Session) fhirBundle(ctx context.Context, patientID string) ([]byte, FHIRExport, error) {
	r, err := s.live()
	if err != nil {
		return nil, FHIRExport{}, err
	}
	_, deskErr := s.can(roles.SearchPatients)
	_, clinErr := s.can(roles.ExportClinical)
	_, auditErr := s.can(roles.ReadAudit)
	switch {
	case deskErr != nil && patientID != "" && auditErr == nil:
		return nil, FHIRExport{}, fmt.Errorf("%w: an administrator's workstation holds no patient records; export the whole clinic for its staff and audit trail", roles.ErrForbidden)
	case deskErr != nil && auditErr != nil:
		return nil, FHIRExport{}, deskErr
	}
	x := &fhirExporter{s: s, r: r, clinic: s.prof.ClinicID, zone: s.clinicZone(ctx, r), now: s.env.Now(),
		sum: FHIRExport{Resources: map[string]int{}}, staff: map[string]bool{}}
	var patients []Patient
	if deskErr == nil {
		if patients, err = s.exportedPatients(ctx, r, patientID); err != nil {
			return nil, FHIRExport{}, err
		}
	}
	rec := AuditRecord{Action: "fhir.export", Entity: patientID, Detail: fmt.Sprintf("FHIR export of %d patients", len(patients))}
	switch {
	case patientID != "":
		rec.Patient, rec.Detail = patients[0].MRN, "FHIR export of the patient's record"
	case deskErr != nil:
		rec.Detail = "FHIR export of the staff and the audit trail"
	}
	if err := s.Audit(ctx, rec); err != nil {
		return nil, FHIRExport{}, fmt.Errorf("app: the export could not be audited, so nothing was exported: %w", err)
	}
	for _, p := range patients {
		if err := x.patient(ctx, p, clinErr == nil); err != nil {
			return nil, FHIRExport{}, err
		}
	}
	if auditErr == nil {
		log, err := s.AuditLog(ctx)
		if err != nil {
			return nil, FHIRExport{}, err
		}
		for _, e := range log {
			if err := x.add("AuditEvent", e.Event, s.auditEventFHIR(e)); err != nil {
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
func (s *Session) exportedPatients(ctx context.Context, r *replica.Replica, patientID string) ([]Patient, error) {
	if patientID != "" {
		p, err := s.Patient(ctx, patientID)
		if err != nil {
			return nil, err
		}
		return []Patient{p}, nil
	}
	rows, err := r.Entities(ctx, kindPatient)
	if err != nil {
		return nil, fmt.Errorf("app: FHIR export: %w", err)
	}
	out := make([]Patient, 0, len(rows))
	for _, e := range rows {
		out = append(out, patientFromState(e.ID, e.State))
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
func (x *fhirExporter) patient(ctx context.Context, p Patient, clinical bool) error {
	start := len(x.entries)
	defer func() {
		part := x.entries[start:]
		sort.SliceStable(part, func(i, j int) bool {
			a, b := entryKey(part[i]), entryKey(part[j])
			return a < b
		})
	}()
	_, pst, err := x.r.Entity(ctx, p.ID)
	if err != nil {
		return fmt.Errorf("app: FHIR export: %w", err)
	}
	if err := x.add("Patient", p.ID, x.patientResource(p, pst)); err != nil {
		return err
	}
	pref := x.ref("Patient", p.ID)
	pref.Display = str(p.Name())
	appts, err := x.s.PatientAppointments(ctx, p.ID)
	if err != nil {
		return err
	}
	ids := make([]string, 0, len(appts))
	for _, a := range appts {
		ids = append(ids, a.ID)
	}
	states, err := x.states(ctx, ids)
	if err != nil {
		return err
	}
	for _, a := range appts {
		if err := x.add("Appointment", a.ID, x.appointment(a, pref, states[a.ID].String("attribution"))); err != nil {
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

func (x *fhirExporter) states(ctx context.Context, ids []string) (map[string]replica.State, error) {
	rows, err := x.r.EntitiesByID(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("app: FHIR export: %w", err)
	}
	out := make(map[string]replica.State, len(rows))
	for _, e := range rows {
		out[e.ID] = e.State
	}
	return out, nil
}

func (x *fhirExporter) mrnSystem() string { return "urn:medihaven:clinic:" + x.clinic + ":mrn" }

func (x *fhirExporter) patientResource(p Patient, st replica.State) fhir.Patient {
	mr := concept("", coding(sysIDType, "MR", "Medical record number"))
	official, old := fhir.IdentifierUseOfficial, fhir.IdentifierUseOld
	ids := []fhir.Identifier{{Use: &official, Type: mr, System: str(x.mrnSystem()), Value: str(p.MRN)}}
	var former []string
	st.Get("former_ids", &former) //nolint:errcheck // none when missing
	for _, f := range former {
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
	StatusBooked: fhir.AppointmentStatusBooked, StatusArrived: fhir.AppointmentStatusArrived,
	StatusCancelled: fhir.AppointmentStatusCancelled, StatusNoShow: fhir.AppointmentStatusNoshow,
}

func (x *fhirExporter) appointment(a Appointment, patient *fhir.Reference, attribution string) fhir.Appointment {
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

// chart adds a patient's clinical records.
func (x *fhirExporter) chart(ctx context.Context, p Patient, pref *fhir.Reference) error {
	c, err := x.s.chart(ctx, x.r, p)
	if err != nil {
		return err
	}
	recs, err := patientRecords(ctx, x.r, p.ID, kindProblem, kindAllergy, kindMedication, kindVitals, kindEncounter, kindNote, kindAddendum)
	if err != nil {
		return err
	}
	st := map[string]replica.State{}
	for _, rows := range recs {
		for _, e := range rows {
			st[e.ID] = e.State
		}
	}
	attr := func(id string) string { return st[id].String("attribution") }
	encounters := map[string]bool{}
	for _, e := range c.Encounters {
		encounters[e.ID] = true
	}
	encRef := func(id string) *fhir.Reference {
		if !encounters[id] {
			return nil
		}
		return x.ref("Encounter", id)
	}
	for _, e := range c.Encounters {
		if err := x.add("Encounter", e.ID, x.encounter(e, pref, attr(e.ID))); err != nil {
			return err
		}
	}
	for _, pr := range c.Problems {
		if err := x.add("Condition", pr.ID, x.condition(pr, pref, attr(pr.ID))); err != nil {
			return err
		}
	}
	for _, a := range c.Allergies {
		if err := x.add("AllergyIntolerance", a.ID, x.allergy(a, pref, attr(a.ID))); err != nil {
			return err
		}
	}
	for _, e := range recs[kindMedication] {
		typ, res, err := x.medication(medicationFromState(e.ID, e.State), e.State, pref, encRef)
		if err != nil {
			return err
		}
		if err := x.add(typ, e.ID, res); err != nil {
			return err
		}
	}
	for _, rx := range c.Prescriptions {
		if !rx.Verified {
			x.sum.Notes = append(x.sum.Notes, fmt.Sprintf("A prescription of %s (%s) whose signature does not check out was left out.", p.MRN, rx.Time.Format("2 Jan 2006")))
			continue
		}
		for i := range rx.Items {
			if err := x.add("MedicationRequest", fmt.Sprintf("%s-%d", rx.ID, i+1), x.prescription(rx, i, pref, encRef)); err != nil {
				return err
			}
		}
	}
	for _, v := range c.Vitals {
		for _, o := range x.vitals(v, pref, encRef(v.Encounter), x.by(st[v.ID].String("recorded_by"), attr(v.ID))) {
			if err := x.add("Observation", *o.Id, o); err != nil {
				return err
			}
		}
	}
	for _, n := range c.Notes {
		if !n.Verified {
			x.sum.Notes = append(x.sum.Notes, fmt.Sprintf("A note of %s (%s) whose signature does not check out was left out.", p.MRN, n.Time.Format("2 Jan 2006")))
			continue
		}
		if err := x.add("Composition", n.ID, x.note(n, pref, encRef(n.Encounter), attr(n.ID))); err != nil {
			return err
		}
		for _, a := range n.Addenda {
			if !a.Verified {
				continue
			}
			if err := x.add("Composition", a.ID, x.addendum(a, n, pref, attr(a.ID))); err != nil {
				return err
			}
		}
	}
	return nil
}

func (x *fhirExporter) encounter(e Encounter, pref *fhir.Reference, attribution string) fhir.Encounter {
	y, m, d := x.now.In(x.zone).Date()
	status := fhir.EncounterStatusFinished
	if !e.Start.Before(time.Date(y, m, d, 0, 0, 0, 0, x.zone)) {
		status = fhir.EncounterStatusInProgress
	}
	out := fhir.Encounter{Id: str(e.ID), Status: status, Class: coding(sysActCode, "AMB", "ambulatory"), Subject: pref,
		Period: &fhir.Period{Start: str(fhirInstant(e.Start))}}
	if who := x.by(e.Physician, attribution); who != nil {
		out.Participant = []fhir.EncounterParticipant{{Individual: who}}
	}
	if e.Appointment != "" {
		out.Appointment = []fhir.Reference{*x.ref("Appointment", e.Appointment)}
	}
	if e.Reason != "" {
		out.ReasonCode = []fhir.CodeableConcept{*concept(e.Reason)}
	}
	return out
}

func (x *fhirExporter) condition(p Problem, pref *fhir.Reference, attribution string) fhir.Condition {
	out := fhir.Condition{Id: str(p.ID), Subject: *pref, Code: concept(p.Name),
		ClinicalStatus:     concept("", coding(sysCondClin, p.Status, "")),
		VerificationStatus: concept("", coding(sysCondVer, "confirmed", "")),
		Category:           []fhir.CodeableConcept{*concept("", coding(sysCondCat, "problem-list-item", "Problem List Item"))},
		RecordedDate:       str(fhirInstant(p.Noted))}
	if p.Onset != "" {
		out.OnsetDateTime = str(p.Onset)
	}
	if p.Resolved != "" {
		out.AbatementDateTime = str(p.Resolved)
	}
	if attribution != "" {
		out.Recorder = &fhir.Reference{Display: str(attribution)}
	}
	return out
}

func (x *fhirExporter) allergy(a Allergy, pref *fhir.Reference, attribution string) fhir.AllergyIntolerance {
	out := fhir.AllergyIntolerance{Id: str(a.ID), Patient: *pref, Code: concept(a.Substance),
		ClinicalStatus:     concept("", coding(sysAllergyClin, "active", "Active")),
		VerificationStatus: concept("", coding(sysAllergyVer, "confirmed", "Confirmed")),
		RecordedDate:       str(fhirInstant(a.Noted))}
	var sev fhir.AllergyIntoleranceSeverity
	if sev.UnmarshalJSON([]byte(strconv.Quote(a.Severity))) == nil {
		re := fhir.AllergyIntoleranceReaction{Severity: &sev}
		if a.Reaction != "" {
			re.Manifestation = []fhir.CodeableConcept{*concept(a.Reaction)}
		}
		out.Reaction = []fhir.AllergyIntoleranceReaction{re}
	}
	if attribution != "" {
		out.Recorder = &fhir.Reference{Display: str(attribution)}
	}
	return out
}

// medication is a recorded medication: a MedicationStatement, or the
// MedicationRequest it was imported from (kept with its dosage as given).
func (x *fhirExporter) medication(m Medication, st replica.State, pref *fhir.Reference,
	encRef func(string) *fhir.Reference) (string, any, error) {
	attribution := st.String("attribution")
	if st.String("intent") != "" {
		out := fhir.MedicationRequest{Id: str(m.ID), Status: st.String("rx_status"), Intent: st.String("intent"),
			MedicationCodeableConcept: *concept(m.Name), Subject: *pref, Encounter: encRef(st.String("encounter"))}
		if a := st.String("authored"); a != "" {
			out.AuthoredOn = str(a)
		}
		if attribution != "" {
			out.Requester = &fhir.Reference{Display: str(attribution)}
		}
		if r := st.String("status_reason"); r != "" {
			out.StatusReason = concept(r)
		}
		for _, f := range []struct {
			name string
			v    any
		}{{"dosage", &out.DosageInstruction}, {"dispense", &out.DispenseRequest}, {"notes", &out.Note}} {
			if _, err := st.Get(f.name, f.v); err != nil {
				return "", nil, fmt.Errorf("app: FHIR export of medication %s: %w", m.ID, err)
			}
		}
		return "MedicationRequest", out, nil
	}
	status := "active"
	if m.Status == MedicationStopped {
		status = "stopped"
	}
	out := fhir.MedicationStatement{Id: str(m.ID), Status: status, MedicationCodeableConcept: *concept(m.Name), Subject: *pref}
	if m.Since != "" || st.String("stopped") != "" {
		out.EffectivePeriod = &fhir.Period{}
		if m.Since != "" {
			out.EffectivePeriod.Start = str(m.Since)
		}
		if s := st.String("stopped"); s != "" {
			out.EffectivePeriod.End = str(s)
		}
	}
	if m.Dose != "" {
		out.Dosage = []fhir.Dosage{{Text: str(m.Dose)}}
	}
	if attribution != "" {
		out.InformationSource = &fhir.Reference{Display: str(attribution)}
	}
	return "MedicationStatement", out, nil
}

// routeCodes are the SNOMED CT codes of the formulary's routes.
var routeCodes = map[string][2]string{
	"oral": {"26643006", "Oral route"}, "sublingual": {"37839007", "Sublingual route"},
	"subcutaneous": {"34206005", "Subcutaneous route"}, "intramuscular": {"78421000", "Intramuscular route"},
	"intravenous": {"47625008", "Intravenous route"}, "topical": {"6064005", "Topical route"},
	"rectal": {"37161004", "Rectal route"}, "nasal": {"46713006", "Nasal route"}, "eye": {"54485002", "Ophthalmic route"},
	"ear": {"10547007", "Otic route"}, "inhaled": {"447694001", "Respiratory tract route"},
}

var (
	reTimes    = regexp.MustCompile(`\b(once|twice|one|two|three|four|five|six|\d+) (times )?(daily|a day|per day)\b`)
	reEvery    = regexp.MustCompile(`\bevery (\d+) (hour|hours|day|days|week|weeks)\b`)
	reQuantity = regexp.MustCompile(`^(\d+(?:\.\d+)?) ?(.*)$`)
	timesWords = map[string]int{"once": 1, "one": 1, "twice": 2, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
)

// rxTiming reads the common frequencies of a sig into a FHIR Timing; the
// words stay in the dosage's text either way.
func rxTiming(freq string, days int) *fhir.Timing {
	f := norm(freq)
	rep := &fhir.TimingRepeat{}
	if m := reTimes.FindStringSubmatch(f); m != nil {
		n, ok := timesWords[m[1]]
		if !ok {
			n, _ = strconv.Atoi(m[1])
		}
		rep.Period, rep.PeriodUnit = num(1), str("d")
		if strings.Contains(f, "up to") {
			one := 1
			rep.Frequency, rep.FrequencyMax = &one, &n
		} else {
			rep.Frequency = &n
		}
	} else if m := reEvery.FindStringSubmatch(f); m != nil {
		one := 1
		n, _ := strconv.Atoi(m[1])
		rep.Frequency, rep.Period, rep.PeriodUnit = &one, num(float64(n)), str(m[2][:1])
	}
	switch {
	case strings.Contains(f, "at night"), strings.Contains(f, "at bedtime"):
		rep.When = []string{"HS"}
	case strings.Contains(f, "in the morning"):
		rep.When = []string{"MORN"}
	}
	if days > 0 {
		rep.BoundsDuration = &fhir.Duration{Value: num(float64(days)), Unit: str("days"), System: str(sysUCUM), Code: str("d")}
	}
	return &fhir.Timing{Repeat: rep}
}

// prescription is drug i of a signed prescription.
func (x *fhirExporter) prescription(rx Prescription, i int, pref *fhir.Reference, encRef func(string) *fhir.Reference) fhir.MedicationRequest {
	it := rx.Items[i]
	status := "completed"
	switch {
	case rx.Status == RxCancelled:
		status = "cancelled"
	case rx.Running(x.now):
		status = "active"
	}
	dose := fhir.Dosage{Text: str(it.Directions()), Timing: rxTiming(it.Frequency, it.Days)}
	if it.Instructions != "" {
		dose.PatientInstruction = str(it.Instructions)
	}
	if strings.Contains(norm(it.Frequency), "as needed") {
		yes := true
		dose.AsNeededBoolean = &yes
	}
	if it.Route != "" {
		c, ok := routeCodes[norm(it.Route)]
		if ok {
			dose.Route = concept(it.Route, coding("http://snomed.info/sct", c[0], c[1]))
		} else {
			dose.Route = concept(it.Route)
		}
	}
	if v, err := strconv.ParseFloat(it.Dose, 64); err == nil {
		dose.DoseAndRate = []fhir.DosageDoseAndRate{{DoseQuantity: &fhir.Quantity{Value: num(v), Unit: str(it.Unit)}}}
	}
	refills := it.Refills
	disp := &fhir.MedicationRequestDispenseRequest{NumberOfRepeatsAllowed: &refills,
		ExpectedSupplyDuration: &fhir.Duration{Value: num(float64(it.Days)), Unit: str("days"), System: str(sysUCUM), Code: str("d")}}
	if m := reQuantity.FindStringSubmatch(it.Quantity); m != nil && !strings.Contains(m[2], "supply") {
		v, _ := strconv.ParseFloat(m[1], 64)
		disp.Quantity = &fhir.Quantity{Value: num(v), Unit: str(m[2])}
	}
	out := fhir.MedicationRequest{Id: str(fmt.Sprintf("%s-%d", rx.ID, i+1)), Status: status, Intent: "order",
		Identifier:                []fhir.Identifier{{System: str("urn:medihaven:clinic:" + x.clinic + ":rx-code"), Value: str(rx.Code)}},
		GroupIdentifier:           &fhir.Identifier{System: str("urn:medihaven:clinic:" + x.clinic + ":prescription"), Value: str(rx.ID)},
		MedicationCodeableConcept: *concept(it.Drug), Subject: *pref, Encounter: encRef(rx.Encounter),
		AuthoredOn: str(fhirInstant(rx.Time)), Requester: x.staffRef(rx.Prescriber),
		DosageInstruction: []fhir.Dosage{dose}, DispenseRequest: disp}
	if rx.Cancellation != nil {
		out.StatusReason = concept(rx.Cancellation.Reason)
	}
	for _, w := range rx.Overrides {
		if w.Reason != "" && strings.EqualFold(w.Drug, it.Drug) {
			out.Note = append(out.Note, fhir.Annotation{AuthorString: str(rx.PrescriberName), Time: str(fhirInstant(rx.Time)),
				Text: "Warning overridden: " + w.Message + " Reason: " + w.Reason})
		}
	}
	for _, a := range rx.Addenda {
		if a.Verified {
			out.Note = append(out.Note, fhir.Annotation{AuthorString: str(a.AuthorName), Time: str(fhirInstant(a.Time)), Text: a.Text})
		}
	}
	return out
}

func quantity(v float64, unit string) *fhir.Quantity {
	return &fhir.Quantity{Value: num(v), Unit: str(unit), System: str(sysUCUM), Code: str(unit)}
}

// vitals are the Observations of one set of measurements.
func (x *fhirExporter) vitals(v Vitals, pref, enc, performer *fhir.Reference) []fhir.Observation {
	cat := []fhir.CodeableConcept{*concept("", coding(sysObsCategory, "vital-signs", "Vital Signs"))}
	obs := func(suffix string, code fhir.CodeableConcept) fhir.Observation {
		o := fhir.Observation{Id: str(v.ID + "-" + suffix), Status: fhir.ObservationStatusFinal, Category: cat, Code: code,
			Subject: pref, Encounter: enc, EffectiveDateTime: str(fhirInstant(v.Time))}
		if performer != nil {
			o.Performer = []fhir.Reference{*performer}
		}
		return o
	}
	var out []fhir.Observation
	if v.Systolic != 0 && v.Diastolic != 0 {
		o := obs("bp", *concept("Blood pressure", coding(sysLOINC, loincBPPanel, "Blood pressure panel with all children optional")))
		o.Component = []fhir.ObservationComponent{
			{Code: *concept("", coding(sysLOINC, loincSystolic, "Systolic blood pressure")), ValueQuantity: quantity(float64(v.Systolic), "mm[Hg]")},
			{Code: *concept("", coding(sysLOINC, loincDiastolic, "Diastolic blood pressure")), ValueQuantity: quantity(float64(v.Diastolic), "mm[Hg]")},
		}
		out = append(out, o)
	}
	for _, vs := range vitalSigns {
		val := vs.get(v)
		if val == 0 {
			continue
		}
		codes := []fhir.Coding{coding(sysLOINC, vs.code, vs.display)}
		if vs.suffix == "spo2" {
			codes = append(codes, coding(sysLOINC, loincSpO2Alt, "Oxygen saturation in Arterial blood"))
		}
		o := obs(vs.suffix, *concept(vs.display, codes...))
		o.ValueQuantity = quantity(val, vs.units[0].code)
		out = append(out, o)
	}
	if v.BMI > 0 {
		o := obs("bmi", *concept("Body mass index", coding(sysLOINC, loincBMI, "Body mass index (BMI) [Ratio]")))
		o.ValueQuantity = quantity(v.BMI, "kg/m2")
		out = append(out, o)
	}
	return out
}

// noteDiv is text as XHTML narrative: escaped, one line per <br/>.
func noteDiv(text string) string {
	esc := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(strings.ReplaceAll(text, "\r\n", "\n"))
	return `<div xmlns="http://www.w3.org/1999/xhtml">` + strings.ReplaceAll(esc, "\n", "<br/>") + `</div>`
}

func progressNote() fhir.CodeableConcept {
	return *concept("Progress note", coding(sysLOINC, loincProgressNote, "Progress note"))
}

func (x *fhirExporter) note(n Note, pref, enc *fhir.Reference, attribution string) fhir.Composition {
	out := fhir.Composition{Id: str(n.ID), Status: fhir.CompositionStatusFinal, Type: progressNote(), Subject: pref,
		Encounter: enc, Date: fhirInstant(n.Time), Author: []fhir.Reference{*x.by(n.Author, attribution)}, Title: "Progress note"}
	if attribution == "" {
		t := fhirInstant(n.Time)
		out.Attester = []fhir.CompositionAttester{{Mode: fhir.CompositionAttestationModeLegal, Time: &t, Party: x.staffRef(n.Author)}}
	}
	for i, text := range []string{n.Subjective, n.Objective, n.Assessment, n.Plan} {
		if text == "" {
			continue
		}
		sec := noteSections[i]
		out.Section = append(out.Section, fhir.CompositionSection{Title: str(sec.title),
			Code: concept("", coding(sysLOINC, sec.code, sec.title)),
			Text: &fhir.Narrative{Status: fhir.NarrativeStatusGenerated, Div: noteDiv(text)}})
	}
	return out
}

func (x *fhirExporter) addendum(a Addendum, n Note, pref *fhir.Reference, attribution string) fhir.Composition {
	out := fhir.Composition{Id: str(a.ID), Status: fhir.CompositionStatusFinal, Type: progressNote(), Subject: pref,
		Date: fhirInstant(a.Time), Author: []fhir.Reference{*x.by(a.Author, attribution)}, Title: "Addendum",
		RelatesTo: []fhir.CompositionRelatesTo{{Code: fhir.DocumentRelationshipTypeAppends, TargetReference: *x.ref("Composition", n.ID)}},
		Section: []fhir.CompositionSection{{Title: str("Addendum"),
			Text: &fhir.Narrative{Status: fhir.NarrativeStatusGenerated, Div: noteDiv(a.Text)}}}}
	if attribution == "" {
		t := fhirInstant(a.Time)
		out.Attester = []fhir.CompositionAttester{{Mode: fhir.CompositionAttestationModeLegal, Time: &t, Party: x.staffRef(a.Author)}}
	}
	return out
}
