package records

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// ms is a time as a record keeps it: to the millisecond.
func ms(v int64) time.Time { return time.UnixMilli(v) }

var origin = Origin{Attribution: "Dr Maria Rossi", Imported: ms(1_780_000_000_000)}

// kinds has, for every kind the app writes as fields, a full record and
// how it is read back from a state.
var kinds = []struct {
	kind string
	rec  Record
	read func(replica.State) Record
}{
	{KindPatient, Patient{ID: "p1", MRN: "MH0012345", Family: "Okafor", Given: "Ada Ngozi", Birth: "1984-03-27", Sex: "female",
		Phone: "+49 30 1234567", Email: "ada@example.org", Address: "Hauptstr. 1", Insurance: "AB-12", EmergencyName: "Chi",
		EmergencyPhone: "+49 30 7654321", Consent: true, ConsentDate: "2026-01-02", Registered: ms(1_767_000_000_000),
		FormerIDs: []string{"urn:x|42"}},
		func(st replica.State) Record { return PatientFromState("p1", st) }},
	{KindAppointment, Appointment{ID: "a1", Patient: "p1", Physician: "fp", Start: time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC),
		Minutes: 20, Reason: "check-up", Status: "cancelled", Overbooked: true, CancelReason: "unwell", CancelledAt: ms(1_780_000_100_000),
		Arrived: ms(1_780_000_200_000), Series: "s1", Repeat: "every 2 week(s), 6 appointments", BookedBy: "fp2",
		BookedAt: ms(1_780_000_000_000), Origin: Origin{Attribution: "Dr Rossi"}},
		func(st replica.State) Record { return AppointmentFromState("a1", st) }},
	{KindAvailability, Availability{Physician: "fp", SlotMinutes: 20, Set: true, DaysOff: []string{"2026-11-04", "2026-12-24"},
		Week: [7][]Hours{1: {{From: 8 * 60, To: 12 * 60}, {From: 13 * 60, To: 17 * 60}}, 5: {{From: 9 * 60, To: 13 * 60}}}},
		func(st replica.State) Record { return AvailabilityFromState("fp", st) }},
	{KindDeskSettings, DeskSettings{Zone: "Europe/Berlin"},
		func(st replica.State) Record { return DeskSettingsFromState(st) }},
	{KindProblem, Problem{ID: "r1", Patient: "p1", Name: "Type 2 diabetes", Status: "resolved", Onset: "2019-05", Resolved: "2026-01-02",
		Noted: ms(1_700_000_000_000), Codes: []Coding{{System: "http://snomed.info/sct", Code: "44054006", Display: "Diabetes mellitus type 2"}}, Origin: origin},
		func(st replica.State) Record { return ProblemFromState("r1", st) }},
	{KindAllergy, Allergy{ID: "r1", Patient: "p1", Substance: "penicillin", Reaction: "rash", Severity: "moderate", Status: "active",
		Noted: ms(1_700_000_000_000), Origin: origin},
		func(st replica.State) Record { return AllergyFromState("r1", st) }},
	{KindMedication, Medication{ID: "r1", Patient: "p1", Name: "amlodipine 5 mg tablet", Dose: "1 tablet once daily", Since: "2025-01",
		Status: "stopped", Stopped: "2026-01-02", Encounter: "e1", Origin: origin, Request: &MedicationRequest{Intent: "order",
			Status: "active", Authored: "2025-01-03", StatusReason: "ok", Dosage: json.RawMessage(`[{"text":"1 daily"}]`),
			Notes: json.RawMessage(`[{"text":"with food"}]`)}},
		func(st replica.State) Record { return MedicationFromState("r1", st) }},
	{KindVitals, Vitals{ID: "r1", Patient: "p1", Encounter: "e1", Time: ms(1_700_000_000_000), Systolic: 128, Diastolic: 82, Pulse: 71,
		TempC: 36.8, Resp: 14, SpO2: 98, WeightKg: 72.5, HeightCm: 171, RecordedBy: "fp", Origin: origin},
		func(st replica.State) Record { return VitalsFromState("r1", st) }},
	{KindEncounter, Encounter{ID: "r1", Patient: "p1", Appointment: "a1", Physician: "fp", Start: ms(1_700_000_000_000),
		Reason: "check-up", Origin: origin},
		func(st replica.State) Record { return EncounterFromState("r1", st) }},
	{KindNote, Signed{ID: "r1", Doc: []byte(`{"id":"r1","s":"tired"}`), Sig: []byte{1, 2, 3}, Patient: "p1", Encounter: "e1", Origin: origin},
		func(st replica.State) Record { s, _ := SignedFromState("r1", st); return s }},
	{KindAddendum, Signed{ID: "r1", Doc: []byte(`{"id":"r1"}`), Sig: []byte{4}, Patient: "p1", Of: "n1"},
		func(st replica.State) Record { s, _ := SignedFromState("r1", st); return s }},
	{KindPrescription, Signed{ID: "r1", Doc: []byte(`{"id":"r1"}`), Sig: []byte{5}, Patient: "p1", Code: "ABCDE-23456"},
		func(st replica.State) Record { s, _ := SignedFromState("r1", st); return s }},
	{KindRxCancel, Signed{ID: "r1", Doc: []byte(`{"id":"r1"}`), Sig: []byte{6}, Patient: "p1", Of: "rx1"},
		func(st replica.State) Record { s, _ := SignedFromState("r1", st); return s }},
	{KindClinic, Clinic{Name: "Riverside Practice", AuditPub: []byte("key")},
		func(st replica.State) Record { return ClinicFromState(st) }},
	{KindSecurity, Security{IdleMinutes: 10, MaxAttempts: 5},
		func(st replica.State) Record { return SecurityFromState(st) }},
	{KindRecovery, Recovery{ID: "s1", Threshold: 2, Admins: []string{"a", "b", "c"}, SetBy: "a", SetAt: ms(1_700_000_000_000), Sig: []byte{7}},
		func(st replica.State) Record { return RecoveryFromState(st) }},
	{KindToken, Token{ID: "t1", Role: roles.Physician, Status: "revoked", IssuedBy: "a", Issued: ms(1_700_000_000_000),
		Expires: ms(1_700_300_000_000), Secret: []byte{8, 9}, UsedBy: "b", UsedAt: ms(1_700_100_000_000), RevokedBy: "c",
		Revoked: ms(1_700_200_000_000)},
		func(st replica.State) Record { return TokenFromState("t1", st) }},
	{KindAuditKey, AuditKey{Locked: []byte("locked"), Pass: "secret"},
		func(st replica.State) Record { return AuditKeyFromState(st) }},
	{KindRecoveryRelease, RecoveryRelease{ID: "r1", From: "a", To: "b", Shares: []byte("sealed")},
		func(st replica.State) Record { return RecoveryReleaseFromState("r1", st) }},
}

