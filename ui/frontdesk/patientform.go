package frontdesk

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app"
	desk "github.com/medihaven/medihaven/app/frontdesk"
	"github.com/medihaven/medihaven/ui/kit"
)

// patientForm registers a new patient or edits one, with a message under
// each field that is wrong.
type patientForm struct {
	env
	id    string // "" for a new registration
	orig  app.Patient
	dirty bool

	heading *widget.Label
	sub     *widget.Label
	entries map[string]*widget.Entry
	fields  map[string]fyne.Focusable // the widget around each entry, for the keyboard
	// labels name the fields; one turns red while its field is wrong, and
	// problems (by field) are listed in the message, whose space is kept,
	// so the form never moves under the pointer.
	labels   map[string]*widget.Label
	problems map[string]string
	sex      *kit.TypeSelect
	consent  *widget.Check
	save     *widget.Button
	clear    *widget.Button
	message  *widget.Label
	// hint says how to fill the form in the message's room while there is
	// no message: the room kept for two lines was a blank band of ~70 px
	// under "Fields marked * are required…" on an empty form.
	hint *widget.Label
	// copyBtn and fhirBtn hand out or export an open record; bookBtn
	// books its patient.
	copyBtn, fhirBtn, bookBtn *widget.Button
	actions                   *fyne.Container

	dupBox     *fyne.Container
	duplicates []app.Patient
	anyway     *widget.Button

	extra   *fyne.Container // appointments and history of an open record
	scroll  *container.Scroll
	quick   *quickBooking // the last booking opened, for tests
	content fyne.CanvasObject
	onSaved func(app.Patient)
}

// formFields are the entries of the form, in order: key, label, hint.
var formFields = []struct{ key, label, hint string }{
	{"family", "Family name *", ""},
	{"given", "Given names *", ""},
	{"birth", "Birth date *", ""},
	{"sex", "Sex", ""},
	{"phone", "Phone", "+1 555 123 4567"},
	{"email", "Email", "name@example.org"},
	{"address", "Address", "Street, town, postcode"},
	{"insurance", "Insurance id", ""},
	{"emergency_name", "Emergency contact", "Name and relation"},
	{"emergency_phone", "Emergency phone", ""},
	{"consent", "Data sharing", ""},
	{"consent_date", "Consent given on", "(today if empty)"},
}

