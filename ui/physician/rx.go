package physician

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app/prescribing"
	"github.com/medihaven/medihaven/ui/kit"
)

var (
	routes      = []string{"oral", "sublingual", "inhaled", "topical", "subcutaneous", "intramuscular", "rectal", "nasal", "eye", "ear"}
	frequencies = []string{"once daily", "twice daily", "three times daily", "four times daily", "every 8 hours", "at night",
		"in the morning", "as needed", "once weekly"}
)

// rxForm writes an e-prescription: drugs from the formulary with their
// directions, the checks' warnings with a reason for each, and signing.
type rxForm struct {
	v         *chartView
	formulary *prescribing.Formulary
	drug      *kit.SelectEntry
	chosen    *prescribing.Drug
	dose      *kit.Entry
	unit      *kit.Entry
	route     *kit.TypeSelect
	freq      *kit.SelectEntry
	days      *kit.Entry
	quantity  *kit.Entry
	refills   *kit.TypeSelect
	instr     *kit.TextArea
	add       *widget.Button
	sign      *widget.Button

	items    []prescribing.RxItem
	renews   string
	itemList *fyne.Container
	warnings []prescribing.Warning
	reasons  map[string]*kit.Entry    // by Warning.Key, kept across checks
	confirms map[string]*widget.Check // not-checked warnings confirmed, by Warning.Key
	suggest  *fyne.Container          // drugs offered while a name is typed
	warnBox  *fyne.Container
	fb       feedback
	// The messages beside the fields that can be wrong, each under its
	// field: one line under Add drug made the eye hunt for the field.
	drugErr, doseErr, freqErr, daysErr *fieldError
	signed                             *fyne.Container
	preview                            *widget.Label // warnings of the drug being chosen
	autoUnit                           string        // the unit filled in from the drug's form
}

func (v *chartView) newRxForm() *rxForm {
	f := &rxForm{v: v, reasons: map[string]*kit.Entry{}, confirms: map[string]*widget.Check{}, fb: newFeedback(),
		drugErr: newFieldError(), doseErr: newFieldError(), freqErr: newFieldError(), daysErr: newFieldError(),
		preview: wrapped(""), suggest: container.NewVBox()}
	f.preview.Importance = widget.DangerImportance
	f.preview.Hide()
	f.formulary, _ = v.c.Formulary()
	f.drug = kit.NewSelectEntry(f.labels(""))
	f.drug.SetPlaceHolder("Type to find a drug in the formulary")
	f.drug.OnChanged = f.drugTyped
	f.dose, f.unit = kit.NewEntry(), kit.NewEntry()
	f.dose.SetPlaceHolder("Dose, e.g. 1")
	f.unit.SetPlaceHolder("Unit, e.g. tablet")
	f.route = kit.NewTypeSelect(routes, nil)
	f.route.PlaceHolder = "Route"
	f.freq = kit.NewSelectEntry(frequencies)
	f.freq.SetPlaceHolder("How often")
	f.days = kit.NewEntry()
	f.days.SetPlaceHolder("Days")
	f.quantity = kit.NewEntry()
	f.quantity.SetPlaceHolder("Quantity, e.g. 21 capsules")
	var refills []string
	for i := 0; i <= 12; i++ {
		refills = append(refills, strconv.Itoa(i))
	}
	f.refills = kit.NewTypeSelect(refills, nil)
	f.refills.SetSelected("0")
	f.instr = kit.NewTextArea() // Tab goes on to the buttons
	f.instr.SetPlaceHolder("Instructions for the patient, e.g. take with food")
	f.instr.SetMinRowsVisible(2)
	// A field's message goes once the field is changed.
	f.dose.OnChanged = func(s string) { f.doseErr.clearIfChanged(s); f.suggestQuantity() }
	f.days.OnChanged = func(s string) { f.daysErr.clearIfChanged(s); f.suggestQuantity() }
	f.freq.OnChanged = func(s string) { f.freqErr.clearIfChanged(s); f.suggestQuantity() }
	f.add = widget.NewButtonWithIcon("Add drug", theme.ContentAddIcon(), f.addItem)
	f.sign = widget.NewButtonWithIcon("Sign prescription", theme.ConfirmIcon(), f.signRx)
	f.sign.Importance = widget.HighImportance
	f.itemList = container.NewVBox()
	f.warnBox = container.NewVBox()
	f.signed = container.NewVBox()
	f.showItems()
	return f
}

