package physician

import (
	"context"
	"fmt"
	"io"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app/interop"
	"github.com/medihaven/medihaven/ui/kit"
)

// The physician's ways in and out of the clinic: the calendar as
// iCalendar, a chart as FHIR or as the patient's own copy, and the
// patients screen's transfers.

// Spans of a calendar export.
const (
	spanWeek   = "This week"
	span4Weeks = "Next 4 weeks"
	span3Month = "Next 3 months"
	spanDates  = "Choose dates"
)

// detailChoices are the calendar export's levels of detail, with what
// each means for who may see the file.
var detailChoices = []struct {
	label   string
	detail  interop.ICSDetail
	explain string
}{
	{"Busy only", interop.ICSBusy, "Each event says only “Appointment”: safe for a phone or shared calendar that others can see."},
	{"Initials and MRN", interop.ICSInitials, "Events show the patient's initials and MRN: anyone who sees this calendar can tell who comes when. Keep it to yourself and the clinic."},
	{"Name and reason", interop.ICSFull, "Events show the patient's name and the reason for the visit: health information. Only for a calendar nobody else can see."},
}

// icsDialog asks what to export of the physician's calendar.
type icsDialog struct {
	cs       *calendarScreen
	d        *dialog.CustomDialog
	span     *kit.TypeSelect
	from, to *kit.Entry
	dates    *fyne.Container
	detail   *kit.Radio
	explain  *widget.Label
	fb       feedback
	export   *widget.Button
}

// exportCalendar opens the calendar export dialog.
func (cs *calendarScreen) exportCalendar() {
	x := &icsDialog{cs: cs, fb: newFeedback()}
	x.from, x.to = kit.NewEntry(), kit.NewEntry()
	x.from.SetPlaceHolder(dayPlaceholder())
	x.to.SetPlaceHolder(dayPlaceholder())
	today := startOfDay(cs.now())
	x.from.SetText(kit.FormatDate(today))
	x.to.SetText(kit.FormatDate(today.AddDate(0, 0, 13)))
	x.dates = container.NewVBox(
		container.NewHBox(widget.NewLabel("From"), kit.AtLeast(130, 0, x.from), widget.NewLabel("to"), kit.AtLeast(130, 0, x.to)),
		quiet("The first and the last day are both included."))
	x.dates.Hide()
	x.span = kit.NewTypeSelect([]string{spanWeek, span4Weeks, span3Month, spanDates}, func(s string) {
		x.dates.Hidden = s != spanDates
		x.dates.Refresh()
		x.resize()
	})
	x.span.SetSelected(span4Weeks)
	x.explain = quiet("")
	labels := make([]string, len(detailChoices))
	for i, c := range detailChoices {
		labels[i] = c.label
	}
	x.detail = kit.NewRadio(labels, func(s string) {
		x.explain.SetText(detailChoices[detailOf(s)].explain)
		x.resize()
	})
	x.detail.SetSelected(detailChoices[0].label)

	content := container.NewVBox(
		bold("Which days"), x.span, x.dates,
		bold("What each event says"), x.detail, x.explain,
		x.fb.Label)
	x.d = dialog.NewCustomWithoutButtons("Export calendar", kit.AtLeast(500, 0, content), cs.win)
	x.export = widget.NewButtonWithIcon("Export…", theme.DocumentSaveIcon(), x.run)
	x.export.Importance = widget.HighImportance
	x.d.SetButtons([]fyne.CanvasObject{widget.NewButton("Cancel", x.d.Hide), x.export})
	cs.ics = x
	x.d.Show()
}

func (x *icsDialog) resize() {
	if x.d != nil {
		x.d.Resize(x.d.MinSize())
	}
}