func newPatientForm(e env) *patientForm {
	f := &patientForm{env: e, entries: map[string]*widget.Entry{}, fields: map[string]fyne.Focusable{}, labels: map[string]*widget.Label{}, problems: map[string]string{}}
	f.heading = bold("")
	f.heading.SizeName = theme.SizeNameSubHeadingText
	f.sub = widget.NewLabel("")
	f.sub.Importance = widget.LowImportance
	f.sub.Wrapping = fyne.TextWrapWord
	f.heading.Truncation = fyne.TextTruncateEllipsis // one line: the buttons beside it keep their height
	grid := container.New(layout.NewFormLayout())
	for _, ff := range formFields {
		var input fyne.CanvasObject
		switch ff.key {
		case "sex":
			sex := kit.NewTypeSelect(desk.Sexes, func(string) { f.touched("sex") }) // "f" chooses female
			sex.OnSubmitted = func() { f.submit(false) }
			f.sex, input = sex, sex
		case "consent":
			f.consent = widget.NewCheck("Patient consents to data sharing", func(bool) { f.touched("consent") })
			input = f.consent
		default:
			ke := kit.NewEntry()
			if ff.key == "birth" || ff.key == "consent_date" {
				ke = newDateField(ff.hint)
			}
			en := &ke.Entry
			input = ke
			if ff.key == "address" { // Tab goes on to the insurance id
				area := kit.NewTextArea()
				area.SetMinRowsVisible(2)
				en, input = &area.Entry, area
			}
			if en.PlaceHolder == "" {
				en.SetPlaceHolder(ff.hint)
			}
			key := ff.key
			en.OnChanged = func(string) { f.touched(key) }
			if ff.key != "address" {
				en.OnSubmitted = func(string) { f.submit(false) }
			}
			f.entries[ff.key] = en
			f.fields[ff.key], _ = input.(fyne.Focusable)
		}
		label := widget.NewLabelWithStyle(ff.label, fyne.TextAlignTrailing, fyne.TextStyle{})
		f.labels[ff.key] = label
		grid.Add(label)
		grid.Add(input)
	}
	f.save = widget.NewButtonWithIcon("Register", theme.DocumentSaveIcon(), func() { f.submit(false) })
	f.save.Importance = widget.HighImportance
	f.clear = widget.NewButton("Clear the form", func() { f.startNew("") })
	f.message = note("")
	f.hint = note("")
	f.hint.Importance = widget.LowImportance
	f.anyway = widget.NewButton("Not the same person: register anyway", func() { f.submit(true) })
	f.anyway.Importance = widget.WarningImportance
	f.dupBox = container.NewVBox()
	f.dupBox.Hide()
	f.extra = container.NewVBox()
	// The buttons and the form's message sit at the top, where they are
	// seen without scrolling; Enter in any field saves too.
	f.copyBtn, f.fhirBtn = f.interopButtons()
	f.bookBtn = widget.NewButtonWithIcon("Book appointment…", theme.ContentAddIcon(), f.bookAppointment)
	// An open record's actions have a row of their own, under its
	// MRN and birth date, so neither squeezes the other at 1024 px.
	f.actions = container.NewHBox(f.bookBtn, f.copyBtn, f.fhirBtn)
	// The message keeps room for two lines, shown or not.
	msgRoom := kit.AtLeast(0, 2*theme.TextSize()*1.4+2*theme.InnerPadding(), container.NewStack(f.hint, f.message))
	card := container.NewVBox(container.NewBorder(nil, nil, nil, container.NewHBox(f.save, f.clear), f.heading),
		f.sub, f.actions, msgRoom, f.dupBox, grid, f.extra)
	f.scroll = container.NewVScroll(widget.NewCard("", "", container.NewPadded(card)))
	f.content = f.scroll
	f.startNew("")
	return f
}

// unsaved is what the form would lose if it were left or filled with
// another record: a registration typed and not registered, or changes to
// an open record not saved ("" when nothing; kit.Unsaved).
func (f *patientForm) unsaved() string {
	if !f.dirty {
		return ""
	}
	if f.id != "" {
		return "Your changes to the record of " + f.orig.Name()
	}
	for _, en := range f.entries {
		if strings.TrimSpace(en.Text) != "" {
			return "The registration you started"
		}
	}
	if f.sex.Selected != "" {
		return "The registration you started"
	}
	return ""
}

// touched clears a field's problem once the receptionist changes it; the
// message goes once every problem is.
func (f *patientForm) touched(key string) {
	f.dirty = true
	if _, ok := f.problems[key]; ok {
		delete(f.problems, key)
		f.showProblems()
	}
}

// setProblems marks the fields of problems (field → text) and lists them.
func (f *patientForm) setProblems(problems map[string]string) {
	f.problems = problems
	f.showProblems()
}

// showProblems colours the labels of the fields with a problem and lists
// the problems in the message, or clears it when there are none left.
func (f *patientForm) showProblems() {
	var lines []string
	for _, ff := range formFields {
		l := f.labels[ff.key]
		imp := widget.MediumImportance
		if p, ok := f.problems[ff.key]; ok {
			imp = widget.DangerImportance
			lines = append(lines, strings.TrimSuffix(p, "."))
		}
		if l.Importance != imp {
			l.Importance = imp
			l.Refresh()
		}
	}
	switch {
	case len(lines) == 0 && f.message.Importance == widget.DangerImportance:
		f.say("", widget.MediumImportance)
	case len(lines) > 0:
		if len(lines) > 2 { // the message keeps room for two lines
			lines = append(lines[:2], fmt.Sprintf("and %d more", len(lines)-2))
		}
		f.say("Please correct the fields in red: "+strings.Join(lines, " · ")+".", widget.DangerImportance)
	}
}