func (f *rxForm) labels(q string) []string {
	if f.formulary == nil {
		return nil
	}
	var out []string
	for _, d := range f.formulary.Search(q, 40) {
		out = append(out, d.Label())
	}
	if len(out) == 0 {
		out = []string{} // the list opens empty rather than stale
	}
	return out
}

// drugTyped narrows the picker and, on an exact label, chooses the drug
// and fills in its usual unit and route.
func (f *rxForm) drugTyped(text string) {
	f.chosen = nil
	f.drugErr.clear()
	if f.formulary == nil {
		return
	}
	for _, d := range f.formulary.Search(text, 0) {
		if d.Label() == strings.TrimSpace(text) {
			d := d
			f.chosen = &d
			if f.unit.Text == "" || f.unit.Text == f.autoUnit {
				f.unit.SetText(d.Form) // unless the physician typed their own
				f.autoUnit = d.Form
			}
			f.route.SetSelected(d.Route)
			f.suggestQuantity()
			f.showPreview(d)
			f.showSuggestions("")
			return
		}
	}
	f.preview.Hide()
	f.drug.SetOptions(f.labels(text))
	f.showSuggestions(text)
}

// maxSuggestions is how many drugs are offered under the name as it is
// typed.
const maxSuggestions = 6

// showSuggestions offers, under the drug's name while it is typed, the
// products whose name, brand or salt starts with it; tapping one chooses
// it.
func (f *rxForm) showSuggestions(text string) {
	f.suggest.Objects = nil
	if f.formulary != nil && len(strings.TrimSpace(text)) >= 2 {
		for _, d := range f.formulary.Search(text, maxSuggestions) {
			label := d.Label()
			if d.Matched != "" {
				label += " (" + d.Matched + ")"
			}
			b := widget.NewButton(label, func() { f.drug.SetText(d.Label()) })
			b.Alignment = widget.ButtonAlignLeading
			b.Importance = widget.LowImportance
			f.suggest.Add(b)
		}
		if len(f.suggest.Objects) == 0 {
			f.suggest.Add(quiet(fmt.Sprintf("No drug of the formulary starts with %q.", strings.TrimSpace(text))))
		}
	}
	f.suggest.Refresh()
	f.relayout()
}

// showPreview warns as soon as a drug is chosen, before it is added: the
// same checks signing runs, against the chart on screen.
func (f *rxForm) showPreview(d prescribing.Drug) {
	c := f.v.chart
	var taking []prescribing.Taking
	for _, m := range c.Medications {
		taking = append(taking, prescribing.Taking{Name: m.Name, Source: "current medication"})
	}
	for _, it := range f.items {
		taking = append(taking, prescribing.Taking{Name: it.Generic, Source: "on this prescription"})
	}
	ws := f.formulary.Check(d, c.Allergies, taking)
	var lines []string
	f.preview.Importance = widget.DangerImportance
	switch n := c.NoneKnown; {
	case len(c.Allergies) == 0 && n != nil && n.Current && n.CoversDrugs():
		lines = append(lines, fmt.Sprintf("Allergies checked: %s (asked %s).", n.Words(), askedDay(*n)))
		if len(ws) == 0 {
			f.preview.Importance = widget.SuccessImportance
		}
	case len(c.Allergies) == 0 && n != nil && n.Current: // asked of food, say: nothing of drugs
		lines = append(lines, fmt.Sprintf("⚠ Only %s are recorded for %s (asked %s), nothing of drugs: this drug was checked against none. "+
			"Ask the patient before signing.", n.Words(), c.Patient.Name(), askedDay(*n)))
	case len(c.Allergies) == 0: // no warning would read as checked and safe
		lines = append(lines, fmt.Sprintf("⚠ No allergies are recorded for %s: this drug was checked against none. Ask the patient before signing.",
			c.Patient.Name()))
	}
	for _, w := range ws {
		lines = append(lines, "⚠ "+w.Message)
	}
	if len(lines) == 0 {
		f.preview.Hide()
		return
	}
	f.preview.SetText(strings.Join(lines, "\n"))
	f.preview.Show()
}

