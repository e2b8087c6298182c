package physician

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/ui/kit"
)

// Tabs of a chart, in order.
const (
	tabSummary       = "Summary"
	tabNotes         = "Notes"
	tabVitals        = "Vitals"
	tabPrescriptions = "Prescriptions"
)

// chartView is one patient's chart: a header that always stays on screen
// (name, age, sex, MRN, allergies) over tabs that scroll on their own.
type chartView struct {
	loads kit.Newest // only the newest load draws
	*screen
	patientID string
	appt      *records.Appointment // the appointment the chart was opened from, if any
	encounter *chart.Encounter     // the patient's visit in progress, if any
	chart     chart.Chart
	loaded    bool
	stop      func()

	name, facts, allergies, visit *widget.Label
	vitalsFlags                   *widget.Label   // the latest reading's values outside their usual range
	visitBtns                     *fyne.Container // Start visit or Finish visit
	status                        feedback
	tabs                          *container.AppTabs

	problems, allergyList, meds *fyne.Container
	timeline                    *fyne.Container
	vitalsCharts, vitalsTable   *fyne.Container
	vitalsScroll                *container.Scroll // the Vitals tab, laid out again when the form's flags change
	rxScroll                    *container.Scroll // the Prescriptions tab, laid out again when the form grows
	rxList                      *fyne.Container
	results                     *fyne.Container // imported results (results.go)

	notes *noteForm
	vf    *vitalsForm
	rx    *rxForm

	copyBtn, fhirBtn *widget.Button

	content fyne.CanvasObject
}

// newChartView opens a patient's chart (an audited read) with a back
// button labelled back; appt is the appointment it was opened from, if
// any. Opening starts no visit: the physician chooses Start visit.
func (s *screen) newChartView(patientID string, appt *records.Appointment, back string, onBack func()) *chartView {
	v := &chartView{screen: s, patientID: patientID, appt: appt}
	v.name = bold("Opening the chart…")
	v.name.SizeName = theme.SizeNameSubHeadingText
	v.facts = widget.NewLabel("")
	v.allergies = wrapped("")
	v.visit = wrapped("")
	v.visit.Hide()
	v.vitalsFlags = wrapped("")
	v.vitalsFlags.Hide()
	v.visitBtns = container.NewHBox()
	v.status = newFeedback()

	backBtn := widget.NewButtonWithIcon(back, theme.NavigateBackIcon(), func() {
		leave := func() {
			v.close()
			onBack()
		}
		if what := v.unsaved(); what != "" {
			kit.ConfirmLeave(s.win, what, leave) // a note half typed is not lost by a slip
			return
		}
		leave()
	})
	header := widget.NewCard("", "", container.NewVBox(
		container.NewBorder(nil, nil, v.name, backBtn, v.facts),
		container.NewBorder(nil, nil, nil, v.interopButtons(), v.allergies), v.vitalsFlags,
		container.NewBorder(nil, nil, nil, v.visitBtns, v.visit)))

	v.problems, v.allergyList, v.meds = container.NewVBox(), container.NewVBox(), container.NewVBox()
	v.timeline = container.NewVBox()
	v.vitalsCharts, v.vitalsTable = container.NewGridWithColumns(2), container.NewVBox()
	v.rxList = container.NewVBox()
	v.notes = v.newNoteForm()
	v.vf = v.newVitalsForm()
	v.rx = v.newRxForm()

	v.vitalsScroll = container.NewVScroll(v.vitalsTab())
	v.rxScroll = container.NewVScroll(v.rxTab())
	v.tabs = container.NewAppTabs(
		container.NewTabItemWithIcon(tabSummary, theme.ListIcon(), container.NewVScroll(v.summaryTab())),
		container.NewTabItemWithIcon(tabNotes, theme.DocumentCreateIcon(), container.NewVScroll(v.notesTab())),
		container.NewTabItemWithIcon(tabVitals, theme.ViewFullScreenIcon(), v.vitalsScroll),
		container.NewTabItemWithIcon(tabPrescriptions, theme.DocumentIcon(), v.rxScroll),
		container.NewTabItemWithIcon(tabResults, theme.StorageIcon(), container.NewVScroll(v.resultsTab())),
	)
	body := container.NewBorder(container.NewVBox(header, v.status.Label), nil, nil, nil, v.tabs)
	v.content = kit.Live(container.New(windowHeight{win: s.win, chrome: 150, min: 520, minWidth: 760}, body), func() func() {
		return func() { v.close() }
	})
	v.stop = s.onClinicalChange(v.refresh)
	v.open()
	return v
}