// startNew empties the form for a new registration; a name typed into
// the search carries over.
func (f *patientForm) startNew(query string) {
	f.id, f.orig = "", app.Patient{}
	p := app.Patient{}
	if words := strings.Fields(query); len(words) > 0 && !strings.ContainsAny(query, "0123456789") {
		for i, w := range words {
			if w == strings.ToLower(w) { // typed in a hurry: capitalise, the desk corrects "van der" by hand
				r := []rune(w)
				words[i] = strings.ToUpper(string(r[0])) + string(r[1:])
			}
		}
		p.Family = words[0]
		p.Given = strings.Join(words[1:], " ")
	}
	f.fill(p)
	f.heading.SetText("Register a new patient")
	f.sub.SetText("")
	f.sub.Hide() // the hint says it, in the message's room
	f.hint.SetText("Fields marked * are required. A medical record number is assigned when you register.")
	f.save.SetText("Register")
	f.clear.Show()
	f.copyBtn.Hide()
	f.fhirBtn.Hide()
	f.bookBtn.Hide()
	f.actions.Hide()
	f.extra.Objects = nil
	f.extra.Refresh()
	f.dirty = false
}

// focusFirstEmpty gives the keyboard to the first required field still
// empty: the family name, or the birth date when the name typed into the
// search carried over (under Xvfb a birth date typed after Register a new
// patient went nowhere).
func (f *patientForm) focusFirstEmpty() {
	for _, k := range []string{"family", "given", "birth"} {
		if e := f.entries[k]; e != nil && e.Text == "" {
			f.win.Canvas().Focus(f.fields[k])
			return
		}
	}
}

// open loads a registered patient for editing, with their appointments
// and the history of their record.
func (f *patientForm) open(id string) { f.openThen(id, nil) }

// openThen opens id, then runs then (nil: nothing) once it shows: a
// message said before the record has loaded would be cleared by filling
// the form (fill), as the 'is registered with medical record number'
// line was on a real workstation, where the record loads in the
// background (Register seemed to do nothing but jump to the record).
func (f *patientForm) openThen(id string, then func()) {
	type record struct {
		p       app.Patient
		appts   []desk.Appointment
		history []desk.PatientChange
	}
	do(f.env, func(ctx context.Context) (record, error) {
		var r record
		var err error
		if r.p, err = f.d.Patient(ctx, id); err != nil {
			return r, err
		}
		if r.appts, err = f.d.PatientAppointments(ctx, id); err != nil {
			return r, err
		}
		r.history, err = f.d.PatientHistory(ctx, id)
		return r, err
	}, func(r record, err error) {
		if err != nil {
			f.say("This record cannot be opened: "+kit.ErrorText(err), widget.DangerImportance)
			return
		}
		f.id, f.orig = id, r.p
		f.fill(r.p)
		f.heading.SetText(r.p.Name())
		reg := ""
		if !r.p.Registered.IsZero() {
			reg = ", registered " + r.p.Registered.Format("2 Jan 2006")
		}
		f.sub.SetText(fmt.Sprintf("%s · born %s%s", r.p.MRN, kit.DayText(r.p.Birth), reg))
		f.sub.Show()
		f.hint.SetText("Fields marked * are required. Change what you need, then Save changes (Enter saves too).")
		f.save.SetText("Save changes")
		f.clear.Hide()
		f.copyBtn.Show()
		f.fhirBtn.Show()
		f.bookBtn.Show()
		f.actions.Show()
		f.showExtra(r.appts, r.history)
		f.dirty = false
		if then != nil {
			then()
		}
	})
}

