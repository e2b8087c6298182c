package frontdesk

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
)

// TestWorkingHours: the receptionist reads a physician's hours, changes
// them, is told plainly about a malformed period, and adds a day off; the
// booking rules use what was saved.
func TestWorkingHours(t *testing.T) {
	ctx := context.Background()
	recep, phys := clinic(t)
	w := test.NewTempWindow(t, nil)
	s := newHours(inPlace(recep, w))
	w.SetContent(s.content())
	if got := s.days[time.Monday].Text; got != "08:00-12:00" {
		t.Fatalf("Monday shows %q, want 08:00-12:00", got)
	}
	typeInto(s.days[time.Tuesday], "9 to 5")
	test.Tap(s.save)
	if !strings.HasPrefix(s.status.Text, "Tuesday:") {
		t.Fatalf("a malformed period gives %q", s.status.Text)
	}
	typeInto(s.days[time.Tuesday], "09:00-12:00, 13:00-17:00")
	typeInto(s.slot, "20")
	test.Tap(s.save)
	if !strings.HasPrefix(s.status.Text, "Saved") {
		t.Fatalf("saving gives %q", s.status.Text)
	}
	av, err := recep.Availability(ctx, phys[0].Fingerprint)
	if err != nil || av.SlotMinutes != 20 || len(av.Week[time.Tuesday]) != 2 {
		t.Fatalf("saved availability %+v, %v", av, err)
	}
	typeInto(s.dayOff, "2026-11-10")
	test.Tap(button(t, w.Content(), "Add day off"))
	if av, _ := recep.Availability(ctx, phys[0].Fingerprint); len(av.DaysOff) != 1 || av.DaysOff[0] != "2026-11-10" {
		t.Fatalf("days off %v", av.DaysOff)
	}
	typeInto(s.dayOff, "2026-13-40")
	test.Tap(button(t, w.Content(), "Add day off"))
	if s.status.Text == "" {
		t.Error("an impossible day off was taken silently")
	}
}