// suggestQuantity fills the quantity from dose × times a day × days while
// the physician has not typed one.
func (f *rxForm) suggestQuantity() {
	if f.chosen == nil || (f.quantity.Text != "" && !strings.HasSuffix(f.quantity.Text, "(suggested)")) {
		return
	}
	perDay := map[string]int{"once daily": 1, "twice daily": 2, "three times daily": 3, "four times daily": 4, "every 8 hours": 3,
		"at night": 1, "in the morning": 1}[f.freq.Text]
	dose, err1 := strconv.Atoi(strings.TrimSpace(f.dose.Text))
	days, err2 := strconv.Atoi(strings.TrimSpace(f.days.Text))
	if perDay == 0 || err1 != nil || err2 != nil || dose <= 0 || days <= 0 {
		return
	}
	f.quantity.SetText(fmt.Sprintf("%d %ss (suggested)", dose*perDay*days, f.chosen.Form))
}

// item reads the drug being edited.
func (f *rxForm) item() (prescribing.RxItem, error) {
	if f.chosen == nil {
		return prescribing.RxItem{}, errors.New("choose a drug from the formulary list (type part of its name)")
	}
	days, err := strconv.Atoi(strings.TrimSpace(f.days.Text))
	if err != nil {
		return prescribing.RxItem{}, fmt.Errorf("the duration %q is not a number of days", f.days.Text)
	}
	refills, _ := strconv.Atoi(f.refills.Selected)
	return prescribing.RxItem{DrugID: f.chosen.ID, Dose: f.dose.Text, Unit: f.unit.Text, Route: f.route.Selected, Frequency: f.freq.Text,
		Days: days, Quantity: strings.TrimSpace(strings.TrimSuffix(f.quantity.Text, "(suggested)")), Refills: refills,
		Instructions: f.instr.Text}, nil
}

// errNoDrug is what the drug's field says while no drug of the formulary
// is chosen.
var errNoDrug = errors.New("choose a drug from the formulary list (type part of its name)")

// wrongFields says beside each field of the drug being edited what is
// wrong with it, and puts the keyboard on the first wrong one; it
// reports whether any was.
func (f *rxForm) wrongFields() bool {
	var noDrug, often, days error
	if f.chosen == nil {
		noDrug = errNoDrug
	}
	if strings.TrimSpace(f.freq.Text) == "" {
		often = errors.New("choose or type how often, e.g. twice daily")
	}
	if n, err := strconv.Atoi(strings.TrimSpace(f.days.Text)); err != nil || n < 1 || n > 365 {
		days = fmt.Errorf("write a number of days, 1 to 365")
	}
	var first fyne.Focusable
	for _, c := range []struct {
		fb    *fieldError
		field fyne.Focusable
		text  string
		err   error
	}{{f.drugErr, f.drug, f.drug.Text, noDrug}, {f.doseErr, f.dose, f.dose.Text, prescribing.CheckDose(f.dose.Text)},
		{f.freqErr, f.freq, f.freq.Text, often}, {f.daysErr, f.days, f.days.Text, days}} {
		if c.err == nil {
			c.fb.clear()
			continue
		}
		c.fb.failOn(c.text, c.err)
		if first == nil {
			first = c.field
		}
	}
	if first != nil {
		f.fb.clear() // the messages are beside the fields
		f.v.win.Canvas().Focus(first)
	}
	f.relayout()
	return first != nil
}

func (f *rxForm) addItem() {
	if f.wrongFields() {
		return
	}
	it, err := f.item()
	if err != nil {
		f.fb.fail(err)
		return
	}
	f.items = append(f.items, it)
	f.fb.clear()
	f.drug.SetText("")
	f.preview.Hide()
	for _, e := range []*widget.Entry{&f.dose.Entry, &f.unit.Entry, &f.days.Entry, &f.quantity.Entry, &f.instr.Entry} {
		e.SetText("")
	}
	f.freq.SetText("")
	f.refills.SetSelected("0")
	f.showItems()
	f.check()
}

func (f *rxForm) prescription() prescribing.Prescription {
	p := prescribing.Prescription{Patient: f.v.patientID, Items: f.items, Renews: f.renews}
	if f.v.encounter != nil {
		p.Encounter = f.v.encounter.ID
	}
	for _, w := range f.warnings {
		if e := f.reasons[w.Key()]; e != nil {
			w.Reason = e.Text
		}
		if c := f.confirms[w.Key()]; c != nil && c.Checked {
			w.Reason = notCheckedConfirmation(w)
		}
		p.Overrides = append(p.Overrides, w)
	}
	return p
}

