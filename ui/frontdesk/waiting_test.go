package frontdesk

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
	desk "github.com/medihaven/medihaven/app/frontdesk"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/ui/kit"
	"github.com/medihaven/medihaven/ui/kit/kittest"
)

// TestTodaySaysANewcomerWaits: a receptionist nobody confirmed reads on
// Today why no patient shows, with a way to Colleagues; once she and a
// receptionist confirmed each other and the workstations synced, the note
// is gone.
func TestTodaySaysANewcomerWaits(t *testing.T) {
	test.NewTempApp(t)
	ctx := context.Background()
	c := apptest.NewClinic(t)
	rosa := c.Join(t, "Rosa New", roles.Receptionist)
	all := append(c.All(), rosa)
	if err := app.SyncLocal(ctx, all...); err != nil {
		t.Fatal(err)
	}
	w := test.NewTempWindow(t, widget.NewLabel(""))
	w.Resize(fyne.NewSize(1280, 800))
	taps := 0
	today := NewToday(realDesk{rosa, desk.New(rosa.Core())}, w, func() { taps++ })
	kit.Locked(func() { w.SetContent(today) })
	kittest.Eventually(t, "the note of a receptionist who waits", func() bool { return noteShown(today) })
	var got string
	kit.Locked(func() { got = kittest.Texts(today) }) // the note's look may be measuring text meanwhile
	if !strings.Contains(got, "Patients' details and appointments open once a colleague confirms you in person") {
		t.Errorf("Today says %q", got)
	}
	var open *widget.Button
	kittest.Eventually(t, "Open Colleagues", func() bool { open = kittest.Button(today, "Open Colleagues"); return open != nil })
	kit.Locked(func() { test.Tap(open) })
	if taps != 1 {
		t.Errorf("Open Colleagues tapped %d times the shell's link, want 1", taps)
	}
	if err := app.ConfirmEachOther(ctx, c.Recep, rosa); err != nil {
		t.Fatal(err)
	}
	if err := app.SyncLocal(ctx, all...); err != nil {
		t.Fatal(err)
	}
	kittest.Eventually(t, "the note gone once she holds the key", func() bool { return !noteShown(today) })

}

// noteShown reports whether a visible card under o holds the waiting note.
func noteShown(o fyne.CanvasObject) bool {
	shown := false
	kittest.Walk(o, func(x fyne.CanvasObject) {
		if c, ok := x.(*widget.Card); ok && c.Visible() && strings.Contains(kittest.Texts(c), "open once a colleague confirms you") {
			shown = true
		}
	})
	return shown
}

// TestANewcomersRegistrationSaysWhy: a receptionist nobody confirmed yet
// fills in a new patient and presses Register: the form says the entry was
// not saved and what to do (a colleague confirms her in Colleagues), and
// keeps what she typed.
func TestANewcomersRegistrationSaysWhy(t *testing.T) {
	test.NewTempApp(t)
	ctx := context.Background()
	c := apptest.NewClinic(t)
	rosa := c.Join(t, "Rosa New", roles.Receptionist)
	if err := app.SyncLocal(ctx, append(c.All(), rosa)...); err != nil {
		t.Fatal(err)
	}
	s := onPatients(t, realDesk{rosa, desk.New(rosa.Core())})
	test.Tap(s.newButton)
	f := s.form
	typeInto(f.entries["family"], "Firstday")
	typeInto(f.entries["given"], "Flora")
	typeInto(f.entries["birth"], "1990-03-04")
	test.Tap(f.save)
	want := "Not saved: This workstation has no front-desk key yet: a colleague who holds it must confirm you in person in Colleagues"
	if got := f.message.Text; !strings.HasPrefix(got, want) {
		t.Errorf("the form says %q, want %q…", got, want)
	}
	if got := f.entries["family"].Text; got != "Firstday" {
		t.Errorf("the form lost what she typed: family %q", got)
	}
}
