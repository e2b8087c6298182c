package frontdesk

import (
	"context"
	"fmt"
	"image/color"
	"regexp"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app"
	desk "github.com/medihaven/medihaven/app/frontdesk"
	"github.com/medihaven/medihaven/ui/kit"
)

// searchLimit is how many patients a search shows; a receptionist types
// more of the name rather than scroll further.
const searchLimit = 50

// patientsScreen finds, registers and edits patients.
type patientsScreen struct {
	env
	query   *widget.Entry // box's
	box     *searchBox
	found   *widget.Label
	results *widget.List // list's
	list    *resultList
	rows    []app.Patient
	seq     int // the newest search; older answers are dropped
	shown   int // the search whose answer rows holds
	// enterWaits is set by an Enter pressed in the search before its
	// answer arrived: the answer then does what the Enter would have done.
	// Typing more, or the keyboard leaving the search, forgets it.
	enterWaits bool
	// nobody is set while the search on show found nobody (and did not
	// fail): Enter then registers a new patient with the name typed.
	nobody bool

	country   desk.Country // the clinic's, for phone numbers
	newButton *widget.Button
	importBtn *widget.Button
	form      *patientForm
}

// NewPatients builds the Patients screen: search as you type on the left,
// the patient's record (or a new registration) on the right.
func NewPatients(s Session, w fyne.Window) fyne.CanvasObject {
	e, ok := newEnv(s, w)
	if !ok || !e.transfers {
		return nil
	}
	return newPatients(e).screen()
}

// screen is the screen as the shell shows it: it asks before unsaved
// typing is lost (kit.Unsaved), and its search takes the keyboard when
// shown (kit.FirstFocus).
func (s *patientsScreen) screen() fyne.CanvasObject {
	return kit.WithUnsaved(kit.WithFirstFocus(s.content(), s.firstFocus), s.form.unsaved)
}

func newPatients(e env) *patientsScreen {
	s := &patientsScreen{env: e}
	s.country, _ = e.country()
	s.box = newSearchBox(s)
	s.query = &s.box.Entry
	s.query.OnSubmitted = s.submitted
	s.query.SetPlaceHolder("Name, birth date (" + kit.CurrentDateFormat().Placeholder() + "), phone or MRN")
	s.query.OnChanged = func(string) {
		s.box.textSet()
		s.enterWaits = false // an Enter before these letters meant the text before them
		s.search()
	}
	s.found = widget.NewLabel("Type the first letters of a name, a birth date, a phone number or an MRN.")
	s.found.Importance = widget.LowImportance
	s.found.Wrapping = fyne.TextWrapWord
	s.list = &resultList{s: s}
	s.results = &s.list.List
	s.results.Length = func() int { return len(s.rows) }
	s.results.CreateItem = func() fyne.CanvasObject {
		// Two tight lines (kit.Tight): the name with the birth date at the
		// right edge, where the dates of a page of Fischers line up, and
		// the MRN and phone under it.
		name := bold("Family, Given")
		name.Truncation = fyne.TextTruncateEllipsis
		born := widget.NewLabelWithStyle("born 00/00/0000", fyne.TextAlignTrailing, fyne.TextStyle{})
		detail := widget.NewLabel("MH0000000 · phone")
		detail.Importance = widget.LowImportance
		detail.Truncation = fyne.TextTruncateEllipsis
		mark := canvas.NewRectangle(color.Transparent) // keeps its room: no relayout
		mark.SetMinSize(fyne.NewSize(4, 0))
		lines := container.NewVBox(container.NewBorder(nil, nil, nil, born, name), detail)
		gap := canvas.NewRectangle(color.Transparent) // the scroll bar's room
		gap.SetMinSize(fyne.NewSize(10, 0))
		return container.NewBorder(nil, nil, mark, gap, kit.Tight(lines))
	}
	s.results.UpdateItem = func(i widget.ListItemID, o fyne.CanvasObject) {
		p := s.rows[i]
		row := o.(*fyne.Container)
		lines := row.Objects[0].(*container.ThemeOverride).Content.(*fyne.Container)
		first := lines.Objects[0].(*fyne.Container)
		first.Objects[0].(*widget.Label).SetText(p.Name())
		first.Objects[1].(*widget.Label).SetText("born " + kit.DayText(p.Birth))
		lines.Objects[1].(*widget.Label).SetText(patientLine(p, s.country))
		mark := row.Objects[1].(*canvas.Rectangle)
		mark.FillColor = color.Transparent
		if s.list.showsMark(i) {
			mark.FillColor = theme.Color(theme.ColorNamePrimary)
		}
		mark.Refresh()
	}
	s.results.OnHighlighted = s.list.highlighted
	s.list.ExtendBaseWidget(s.list)
	s.results.OnSelected = func(i widget.ListItemID) {
		if i < 0 || i >= len(s.rows) {
			return
		}
		id := s.rows[i].ID
		if what := s.form.unsaved(); what != "" && id != s.form.id {
			s.results.UnselectAll() // the form still shows what was typed
			kit.ConfirmLeave(e.win, what, func() { s.form.open(id) })
			return
		}
		s.form.open(id)
	}
	s.form = newPatientForm(e)
	s.form.onSaved = func(p app.Patient) {
		s.query.SetText(p.MRN) // shows the saved patient, found as anyone would find them
		s.backToSearch()       // the next patient, or the next call
	}
	s.newButton = widget.NewButtonWithIcon("Register a new patient", theme.ContentAddIcon(), func() {
		s.results.UnselectAll()
		start := func(q string) {
			s.form.startNew(q)
			s.form.focusFirstEmpty() // she types the birth date at once
		}
		if what := s.form.unsaved(); what != "" {
			q := s.query.Text
			kit.ConfirmLeave(e.win, what, func() { start(q) })
			return
		}
		start(s.query.Text)
	})
	s.newButton.Importance = widget.HighImportance
	s.importBtn = s.importButton()
	return s
}

