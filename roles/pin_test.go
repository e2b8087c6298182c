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