// close stops listening to changes.
func (v *chartView) close() {
	if v.stop != nil {
		v.stop()
		v.stop = nil
	}
}

// open reads the chart for the first time: the read is audited.
func (v *chartView) open() {
	var c chart.Chart
	var err error
	v.do(func(ctx context.Context) { c, err = v.c.OpenChart(ctx, v.patientID); err = v.clinicalErr(err) }, func() {
		if err != nil {
			v.name.SetText("The chart cannot be opened")
			v.status.fail(err)
			return
		}
		v.show(c)
	})
}

// refresh re-reads the open chart after a change.
func (v *chartView) refresh() {
	if !v.loaded || v.stop == nil {
		return
	}
	var c chart.Chart
	var err error
	old := v.chart
	newest := v.loads.Begin()
	v.do(func(ctx context.Context) { c, err = v.c.RefreshChart(ctx, old) }, func() {
		if !newest() {
			return // a later load draws
		}
		if err != nil {
			v.status.fail(err)
			return
		}
		v.show(c)
	})
}

// show draws a chart.
func (v *chartView) show(c chart.Chart) {
	v.chart, v.loaded = c, true
	v.copyBtn.Enable()
	v.fhirBtn.Enable()
	p := c.Patient
	v.name.SetText(fmt.Sprintf("%s, %s", p.Family, p.Given))
	age := "age unknown"
	if c.Age >= 0 {
		age = fmt.Sprintf("%d years", c.Age)
	}
	facts := []string{age}
	if p.Sex != "" && p.Sex != "unknown" { // as the patient's printed copy: no lone "unknown"
		facts = append(facts, p.Sex)
	}
	facts = append(facts, "MRN "+p.MRN, "born "+kit.DayText(p.Birth))
	v.facts.SetText(strings.Join(facts, " · "))
	switch n := c.NoneKnown; {
	case len(c.Allergies) == 0 && n != nil && n.Current:
		v.allergies.Importance = widget.MediumImportance
		v.allergies.SetText(noneKnownText(*n))
	case len(c.Allergies) == 0:
		v.allergies.Importance = widget.LowImportance
		// Not "No known allergies": that is written once the patient
		// was asked, and nothing here says she was.
		v.allergies.SetText("No allergies recorded: ask the patient")
	default:
		var parts []string
		for _, a := range c.Allergies {
			parts = append(parts, allergyText(a))
		}
		v.allergies.Importance = widget.DangerImportance
		v.allergies.SetText("⚠ Allergies: " + strings.Join(parts, "; "))
	}
	v.showVisit()
	v.showSummary()
	v.showTimeline()
	v.showVitals()
	v.showPrescriptions()
	v.showResults()
}

// noneKnownText is "No known allergies (asked 6 Dec 2026, Dr Amara
// Okafor)": who asked and when, as the chart reads them from the
// record's signed event.
func noneKnownText(n chart.NoneKnown) string {
	return fmt.Sprintf("%s (asked %s, %s)", app.Capitalise(n.Words()), askedDay(n), n.ByName)
}

func askedDay(n chart.NoneKnown) string { return kit.DayText(n.Asked.Local().Format("2006-01-02")) }

func allergyText(a chart.Allergy) string {
	var d []string
	if a.Reaction != "" {
		d = append(d, a.Reaction)
	}
	if a.Severity != "" {
		d = append(d, a.Severity)
	}
	if len(d) == 0 {
		return a.Substance
	}
	return fmt.Sprintf("%s (%s)", a.Substance, strings.Join(d, ", "))
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}

