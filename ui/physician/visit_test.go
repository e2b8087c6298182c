package physician

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/app/frontdesk"
	"github.com/medihaven/medihaven/app/interop"
	"github.com/medihaven/medihaven/app/prescribing"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/ui/kit"
	"github.com/medihaven/medihaven/ui/kit/kittest"
)

// The session and its services serve every physician screen.
var (
	_ Session     = (*app.Session)(nil)
	_ Charts      = (*chart.Service)(nil)
	_ Prescribing = (*prescribing.Service)(nil)
	_ Interop     = (*interop.Service)(nil)
)

const pass = "correct horse battery"

// testClinic is a clinic with a receptionist and a physician on one
// machine, keys in memory, and a clock fixed on a Monday morning.
type testClinic struct {
	admin, recep, phys *app.Session
	now                time.Time
}

func newTestClinic(t *testing.T) *testClinic {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.Local)
	var mu sync.Mutex
	stores := map[string]crypto.Keystore{}
	env := app.Env{Now: func() time.Time { return now }, OpenKeystore: func(p app.Profile, _ []byte) (crypto.Keystore, error) {
		mu.Lock()
		defer mu.Unlock()
		if stores[p.ID] == nil {
			stores[p.ID] = crypto.NewMemoryKeystore()
		}
		return stores[p.ID], nil
	}}
	dir := t.TempDir()
	admin, err := app.CreateClinic(ctx, env, app.NewClinic{Dir: filepath.Join(dir, "admin"), Clinic: "Test Clinic", Admin: "Ada Admin", Passphrase: []byte(pass)})
	if err != nil {
		t.Fatal(err)
	}
	join := func(name string, role roles.Role) *app.Session {
		tok, err := admin.IssueToken(ctx, role, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		s, err := app.Redeem(ctx, env, app.Redemption{Dir: filepath.Join(dir, name), Token: tok.String(), Name: name, Passphrase: []byte(pass)})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	c := &testClinic{admin: admin, recep: join("Rita Reception", roles.Receptionist), phys: join("Dr Paul Physician", roles.Physician), now: now}
	all := []*app.Session{admin, c.recep, c.phys}
	if err := app.SyncLocal(ctx, all...); err != nil {
		t.Fatal(err)
	}
	// The receptionist and the physician met and confirmed each other:
	// the front desk's key passes between them.
	if err := app.ConfirmEachOther(ctx, c.recep, c.phys); err != nil {
		t.Fatal(err)
	}
	if err := app.SyncLocal(ctx, all...); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, s := range all {
			s.Close()
		}
	})
	return c
}

// clinicOfTest is a session with its services.
func clinicOfTest(t *testing.T, s Session) Clinic {
	t.Helper()
	c, ok := clinicOf(s)
	if !ok {
		t.Fatal("the session lacks a service")
	}
	return c
}

func (c *testClinic) sync(t *testing.T) {
	t.Helper()
	if err := app.SyncLocal(context.Background(), c.recep, c.phys); err != nil {
		t.Fatal(err)
	}
}