// check runs the allergy and interaction checks on the drugs added.
func (f *rxForm) check() {
	if len(f.items) == 0 {
		f.showWarnings(nil)
		return
	}
	p := f.prescription()
	var ws []prescribing.Warning
	var err error
	f.v.do(func(ctx context.Context) { ws, err = f.v.c.CheckPrescription(ctx, p) }, func() {
		if err != nil {
			f.fb.fail(err)
			return
		}
		f.showWarnings(ws)
	})
}

func (f *rxForm) showWarnings(ws []prescribing.Warning) {
	f.warnings = ws
	f.warnBox.Objects = nil
	if len(ws) > 0 {
		head := wrapped(fmt.Sprintf("%d warning(s). Change the prescription, or give a reason for each (or confirm what was not checked) to go ahead; "+
			"the reasons are kept with the signed prescription.", len(ws)))
		head.Importance = widget.WarningImportance
		f.warnBox.Add(head)
	}
	for _, w := range ws {
		if w.Kind == prescribing.WarnNotChecked {
			f.warnBox.Add(f.notChecked(w))
			continue
		}
		e := f.reasons[w.Key()]
		if e == nil {
			e = kit.NewEntry()
			e.SetPlaceHolder("Reason to override (required to sign)")
			f.reasons[w.Key()] = e
		}
		kind := "Allergy"
		if w.Kind == prescribing.WarnInteraction {
			kind = "Interaction"
		}
		msg := wrapped(fmt.Sprintf("%s (%s): %s", kind, w.Severity, w.Message))
		msg.Importance = widget.DangerImportance
		msg.TextStyle.Bold = true
		f.warnBox.Add(widget.NewCard("", "", container.NewVBox(
			container.NewBorder(nil, nil, widget.NewIcon(theme.WarningIcon()), nil, msg), e)))
	}
	f.warnBox.Refresh()
	f.relayout()
}

// relayout lays the Prescriptions tab out again after the form grew or
// shrank (warnings, drugs, suggestions), so nothing overlaps.
func (f *rxForm) relayout() {
	if f.v.rxScroll != nil {
		f.v.rxScroll.Refresh()
	}
}

// notChecked shows an allergy or medication the formulary does not know:
// no check spoke for it, so signing needs the prescriber to confirm they
// checked it themselves (the confirmation is signed with the
// prescription).
func (f *rxForm) notChecked(w prescribing.Warning) fyne.CanvasObject {
	c := f.confirms[w.Key()]
	if c == nil {
		c = widget.NewCheck(fmt.Sprintf("I checked %s against this prescription myself", w.With), nil)
		f.confirms[w.Key()] = c
	}
	msg := wrapped(w.Message)
	msg.Importance = widget.WarningImportance
	msg.TextStyle.Bold = true
	return widget.NewCard("", "", container.NewVBox(
		container.NewBorder(nil, nil, widget.NewIcon(theme.QuestionIcon()), nil, msg), c))
}

// notCheckedConfirmation is the reason signed for a confirmed not-checked
// warning.
func notCheckedConfirmation(w prescribing.Warning) string {
	return fmt.Sprintf("The prescriber confirmed they checked %s themselves.", w.With)
}

func (f *rxForm) showItems() {
	f.itemList.Objects = nil
	if f.renews != "" {
		f.itemList.Add(quiet("Renewal: the drugs below continue an earlier prescription and are checked again."))
	}
	if len(f.items) == 0 {
		f.itemList.Add(quiet("No drugs on this prescription yet: choose one below and press Add drug."))
	}
	for i, it := range f.items {
		i := i
		rm := widget.NewButtonWithIcon("", theme.DeleteIcon(), func() {
			f.items = append(f.items[:i:i], f.items[i+1:]...)
			f.showItems()
			f.check()
		})
		drug := it.Drug
		if drug == "" && f.formulary != nil {
			if d, ok := f.formulary.Drug(it.DrugID); ok {
				drug = d.Label()
			}
		}
		text := fmt.Sprintf("%d. %s — %s; quantity %s; refills %d", i+1, drug, (prescribing.RxItem{Dose: it.Dose, Unit: it.Unit, Route: it.Route,
			Frequency: it.Frequency, Days: it.Days}).Directions(), orDash(it.Quantity), it.Refills)
		if it.Instructions != "" {
			text += ". " + it.Instructions
		}
		l := wrapped(text)
		l.TextStyle.Bold = true
		f.itemList.Add(container.NewBorder(nil, nil, nil, rm, l))
	}
	f.itemList.Refresh()
	f.relayout()
}

