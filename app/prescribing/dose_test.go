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
		{"1", true}, {"0.5", true}, {"0,5", true}, {"1/2", true}, {"½", true}, {"1-2", true}, {"1 – 2", true},
		{"1 to 2", true}, {"1 or 2", true}, {"500 mg", true}, {"500mg", true}, {"2 puffs", true}, {" 10 mL ", true},
		{"", false}, {"lots", false}, {"0", false}, {"0.0", false}, {"0/2", false}, {"-1", false}, {"1/0", false},
		{"two", false}, {"1..2", false}, {"mg 500", false},
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
