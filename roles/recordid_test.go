package roles

import (
	"strings"
	"testing"
)

// TestRecordIDBoundToKind: an id NewRecordID made for a data kind is no
// other kind's; ids made before (random 32 hex, with the mark by chance
// too) stay every data kind's, and a bound id has no shaped kind's shape.
func TestRecordIDBoundToKind(t *testing.T) {
	note, patient := NewRecordID("note"), NewRecordID("patient")
	random := "0123456789abcdef0123456789abcdef"
	forged := note[:31] + "0"                      // the mark broken: a random id
	marked := strings.Repeat("0", 24) + recordMark // a random id with the mark, bound to no kind
	for _, tc := range []struct {
		kind, id string
		ok       bool
	}{
		{"note", note, true},
		{"allergy", note, false},
		{"patient", note, false},
		{"patient", patient, true},
		{"problem", patient, false},
		{"availability", patient, false},
		{"problem", random, true},
		{"patient", random, true},
		{"problem", forged, true},
		{"problem", marked, true},
		{"note", marked, true},
		{"note", strings.ToUpper(note), true}, // not lower hex: no bound id (the envelope refuses it)
		{"availability", AvailabilityPrefix + strings.Repeat("ab", 20), true},
		{"problem", AvailabilityPrefix + strings.Repeat("ab", 20), false},
		{"patient", DeskSettingsID, false},
		{"desk-settings", DeskSettingsID, true},
		{"desk-settings", random, false},
	} {
		k, _ := KindOf(tc.kind)
		if err := k.CheckID(tc.id); (err == nil) != tc.ok {
			t.Errorf("%s under %s: %v, want ok=%v", tc.kind, tc.id, err, tc.ok)
		}
	}
	if len(note) != 32 || note == NewRecordID("note") {
		t.Errorf("NewRecordID: %q is not 32 hex of a fresh salt", note)
	}
	if _, reserved := ReservedBy(note); reserved {
		t.Errorf("a bound record id %s has a directory or admin kind's shape", note)
	}
}