// act runs a change, reports it in the chart's status line and clears the
// form on success; the change feed redraws the chart.
func (v *chartView) act(work func(ctx context.Context) error, okMsg string, fb feedback, after func()) {
	var err error
	v.do(func(ctx context.Context) { err = work(ctx) }, func() {
		if err != nil {
			fb.fail(err)
			return
		}
		fb.ok(okMsg)
		if fb.Label != v.status.Label && v.status.Importance == widget.SuccessImportance {
			v.status.clear() // "Visit started" and the like no longer say what just happened
		}
		if after != nil {
			after()
		}
		v.refresh()
	})
}

// submitsTo makes Enter in each field press add, as Enter saves in the
// desk's forms: a chart line was added only by Tab to its button and Space.
func submitsTo(add *widget.Button, fields ...*kit.Entry) {
	for _, e := range fields {
		e.OnSubmitted = func(string) { add.OnTapped() }
	}
}

// section is a titled card.
func section(title string, objs ...fyne.CanvasObject) fyne.CanvasObject {
	return widget.NewCard(title, "", container.NewVBox(objs...))
}

func (v *chartView) summaryTab() fyne.CanvasObject {
	// Problems.
	pName, pOnset := kit.NewEntry(), kit.NewEntry()
	pName.SetPlaceHolder("Problem, e.g. Type 2 diabetes")
	// Partial dates in the clinic's format (Settings); the records keep
	// them as YYYY-MM-DD, YYYY-MM or YYYY.
	f := kit.CurrentDateFormat()
	pOnset.SetPlaceHolder(fmt.Sprintf("Onset %s, %s or YYYY", f.Placeholder(), f.MonthPlaceholder()))
	pfb := newFeedback()
	addProblem := widget.NewButtonWithIcon("Add problem", theme.ContentAddIcon(), func() {
		onset, err := kit.ParsePartialDate(pOnset.Text)
		if err != nil {
			pfb.fail(fmt.Errorf("the onset %w", err))
			return
		}
		pr := chart.Problem{Patient: v.patientID, Name: pName.Text, Onset: onset}
		v.act(func(ctx context.Context) error { _, err := v.c.AddProblem(ctx, pr); return err },
			"Problem added.", pfb, func() { pName.SetText(""); pOnset.SetText("") })
	})
	submitsTo(addProblem, pName, pOnset)
	problems := section("Problem list", v.problems,
		container.NewBorder(nil, nil, nil, addProblem, container.NewGridWithColumns(2, pName, pOnset)), pfb.Label)

	// Allergies.
	aSub, aReact := kit.NewEntry(), kit.NewEntry()
	aSub.SetPlaceHolder("Substance, e.g. penicillin") // the longer "or drug class" was cut at 1280 px
	aReact.SetPlaceHolder("Reaction, e.g. hives")
	aSev := kit.NewTypeSelect(chart.AllergySeverities, nil)
	aSev.PlaceHolder = "Severity"
	afb := newFeedback()
	addAllergy := widget.NewButtonWithIcon("Add allergy", theme.ContentAddIcon(), func() {
		al := chart.Allergy{Patient: v.patientID, Substance: aSub.Text, Reaction: aReact.Text, Severity: aSev.Selected}
		v.act(func(ctx context.Context) error { _, err := v.c.AddAllergy(ctx, al); return err },
			"Allergy recorded: prescriptions are checked against it.", afb, func() { aSub.SetText(""); aReact.SetText(""); aSev.ClearSelected() })
	})
	submitsTo(addAllergy, aSub, aReact)
	aSev.OnSubmitted = addAllergy.OnTapped
	allergies := section("Allergies", v.allergyList,
		container.NewBorder(nil, nil, nil, addAllergy, container.NewGridWithColumns(3, aSub, aReact, aSev)), afb.Label)

	// Medications.
	mName, mDose, mSince := kit.NewEntry(), kit.NewEntry(), kit.NewEntry()
	mName.SetPlaceHolder("Medication started elsewhere")
	mDose.SetPlaceHolder("Dose, e.g. 1 tablet daily")
	mSince.SetPlaceHolder(fmt.Sprintf("Since %s or %s", f.MonthPlaceholder(), f.Placeholder()))
	mfb := newFeedback()
	addMed := widget.NewButtonWithIcon("Add medication", theme.ContentAddIcon(), func() {
		since, err := kit.ParsePartialDate(mSince.Text)
		if err != nil {
			mfb.fail(fmt.Errorf("the start %w", err))
			return
		}
		m := chart.Medication{Patient: v.patientID, Name: mName.Text, Dose: mDose.Text, Since: since}
		v.act(func(ctx context.Context) error { _, err := v.c.AddMedication(ctx, m); return err },
			"Medication added.", mfb, func() { mName.SetText(""); mDose.SetText(""); mSince.SetText("") })
	})
	submitsTo(addMed, mName, mDose, mSince)
	meds := section("Current medications", v.meds,
		container.NewBorder(nil, nil, nil, addMed, container.NewGridWithColumns(3, mName, mDose, mSince)), mfb.Label)

	return container.NewVBox(problems, allergies, meds)
}