// signRx checks once more and signs; every warning needs a reason.
func (f *rxForm) signRx() {
	if len(f.items) == 0 {
		if f.chosen == nil {
			f.drugErr.failOn(f.drug.Text, errors.New("add at least one drug to the prescription: "+errNoDrug.Error()))
			f.v.win.Canvas().Focus(f.drug)
			f.relayout()
			return
		}
		f.addItem() // the drug being edited counts
		if len(f.items) == 0 {
			return // a field was wrong, and says why beside it
		}
	}
	p := f.prescription()
	var signed prescribing.Prescription
	var err error
	f.v.do(func(ctx context.Context) { signed, err = f.v.c.Prescribe(ctx, p) }, func() {
		var oe *prescribing.OverrideError
		if errors.As(err, &oe) {
			f.showWarnings(append(f.warnings[:0:0], mergeWarnings(f.warnings, oe.Warnings)...))
			f.fb.fail(errors.New("each warning needs a reason, and each item not checked your confirmation, before the prescription can be signed"))
			return
		}
		if err != nil {
			f.fb.fail(err)
			return
		}
		f.items, f.renews, f.reasons, f.confirms = nil, "", map[string]*kit.Entry{}, map[string]*widget.Check{}
		f.showItems()
		f.showWarnings(nil)
		f.fb.ok(fmt.Sprintf("Prescription signed. Verification code %s.", signed.Code))
		f.showSigned(signed)
		f.v.refresh()
	})
}

// mergeWarnings keeps the shown warnings and adds any new ones.
func mergeWarnings(shown, missing []prescribing.Warning) []prescribing.Warning {
	seen := map[string]bool{}
	var out []prescribing.Warning
	for _, w := range append(append([]prescribing.Warning(nil), shown...), missing...) {
		if !seen[w.Key()] {
			seen[w.Key()] = true
			out = append(out, w)
		}
	}
	return out
}

func (f *rxForm) showSigned(p prescribing.Prescription) {
	f.signed.Objects = []fyne.CanvasObject{widget.NewCard("Signed", "", container.NewVBox(
		wrapped(fmt.Sprintf("%s · verification code %s", strings.Join(drugNames(p), ", "), p.Code)),
		container.NewHBox(f.v.printButton(p), f.v.saveButton(p)),
	))}
	f.signed.Refresh()
}

func drugNames(p prescribing.Prescription) []string {
	var out []string
	for _, it := range p.Items {
		out = append(out, it.Drug)
	}
	return out
}

// renew loads a prescription's drugs into the form, to be checked and
// signed again as a renewal.
func (f *rxForm) renew(p prescribing.Prescription) {
	f.items, f.renews = append([]prescribing.RxItem(nil), p.Items...), p.ID
	f.showItems()
	f.check()
	f.fb.ok("The drugs are in the form above: check the warnings, then sign the renewal.")
}

func (v *chartView) rxTab() fyne.CanvasObject {
	f := v.rx
	grid := container.NewVBox(
		container.NewGridWithColumns(2, top(captioned("Drug (generic name or brand, strength, form)", withError(f.drug, f.drugErr))),
			container.NewGridWithColumns(2, top(captioned("Dose", withError(f.dose, f.doseErr))), top(captioned("Unit", f.unit)))),
		f.suggest,
		f.preview,
		container.NewGridWithColumns(4, top(captioned("Route", f.route)), top(captioned("How often", withError(f.freq, f.freqErr))),
			top(captioned("Duration (days)", withError(f.days, f.daysErr))), top(captioned("Refills", f.refills))),
		container.NewGridWithColumns(2, captioned("Quantity to dispense", f.quantity), captioned("Instructions for the patient", f.instr)))
	form := widget.NewCard("New prescription", "Drugs are listed from the formulary supplied with Medihaven: have your clinic review it before relying on it.", container.NewVBox(
		f.itemList,
		grid,
		container.NewHBox(f.add),
		f.warnBox,
		container.NewBorder(nil, nil, nil, f.sign, f.fb.Label),
		f.signed))
	return container.NewVBox(form, bold("Prescriptions of this patient"), v.rxList)
}