func TestEveryKindRoundTrips(t *testing.T) {
	for _, k := range kinds {
		t.Run(k.kind, func(t *testing.T) {
			kind, ok := roles.KindOf(k.kind)
			if !ok {
				t.Fatalf("kind %s is not in the roles table", k.kind)
			}
			f, err := k.rec.Fields()
			if err != nil {
				t.Fatal(err)
			}
			for name := range f {
				if !kind.Declares(name) {
					t.Errorf("%s records have no field %s in the roles table: every workstation would refuse it", k.kind, name)
				}
			}
			if got := k.read(StateOf(f)); !reflect.DeepEqual(got, k.rec) {
				t.Errorf("read back\n%#v\nwant\n%#v", got, k.rec)
			}
		})
	}
}

// A version of Medihaven that knows more fields writes them; an older one
// that reads the record and writes it back (all of it, or a part) never
// overwrites them, since merging is per field.
func TestUnknownFieldSurvivesReadModifyWrite(t *testing.T) {
	newer := json.RawMessage(`"she/her"`)
	for _, k := range kinds {
		t.Run(k.kind, func(t *testing.T) {
			f, err := k.rec.Fields()
			if err != nil {
				t.Fatal(err)
			}
			f["pronouns"] = newer // written by a newer version
			st := StateOf(f)
			rec := k.read(st)
			all, err := rec.Fields()
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := all["pronouns"]; ok {
				t.Fatal("Fields writes a field the record does not know")
			}
			st.Merge(all, 1, "older") // written later: wins every field it writes
			if string(st["pronouns"].V) != string(newer) {
				t.Fatalf("the newer version's field is now %s", st["pronouns"].V)
			}
		})
	}
	t.Run("some fields", func(t *testing.T) {
		p := kinds[0].rec.(Patient)
		f, _ := p.Fields()
		f["pronouns"] = newer
		st := StateOf(f)
		p = PatientFromState(p.ID, st)
		old := p
		p.Phone = "+49 30 5555555"
		changed, err := Changed(old, p, PatientEdits...)
		if err != nil {
			t.Fatal(err)
		}
		if len(changed) != 1 || string(changed[PatientPhone]) != `"+49 30 5555555"` {
			t.Fatalf("an edit of the phone writes %v", changed)
		}
		st.Merge(changed, 1, "older")
		if got := PatientFromState(p.ID, st); !reflect.DeepEqual(got, p) || string(st["pronouns"].V) != string(newer) {
			t.Fatalf("after the edit: %+v, pronouns %s", got, st["pronouns"].V)
		}
	})
}

