package cli

import (
	"testing"
	"time"
)

// The demo clinic names a real zone, this computer's when it has a name.
func TestDemoZone(t *testing.T) {
	t.Setenv("TZ", "America/New_York")
	if got := demoZone(); got != "America/New_York" {
		t.Errorf("TZ=America/New_York gives %q", got)
	}
	for _, tz := range []string{"Nowhere/Bogus", "Local", ":"} {
		t.Setenv("TZ", tz)
		if _, err := time.LoadLocation(demoZone()); err != nil || demoZone() == "" || demoZone() == "Local" {
			t.Errorf("TZ=%q gives %q, not a zone name", tz, demoZone())
		}
	}
}
