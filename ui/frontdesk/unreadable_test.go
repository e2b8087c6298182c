package frontdesk

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/ui/kit/kittest"
)

// An appointment whose start does not parse (only modified software
// writes one: app/frontdesk's TestAttackS27cStartUnreadable) is on no day;
// the patient's record lists it with its time unreadable, not as 1 January
// of year 1.
func TestPatientRecordShowsAnUnreadableTime(t *testing.T) {
	test.NewTempApp(t)
	recep, phys := clinic(t)
	ctx := context.Background()
	bea, err := recep.Register(ctx, app.Patient{Family: "Booker", Given: "Bea", Birth: "1970-07-07"}, false)
	if err != nil {
		t.Fatal(err)
	}
	a, err := recep.Book(ctx, records.Appointment{Patient: bea.ID, Physician: phys[0].Fingerprint, Start: testNow.Add(2 * time.Hour),
		Minutes: 15, Reason: "Check-up", Overbooked: true})
	if err != nil {
		t.Fatal(err)
	}
	r, err := recep.Replica()
	if err != nil {
		t.Fatal(err)
	}
	v, _ := json.Marshal("2026-11-02T10:00:00+01:00 or so")
	if _, err := r.Append(ctx, replica.Change{Entity: a.ID, Kind: records.KindAppointment, Scope: roles.FrontDesk,
		Fields: replica.Fields{records.AppointmentStart: v}}); err != nil {
		t.Fatal(err)
	}
	w := test.NewWindow(nil)
	defer w.Close()
	s := newPatients(inPlace(recep, w))
	w.SetContent(s.content())
	w.Resize(fyne.NewSize(1280, 800))
	s.form.open(bea.ID)
	text := kittest.Texts(w.Content())
	if !strings.Contains(text, "time unreadable · 15 min · Check-up") || strings.Contains(text, "0001") {
		t.Errorf("the record's appointments:\n%s", text)
	}
}