func TestSomeClearsAnOptionalFieldLeftZero(t *testing.T) {
	a := kinds[1].rec.(Appointment)
	f, _ := a.Fields()
	st := StateOf(f)
	a.CancelReason, a.Status = "", "booked"
	some, err := Some(a, AppointmentStatus, AppointmentCancelReason)
	if err != nil {
		t.Fatal(err)
	}
	if len(some) != 2 || string(some[AppointmentCancelReason]) != "null" {
		t.Fatalf("Some = %v", some)
	}
	st.Merge(some, 1, "d")
	if got := AppointmentFromState(a.ID, st); got.CancelReason != "" || got.Status != "booked" || got.Reason != a.Reason {
		t.Fatalf("after Some: %+v", got)
	}
}

func hasTerms(t *testing.T, have []replica.Term, want ...replica.Term) {
	t.Helper()
	for _, w := range want {
		if !slices.Contains(have, w) {
			t.Errorf("index terms %v lack %v", have, w)
		}
	}
}

// A search finds a record when the record's index holds every term of the
// query.
func TestIndexTermsAreWhatSearchAsks(t *testing.T) {
	p := kinds[0].rec.(Patient)
	f, _ := p.Fields()
	terms := IndexTerms(KindPatient, StateOf(f))
	for _, q := range []string{"oka", "Okafor Ada", "ngo", "1984-03-27", "mh0012345", "+49 30 1234567", "30 1234567", "1234567",
		"ada 1984-03-27"} {
		t.Run(q, func(t *testing.T) {
			asked := QueryTerms(q)
			if len(asked) == 0 {
				t.Fatal("no terms")
			}
			hasTerms(t, terms, asked...)
		})
	}
	hasTerms(t, terms, NameTerms(p.Family+" "+p.Given)...)
	hasTerms(t, terms, BirthTerm(p.Birth), PhoneTerm(p.Phone), MRNTerm(p.MRN))

	a := kinds[1].rec.(Appointment)
	a.Start = time.Date(2026, 11, 2, 23, 30, 0, 0, time.FixedZone("CET", 3600)) // the clinic's day, not UTC's
	f, _ = a.Fields()
	hasTerms(t, IndexTerms(KindAppointment, StateOf(f)), DayTerm(a.Physician, "2026-11-02"), SeriesTerm(a.Series), PatientTerm(a.Patient))

	for _, k := range []string{KindVitals, KindNote, KindMedication} {
		for _, r := range kinds {
			if r.kind == k {
				f, _ := r.rec.Fields()
				if got := IndexTerms(k, StateOf(f)); !reflect.DeepEqual(got, []replica.Term{PatientTerm("p1")}) {
					t.Errorf("%s is indexed as %v, want its patient only", k, got)
				}
			}
		}
	}
	if got := IndexTerms(KindClinic, StateOf(replica.Fields{ClinicName: json.RawMessage(`"x"`)})); got != nil {
		t.Errorf("the clinic's record is indexed as %v", got)
	}
}

