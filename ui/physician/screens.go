package physician

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/prescribing"
	"github.com/medihaven/medihaven/ui/kit"
)

// finder searches patients and opens the chosen one's chart in its place.
type finder struct {
	*screen
	query   *kit.Entry
	results *fyne.Container
	fb      feedback
	stack   *fyne.Container
	search  fyne.CanvasObject
	chart   *chartView
	tab     int // the chart tab to show first
	// answered is the search the results on show answer, and found who
	// they list: Enter on that same search with one patient found opens
	// the chart.
	answered string
	found    []app.Patient
	searches kit.Newest // only the newest search draws its results
}

func newFinder(s *screen, title, hint string, tab int) *finder {
	f := &finder{screen: s, tab: tab, fb: newFeedback()}
	f.query = kit.NewEntry()
	f.query.SetPlaceHolder("Name, birth date (" + kit.CurrentDateFormat().Placeholder() + "), phone or MRN")
	f.query.OnSubmitted = func(string) { f.submitted() }
	btn := widget.NewButtonWithIcon("Find", theme.SearchIcon(), f.find)
	btn.Importance = widget.HighImportance
	f.results = container.NewVBox(quiet(hint))
	f.search = widget.NewCard(title, "", container.NewVBox(container.NewBorder(nil, nil, nil, btn, f.query), f.fb.Label, f.results))
	f.stack = container.NewStack(f.search)
	return f
}

// submitted is Enter in the search: it searches, and, pressed again on
// the same search once exactly one patient was found, opens the chart
// (the one listed, never one of an older search).
func (f *finder) submitted() {
	if len(f.found) == 1 && f.answered == f.query.Text {
		f.open(f.found[0].ID)
		return
	}
	f.find()
}

func (f *finder) find() {
	typed := f.query.Text
	q := searchDates(typed)
	var ps []app.Patient
	var err error
	f.answered, f.found = "", nil
	newest := f.searches.Begin()
	f.do(func(ctx context.Context) { ps, err = f.c.SearchPatients(ctx, q, 50) }, func() {
		if !newest() {
			return // an older search answering after a newer one
		}
		if err == nil {
			f.answered, f.found = typed, ps
		}
		f.results.Objects = nil
		switch {
		case err != nil:
			f.fb.fail(err)
		case len(ps) == 0:
			f.fb.clear()
			f.results.Add(quiet("No patient matches. Check the spelling, or search by birth date or MRN."))
		default:
			f.fb.clear()
		}
		for _, p := range ps {
			p := p
			b := widget.NewButton(fmt.Sprintf("%s, %s · born %s · MRN %s", p.Family, p.Given, kit.DayText(p.Birth), p.MRN), func() { f.open(p.ID) })
			b.Alignment = widget.ButtonAlignLeading
			f.results.Add(b)
		}
		f.results.Refresh()
	})
}

// unsaved is what the chart open from the search would lose.
func (f *finder) unsaved() string {
	if f.chart == nil {
		return ""
	}
	return f.chart.unsaved()
}

// firstFocus is the search, its text selected so that typing replaces
// it, while no chart is open in its place (kit.FirstFocus).
func (f *finder) firstFocus() fyne.Focusable {
	if f.chart != nil {
		return nil
	}
	f.query.TypedShortcut(&fyne.ShortcutSelectAll{})
	return f.query
}

// backToSearch gives the search the keyboard, its text selected, when no
// chart is open in its place.
func (f *finder) backToSearch() {
	if first := f.firstFocus(); first != nil {
		f.win.Canvas().Focus(first)
	}
}

func (f *finder) open(patientID string) {
	f.chart = f.newChartView(patientID, nil, "Back to search", func() {
		f.chart = nil
		f.stack.Objects = []fyne.CanvasObject{f.search}
		f.stack.Refresh()
		f.backToSearch() // the next patient is typed at once
	})
	f.chart.tabs.SelectIndex(f.tab)
	f.stack.Objects = []fyne.CanvasObject{f.chart.content}
	f.stack.Refresh()
}

// NewPatients builds the physician's patient search; choosing a patient
// opens the chart (an audited read) with its header always in view.
// Below the search, patients transferring in or out. While the physician
// waits for a colleague's confirmation a note above says so, with a button
// that runs toColleagues (nil: none).
func NewPatients(s Session, w fyne.Window, toColleagues func()) fyne.CanvasObject {
	return build(s, w, func(sc *screen) fyne.CanvasObject {
		sc.toColleagues = toColleagues
		f := newPatients(sc)
		return f.shown()
	})
}

// shown is the Patients screen as the shell shows it: it asks before a
// note half typed is lost, and its search takes the keyboard when shown.
func (f *finder) shown() fyne.CanvasObject {
	return kit.WithUnsaved(kit.WithFirstFocus(f.stack, f.firstFocus), f.unsaved)
}

func newPatients(s *screen) *finder {
	f := newFinder(s, "Find a patient",
		"Search the clinic's patients; opening a chart is recorded in the audit log.", 0)
	f.search = container.NewVBox(s.awaitingNote(), f.search, s.transfers(f.backToSearch))
	f.stack.Objects = []fyne.CanvasObject{f.search}
	return f
}