func (f *patientForm) fill(p app.Patient) {
	c, _ := f.country()
	vals := map[string]string{"family": p.Family, "given": p.Given, "birth": kit.FieldDate(p.Birth), "phone": localPhone(p.Phone, c), "email": p.Email,
		"address": p.Address, "insurance": p.Insurance, "emergency_name": p.EmergencyName,
		"emergency_phone": localPhone(p.EmergencyPhone, c), "consent_date": kit.FieldDate(p.ConsentDate)}
	for k, en := range f.entries {
		en.SetText(vals[k])
	}
	if p.Sex == "" {
		f.sex.ClearSelected()
	} else {
		f.sex.SetSelected(p.Sex)
	}
	f.consent.SetChecked(p.Consent)
	f.setProblems(map[string]string{})
	f.say("", widget.MediumImportance)
	f.duplicates = nil
	f.dupBox.Hide()
	f.scroll.ScrollToTop()
}

// patient is what the form holds, its dates as YYYY-MM-DD, and the
// problems of dates that are not dates in the workstation's format.
func (f *patientForm) patient() (app.Patient, map[string]string) {
	v := func(k string) string { return f.entries[k].Text }
	problems := map[string]string{}
	date := func(k, label string) string {
		text := strings.TrimSpace(v(k))
		if text == "" {
			return ""
		}
		t, ok := parseDay(text, time.UTC)
		switch {
		case !ok && reDateShape.MatchString(text):
			problems[k] = fmt.Sprintf("%s %s does not exist on the calendar", label, text)
			return text
		case !ok:
			problems[k] = fmt.Sprintf("%s %q is not a date: write it %s", label, text, howToWrite())
			return text
		}
		return t.Format("2006-01-02")
	}
	p := f.orig
	p.Family, p.Given, p.Birth, p.Sex = v("family"), v("given"), date("birth", "Birth date"), f.sex.Selected
	p.Phone, p.Email, p.Address, p.Insurance = v("phone"), v("email"), v("address"), v("insurance")
	p.EmergencyName, p.EmergencyPhone = v("emergency_name"), v("emergency_phone")
	p.Consent, p.ConsentDate = f.consent.Checked, date("consent_date", "Consent date")
	return p, problems
}

func (f *patientForm) say(text string, imp widget.Importance) {
	f.message.Importance = imp
	f.message.SetText(text)
	if hide := text != ""; f.hint.Hidden != hide {
		f.hint.Hidden = hide
		f.hint.Refresh()
	}
}

// submit checks the form in place, then registers or saves. notADuplicate
// is the receptionist's answer to the duplicate warning.
func (f *patientForm) submit(notADuplicate bool) {
	p, problems := f.patient()
	for _, pr := range p.Check(f.now()) {
		if _, ok := problems[pr.Field]; !ok {
			problems[pr.Field] = kit.ErrorText(errors.New(pr.Problem))
		}
	}
	if len(problems) > 0 {
		f.setProblems(problems)
		return
	}
	editing := f.id != ""
	f.save.Disable()
	do(f.env, func(ctx context.Context) (app.Patient, error) {
		if editing {
			return f.d.UpdatePatient(ctx, p)
		}
		return f.d.Register(ctx, p, notADuplicate)
	}, func(saved app.Patient, err error) {
		f.save.Enable()
		var dup *desk.DuplicateError
		var fe *desk.FieldError
		switch {
		case errors.As(err, &dup):
			f.showDuplicates(dup.Candidates)
			f.say("Nothing was saved yet.", widget.WarningImportance)
		case errors.As(err, &fe) && f.labels[fe.Field] != nil:
			f.setProblems(map[string]string{fe.Field: kit.ErrorText(err)})
		case err != nil:
			f.say("Not saved: "+kit.ErrorText(err), widget.DangerImportance)
		default:
			f.dupBox.Hide()
			f.dirty = false
			said := "Changes saved. The record's history keeps the earlier values."
			if !editing {
				said = fmt.Sprintf("%s is registered with medical record number %s.", saved.Name(), saved.MRN)
			}
			f.openThen(saved.ID, func() { f.say(said, widget.SuccessImportance) })
			if f.onSaved != nil {
				f.onSaved(saved)
			}
		}
	})
}

