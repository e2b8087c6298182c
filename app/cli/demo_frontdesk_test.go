package cli

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/frontdesk"
)

// The demo's bookings follow each physician's own hours and slot length:
// every appointment of the coming week starts on a working slot's start,
// none is overbooked, and the visit day has its visits.
func TestDemoBookingsFollowEachPhysiciansGrid(t *testing.T) {
	dir := t.TempDir()
	if code, _, errs := run(t, dir, "", "demo", "--patients", "80", "--seed", "5"); code != 0 {
		t.Fatalf("demo: %d %s", code, errs)
	}
	ctx := context.Background()
	s, err := app.Login(ctx, app.Env{}, filepath.Join(dir, "reception"), "", []byte("test passphrase"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	desk := frontdesk.New(s.Core())
	ps, err := desk.Physicians()
	if err != nil || len(ps) < 2 {
		t.Fatalf("physicians %v, %v", ps, err)
	}
	fps := make([]string, len(ps))
	for i, p := range ps {
		fps[i] = p.Fingerprint
	}
	booked := 0
	for d := range 7 {
		days, err := desk.DaySchedule(ctx, fps, time.Now().AddDate(0, 0, d))
		if err != nil {
			t.Fatal(err)
		}
		for _, pd := range days {
			for _, sl := range pd.Slots {
				for _, a := range sl.Appointments {
					if !sl.Starts(a) {
						continue
					}
					booked++
					if !sl.Working || sl.OffGrid(a) || a.Overbooked || a.Conflict {
						t.Errorf("%s, %s %s (%d min): working %v, off-grid %v, overbooked %v, conflict %v", pd.Physician.Name,
							a.Start.Format("Mon 2 Jan 15:04"), a.PatientName, a.Minutes, sl.Working, sl.OffGrid(a), a.Overbooked, a.Conflict)
					}
					if want := int(sl.End.Sub(sl.Start) / time.Minute); a.Minutes != want {
						t.Errorf("%s at %s lasts %d min, the slot %d", pd.Physician.Name, a.Start.Format("Mon 15:04"), a.Minutes, want)
					}
				}
			}
		}
	}
	if booked < 60 {
		t.Errorf("only %d bookings in the coming week", booked)
	}
}