// book registers a patient and books them with the physician.
func (c *testClinic) book(t *testing.T, family string, at time.Time) (app.Patient, records.Appointment) {
	t.Helper()
	ctx := context.Background()
	p, err := c.recep.RegisterPatient(ctx, app.Patient{Family: family, Given: "Cora", Birth: "1961-03-14", Sex: "female"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := frontdesk.New(c.recep.Core()).Book(ctx, records.Appointment{Patient: p.ID, Physician: c.phys.Fingerprint(), Start: at, Minutes: 20, Reason: "Sore throat"})
	if err != nil {
		t.Fatal(err)
	}
	c.sync(t)
	return p, a
}

// find returns the first object under o that matches.
func find[T fyne.CanvasObject](o fyne.CanvasObject, match func(T) bool) (T, bool) {
	var zero T
	if t, ok := o.(T); ok && match(t) {
		return t, true
	}
	var children []fyne.CanvasObject
	switch x := o.(type) {
	case *fyne.Container:
		children = x.Objects
	case *container.AppTabs:
		for _, it := range x.Items {
			children = append(children, it.Content)
		}
	case *container.Scroll:
		children = []fyne.CanvasObject{x.Content}
	case *widget.Card:
		children = []fyne.CanvasObject{x.Content}
	case interface{ Content() fyne.CanvasObject }: // kit.Live
		children = []fyne.CanvasObject{x.Content()}
	}
	for _, c := range children {
		if c == nil {
			continue
		}
		if t, ok := find(c, match); ok {
			return t, true
		}
	}
	return zero, false
}

func button(t *testing.T, o fyne.CanvasObject, text string) *widget.Button {
	t.Helper()
	b, ok := find(o, func(b *widget.Button) bool { return b.Text == text && b.Visible() })
	if !ok {
		t.Fatalf("no button %q", text)
	}
	return b
}

// inDialog returns the first object of the dialog on top of w that
// matches, looking into every widget's renderer.
func inDialog[T fyne.CanvasObject](w fyne.Window, match func(T) bool) (T, bool) {
	var walk func(o fyne.CanvasObject) (T, bool)
	walk = func(o fyne.CanvasObject) (T, bool) {
		var zero T
		if t, ok := o.(T); ok && match(t) {
			return t, true
		}
		var children []fyne.CanvasObject
		switch x := o.(type) {
		case *fyne.Container:
			children = x.Objects
		case fyne.Widget:
			children = test.WidgetRenderer(x).Objects()
		}
		for _, c := range children {
			if t, ok := walk(c); ok {
				return t, true
			}
		}
		return zero, false
	}
	var zero T
	if top := w.Canvas().Overlays().Top(); top != nil {
		return walk(top)
	}
	return zero, false
}

// dialogSays reports whether the dialog on top of w shows text.
func dialogSays(w fyne.Window, text string) bool {
	_, ok := inDialog(w, func(l *widget.Label) bool { return strings.Contains(l.Text, text) })
	return ok
}

// openChart shows the chart of patientID on a 1200x800 test window, the
// screen's work running in place on the clinic's clock.
func openChart(t *testing.T, c *testClinic, patientID string) (*chartView, *screen, fyne.Window) {
	t.Helper()
	w := test.NewTempWindow(t, widget.NewLabel(""))
	w.Resize(fyne.NewSize(1200, 800))
	s := newScreen(clinicOfTest(t, c.phys), w)
	s.inline, s.now = true, func() time.Time { return c.now }
	v := s.newChartView(patientID, nil, "Back", func() {})
	w.SetContent(v.content)
	if !v.loaded {
		t.Fatalf("the chart did not open: %q", v.status.Text)
	}
	return v, s, w
}

// tapDialog taps the button labelled text of the dialog on top of w.
func tapDialog(t *testing.T, w fyne.Window, text string) {
	t.Helper()
	kittest.TapDialog(t, w, text)
}

func hasLabel(o fyne.CanvasObject, part string) bool {
	_, ok := find(o, func(l *widget.Label) bool { return l.Visible() && strings.Contains(l.Text, part) })
	return ok
}

// allergicPatientToday books Chartwell, Cora (allergic to penicillin) an
// hour from the clinic's now and returns the physician's screen in a
// 1200x800 window.
func allergicPatientToday(t *testing.T) (*testClinic, fyne.Window, *screen) {
	t.Helper()
	test.NewTempApp(t)
	c := newTestClinic(t)
	p, _ := c.book(t, "Chartwell", c.now.Add(time.Hour))
	if _, err := chart.New(c.phys.Core()).AddAllergy(context.Background(), chart.Allergy{Patient: p.ID, Substance: "Penicillin", Reaction: "hives", Severity: "moderate"}); err != nil {
		t.Fatal(err)
	}
	w := test.NewTempWindow(t, widget.NewLabel(""))
	w.Resize(fyne.NewSize(1200, 800))
	s := newScreen(clinicOfTest(t, c.phys), w)
	s.inline, s.now = true, func() time.Time { return c.now }
	return c, w, s
}

func TestFullVisit(t *testing.T) {
	c, w, s := allergicPatientToday(t)
	saveDir := t.TempDir()
	var asked []string
	s.chooseSave = saveIn(saveDir, &asked)
	cs := newCalendar(s)
	w.SetContent(container.NewVScroll(cs.stack))

	// The day shows the appointment; a booking from the front desk appears
	// without reopening the screen.
	if !hasLabel(cs.stack, "Chartwell, Cora") {
		t.Fatal("the booked appointment is not on the calendar")
	}
	c.book(t, "Latecomer", c.now.Add(3*time.Hour))
	if !hasLabel(cs.stack, "Latecomer, Cora") {
		t.Fatal("a new booking did not appear live")
	}
	// The week view shows both; back to the day.
	cs.viewPick.SetSelected(viewWeek)
	if !hasLabel(cs.stack, "Chartwell, C.") {
		t.Fatal("the week view does not show the appointment")
	}
	cs.viewPick.SetSelected(viewDay)

	// Open the appointment: the chart opens, its header naming the
	// allergy, and no visit starts until Start visit.
	test.Tap(button(t, cs.stack, "Open chart"))
	v := cs.chart
	if v == nil || !v.loaded {
		t.Fatalf("the chart did not open: %v", cs.fb.Text)
	}
	if !strings.Contains(v.name.Text, "Chartwell") || !strings.Contains(v.facts.Text, "65 years") || !strings.Contains(v.allergies.Text, "Penicillin") {
		t.Errorf("header: %q %q %q", v.name.Text, v.facts.Text, v.allergies.Text)
	}
	if v.encounter != nil || len(v.chart.Encounters) != 0 {
		t.Fatal("opening the chart started a visit")
	}
	test.Tap(button(t, v.content, "Start visit"))
	if v.encounter == nil || !v.visit.Visible() || !strings.Contains(v.visit.Text, "In visit since") {
		t.Fatalf("no visit in progress: %q", v.status.Text)
	}
	if !v.status.Visible() || !strings.Contains(v.status.Text, "Visit started") {
		t.Errorf("starting the visit says %q", v.status.Text)
	}

	// A SOAP note, signed.
	v.notes.s.SetText("Sore throat for three days, no cough.")
	v.notes.o.SetText("Temp 38.4, tonsillar exudate, tender nodes.")
	v.notes.a.SetText("Streptococcal pharyngitis likely.")
	v.notes.p.SetText("Antibiotic for 7 days; review if not better.")
	test.Tap(v.notes.sign)
	if len(v.chart.Notes) != 0 || !dialogSays(w, "Streptococcal pharyngitis likely.") {
		t.Fatal("signing did not first show what will be signed")
	}
	// The note to sign is read in most of the window (it was 230 px
	// high), and Enter keeps editing: signing takes Tab and Enter.
	if s := kittest.DialogSize(w); s.Height < 700 || s.Width < 900 {
		t.Errorf("the note to sign is shown in %v of a 1200x800 window", s)
	}
	w.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if len(v.chart.Notes) != 0 || w.Canvas().Overlays().Top() != nil || v.notes.s.Text == "" {
		t.Fatal("Enter on \"Sign this note?\" did not keep editing")
	}
	test.Tap(v.notes.sign)
	kittest.PressTab(w.Canvas())
	w.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if len(v.chart.Notes) != 1 || v.chart.Notes[0].Encounter != v.encounter.ID || !v.chart.Notes[0].Verified {
		t.Fatalf("note not signed: %q %+v", v.notes.fb.Text, v.chart.Notes)
	}
	// "Visit started" goes once the note is signed: it no longer says
	// what just happened (h-ux25 saw it stay).
	if v.status.Visible() {
		t.Errorf("the chart's status still says %q after the note was signed", v.status.Text)
	}
	if !hasLabel(v.timeline, "signature verified") {
		t.Error("the timeline does not show the signed note")
	}

	// Vitals, with a typing error first.
	v.vf.pulse.SetText("nine")
	test.Tap(v.vf.record)
	if !v.vf.fb.Visible() || !strings.Contains(v.vf.fb.Text, "not a whole number") {
		t.Errorf("bad pulse: %q", v.vf.fb.Text)
	}
	for e, text := range map[*kit.Entry]string{v.vf.sys: "132", v.vf.dia: "84", v.vf.pulse: "88", v.vf.temp: "38,4",
		v.vf.resp: "16", v.vf.spo2: "98", v.vf.weight: "70", v.vf.height: "165"} {
		e.SetText(text)
	}
	if !strings.Contains(v.vf.bmi.Text, "25.7") {
		t.Errorf("BMI shown %q", v.vf.bmi.Text)
	}
	test.Tap(v.vf.record)
	if len(v.chart.Vitals) != 1 || v.chart.Vitals[0].TempC != 38.4 || v.chart.Vitals[0].BMI != 25.7 {
		t.Fatalf("vitals: %q %+v", v.vf.fb.Text, v.chart.Vitals)
	}
	if _, ok := find(v.vitalsCharts, func(*trendChart) bool { return true }); !ok {
		t.Error("no trend chart drawn")
	}

	// Amoxicillin for a penicillin-allergic patient: a warning, and no
	// signature without a reason.
	f := v.rx
	f.drug.SetText("amoxicillin 500 mg capsule")
	if f.chosen == nil || f.unit.Text != "capsule" || f.route.Selected != "oral" {
		t.Fatalf("drug not chosen from the formulary: %+v", f.chosen)
	}
	if !f.preview.Visible() || !strings.Contains(f.preview.Text, "penicillin") {
		t.Errorf("no allergy warning when the drug is chosen: %q", f.preview.Text)
	}
	if strings.Contains(f.preview.Text, "assets/") { // a source path, seen under Xvfb
		t.Errorf("the warning names a folder of the source code: %q", f.preview.Text)
	}
	f.dose.SetText("1")
	f.freq.SetText("three times daily")
	f.days.SetText("7")
	if f.quantity.Text != "21 capsules (suggested)" {
		t.Errorf("quantity suggested %q", f.quantity.Text)
	}
	test.Tap(f.add)
	if len(f.warnings) != 1 || f.warnings[0].Kind != prescribing.WarnAllergy || !hasLabel(f.warnBox, "penicillin") {
		t.Fatalf("warnings %+v", f.warnings)
	}
	test.Tap(f.sign)
	if !strings.Contains(f.fb.Text, "needs a reason") {
		t.Fatalf("signed without a reason: %q", f.fb.Text)
	}
	if len(v.chart.Prescriptions) != 0 {
		t.Fatal("a prescription was written without a reason")
	}
	f.reasons[f.warnings[0].Key()].SetText("Rash in childhood only; tolerated amoxicillin in 2021")
	test.Tap(f.sign)
	if len(v.chart.Prescriptions) != 1 {
		t.Fatalf("not signed: %q", f.fb.Text)
	}
	rx := v.chart.Prescriptions[0]
	if !rx.Verified || len(rx.Overrides) != 1 || !strings.Contains(rx.Overrides[0].Reason, "childhood") || rx.Encounter != v.encounter.ID {
		t.Errorf("signed prescription: %+v", rx)
	}
	if !strings.Contains(f.fb.Text, rx.Code) {
		t.Errorf("the code is not shown: %q", f.fb.Text)
	}

	// The PDF.
	test.Tap(button(t, f.signed, "Save as PDF…"))
	if saved, _ := os.ReadFile(filepath.Join(saveDir, "prescription-"+rx.Code+".pdf")); !bytes.HasPrefix(saved, []byte("%PDF-")) {
		t.Fatalf("no PDF saved: %q", v.status.Text)
	}

	// Back to the calendar.
	test.Tap(button(t, v.content, "Back to calendar"))
	if cs.chart != nil || !hasLabel(cs.stack, "Chartwell, Cora") {
		t.Error("back did not return to the calendar")
	}
	// The visit is still open: the calendar says so plainly (it said
	// nothing, and showed "In visit").
	if !cs.fb.Visible() || !strings.Contains(cs.fb.Text, "still open") || !strings.Contains(cs.fb.Text, "Chartwell, Cora") {
		t.Errorf("back with the visit open says %q (visible %v)", cs.fb.Text, cs.fb.Visible())
	}
	// Finished, and back again: the line goes.
	test.Tap(button(t, cs.stack, "Open chart"))
	test.Tap(button(t, cs.chart.content, "Finish visit"))
	test.Tap(button(t, cs.chart.content, "Back to calendar"))
	if cs.fb.Visible() {
		t.Errorf("back after Finish visit still says %q", cs.fb.Text)
	}
}

// A physician writes a SOAP note from the keyboard: Tab goes from
// Subjective to Objective, Assessment, Plan and on to Sign note… instead
// of typing a tab into the box (Fyne's multi-line entry keeps Tab; under
// Xvfb all four parts ended up in Subjective).
func TestTabGoesThroughTheSOAPNote(t *testing.T) {
	test.NewTempApp(t)
	c := newTestClinic(t)
	p, _ := c.book(t, "Tabber", c.now.Add(time.Hour))
	v, _, w := openChart(t, c, p.ID)
	v.tabs.SelectIndex(1)
	cv := w.Canvas()
	n := v.notes
	cv.Focus(n.s)
	parts := []struct {
		box  *kit.TextArea
		text string
	}{{n.s, "Sore throat"}, {n.o, "Exudate"}, {n.a, "Pharyngitis"}, {n.p, "Review in a week"}}
	for i, part := range parts {
		if cv.Focused() != part.box {
			t.Fatalf("part %d: the focus is on %T, not its box", i, cv.Focused())
		}
		test.Type(part.box, part.text)
		kittest.PressTab(cv)
	}
	if cv.Focused() != n.sign {
		t.Fatalf("Tab from Plan went to %T, want Sign note…", cv.Focused())
	}
	for i, part := range parts {
		if part.box.Text != part.text {
			t.Errorf("part %d reads %q, want %q", i, part.box.Text, part.text)
		}
	}
	// Filled, the boxes still say which part each is (the placeholders
	// are gone).
	for _, name := range []string{"Subjective", "Objective", "Assessment", "Plan"} {
		if !hasLabel(v.notes.card, name) {
			t.Errorf("the filled note names no %s", name)
		}
	}
}

// A physician finds a patient by a birth date written as the workstation
// writes dates (Settings), as the front desk does: 07/07/1970 finds the
// patient born 1970-07-07 (it found nobody; only 1970-07-07 did).
func TestFindByBirthDateAsTheWorkstationWritesIt(t *testing.T) {
	test.NewTempApp(t)
	kit.SetDateFormat(kit.MonthDayYear)
	t.Cleanup(func() { kit.SetDateFormat("") })
	c := newTestClinic(t)
	p, _ := c.book(t, "Birthday", c.now.Add(time.Hour))
	w := test.NewTempWindow(t, widget.NewLabel(""))
	s := newScreen(clinicOfTest(t, c.phys), w)
	s.inline, s.now = true, func() time.Time { return c.now }
	f := newFinder(s, "Find a patient", "", 0)
	w.SetContent(f.stack)
	if !strings.Contains(f.query.PlaceHolder, "MM/DD/YYYY") {
		t.Errorf("the search's placeholder is %q", f.query.PlaceHolder)
	}
	birth, err := time.Parse("2006-01-02", p.Birth)
	if err != nil {
		t.Fatalf("the booked patient's birth %q: %v", p.Birth, err)
	}
	f.query.SetText(birth.Format("01/02/2006"))
	f.find()
	b, ok := find(f.results, func(b *widget.Button) bool { return strings.Contains(b.Text, p.MRN) })
	if !ok {
		t.Fatalf("searching %q found no button for %s:\n%v", f.query.Text, p.MRN, f.results.Objects)
	}
	// The result writes the birth date as the desk does (it said "born
	// 7 Jul 1970" beside a placeholder asking for MM/DD/YYYY).
	if want := "born " + birth.Format("01/02/2006"); !strings.Contains(b.Text, want) {
		t.Errorf("the result reads %q, want it to say %q", b.Text, want)
	}
}