// TestPairTerms: a patient is indexed with a pair term for every two words
// of their names of three letters or more, and a search asks for one when
// its two words must start two different words of the names; whatever it
// asks, the patient it looks for carries it.
func TestPairTerms(t *testing.T) {
	pair := func(v string) replica.Term { return replica.Term{Field: TermPair, Value: v} }
	tests := []struct {
		family, given string
		pairs         []replica.Term
		queries       map[string]*replica.Term // query: the pair it asks for (nil: none)
	}{
		{"Okafor", "Ada Ngozi", []replica.Term{pair("ada oka"), pair("ngo oka"), pair("ada ngo")}, map[string]*replica.Term{
			"Okafor Ada": ptr(pair("ada oka")), "ada okafor": ptr(pair("ada oka")), "ngoz okaf 1984-03-27": ptr(pair("ngo oka")),
			"oka ad": nil, "oka": nil, "okafor oka": nil, "oka okafor": nil,
		}},
		{"van der Berg", "Li", []replica.Term{pair("der van"), pair("ber van"), pair("ber der")}, map[string]*replica.Term{
			"berg van": ptr(pair("ber van")), "van li": nil, "der berg": ptr(pair("ber der")), "va de be": nil,
		}},
		{"Müller", "Ölaf", []replica.Term{pair("mul ola")}, map[string]*replica.Term{"MULLER olaf": ptr(pair("mul ola"))}},
	}
	for _, tt := range tests {
		t.Run(tt.family, func(t *testing.T) {
			f, err := Patient{ID: "p", Family: tt.family, Given: tt.given, Birth: "1984-03-27"}.Fields()
			if err != nil {
				t.Fatal(err)
			}
			terms := IndexTerms(KindPatient, StateOf(f))
			var got []replica.Term
			for _, term := range terms {
				if term.Field == TermPair {
					got = append(got, term)
				}
			}
			if !reflect.DeepEqual(got, tt.pairs) {
				t.Errorf("pair terms %v, want %v", got, tt.pairs)
			}
			for q, want := range tt.queries {
				asked := QueryTerms(q)
				hasTerms(t, terms, asked...)
				var pairs []replica.Term
				for _, term := range asked {
					if term.Field == TermPair {
						pairs = append(pairs, term)
					}
				}
				switch {
				case want == nil && len(pairs) > 0:
					t.Errorf("%q asks for %v, want no pair", q, pairs)
				case want != nil && !reflect.DeepEqual(pairs, []replica.Term{*want}):
					t.Errorf("%q asks for %v, want %v", q, pairs, *want)
				}
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestFieldsTheAppWritesAreDeclared: the fields written beside a record's
// own (an import's codes, an encounter's types) and the licence's are
// declared in the roles table, so every workstation applies them.
func TestFieldsTheAppWritesAreDeclared(t *testing.T) {
	for _, c := range []struct {
		kind  string
		names []string
	}{
		{KindProblem, []string{FieldCodes}},
		{KindAllergy, []string{FieldCodes}},
		{KindMedication, []string{FieldCodes, MedicationUnchecked, MedicationFormulary}},
		{KindEncounter, []string{EncounterTypes, EncounterClass}},
		{KindLicence, []string{LicenceMember, LicenceNumber}},
		{KindPatient, PatientEdits},
		{KindAvailability, AvailabilityHours()},
		{KindAvailability, []string{AvailabilityPhysician, AvailabilityOff("2026-12-24")}}, // SetDayOff
		{KindDeskSettings, []string{DeskZone, DeskCountry}},
	} {
		k, _ := roles.KindOf(c.kind)
		if err := k.CheckFields(slices.Values(c.names)); err != nil {
			t.Errorf("%s %v: %v", c.kind, c.names, err)
		}
	}
}

func TestAppointmentStartText(t *testing.T) {
	loc := time.FixedZone("X", 3600)
	for _, tc := range []struct {
		start time.Time
		zone  *time.Location
		want  string
	}{
		{time.Time{}, loc, StartUnreadable},
		{time.Time{}, nil, StartUnreadable},
		{time.Date(2026, 11, 10, 8, 0, 0, 0, time.UTC), loc, "2026-11-10 09:00"},
		{time.Date(2026, 11, 10, 8, 0, 0, 0, time.UTC), nil, "2026-11-10 08:00"},
	} {
		if got := (Appointment{Start: tc.start}).StartText("2006-01-02 15:04", tc.zone); got != tc.want {
			t.Errorf("%v in %v: %q, want %q", tc.start, tc.zone, got, tc.want)
		}
	}
}