// prescriptionsScreen is the physician's prescribing desk: a patient to
// prescribe for, their recent prescriptions, and a check of a printed code.
type prescriptionsScreen struct {
	loads kit.Newest // only the newest load draws
	*screen
	finder *finder
	recent *fyne.Container
	code   *kit.Entry
	result feedback
}

// NewPrescriptions builds the prescriptions screen: find a patient to
// write a prescription for (the chart opens on its prescription form, with
// the allergies in view), the physician's recent prescriptions, and a
// check of a printed verification code against its signature.
func NewPrescriptions(s Session, w fyne.Window) fyne.CanvasObject {
	return build(s, w, func(sc *screen) fyne.CanvasObject {
		ps := newPrescriptions(sc)
		return kit.WithUnsaved(kit.WithFirstFocus(ps.content(), ps.finder.firstFocus), ps.finder.unsaved)
	})
}

func newPrescriptions(s *screen) *prescriptionsScreen {
	ps := &prescriptionsScreen{screen: s, recent: container.NewVBox(), result: newFeedback()}
	ps.finder = newFinder(s, "Prescribe for a patient", "Find the patient: their chart opens on the prescription form.", 3)
	ps.code = kit.NewEntry()
	ps.code.SetPlaceHolder("Verification code, e.g. ABCDE-23456")
	ps.code.OnSubmitted = func(string) { ps.verify() }
	ps.loadRecent()
	return ps
}

func (ps *prescriptionsScreen) content() fyne.CanvasObject {
	verify := widget.NewCard("Check a printed prescription", "A pharmacist calls with the code printed on the paper.", container.NewVBox(
		container.NewBorder(nil, nil, nil, widget.NewButtonWithIcon("Check", theme.ConfirmIcon(), ps.verify), ps.code), ps.result.Label))
	recent := widget.NewCard("Your recent prescriptions", "", ps.recent)
	return kit.Live(container.NewVBox(ps.finder.stack, verify, recent), func() func() {
		return ps.onClinicalChange(ps.loadRecent)
	})
}

func (ps *prescriptionsScreen) verify() {
	code := ps.code.Text
	var p prescribing.Prescription
	var err error
	ps.do(func(ctx context.Context) { p, err = ps.c.VerifyPrescription(ctx, code) }, func() {
		switch {
		case err != nil:
			ps.result.fail(err)
		case p.Status == prescribing.RxCancelled:
			ps.result.fail(fmt.Errorf("the prescription %s is authentic but was cancelled on %s (%s): do not dispense it",
				p.Code, p.Cancellation.Time.Local().Format("2 Jan 2006"), p.Cancellation.Reason))
		default:
			ps.result.ok(fmt.Sprintf("Authentic: signed by %s on %s for MRN %s — %s.", p.PrescriberName,
				p.Time.Local().Format("2 Jan 2006"), p.PatientMRN, joinDrugs(p)))
		}
	})
}

func joinDrugs(p prescribing.Prescription) string {
	s := ""
	for i, it := range p.Items {
		if i > 0 {
			s += "; "
		}
		s += it.Drug + ", " + it.Directions()
	}
	return s
}

func (ps *prescriptionsScreen) loadRecent() {
	var rxs []prescribing.Prescription
	var err error
	newest := ps.loads.Begin()
	ps.do(func(ctx context.Context) { rxs, err = ps.c.RecentPrescriptions(ctx, 15); err = ps.clinicalErr(err) }, func() {
		if !newest() {
			return // a later load draws
		}
		ps.recent.Objects = nil
		if errors.Is(err, errAwaiting) {
			ps.recent.Add(wrapped(awaitingText))
		} else if err != nil {
			ps.recent.Add(wrapped("Your prescriptions cannot be read: " + kit.ErrorText(err)))
		} else if len(rxs) == 0 {
			ps.recent.Add(quiet("You have not signed any prescription yet."))
		}
		for _, p := range rxs {
			st := "active"
			if p.Status == prescribing.RxCancelled {
				st = "cancelled"
			}
			l := wrapped(fmt.Sprintf("%s · %s · MRN %s · %s · code %s · %s", p.Time.Local().Format("2 Jan 2006"), p.PatientName,
				p.PatientMRN, joinNames(p), p.Code, st))
			if p.Status == prescribing.RxCancelled {
				l.Importance = widget.LowImportance
			}
			ps.recent.Add(l)
		}
		ps.recent.Refresh()
	})
}

func joinNames(p prescribing.Prescription) string {
	s := ""
	for i, it := range p.Items {
		if i > 0 {
			s += ", "
		}
		s += it.Drug
	}
	return s
}

// searchDates writes the dates of a search as the patient index reads
// them (YYYY-MM-DD): a physician types a birth date as the workstation
// writes dates (Settings), as the front desk does, and 03/14/1985 found
// nobody while 1985-03-14 found her.
func searchDates(q string) string {
	words := strings.Fields(q)
	for i, w := range words {
		if strings.ContainsAny(w, "/.-") {
			if t, err := kit.ParseDate(w, time.UTC); err == nil {
				words[i] = t.Format("2006-01-02")
			}
		}
	}
	return strings.Join(words, " ")
}
