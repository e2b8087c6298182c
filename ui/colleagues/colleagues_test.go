package colleagues

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/ui/kit"
	"github.com/medihaven/medihaven/ui/kit/kittest"
)

// inline runs work and done in place (tests).
func inline(work func(context.Context), done func()) { kit.Background(true, time.Minute, work, done) }

// open shows s's Colleagues screen in a 1280x800 test window.
func open(t *testing.T, s *app.Session) (*Screen, fyne.Window) {
	t.Helper()
	w := test.NewTempWindow(t, widget.NewLabel(""))
	w.Resize(fyne.NewSize(1280, 800))
	cs := New(s, w, inline)
	w.SetContent(container.NewVScroll(cs.Content(nil, nil)))
	return cs, w
}

// shown reports whether the card of a note is shown.
func shown(note fyne.CanvasObject) bool {
	visible := false
	kittest.Walk(note, func(o fyne.CanvasObject) {
		if c, ok := o.(*widget.Card); ok {
			visible = c.Visible()
		}
	})
	return visible
}

// row is the row of the list that names name.
func row(t *testing.T, cs *Screen, name string) fyne.CanvasObject {
	t.Helper()
	for _, o := range cs.list.Objects {
		if strings.Contains(kittest.Texts(o), name+"\n") {
			return o
		}
	}
	t.Fatalf("no row for %s in %q", name, kittest.Texts(cs.list))
	return nil
}

// TestReceptionistConfirmsInPerson follows a new receptionist: her note
// says why no patient opens and links to Colleagues; Colleagues lists the
// receptionist first, then the physicians, each with the code both
// screens show and what the confirmation counts for; a wrong code is
// refused in the dialog and nothing is written; the right one confirms
// the receptionist; once she confirms the newcomer too and the
// workstations sync, the note is gone and the newcomer reads patients.
func TestReceptionistConfirmsInPerson(t *testing.T) {
	test.NewTempApp(t)
	ctx := context.Background()
	c := apptest.NewClinic(t)
	p, err := c.Recep.RegisterPatient(ctx, app.Patient{Family: "Kept", Given: "Kira", Birth: "1982-02-03"})
	if err != nil {
		t.Fatal(err)
	}
	rosa := c.Join(t, "Rosa New", roles.Receptionist)
	all := append(c.All(), rosa)
	if err := app.SyncLocal(ctx, all...); err != nil {
		t.Fatal(err)
	}
	if _, err := rosa.Patient(ctx, p.ID); err == nil {
		t.Fatal("a receptionist nobody confirmed reads a patient")
	}
	taps := 0
	noteWin := test.NewTempWindow(t, widget.NewLabel(""))
	note := Note(rosa, inline, Waiting{Text: "Patients open once a colleague confirms you.", Opens: "patients"}, func() { taps++ })
	noteWin.SetContent(note)
	if !shown(note) || !strings.Contains(kittest.Texts(note), "Patients open once a colleague confirms you.") {
		t.Fatalf("the note of a receptionist nobody confirmed says %q", kittest.Texts(note))
	}
	test.Tap(kittest.Button(note, "Open Colleagues"))
	if taps != 1 {
		t.Errorf("Open Colleagues tapped %d times the shell's link, want 1", taps)
	}

	cs, w := open(t, rosa)
	texts := kittest.Texts(cs.list)
	if i, j := strings.Index(texts, "Rita Reception"), strings.Index(texts, "Dr Paul Physician"); i < 0 || j < 0 || i > j {
		t.Errorf("the receptionist is not listed before the physicians: %q", texts)
	}
	code := app.ColleagueCode(rosa.Fingerprint(), c.Recep.Fingerprint())
	r := row(t, cs, "Rita Reception")
	if got := kittest.Texts(r); !strings.Contains(got, code) || !strings.Contains(got, "Not confirmed") ||
		!strings.Contains(got, "Receptionist · your confirmation counts for the front desk") {
		t.Fatalf("Rita Reception's row: %q", got)
	}
	if got := kittest.Texts(row(t, cs, "Dr Paul Physician")); !strings.Contains(got, "Physician · your confirmation counts for the front desk") {
		t.Errorf("a physician's row on a receptionist's screen: %q", got)
	}

	test.Tap(kittest.Button(r, "Confirm…"))
	if !strings.Contains(kittest.Dialog(w), "Ask Rita Reception to read the code beside your name") {
		t.Fatalf("the dialog does not say whom to ask for the code: %q", kittest.Dialog(w))
	}
	test.Type(cs.ask.entry, "111 222 333 444")
	test.Tap(cs.ask.confirm)
	if !cs.ask.fb.Visible() || !strings.Contains(cs.ask.fb.Text, "does not match") {
		t.Errorf("a wrong code says %q", cs.ask.fb.Text)
	}
	if w.Canvas().Overlays().Top() == nil {
		t.Error("a wrong code closed the dialog")
	}
	if list, _ := rosa.Colleagues(); list[0].YouConfirmed {
		t.Fatalf("a wrong code confirmed someone: %+v", list)
	}
	cs.ask.entry.SetText(strings.ReplaceAll(code, " ", "-"))
	test.Tap(cs.ask.confirm)
	if w.Canvas().Overlays().Top() != nil {
		t.Fatalf("the right code left the dialog open: %q", cs.ask.fb.Text)
	}
	r = row(t, cs, "Rita Reception")
	if !strings.Contains(kittest.Texts(r), "You confirmed them — they have not confirmed you yet") {
		t.Errorf("Rita Reception's row does not say Rosa confirmed her: %q", kittest.Texts(r))
	}
	if b := kittest.Button(r, "Confirmed"); b == nil || !b.Disabled() {
		t.Error("Confirm is offered again for a colleague she confirmed")
	}

	// Rita, on her own workstation, confirms her; the workstations sync
	// and the screens follow the change feed.
	if err := c.Recep.ConfirmColleague(ctx, rosa.Fingerprint(), code); err != nil {
		t.Fatal(err)
	}
	if err := app.SyncLocal(ctx, all...); err != nil {
		t.Fatal(err)
	}
	kittest.Eventually(t, "the screens to follow the confirmation", func() bool {
		return strings.Contains(kittest.Texts(cs.list), "You confirmed each other") && !shown(note)
	})
	if got, err := rosa.Patient(ctx, p.ID); err != nil || got.Given != "Kira" {
		t.Errorf("the confirmed receptionist reads %+v, %v", got, err)
	}
}