func (s *patientsScreen) content() fyne.CanvasObject {
	// The search sits above its results, and the buttons above the form
	// they open, so that Tab goes from the search to the results (a
	// container's keyboard order is its objects' order, and
	// container.NewBorder puts its centre first).
	search := container.NewVBox(s.box, s.found)
	left := container.New(layout.NewBorderLayout(search, nil, nil, nil), search, kit.AtLeast(380, 520, s.list))
	buttons := container.NewHBox(layout.NewSpacer(), s.importBtn, s.newButton)
	right := container.New(layout.NewBorderLayout(buttons, nil, nil, nil), buttons, s.form.content)
	leftCol := kit.AtLeast(380, 0, left)
	body := container.New(layout.NewBorderLayout(nil, nil, leftCol, nil), leftCol, right)
	return kit.Live(body, kit.OnChanges(s.d, s.refresh, "patient", "desk-settings"))
}

// patientLine is the second line of a search result (the birth date
// ends the first).
func patientLine(p app.Patient, c desk.Country) string {
	parts := []string{p.MRN}
	if p.Phone != "" {
		parts = append(parts, localPhone(p.Phone, c))
	}
	return strings.Join(parts, " · ")
}

// rePhoneQuery matches a search that is a phone number.
var rePhoneQuery = regexp.MustCompile(`^\s*\+?[0-9 ()-]{7,}\s*$`)

// reDateShape matches what looks like a date (digits in three parts).
var reDateShape = regexp.MustCompile(`^\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}$`)

// searchText is a search as the index reads it: a date typed in the
// workstation's format becomes YYYY-MM-DD, and a phone number the digits
// after its trunk prefix or country code (c's), which find it written
// either way.
func searchText(q string, c desk.Country) string {
	if rePhoneQuery.MatchString(q) && c.Calling != "" {
		return desk.NationalDigits(q, c)
	}
	words := strings.Fields(q)
	for i, w := range words {
		if strings.ContainsAny(w, "/.-") {
			if t, ok := parseDay(w, time.UTC); ok {
				words[i] = t.Format("2006-01-02")
			}
		}
	}
	return strings.Join(words, " ")
}

// refresh repeats the search and reloads the open record after a change.
func (s *patientsScreen) refresh() {
	s.country, _ = s.env.country()
	s.search()
	if s.form.id != "" && !s.form.dirty {
		s.form.open(s.form.id)
	}
}

func (s *patientsScreen) search() {
	q := strings.TrimSpace(s.query.Text)
	s.seq++
	seq := s.seq
	if q == "" {
		s.rows = nil
		s.shown = seq
		s.nobody = false
		s.results.Refresh()
		s.found.SetText("Type the first letters of a name, a birth date, a phone number or an MRN.")
		return
	}
	do(s.env, func(ctx context.Context) ([]app.Patient, error) {
		return s.d.SearchPatients(ctx, searchText(q, s.country), searchLimit)
	}, func(ps []app.Patient, err error) {
		if seq != s.seq {
			return // a newer search is on its way
		}
		s.rows = ps
		s.shown = seq
		s.nobody = err == nil && len(ps) == 0
		s.results.UnselectAll()
		s.results.Refresh()
		switch {
		case err != nil:
			s.found.SetText("Search failed: " + kit.ErrorText(err))
		case len(ps) == 0:
			s.found.SetText(fmt.Sprintf("Nobody matches %q. Check the spelling, or press Enter to register a new patient.", q))
		case len(ps) == searchLimit:
			s.found.SetText(fmt.Sprintf("The first %d matches: type more to narrow them down.", searchLimit))
		case len(ps) == 1:
			s.found.SetText("1 patient found.")
		default:
			s.found.SetText(fmt.Sprintf("%d patients found.", len(ps)))
		}
		if s.enterWaits {
			s.enterWaits = false
			s.submitted(q)
		}
	})
}