// bookAppointment books the open record's patient (quickBooking).
func (f *patientForm) bookAppointment() {
	q := newQuickBooking(f.env, f.orig)
	id := f.id
	q.booked = func() {
		if f.id == id && !f.dirty {
			f.open(id)
		}
	}
	f.quick = q
	q.show(f.bookBtn)
}

// showDuplicates warns that the patient may be registered already, with
// a link to each existing record.
func (f *patientForm) showDuplicates(ps []app.Patient) {
	f.duplicates = ps
	warn := bold("This patient may already be registered")
	warn.Importance = widget.WarningImportance
	objs := []fyne.CanvasObject{warn, note("Same name and birth date, or same phone, as:")}
	for _, p := range ps {
		p := p
		link := widget.NewButtonWithIcon(fmt.Sprintf("Open %s — %s, born %s, %s", p.Name(), p.MRN, kit.DayText(p.Birth), orDash(p.Phone)),
			theme.NavigateNextIcon(), func() { f.open(p.ID) })
		link.Alignment = widget.ButtonAlignLeading
		objs = append(objs, link)
	}
	objs = append(objs, f.anyway)
	f.dupBox.Objects = []fyne.CanvasObject{tint(theme.ColorNameInputBackground, container.NewPadded(container.NewVBox(objs...)))}
	f.dupBox.Show()
	f.dupBox.Refresh()
}

func orDash(s string) string {
	if s == "" {
		return "no phone"
	}
	return s
}

// showExtra lists an open record's appointments and history.
func (f *patientForm) showExtra(appts []desk.Appointment, history []desk.PatientChange) {
	objs := []fyne.CanvasObject{widget.NewSeparator(), bold("Appointments")}
	if len(appts) == 0 {
		objs = append(objs, note("None booked."))
	}
	for i := len(appts) - 1; i >= 0 && i >= len(appts)-8; i-- {
		a := appts[i]
		line := fmt.Sprintf("%s · %d min · %s", a.StartText("Mon 2 Jan 2006 15:04", nil), a.Minutes, orText(a.Reason, "no reason given"))
		if st := statusText(a); st != "" {
			line += " · " + st
		}
		objs = append(objs, note(line))
	}
	objs = append(objs, widget.NewSeparator(), bold("History of this record"))
	for i := len(history) - 1; i >= 0; i-- {
		h := history[i]
		var names []string
		for k := range h.Fields {
			names = append(names, k)
		}
		sort.Slice(names, func(a, b int) bool { return fieldOrder(names[a]) < fieldOrder(names[b]) })
		var parts []string
		for _, k := range names {
			if k == "mrn" || k == "registered" {
				continue
			}
			if h.Fields[k] == "" {
				parts = append(parts, desk.PatientFieldLabels[k]+" cleared")
				continue
			}
			parts = append(parts, fmt.Sprintf("%s: %s", orText(desk.PatientFieldLabels[k], k), h.Fields[k]))
		}
		what := "Changed "
		if i == 0 {
			what, parts = "Registered", nil
		}
		line := fmt.Sprintf("%s · %s · %s%s", h.Time.Format("2 Jan 2006 15:04"), h.By, what, strings.Join(parts, "; "))
		l := note(line)
		l.Importance = widget.LowImportance
		objs = append(objs, l)
	}
	f.extra.Objects = objs
	f.extra.Refresh()
}

func fieldOrder(k string) int {
	for i, ff := range formFields {
		if ff.key == k {
			return i
		}
	}
	return len(formFields)
}

func orText(s, alt string) string {
	if strings.TrimSpace(s) == "" {
		return alt
	}
	return s
}