func (v *chartView) showSummary() {
	c := v.chart
	v.problems.Objects = nil
	if len(c.Problems) == 0 {
		v.problems.Add(quiet("No problems recorded."))
	}
	for _, p := range c.Problems {
		p := p
		text := p.Name
		if p.Onset != "" {
			text += " · since " + kit.DayText(p.Onset)
		}
		if len(p.Codes) > 0 {
			text += " · " + codesText(p.Codes)
		}
		var btn *widget.Button
		label := wrapped(text)
		if p.Status == chart.ProblemResolved {
			label.SetText(text + " · resolved " + kit.DayText(p.Resolved))
			label.Importance = widget.LowImportance
			btn = widget.NewButton("Reactivate", func() {
				v.act(func(ctx context.Context) error { return v.c.SetProblemStatus(ctx, p.ID, chart.ProblemActive, "") }, "Problem active again.", v.status, nil)
			})
		} else {
			label.TextStyle.Bold = true
			btn = widget.NewButton("Resolve", func() {
				v.act(func(ctx context.Context) error { return v.c.SetProblemStatus(ctx, p.ID, chart.ProblemResolved, "") }, "Problem resolved today.", v.status, nil)
			})
		}
		status := widget.NewLabel(p.Status)
		v.problems.Add(withOrigin(container.NewBorder(nil, nil, nil, container.NewHBox(status, btn), label), p.Origin, "recorded"))
	}
	v.problems.Refresh()

	v.allergyList.Objects = nil
	n := c.NoneKnown
	switch {
	case len(c.Allergies) == 0 && n != nil && n.Current:
		v.allergyList.Add(v.noneKnownRow(*n))
	case len(c.Allergies) == 0:
		v.allergyList.Add(quiet("No allergies recorded. Ask the patient and record them before prescribing: prescriptions are checked only against the allergies recorded here."))
		asked := widget.NewButtonWithIcon("Asked: no known allergies", theme.ConfirmIcon(), func() {
			v.act(func(ctx context.Context) error { _, err := v.c.RecordNoKnownAllergies(ctx, v.patientID); return err },
				"Recorded: the patient was asked and has no known allergies.", v.status, nil)
		})
		v.allergyList.Add(container.NewHBox(asked))
	}
	for _, a := range c.Allergies {
		a := a
		l := wrapped(allergyText(a))
		l.Importance = widget.DangerImportance
		// One click took an allergy off the chart, its banner and every
		// prescription's check: it asks first, Enter keeps it.
		var rm *widget.Button
		rm = widget.NewButton("Entered in error", func() {
			kit.Confirm{Title: "Mark this allergy as entered in error?", Back: rm,
				Message: fmt.Sprintf("%s will no longer show on the chart, nor be checked when you prescribe.", allergyText(a)),
				Yes:     "Entered in error", No: "Keep the allergy", Danger: true,
				Answer: func(yes bool) {
					if yes {
						v.act(func(ctx context.Context) error { return v.c.RemoveAllergy(ctx, a.ID) }, "Allergy marked as entered in error.", v.status, nil)
					}
				}}.Show(v.win)
		})
		v.allergyList.Add(withOrigin(container.NewBorder(nil, nil, nil, rm, l), a.Origin, "recorded"))
	}
	if n != nil && len(c.Allergies) > 0 { // superseded: kept as history, under what superseded it
		v.allergyList.Add(quiet(fmt.Sprintf("Earlier: %s. Superseded by the allergies above.", noneKnownText(*n))))
	}
	v.allergyList.Refresh()

	v.meds.Objects = nil
	if len(c.Medications) == 0 {
		v.meds.Add(quiet("No current medications."))
	}
	for _, m := range c.Medications {
		m := m
		text := m.Name
		if m.Dose != "" {
			text += " — " + m.Dose
		}
		var right fyne.CanvasObject
		if m.Prescription != "" {
			text += " · prescribed " + kit.DayText(m.Since)
			right = widget.NewLabel("this clinic")
		} else {
			if m.Since != "" {
				text += " · since " + kit.DayText(m.Since)
			}
			right = widget.NewButton("Stop", func() {
				v.act(func(ctx context.Context) error { return v.c.StopMedication(ctx, m.ID) }, "Medication stopped.", v.status, nil)
			})
		}
		v.meds.Add(withOrigin(container.NewBorder(nil, nil, nil, right, wrapped(text)), m.Origin, "recorded"))
	}
	for _, rx := range c.Refused {
		l := wrapped(refusedText(rx))
		l.Importance = widget.WarningImportance
		v.meds.Add(l)
	}
	v.meds.Refresh()
}

