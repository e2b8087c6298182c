package frontdesk

import (
	"strings"
	"testing"

	"github.com/medihaven/medihaven/app/chart"
	desk "github.com/medihaven/medihaven/app/frontdesk"
)

// TestDeskShowsTheVisit: the desk's lists say "In visit" while the
// physician's visit runs and "Seen" once it is finished (issue 14).
func TestDeskShowsTheVisit(t *testing.T) {
	for status, want := range map[string]string{chart.StatusInVisit: "In visit", chart.StatusSeen: "Seen"} {
		if got := statusText(desk.Appointment{Status: status}); !strings.Contains(got, want) {
			t.Errorf("status %s shows %q, want %q", status, got, want)
		}
	}
}