// days is the chosen range of days, [from, to).
func (x *icsDialog) days() (from, to time.Time, err error) {
	today := startOfDay(x.cs.now())
	switch x.span.Selected {
	case spanWeek:
		from = startOfWeek(today)
		return from, from.AddDate(0, 0, 7), nil
	case span4Weeks:
		return today, today.AddDate(0, 0, 28), nil
	case span3Month:
		return today, today.AddDate(0, 3, 0), nil
	}
	if from, err = typedDay(x.from.Text); err != nil {
		return from, to, fmt.Errorf("the first day: %w", err)
	}
	if to, err = typedDay(x.to.Text); err != nil {
		return from, to, fmt.Errorf("the last day: %w", err)
	}
	if to.Before(from) {
		return from, to, fmt.Errorf("the last day (%s) is before the first (%s)", day(to), day(from))
	}
	return from, to.AddDate(0, 0, 1), nil
}

// detailOf is the detail choice labelled label (busy only if none).
func detailOf(label string) int {
	for i, c := range detailChoices {
		if c.label == label {
			return i
		}
	}
	return 0
}

// run exports the chosen days and asks where to save them.
func (x *icsDialog) run() {
	from, to, err := x.days()
	if err != nil {
		x.fb.fail(err)
		x.resize()
		return
	}
	o := interop.ICSOptions{Physician: x.cs.c.Fingerprint(), From: from, To: to, Detail: detailChoices[detailOf(x.detail.Selected)].detail}
	x.d.Hide()
	c := x.cs.c
	x.cs.files.Export(kit.Export{
		Title:  "Export calendar",
		File:   "calendar-" + from.Format("2006-01-02") + ".ics",
		Busy:   "Reading your appointments…",
		Button: x.cs.exportBtn,
		Write: func(ctx context.Context, w io.Writer) (int, error) {
			return c.ExportCalendarICS(ctx, w, o)
		},
		Saved: func(n int, where string) string {
			return fmt.Sprintf("%s from %s to %s exported to %s.", kit.Count(n, "appointment", "appointments"),
				day(from), day(to.AddDate(0, 0, -1)), where)
		},
	})
}

// interopButtons are the chart's "Patient copy…" and "Export FHIR…",
// enabled once the chart is read.
func (v *chartView) interopButtons() fyne.CanvasObject {
	v.copyBtn = widget.NewButtonWithIcon("Patient copy…", theme.MailSendIcon(), func() {
		p := v.chart.Patient
		id := v.patientID
		v.files.PatientCopy(fmt.Sprintf("%s · MRN %s", p.Name(), p.MRN), func(ctx context.Context) (interop.PatientCopy, error) {
			return v.c.HandOutPatientCopy(ctx, id)
		})
	})
	v.fhirBtn = widget.NewButtonWithIcon("Export FHIR…", theme.DocumentSaveIcon(), func() {
		v.files.Export(kit.ExportFHIR(v.patientID, v.chart.Patient.MRN, v.fhirBtn, v.c.ExportFHIR))
	})
	v.copyBtn.Disable()
	v.fhirBtn.Disable()
	return container.NewHBox(v.copyBtn, v.fhirBtn)
}

// transfers is the patients screen's card for records coming from or
// going to another clinic; ended runs once an import has ended (its last
// dialog closed, or cancelled).
func (s *screen) transfers(ended func()) fyne.CanvasObject {
	var imp, exp *widget.Button
	imp = widget.NewButtonWithIcon("Import transfer (FHIR)…", theme.DownloadIcon(), func() {
		f := s.files
		f.Ended = ended
		f.ImportFHIRPreviewed(imp, s.c)
	})
	exp = widget.NewButtonWithIcon("Export clinic (FHIR)…", theme.UploadIcon(), func() {
		s.files.Export(kit.ExportFHIR("", "", exp, s.c.ExportFHIR))
	})
	return widget.NewCard("Transfers", "", container.NewVBox(
		quiet("Import a patient transferring from another clinic (a FHIR R4 bundle: all of it is checked first, and nothing is written if any entry is wrong), or export every record you may read, for another system."),
		container.NewHBox(imp, exp)))
}
