package cli

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/app/frontdesk"
)

// The demo's bookings follow each physician's own hours and slot length:
// every appointment of the coming week starts on a working slot's start,
// none is overbooked, the visit day has its visits, and no appointment of
// today whose time has passed is still merely booked (its patient arrived
// or did not come).
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
	var each [7]int // bookings of each day: the clinic is open every day
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
					each[d]++
					if !sl.Working || sl.OffGrid(a) || a.Overbooked || a.Conflict {
						t.Errorf("%s, %s %s (%d min): working %v, off-grid %v, overbooked %v, conflict %v", pd.Physician.Name,
							a.Start.Format("Mon 2 Jan 15:04"), a.PatientName, a.Minutes, sl.Working, sl.OffGrid(a), a.Overbooked, a.Conflict)
					}
					if d == 0 && a.Start.Before(time.Now().Add(-10*time.Minute)) && a.Status == frontdesk.StatusBooked {
						t.Errorf("%s, %s %s: its time has passed and it is still only booked", pd.Physician.Name, a.Start.Format("15:04"), a.PatientName)
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
	for d, n := range each {
		if n == 0 {
			t.Errorf("%s: no booking, so the desk's Today is empty that day", time.Now().AddDate(0, 0, d).Format("Mon 2 Jan"))
		}
	}
	// Today's booked patients have charts on their physician's workstation;
	// those who arrived earlier today were seen (seedClinical).
	ph, err := app.Login(ctx, app.Env{}, filepath.Join(dir, "physician"), "", []byte("test passphrase"))
	if err != nil {
		t.Fatal(err)
	}
	defer ph.Close()
	today, err := frontdesk.New(ph.Core()).Calendar(ctx, ph.Fingerprint(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range today {
		if a.Status == frontdesk.StatusCancelled || a.Status == frontdesk.StatusNoShow {
			continue
		}
		c, err := chart.New(ph.Core()).OpenChart(ctx, a.Patient)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Notes) == 0 || len(c.Problems) == 0 || len(c.Vitals) == 0 {
			t.Errorf("%s at %s: %d notes, %d problems, %d vitals", a.PatientName, a.Start.Format("15:04"), len(c.Notes), len(c.Problems), len(c.Vitals))
		}
		if !a.End().Before(time.Now().Add(-10 * time.Minute)) {
			continue
		}
		if a.Status != chart.StatusSeen {
			t.Errorf("%s at %s is %q, not seen, though her time has passed", a.PatientName, a.Start.Format("15:04"), a.Status)
		}
		if len(c.Encounters) == 0 || !slices.ContainsFunc(c.Notes, func(n chart.Note) bool { return n.Encounter == c.Encounters[0].ID }) {
			t.Errorf("%s at %s: no note of the visit (%d visits)", a.PatientName, a.Start.Format("15:04"), len(c.Encounters))
		}
	}
}