// TestPhysiciansRowCountsForCharts: between two physicians the row says
// the confirmation counts for the charts too.
func TestPhysiciansRowCountsForCharts(t *testing.T) {
	test.NewTempApp(t)
	c := apptest.NewClinic(t)
	cs, _ := open(t, c.Phys)
	if got := kittest.Texts(row(t, cs, "Dr Petra Second")); !strings.Contains(got, "Physician · your confirmation counts for the charts and the front desk") ||
		!strings.Contains(got, "You confirmed each other") {
		t.Errorf("Dr Petra Second's row: %q", got)
	}
	texts := kittest.Texts(cs.list)
	if i, j := strings.Index(texts, "Dr Petra Second"), strings.Index(texts, "Rita Reception"); i < 0 || j < 0 || i > j {
		t.Errorf("the physicians are not listed before the receptionists: %q", texts)
	}
}

// TestWaitingWords: once the newcomer and a colleague confirmed each
// other, the note says the records come with that colleague's next sync.
func TestWaitingWords(t *testing.T) {
	wt := Waiting{Text: "general", Opens: "clinical records"}
	if got := wt.Words(nil); got != "general" {
		t.Errorf("nobody confirmed: %q", got)
	}
	got := wt.Words([]app.Colleague{{Name: "Dr A", YouConfirmed: true}, {Name: "Dr B", YouConfirmed: true, ConfirmedYou: true}})
	if !strings.Contains(got, "You and Dr B confirmed each other: clinical records open here") {
		t.Errorf("confirmed each other: %q", got)
	}
}
