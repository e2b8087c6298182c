package physician

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/ui/kit"
)

// noteForm writes a SOAP note; signing makes it final, so it shows what
// will be signed and asks once.
type noteForm struct {
	v          *chartView
	s, o, a, p *kit.TextArea // Tab goes from one to the next
	sign       *widget.Button
	fb         feedback
	card       *widget.Card
	confirm    *kit.ConfirmDialog // the signing confirmation last shown
}

func soapEntry(placeholder string) *kit.TextArea {
	e := kit.NewTextArea()
	e.SetPlaceHolder(placeholder)
	e.SetMinRowsVisible(3)
	return e
}

// soapPart is one part of the SOAP note under its name, which stays in
// view once the box is filled (its placeholder goes as the physician
// types: four filled boxes named nothing, seen under Xvfb).
func soapPart(name string, e *kit.TextArea) fyne.CanvasObject {
	l := widget.NewLabelWithStyle(name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.SizeName = theme.SizeNameCaptionText
	return container.NewBorder(l, nil, nil, nil, e)
}

func (v *chartView) newNoteForm() *noteForm {
	f := &noteForm{
		v:  v,
		s:  soapEntry("Subjective: what the patient reports"),
		o:  soapEntry("Objective: examination and results"),
		a:  soapEntry("Assessment: diagnosis or impression"),
		p:  soapEntry("Plan: treatment, tests, follow-up"),
		fb: newFeedback(),
	}
	f.sign = widget.NewButtonWithIcon("Sign note…", theme.ConfirmIcon(), f.askToSign)
	f.sign.Importance = widget.HighImportance
	return f
}

// note is the note as typed.
func (f *noteForm) note() chart.Note {
	n := chart.Note{Patient: f.v.patientID, Subjective: f.s.Text, Objective: f.o.Text, Assessment: f.a.Text, Plan: f.p.Text}
	if f.v.encounter != nil {
		n.Encounter = f.v.encounter.ID
	}
	return n
}

// askToSign shows what will be signed and asks once: a signed note never
// changes.
func (f *noteForm) askToSign() {
	n := f.note()
	if strings.TrimSpace(n.Subjective+n.Objective+n.Assessment+n.Plan) == "" {
		f.signNote(n) // the use case says what is missing
		return
	}
	body := container.NewVBox()
	for _, sec := range []struct{ name, text string }{{"Subjective", n.Subjective}, {"Objective", n.Objective},
		{"Assessment", n.Assessment}, {"Plan", n.Plan}} {
		if strings.TrimSpace(sec.text) != "" {
			body.Add(bold(sec.name))
			body.Add(wrapped(strings.TrimSpace(sec.text)))
		}
	}
	where := "It is not linked to a visit: it belongs to the chart."
	if f.v.encounter != nil {
		where = fmt.Sprintf("It belongs to the visit started at %s.", f.v.encounter.Start.Local().Format("15:04"))
	}
	warn := wrapped(fmt.Sprintf("Signed by %s with your key. %s Once signed it never changes; corrections are addenda.", f.v.c.StaffName(), where))
	warn.Importance = widget.WarningImportance
	content := container.NewBorder(nil, warn, nil, nil, container.NewVScroll(body))
	// Enter keeps editing: a signed note never changes, so signing takes
	// Tab and Enter, or the pointer, never an Enter meant for the form.
	f.confirm = kit.Confirm{Title: "Sign this note?", Content: kit.AtLeast(520, 320, content),
		Yes: "Sign note", No: "Keep editing", Large: true, Back: f.sign,
		Answer: func(ok bool) {
			if ok {
				f.signNote(n)
			}
		}}.Show(f.v.win)
}

// signNote signs n.
func (f *noteForm) signNote(n chart.Note) {
	f.v.act(func(ctx context.Context) error { _, err := f.v.c.WriteNote(ctx, n); return err },
		"Note signed. It can no longer change: add an addendum to correct it.", f.fb, func() {
			for _, e := range []*kit.TextArea{f.s, f.o, f.a, f.p} {
				e.SetText("")
			}
		})
}

// title names the note after the visit it will belong to.
func (f *noteForm) title() {
	if f.card == nil {
		return
	}
	if f.v.encounter != nil {
		f.card.SetTitle("SOAP note for this visit")
	} else {
		f.card.SetTitle("New SOAP note (no visit open: it belongs to the chart)")
	}
}

func (v *chartView) notesTab() fyne.CanvasObject {
	f := v.notes
	f.card = widget.NewCard("", "Signed notes never change; corrections are addenda.", container.NewVBox(
		container.NewGridWithColumns(2, soapPart("Subjective", f.s), soapPart("Objective", f.o),
			soapPart("Assessment", f.a), soapPart("Plan", f.p)),
		container.NewBorder(nil, nil, nil, f.sign, f.fb.Label)))
	f.title()
	return container.NewVBox(f.card, bold("Encounters"), v.timeline)
}

// showTimeline draws the encounters, newest first, each with its notes;
// notes written outside a visit stand on their own date.
func (v *chartView) showTimeline() {
	c := v.chart
	v.timeline.Objects = nil
	type entry struct {
		enc   *chart.Encounter
		notes []chart.Note
		when  int64
	}
	byEnc := map[string]*entry{}
	var entries []*entry
	for i := range c.Encounters {
		e := &entry{enc: &c.Encounters[i], when: c.Encounters[i].Start.UnixMilli()}
		byEnc[e.enc.ID] = e
		entries = append(entries, e)
	}
	for _, n := range c.Notes {
		if e, ok := byEnc[n.Encounter]; ok {
			e.notes = append(e.notes, n)
			continue
		}
		entries = append(entries, &entry{notes: []chart.Note{n}, when: n.Time.UnixMilli()})
	}
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].when > entries[j].when })
	if len(entries) == 0 {
		v.timeline.Add(quiet("No encounters or notes yet."))
	}
	for _, e := range entries {
		var title, sub string
		if e.enc != nil {
			title = fmt.Sprintf("%s — visit: %s", day(e.enc.Start), orDash(e.enc.Reason))
			sub = origin(e.enc.Origin, "seen", "")
			if len(e.notes) == 0 && sub == "" {
				sub = "No note signed for this visit yet."
			}
		} else {
			title = day(e.notes[0].Time) + " — note"
		}
		box := container.NewVBox()
		for _, n := range e.notes {
			box.Add(v.noteCard(n))
		}
		v.timeline.Add(widget.NewCard(title, sub, box))
	}
	v.timeline.Refresh()
}