// refusedText says that a prescription for the patient was signed and
// refused here, by whom, when and why: not in the chart, nor checked
// against, but never silently gone (chart.RefusedPrescription).
func refusedText(rx chart.RefusedPrescription) string {
	who := rx.Name
	if who == "" {
		who = "a colleague"
	}
	what := "a prescription"
	if len(rx.Drugs) > 0 {
		what += " (" + strings.Join(rx.Drugs, ", ") + ")"
	}
	return fmt.Sprintf("Refused here: %s signed by %s on %s at %s (%s). "+
		"It is not part of this chart and new prescriptions are not checked against it; ask %s what the patient was given.",
		what, who, kit.FormatDate(rx.Time), rx.Time.Format("15:04"), rx.Why, who)
}

// noneKnownRow is the current "asked: no known allergies", with a way to
// take it back that asks first, as for an allergy.
func (v *chartView) noneKnownRow(n chart.NoneKnown) fyne.CanvasObject {
	l := wrapped(noneKnownText(n))
	l.TextStyle.Bold = true
	var rm *widget.Button
	rm = widget.NewButton("Entered in error", func() {
		kit.Confirm{Title: "Mark \"no known allergies\" as entered in error?", Back: rm,
			Message: "The chart will say again that no allergies are recorded and that the patient should be asked.",
			Yes:     "Entered in error", No: "Keep it", Danger: true,
			Answer: func(yes bool) {
				if yes {
					v.act(func(ctx context.Context) error { return v.c.RemoveAllergy(ctx, n.ID) }, "\"No known allergies\" marked as entered in error.", v.status, nil)
				}
			}}.Show(v.win)
	})
	return withOrigin(container.NewBorder(nil, nil, nil, rm, l), n.Origin, "recorded")
}

// unsaved says what leaving the chart now would lose: a note, vitals or a
// prescription typed and not yet signed or recorded ("" when nothing).
func (v *chartView) unsaved() string {
	var what []string
	if f := v.notes; strings.TrimSpace(f.s.Text+f.o.Text+f.a.Text+f.p.Text) != "" {
		what = append(what, "the note")
	}
	for _, e := range v.vf.entries() {
		if strings.TrimSpace(e.Text) != "" {
			what = append(what, "the vitals")
			break
		}
	}
	if len(v.rx.items) > 0 || strings.TrimSpace(v.rx.drug.Text) != "" {
		what = append(what, "the prescription")
	}
	if len(what) == 0 {
		return ""
	}
	who := "this patient"
	if v.loaded {
		who = fmt.Sprintf("%s, %s", v.chart.Patient.Family, v.chart.Patient.Given)
	}
	s := strings.Join(what, " and ")
	if len(what) == 3 {
		s = what[0] + ", " + what[1] + " and " + what[2]
	}
	return fmt.Sprintf("%s%s you started for %s", strings.ToUpper(s[:1]), s[1:], who)
}
