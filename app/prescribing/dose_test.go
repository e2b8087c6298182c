package prescribing

import (
	"strings"
	"testing"
)

func TestCheckDose(t *testing.T) {
	for _, tt := range []struct {
		dose string
		ok   bool
	}{
		// (The parser's own table is internal/values': this is what the
		// form says.)
		{"1", true}, {"1/2", true}, {"500 mg", true}, {"", false}, {"lots", false}, {"0", false}, {"-1", false},
	} {
		err := CheckDose(tt.dose)
		if (err == nil) != tt.ok {
			t.Errorf("CheckDose(%q) = %v, want ok %v", tt.dose, err, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "write an amount, e.g. 1, 0.5, 1/2 or 1-2") {
			t.Errorf("CheckDose(%q) says %q", tt.dose, err)
		}
	}
}

// FuzzCheckDose: whatever is typed, CheckDose answers without panicking.
func FuzzCheckDose(f *testing.F) {
	for _, s := range []string{"1", "1/2", "½", "1-2 tablets", "0", "", "1/0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dose string) { _ = CheckDose(dose) })
}