// noteCard shows one signed note with its addenda and a way to add one.
func (v *chartView) noteCard(n chart.Note) fyne.CanvasObject {
	rows := container.NewVBox()
	for _, part := range []struct{ label, text string }{
		{"S", n.Subjective}, {"O", n.Objective}, {"A", n.Assessment}, {"P", n.Plan},
	} {
		if part.text == "" {
			continue
		}
		rows.Add(container.NewBorder(nil, nil, container.NewPadded(bold(part.label)), nil, wrapped(part.text)))
	}
	if n.IsImported() {
		rows.Add(signature(origin(n.Origin, "written", n.AuthorName), n.Verified, n.Problem))
	} else {
		rows.Add(signedBy(n.AuthorName, n.Time, n.Verified, n.Problem))
	}
	for _, a := range n.Addenda {
		l := wrapped(addendumText(a))
		if !a.Verified {
			l.Importance = widget.DangerImportance
			l.SetText(l.Text + " (signature does not check out)")
		}
		rows.Add(container.NewBorder(nil, nil, widget.NewIcon(theme.DocumentCreateIcon()), nil, l))
	}
	rows.Add(v.addendumRow(n.ID))
	return rows
}

// signedBy says who signed a record and whether the signature checks out.
func signedBy(name string, t time.Time, ok bool, problem string) fyne.CanvasObject {
	return signature(fmt.Sprintf("Signed by %s, %s", name, stamp(t)), ok, problem)
}

// signature is a small line saying who signed a record (who), followed by
// whether the signature checks out; a warning in its place when it does
// not.
func signature(who string, ok bool, problem string) fyne.CanvasObject {
	if ok {
		l := quiet(who + " · signature verified")
		return container.NewBorder(nil, nil, widget.NewIcon(theme.ConfirmIcon()), nil, l)
	}
	l := wrapped(fmt.Sprintf("Signature does not check out: do not rely on this record (%s)", problem))
	l.Importance = widget.DangerImportance
	return container.NewBorder(nil, nil, widget.NewIcon(theme.ErrorIcon()), nil, l)
}

// addendumRow is a collapsed "Add addendum" button that opens an entry.
func (v *chartView) addendumRow(of string) fyne.CanvasObject {
	text := kit.NewTextArea()
	text.SetPlaceHolder("Correction or addition (signed, points to this record)")
	fb := newFeedback()
	var sign *widget.Button
	sign = widget.NewButtonWithIcon("Sign addendum", theme.ConfirmIcon(), func() {
		t := text.Text
		v.act(func(ctx context.Context) error { _, err := v.c.AddAddendum(ctx, of, t); return err }, "Addendum signed.", fb, nil)
	})
	form := container.NewVBox(text, container.NewBorder(nil, nil, nil, sign, fb.Label))
	form.Hide()
	open := widget.NewButtonWithIcon("Add addendum", theme.ContentAddIcon(), nil)
	open.Importance = widget.LowImportance
	open.OnTapped = func() {
		open.Hide()
		form.Show()
	}
	return container.NewVBox(container.NewHBox(open), form)
}