// fieldError is the message under one field, shown while the field holds
// what it was said of.
type fieldError struct {
	feedback
	said string // the field's text, trimmed, when the message was shown
}

func newFieldError() *fieldError { return &fieldError{feedback: newFeedback()} }

func (e *fieldError) failOn(text string, err error) {
	e.said = strings.TrimSpace(text)
	e.fail(err)
}

// clearIfChanged hides the message once the field says something else:
// not on a space alone (Space on Add drug, which puts the keyboard on the
// wrong field, also typed a space into it and took its message away).
func (e *fieldError) clearIfChanged(text string) {
	if strings.TrimSpace(text) != e.said {
		e.clear()
	}
}

// withError is a field with its message under it (hidden while right).
func withError(field fyne.CanvasObject, fb *fieldError) fyne.CanvasObject {
	return container.NewBorder(field, fb.Label, nil, nil)
}

// top keeps a cell of the form's grid at its own height when a message
// makes its row taller (the Route and Refills pick lists grew with it).
func top(o fyne.CanvasObject) fyne.CanvasObject { return container.NewVBox(o) }

// showPrescriptions lists the patient's prescriptions, newest first.
func (v *chartView) showPrescriptions() {
	v.rxList.Objects = nil
	if len(v.chart.Prescriptions) == 0 {
		v.rxList.Add(quiet("No prescriptions yet."))
	}
	for _, p := range v.chart.Prescriptions {
		v.rxList.Add(v.rxCard(p))
	}
	v.rxList.Refresh()
}

func (v *chartView) rxCard(p prescribing.Prescription) fyne.CanvasObject {
	rows := container.NewVBox()
	for i, it := range p.Items {
		l := wrapped(fmt.Sprintf("%d. %s — %s; quantity %s; refills %d", i+1, it.Drug, it.Directions(), it.Quantity, it.Refills))
		l.TextStyle.Bold = true
		rows.Add(l)
		if it.Instructions != "" {
			rows.Add(wrapped("    " + it.Instructions))
		}
	}
	for _, w := range p.Overrides {
		l := wrapped(fmt.Sprintf("Warning overridden: %s Reason: %s", w.Message, w.Reason))
		if w.Kind == prescribing.WarnNotChecked {
			l.SetText(fmt.Sprintf("%s %s", w.Message, w.Reason))
		}
		l.Importance = widget.WarningImportance
		rows.Add(l)
	}
	rows.Add(signedBy(p.PrescriberName, p.Time, p.Verified, p.Problem))
	for _, a := range p.Addenda {
		rows.Add(wrapped(addendumText(a)))
	}
	status := "Active"
	if p.Status == prescribing.RxCancelled {
		status = fmt.Sprintf("Cancelled %s by %s: %s", p.Cancellation.Time.Local().Format("2 Jan 2006"), p.Cancellation.AuthorName, p.Cancellation.Reason)
		l := wrapped(status)
		l.Importance = widget.DangerImportance
		rows.Add(l)
	} else if p.Verified {
		reason := kit.NewEntry()
		reason.SetPlaceHolder("Reason for cancelling")
		fb := newFeedback()
		confirm := widget.NewButton("Cancel prescription", func() {
			r := reason.Text
			v.act(func(ctx context.Context) error { return v.c.CancelPrescription(ctx, p.ID, r) }, "Prescription cancelled.", fb, nil)
		})
		confirm.Importance = widget.DangerImportance
		cancelForm := container.NewVBox(container.NewBorder(nil, nil, nil, confirm, reason), fb.Label)
		cancelForm.Hide()
		cancelBtn := widget.NewButtonWithIcon("Cancel…", theme.CancelIcon(), func() { cancelForm.Show() })
		renew := widget.NewButtonWithIcon("Renew", theme.ViewRefreshIcon(), func() {
			v.rx.renew(p)
		})
		rows.Add(container.NewHBox(v.printButton(p), v.saveButton(p), renew, cancelBtn))
		rows.Add(cancelForm)
	}
	rows.Add(v.addendumRow(p.ID))
	sub := fmt.Sprintf("%s · code %s", status, p.Code)
	if p.Renews != "" {
		sub += " · renewal"
	}
	return widget.NewCard(p.Time.Local().Format("2 Jan 2006"), sub, rows)
}
