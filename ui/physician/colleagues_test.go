package physician

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/app/recovery"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/ui/kit"
)

// newcomerScreen is a screen of a physician's session in a 1280x800 test
// window, work run in place; toColleagues counts its taps.
func newcomerScreen(t *testing.T, s *app.Session, c *apptest.Clinic, taps *int) (*screen, fyne.Window) {
	t.Helper()
	w := test.NewTempWindow(t, widget.NewLabel(""))
	w.Resize(fyne.NewSize(1280, 800))
	sc := newScreen(clinicOfTest(t, s), w)
	sc.inline, sc.now = true, c.Clock.Now
	sc.toColleagues = func() { *taps++ }
	return sc, w
}

// awaitingShown reports whether o shows the note of a physician who waits
// for a colleague's confirmation.
func awaitingShown(o fyne.CanvasObject) bool {
	_, ok := find(o, func(c *widget.Card) bool { return c.Visible() && hasLabel(c, "Clinical records open once") })
	return ok
}

// TestColleaguesConfirmInPerson follows a new physician: the Calendar and
// Patients say why no chart opens (and a chart says so too, not "holds no
// key"); Colleagues lists Dr Paul Physician with the code both screens
// show (the dialog is tested in ui/colleagues); once they confirmed each
// other and the workstations sync, the note is gone and a chart opens.
func TestColleaguesConfirmInPerson(t *testing.T) {
	test.NewTempApp(t)
	ctx := context.Background()
	c := apptest.NewClinic(t)
	p, _ := c.Visit(t)
	nora := c.Join(t, "Dr Nora New", roles.Physician)
	all := append(c.All(), nora)
	if err := app.SyncLocal(ctx, all...); err != nil {
		t.Fatal(err)
	}
	taps := 0
	sc, calWin := newcomerScreen(t, nora, c, &taps)
	cal := newCalendar(sc)
	calWin.SetContent(container.NewVScroll(cal.stack))
	if !awaitingShown(cal.stack) {
		t.Fatal("the calendar of a physician nobody confirmed shows no note")
	}
	test.Tap(button(t, cal.stack, "Open Colleagues"))
	if taps != 1 {
		t.Errorf("Open Colleagues tapped %d times the shell's link, want 1", taps)
	}
	if pat := newPatients(sc); !awaitingShown(pat.stack) {
		t.Error("the patients screen of a physician nobody confirmed shows no note")
	}
	v := sc.newChartView(p.ID, nil, "Back", func() {})
	if v.loaded || v.status.Text != awaitingText {
		t.Errorf("a chart opened by a physician nobody confirmed says %q, want %q", v.status.Text, awaitingText)
	}
	v.close()

	// The Colleagues screen (ui/colleagues, tested there) lists the
	// physicians; she confirms Dr Paul Physician as it does.
	colWin := test.NewTempWindow(t, widget.NewLabel(""))
	colWin.Resize(fyne.NewSize(1280, 800))
	csc := newScreen(clinicOfTest(t, nora), colWin)
	csc.inline, csc.now = true, c.Clock.Now
	col := newColleagues(csc, nil)
	colWin.SetContent(container.NewVScroll(col))
	code := app.ColleagueCode(nora.Fingerprint(), c.Phys.Fingerprint())
	if !hasLabel(col, code) || !hasLabel(col, "Dr Petra Second") {
		t.Fatal("the Colleagues screen lacks Dr Paul Physician's code or Dr Petra Second")
	}
	if err := nora.ConfirmColleague(ctx, c.Phys.Fingerprint(), code); err != nil {
		t.Fatal(err)
	}

	// Dr Paul Physician, on his own workstation, confirms her; the
	// workstations sync and the screens follow the change feed.
	if err := c.Phys.ConfirmColleague(ctx, nora.Fingerprint(), code); err != nil {
		t.Fatal(err)
	}
	if err := app.SyncLocal(ctx, all...); err != nil {
		t.Fatal(err)
	}
	if nora.AwaitingColleague() {
		t.Fatal("she still waits after both confirmed each other")
	}
	kit.Locked(func() {
		if !hasLabel(col, "You confirmed each other") {
			t.Error("the Colleagues screen did not follow his confirmation")
		}
		if awaitingShown(cal.stack) {
			t.Error("the calendar still shows the note once she holds the key")
		}
	})
	v = sc.newChartView(p.ID, nil, "Back", func() {})
	defer v.close()
	if !v.loaded {
		t.Fatalf("the chart does not open once she was confirmed: %q", v.status.Text)
	}
}

// TestRecoveryCardApproves: with a recovery set up, Colleagues names its
// administrators and says the clinical key is not kept for it; Approve…
// asks, and approving says so (and the other physician sees who did).
func TestRecoveryCardApproves(t *testing.T) {
	test.NewTempApp(t)
	ctx := context.Background()
	c := apptest.NewClinicWith(t, recovery.Upkeep)
	bea := c.Join(t, "Bea Admin", roles.Administrator)
	all := append(c.All(), bea)
	if err := app.SyncLocal(ctx, all...); err != nil {
		t.Fatal(err)
	}
	if _, err := recovery.New(c.Admin.Core()).Split(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if err := app.SyncLocal(ctx, all...); err != nil {
		t.Fatal(err)
	}
	taps := 0
	sc, w := newcomerScreen(t, c.Phys, c, &taps)
	rc := newRecoveryCard(sc, recovery.New(c.Phys.Core()))
	w.SetContent(container.NewVScroll(newColleagues(sc, rc)))
	content := w.Content()
	if !hasLabel(content, "Ada Admin") || !hasLabel(content, "Bea Admin") || !hasLabel(content, "Not approved yet") {
		t.Fatal("the key recovery card does not name the administrators or say it is not approved")
	}
	test.Tap(button(t, content, "Approve…"))
	if w.Canvas().Overlays().Top() == nil || rc.asked == nil || !strings.Contains(rc.asked.Text, "Ada Admin") || !strings.Contains(rc.asked.Text, "Bea Admin") {
		t.Fatal("Approve… asks nothing")
	}
	test.Tap(rc.asking)
	if !hasLabel(content, "You approved them.") {
		t.Error("after approving, the card does not say so")
	}
	if err := app.SyncLocal(ctx, all...); err != nil {
		t.Fatal(err)
	}
	a, err := recovery.New(c.Phys2.Core()).ClinicalApproval(ctx)
	if err != nil || len(a.ApprovedBy) != 1 || a.ApprovedBy[0] != c.Phys.StaffName() {
		t.Errorf("the other physician sees %+v, %v", a, err)
	}
}
