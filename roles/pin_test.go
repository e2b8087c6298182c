package roles

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestPinnedID: an id NewPinnedID made is its kind's alone, like any bound
// id, and an event under it writes the pinned field only as it was made,
// with its seal (CheckPin); under an id of another shape CheckPin checks
// nothing (records made before ids were pinned).
func TestPinnedID(t *testing.T) {
	patient, _ := KindOf("patient")
	id, seal := NewPinnedID("patient", []byte(`"MH0000001"`))
	other, otherSeal := NewPinnedID("patient", []byte(`"MH0000002"`))
	older := strings.Repeat("0", 16) + id[16:24] + recordMark // an id of the mark before: not pinned
	booking := NewRecordID("patient")                         // pinned to no value
	q := func(s string) json.RawMessage { b, _ := json.Marshal(s); return b }
	for _, tc := range []struct {
		name   string
		id     string
		fields map[string]json.RawMessage
		ok     bool
	}{
		{"its registration", id, map[string]json.RawMessage{"mrn": q("MH0000001"), "mrn_seal": q(seal)}, true},
		{"an edit", id, map[string]json.RawMessage{"family": q("Baker")}, true},
		{"another MRN", id, map[string]json.RawMessage{"mrn": q("MH0000002"), "mrn_seal": q(seal)}, false},
		{"another patient's MRN and seal", id, map[string]json.RawMessage{"mrn": q("MH0000002"), "mrn_seal": q(otherSeal)}, false},
		{"no seal", id, map[string]json.RawMessage{"mrn": q("MH0000001")}, false},
		{"the seal alone", id, map[string]json.RawMessage{"mrn_seal": q(seal)}, false},
		{"erased", id, map[string]json.RawMessage{"mrn": json.RawMessage("null"), "mrn_seal": q(seal)}, false},
		{"the same MRN written otherwise", id, map[string]json.RawMessage{"mrn": q("mh0000001"), "mrn_seal": q(seal)}, false},
		{"a seal of another shape", id, map[string]json.RawMessage{"mrn": q("MH0000001"), "mrn_seal": json.RawMessage(`["x"]`)}, false},
		{"the other's registration", other, map[string]json.RawMessage{"mrn": q("MH0000002"), "mrn_seal": q(otherSeal)}, true},
		{"an MRN under a booking's id", booking, map[string]json.RawMessage{"mrn": q("MH0000001"), "mrn_seal": q(seal)}, false},
		{"an older record", older, map[string]json.RawMessage{"mrn": q("MH0000002")}, true},
	} {
		if err := patient.CheckPin(tc.id, tc.fields); (err == nil) != tc.ok {
			t.Errorf("%s: %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
	if !IsPinned("patient", id) || IsPinned("appointment", id) || IsPinned("patient", older) {
		t.Errorf("IsPinned: %s is the patient kind's pinned id, %s no pinned id", id, older)
	}
	note, _ := KindOf("note")
	if err := note.CheckID(id); err == nil {
		t.Errorf("a note takes a patient's pinned id %s", id)
	}
	if id == other || id[:16] == other[:16] {
		t.Errorf("two patients' pinned ids share a salt: %s %s", id, other)
	}
}

// TestHeldValueUnlessPinned: an appointment's status "seen" or "in-visit"
// is the clinical key's, under a pinned id, but in the event that proves
// its import; any other status, and any status under an id made before,
// anyone writes.
func TestHeldValueUnlessPinned(t *testing.T) {
	appt, _ := KindOf("appointment")
	at := json.RawMessage("1767600000000")
	q0 := func(s string) json.RawMessage { b, _ := json.Marshal(s); return b }
	imported, seal := NewPinnedID("appointment", at, q0("seen"))
	importedBooked, bookedSeal := NewPinnedID("appointment", at, q0("booked"))
	booked := NewRecordID("appointment")
	older := strings.Repeat("0", 32)
	q := func(s string) json.RawMessage { b, _ := json.Marshal(s); return b }
	for _, tc := range []struct {
		name   string
		role   Role
		id     string
		fields map[string]json.RawMessage
		ok     bool
	}{
		{"the desk checks in", Receptionist, booked, map[string]json.RawMessage{"status": q("arrived")}, true},
		{"the desk writes seen", Receptionist, booked, map[string]json.RawMessage{"status": q("seen")}, false},
		{"the desk writes in visit", Receptionist, booked, map[string]json.RawMessage{"status": q("in-visit")}, false},
		{"the physician finishes", Physician, booked, map[string]json.RawMessage{"status": q("seen")}, true},
		{"the desk's import", Receptionist, imported, map[string]json.RawMessage{"status": q("seen"), "imported": at, "import_seal": q(seal)}, true},
		{"the import's mark without its seal", Receptionist, imported, map[string]json.RawMessage{"status": q("seen"), "imported": at}, false},
		{"the import's seal on a booking", Receptionist, booked, map[string]json.RawMessage{"status": q("seen"), "imported": at, "import_seal": q(seal)}, false},
		{"the desk, after the import", Receptionist, imported, map[string]json.RawMessage{"status": q("seen")}, false},
		{"the import of a booked appointment", Receptionist, importedBooked, map[string]json.RawMessage{"status": q("booked"), "imported": at, "import_seal": q(bookedSeal)}, true},
		{"its import proved again beside seen", Receptionist, importedBooked, map[string]json.RawMessage{"status": q("seen"), "imported": at, "import_seal": q(bookedSeal)}, false},
		{"the desk checks in an imported appointment", Receptionist, importedBooked, map[string]json.RawMessage{"status": q("arrived")}, true},
		{"an appointment made before", Receptionist, older, map[string]json.RawMessage{"status": q("seen")}, true},
		{"the visit's fields, made before", Receptionist, older, map[string]json.RawMessage{"visit_finished": json.RawMessage("1")}, false},
	} {
		if err := appt.CheckRole(tc.role, tc.id, tc.fields); (err == nil) != tc.ok {
			t.Errorf("%s: %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

// FuzzCheckPin: what an event's payload writes, outside bytes, never
// panics the pin rule, and is refused under a pinned id unless it is the
// value and seal the id was made with.
func FuzzCheckPin(f *testing.F) {
	id, seal := NewPinnedID("patient", []byte(`"MH0000001"`))
	f.Add([]byte(`"MH0000001"`), []byte(`"`+seal+`"`))
	f.Add([]byte(`null`), []byte(`""`))
	f.Add([]byte(`"MH0000002"`), []byte(`123`))
	patient, _ := KindOf("patient")
	f.Fuzz(func(t *testing.T, mrn, s []byte) {
		err := patient.CheckPin(id, map[string]json.RawMessage{"mrn": mrn, "mrn_seal": s})
		var got string
		if err == nil && (string(mrn) != `"MH0000001"` || json.Unmarshal(s, &got) != nil || got != seal) {
			t.Errorf("mrn %q with seal %q passes under %s", mrn, s, id)
		}
	})
}

// TestBoundID: an appointment's id NewBoundID made is its kind's alone
// and bound to everything its booking writes once (Pin.Bound) as well as
// its import and status: an event under it writes any of them only as
// the booking did, with its seal; what the desk changes later (the
// start, the status) it writes freely; a session-26 pinned id keeps its
// own rule.
func TestBoundID(t *testing.T) {
	appt, _ := KindOf("appointment")
	q := func(s string) json.RawMessage { b, _ := json.Marshal(s); return b }
	with := func(f map[string]json.RawMessage, kv ...any) map[string]json.RawMessage {
		out := map[string]json.RawMessage{}
		for k, v := range f {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(out, kv[i].(string))
				continue
			}
			out[kv[i].(string)] = kv[i+1].(json.RawMessage)
		}
		return out
	}
	booked := map[string]json.RawMessage{"patient": q("p1"), "physician": q("dr-a"), "start": q("2026-11-02T10:00:00+01:00"),
		"minutes": json.RawMessage("15"), "status": q("booked"), "booked_by": q("rita"), "booked_at": json.RawMessage("1767600000000")}
	id, seal := NewBoundID("appointment", booked)
	sealed := with(booked, "import_seal", q(seal))
	pinned, _ := NewPinnedID("appointment", json.RawMessage("1767600000000"), q("booked"))
	for _, tc := range []struct {
		name   string
		id     string
		fields map[string]json.RawMessage
		ok     bool
	}{
		{"its booking", id, sealed, true},
		{"its booking again", id, sealed, true},
		{"a move", id, map[string]json.RawMessage{"start": q("2026-11-02T11:00:00+01:00"), "minutes": json.RawMessage("20")}, true},
		{"a check-in", id, map[string]json.RawMessage{"status": q("arrived"), "arrived_at": json.RawMessage("1")}, true},
		{"another patient", id, map[string]json.RawMessage{"patient": q("p2")}, false},
		{"another patient with its seal", id, with(sealed, "patient", q("p2")), false},
		{"another physician with its seal", id, with(sealed, "physician", q("dr-b")), false},
		{"into a series with its seal", id, with(sealed, "series", q("s1")), false},
		{"another booker with its seal", id, with(sealed, "booked_by", q("pam")), false},
		{"its patient left out, with its seal", id, with(sealed, "patient", nil), false},
		{"its patient erased, with its seal", id, with(sealed, "patient", json.RawMessage("null")), false},
		{"an import's mark with its seal", id, with(sealed, "imported", json.RawMessage("1")), false},
		{"seen with its seal", id, with(sealed, "status", q("seen")), false},
		{"the seal alone", id, map[string]json.RawMessage{"import_seal": q(seal)}, false},
		{"a seal of another shape", id, with(sealed, "import_seal", json.RawMessage(`["x"]`)), false},
		{"a session-26 booking's patient", pinned, map[string]json.RawMessage{"patient": q("p2")}, true},
	} {
		if err := appt.CheckPin(tc.id, tc.fields); (err == nil) != tc.ok {
			t.Errorf("%s: %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
	if !IsBound("appointment", id) || !IsPinned("appointment", id) || IsBound("appointment", pinned) || IsBound("patient", id) {
		t.Errorf("IsBound: %s is the appointment kind's bound id, %s a pinned one", id, pinned)
	}
	note, _ := KindOf("note")
	if err := note.CheckID(id); err == nil {
		t.Errorf("a note takes an appointment's bound id %s", id)
	}
	// The status "seen" by the desk: under a booking's bound id never (it
	// proves no import); in the import's own event, yes.
	if err := appt.CheckRole(Receptionist, id, with(sealed, "status", q("seen"))); err == nil {
		t.Error("the desk writes seen under a booking's bound id")
	}
	imp := with(booked, "status", q("seen"), "imported", json.RawMessage("1767600000000"))
	impID, impSeal := NewBoundID("appointment", imp)
	if err := appt.CheckRole(Receptionist, impID, with(imp, "import_seal", q(impSeal))); err != nil {
		t.Errorf("the desk's import of a seen appointment: %v", err)
	}
}

// FuzzCheckBound: what an event's payload writes, outside bytes, never
// panics the bound rule, and is refused under a bound id unless it writes
// the patient and seal the id was made with.
func FuzzCheckBound(f *testing.F) {
	booked := map[string]json.RawMessage{"patient": json.RawMessage(`"p1"`), "physician": json.RawMessage(`"dr-a"`)}
	id, seal := NewBoundID("appointment", booked)
	f.Add([]byte(`"p1"`), []byte(`"`+seal+`"`))
	f.Add([]byte(`null`), []byte(`""`))
	f.Add([]byte(`"p2"`), []byte(`123`))
	appt, _ := KindOf("appointment")
	f.Fuzz(func(t *testing.T, patient, s []byte) {
		err := appt.CheckPin(id, map[string]json.RawMessage{"patient": patient, "physician": booked["physician"], "import_seal": s})
		var got string
		if err == nil && (string(patient) != `"p1"` || json.Unmarshal(s, &got) != nil || got != seal) {
			t.Errorf("patient %q with seal %q passes under %s", patient, s, id)
		}
	})
}
