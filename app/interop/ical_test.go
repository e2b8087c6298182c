package interop

import (
	"testing"
	"time"

	"github.com/medihaven/medihaven/app/apptest"
)

func TestICSRange(t *testing.T) {
	loc := apptest.Zone(t, "Europe/Berlin")
	now := time.Date(2026, 11, 2, 23, 30, 0, 0, loc)
	from, to, err := icsRange(time.Time{}, time.Time{}, now, loc)
	if err != nil || from.Format(time.RFC3339) != "2026-11-02T00:00:00+01:00" || to.Format("2006-01-02") != "2027-01-31" {
		t.Errorf("defaults: %v %v %v", from, to, err)
	}
	if _, _, err := icsRange(now, now.AddDate(0, 0, -1), now, loc); err == nil {
		t.Error("an end before the start was accepted")
	}
	if _, _, err := icsRange(now, now.AddDate(0, 0, ICSMaxDays+2), now, loc); err == nil {
		t.Error("a too long span was accepted")
	}
	for _, s := range []string{"busy", " Initials", "FULL"} {
		if _, err := ParseICSDetail(s); err != nil {
			t.Errorf("ParseICSDetail(%q): %v", s, err)
		}
	}
	if _, err := ParseICSDetail("clinical"); err == nil {
		t.Error("ParseICSDetail accepted clinical")
	}
}
