package interop

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/app/frontdesk"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// The import of what the front desk keeps: practitioners (kept as names),
// patients (registered with a new MRN) and appointments.

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

// patientElements names app.Patient.Check's fields as FHIR elements.
var patientElements = map[string]string{"family": "name.family", "given": "name.given", "birth": "birthDate", "sex": "gender",
	"phone": "telecom (phone)", "email": "telecom (email)", "address": "address", "insurance": "identifier (insurance)",
	"emergency_name": "contact.name", "emergency_phone": "contact.telecom", "consent_date": "extension (consent date)"}

func (x *fhirImporter) patient(ctx context.Context, e *bundleEntry) error {
	var fp fhir.Patient
	if _, err := x.decode(e, &fp); err != nil {
		return err
	}
	var p app.Patient
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
	mine := "urn:medihaven:clinic:" + x.s.c.Profile().ClinicID + ":mrn"
	for i, id := range fp.Identifier {
		system, value := strOr(id.System), strings.TrimSpace(strOr(id.Value))
		switch {
		case value == "":
		case system == mine:
			found, err := x.s.c.SearchPatients(ctx, value, 1)
			if err != nil {
				return err
			}
			if len(found) > 0 {
				return e.errf("%s is already registered here as %s (the bundle was exported from this clinic); open that record instead", found[0].Name(), found[0].MRN)
			}
		case system == "urn:medihaven:insurance" || hasCode(id.Type, sysIDType, "MB"):
			p.Insurance = value
		case len(former) == records.MaxFormerIDs:
			return e.errf("the patient has more than %d identifiers (record numbers of other clinics), the most Medihaven keeps: take the others out of the bundle",
				records.MaxFormerIDs)
		case utf8.RuneCountInString(system)+1+utf8.RuneCountInString(value) > records.MaxFormerIDLen:
			return e.errf("identifier[%d] is longer than %d characters (system and value): shorten it or take it out of the bundle", i, records.MaxFormerIDLen)
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
	dups, err := x.s.desk().LikelyDuplicates(ctx, p)
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
		np, err := app.RegisterInBatch(ctx, x.r, b, p, x.now, x.taken)
		if err != nil {
			return err
		}
		e.entity = np.ID
		x.added = append(x.added, np)
		if len(former) == 0 {
			return nil
		}
		return x.append(b, np.ID, records.KindPatient, roles.FrontDesk, func() (replica.Fields, error) {
			return records.Some(app.Patient{FormerIDs: former}, records.PatientFormerIDs)
		})
	})
	return nil
}

var fhirAppointmentStatus = map[string]string{
	"proposed": frontdesk.StatusBooked, "pending": frontdesk.StatusBooked, "booked": frontdesk.StatusBooked, "waitlist": frontdesk.StatusBooked,
	"arrived": frontdesk.StatusArrived, "checked-in": frontdesk.StatusArrived, "fulfilled": records.StatusSeen,
	"cancelled": frontdesk.StatusCancelled, "noshow": frontdesk.StatusNoShow,
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
	if records.CheckMinutes(minutes) != nil {
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
	// The start is written in the clinic's zone: its date is the calendar's day.
	ap := frontdesk.Appointment{Physician: "", Start: start.In(x.zone), Minutes: minutes, Reason: reason,
		Status: fhirAppointmentStatus[a.Status.Code()], CancelReason: conceptText(a.CancelationReason),
		Origin: chart.Origin{Attribution: attribution}}
	x.mint(e, records.KindAppointment) // for the references; its own once its patient's is known
	x.count(e)
	x.then = append(x.then, func(_ context.Context, b *replica.Batch) error {
		// Its id is bound to its import and its patient: the status "seen"
		// a receptionist writes only so, and no event moves it to another
		// patient (records.NewImportedAppointmentID). Appointments are
		// written before what refers to them (check's rank), which reads
		// e.entity only then.
		ap.Patient, ap.BookedBy, ap.BookedAt = pe.entity, x.r.Fingerprint(), x.now
		made, err := records.NewImportedAppointmentID(ap, x.now)
		if err != nil {
			return err
		}
		e.entity = made.ID
		return x.append(b, e.entity, records.KindAppointment, roles.FrontDesk, made.Fields)
	})
	return nil
}
