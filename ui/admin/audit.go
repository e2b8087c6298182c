package admin

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app"
	appadmin "github.com/medihaven/medihaven/app/admin"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/ui/kit"
)

// AuditDesk is what the audit log screen needs: the session's change
// feed and its administration views.
type AuditDesk interface {
	Changes
	SearchAudit(ctx context.Context, f appadmin.AuditFilter) ([]app.AuditEntry, error)
	VerifyLog(ctx context.Context) (appadmin.Verification, error)
	ExportAuditCSV(ctx context.Context, w io.Writer, f appadmin.AuditFilter) error
	ExportAuditFHIR(ctx context.Context, w io.Writer, f appadmin.AuditFilter) error
	RefusedDesk
}

// shownEntries caps the rows drawn; the export always has them all.
const shownEntries = 1000

type auditScreen struct {
	loads kit.Newest // only the newest load draws (load)
	d     AuditDesk
	win   fyne.Window

	person, patient, from, to *kit.Entry
	search, verify            *widget.Button
	status, verdict           *widget.Label
	list                      *widget.List
	rows                      []app.AuditEntry
}

// NewAudit builds the audit log: who did what, to which patient (by MRN),
// when and from which workstation; filters by person, patient and dates;
// a button that verifies every chain and says the result plainly; export
// as CSV or as a FHIR R4 AuditEvent bundle; and, in a tab of its own
// (PartRefused), the events this workstation refused. A session without
// administration views gets no screen (nil).
func NewAudit(c Changes, w fyne.Window) fyne.CanvasObject {
	v, ok := viewsOf(c)
	if !ok {
		return nil
	}
	s := &auditScreen{d: struct {
		Changes
		Views
	}{c, v}, win: w}
	s.person = kit.NewEntry()
	s.person.SetPlaceHolder("Name or key")
	s.patient = kit.NewEntry()
	s.patient.SetPlaceHolder("MRN")
	s.from = kit.NewEntry()
	s.from.SetPlaceHolder(kit.CurrentDateFormat().Placeholder())
	s.to = kit.NewEntry()
	s.to.SetPlaceHolder(kit.CurrentDateFormat().Placeholder())
	for _, e := range []*kit.Entry{s.person, s.patient, s.from, s.to} {
		e.OnSubmitted = func(string) { s.refresh() }
	}
	s.search = widget.NewButtonWithIcon("Search", theme.SearchIcon(), s.refresh)
	s.search.Importance = widget.HighImportance
	clearBtn := widget.NewButton("Clear", func() {
		for _, e := range []*kit.Entry{s.person, s.patient, s.from, s.to} {
			e.SetText("")
		}
		s.refresh()
	})
	// The filters wrap onto a second row in a narrow window (1024 px).
	filters := container.New(layout.NewRowWrapLayout(),
		container.NewHBox(widget.NewLabel("Person"), kit.AtLeast(170, 0, s.person)),
		container.NewHBox(widget.NewLabel("Patient"), kit.AtLeast(120, 0, s.patient)),
		container.NewHBox(widget.NewLabel("From"), kit.AtLeast(125, 0, s.from)),
		container.NewHBox(widget.NewLabel("To"), kit.AtLeast(125, 0, s.to)),
		container.NewHBox(s.search, clearBtn))

	s.verify = widget.NewButtonWithIcon("Check the log is intact", theme.ConfirmIcon(), s.runVerify)
	s.verdict = newNote("")
	s.verdict.Hide()
	var csvBtn, fhirBtn *widget.Button
	csvBtn = widget.NewButtonWithIcon("Export CSV", theme.DocumentSaveIcon(), func() { s.export("csv", csvBtn) })
	fhirBtn = widget.NewButtonWithIcon("Export FHIR", theme.DocumentSaveIcon(), func() { s.export("json", fhirBtn) })
	actions := container.NewHBox(s.verify, csvBtn, fhirBtn)

	s.status = widget.NewLabel("Loading…")
	s.list = widget.NewList(func() int { return len(s.rows) }, s.newRow, s.updateRow)
	header := container.NewBorder(nil, nil, container.NewHBox(
		kit.AtLeast(140, 0, bold("When")), kit.AtLeast(170, 0, bold("Who")), kit.AtLeast(110, 0, bold("Patient"))),
		kit.AtLeast(110, 0, bold("Workstation")), bold("What"))
	content := container.NewBorder(
		container.NewVBox(filters, actions, s.verdict, s.status, header), nil, nil, nil,
		kit.AtLeast(0, 380, s.list))
	logTab := container.NewTabItemWithIcon("Log", theme.HistoryIcon(), content)
	refusedTab := container.NewTabItemWithIcon("Refused", theme.WarningIcon(), nil)
	tabs := container.NewAppTabs(logTab, refusedTab)
	refused, refusedView := newRefusedList(s.d, func(n int) {
		if title := refusedTitle(n); refusedTab.Text != title {
			refusedTab.Text = title
			tabs.Refresh()
		}
	})
	refusedTab.Content = refusedView
	s.refresh()
	refused.refresh()
	view := &auditView{tabs: tabs, refused: refusedTab, content: kit.Live(tabs, func() func() {
		return liveRefresh(c, nil, func() { s.refresh(); refused.refresh() })
	})}
	view.ExtendBaseWidget(view)
	return view
}

// refusedTitle is the refused tab's title: "Refused (3)".
func refusedTitle(n int) string {
	if n == 0 {
		return "Refused"
	}
	return fmt.Sprintf("Refused (%d)", n)
}

// auditView is the audit screen: its log and its refused events, each a
// tab; the status bar's count of refused events opens the second
// (kit.Parted).
type auditView struct {
	widget.BaseWidget
	tabs    *container.AppTabs
	refused *container.TabItem
	content fyne.CanvasObject
}

// Content is the wrapped content (tests walk widget trees through it).
func (v *auditView) Content() fyne.CanvasObject { return v.content }

// ShowPart is part of kit.Parted: PartRefused selects the refused tab.
func (v *auditView) ShowPart(part string) bool {
	if part != PartRefused {
		return false
	}
	v.tabs.Select(v.refused)
	return true
}

// CreateRenderer is part of fyne.Widget.
func (v *auditView) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(v.content)
}

func bold(text string) *widget.Label {
	return widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

// filter reads the filter fields; dates are local days, the end day included.
func (s *auditScreen) filter() (appadmin.AuditFilter, error) {
	f := appadmin.AuditFilter{Person: s.person.Text, Patient: s.patient.Text}
	day := func(what, text string) (time.Time, error) {
		text = strings.TrimSpace(text)
		if text == "" {
			return time.Time{}, nil
		}
		t, err := kit.ParseDate(text, time.Local) // as the workstation writes dates (Settings), or YYYY-MM-DD
		if err != nil {
			return time.Time{}, fmt.Errorf("the %s date: %w", what, err)
		}
		return t, nil
	}
	var err error
	if f.From, err = day("start", s.from.Text); err != nil {
		return f, err
	}
	if f.To, err = day("end", s.to.Text); err != nil {
		return f, err
	}
	if !f.To.IsZero() {
		f.To = f.To.AddDate(0, 0, 1)
	}
	return f, nil
}

func (s *auditScreen) refresh() {
	f, err := s.filter()
	if err != nil {
		s.status.SetText(kit.ErrorText(err))
		s.status.Importance = widget.DangerImportance
		s.status.Refresh()
		return
	}
	s.search.Disable()
	load(&s.loads, func(ctx context.Context) ([]app.AuditEntry, error) {
		rows, err := s.d.SearchAudit(ctx, f)
		return appadmin.OneLinePerAct(rows), err // one act, one line; the exports keep every event
	}, func(rows []app.AuditEntry, err error) {
		s.search.Enable()
		s.status.Importance = widget.MediumImportance
		if err != nil {
			s.status.SetText("The audit log cannot be read: " + kit.ErrorText(err))
			s.status.Importance = widget.DangerImportance
			s.status.Refresh()
			return
		}
		n := len(rows)
		if n > shownEntries {
			rows = rows[:shownEntries]
		}
		s.rows = rows
		switch {
		case n == 0:
			s.status.SetText("No entry matches these filters.")
		case n > shownEntries:
			s.status.SetText(fmt.Sprintf("%d entries; showing the newest %d (narrow the filters, or export them all)", n, shownEntries))
		default:
			s.status.SetText(fmt.Sprintf("%d entries, newest first", n))
		}
		s.status.Refresh()
		s.list.Refresh()
	})
}

func (s *auditScreen) newRow() fyne.CanvasObject {
	at := widget.NewLabel("2 Jan 2006 15:04")
	who := widget.NewLabel("Dr Somebody")
	who.Truncation = fyne.TextTruncateEllipsis
	patient := widget.NewLabelWithStyle("MRN", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	what := widget.NewLabel("")
	what.Truncation = fyne.TextTruncateEllipsis
	device := widget.NewLabelWithStyle("0000 0000", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	return container.NewBorder(nil, nil,
		container.NewHBox(kit.AtLeast(140, 0, at), kit.AtLeast(170, 0, who), kit.AtLeast(110, 0, patient)),
		kit.AtLeast(110, 0, device), what)
}

func (s *auditScreen) updateRow(i widget.ListItemID, o fyne.CanvasObject) {
	if i >= len(s.rows) {
		return
	}
	e := s.rows[i]
	c := o.(*fyne.Container)
	left := c.Objects[1].(*fyne.Container)
	left.Objects[0].(*fyne.Container).Objects[0].(*widget.Label).SetText(when(e.Time))
	name := e.Name
	if name == "" {
		name = appadmin.ShortFingerprint(e.Author)
	}
	left.Objects[1].(*fyne.Container).Objects[0].(*widget.Label).SetText(name)
	patient := e.Record.Patient
	if patient == "" {
		patient = "—"
	}
	left.Objects[2].(*fyne.Container).Objects[0].(*widget.Label).SetText(patient)
	what := c.Objects[0].(*widget.Label)
	what.SetText(e.Describe())
	if e.Kind == "audit" {
		what.Importance = widget.MediumImportance
	} else {
		what.Importance = widget.LowImportance
	}
	what.Refresh()
	c.Objects[2].(*fyne.Container).Objects[0].(*widget.Label).SetText(shortDevice(e.Device))
}

func (s *auditScreen) runVerify() {
	s.verify.Disable()
	s.verdict.SetText("Checking that no entry of any workstation was altered, removed or reordered…")
	s.verdict.Importance = widget.MediumImportance
	s.verdict.Show()
	background(s.d.VerifyLog, func(v appadmin.Verification, err error) {
		s.verify.Enable()
		switch {
		case err != nil:
			s.verdict.SetText("The check could not run: " + kit.ErrorText(err))
			s.verdict.Importance = widget.DangerImportance
		case v.Intact():
			s.verdict.SetText("✔ " + v.Summary())
			s.verdict.Importance = widget.SuccessImportance
		default:
			lines := []string{"✘ " + v.Summary()}
			for i, p := range v.Problems {
				if i == 10 {
					lines = append(lines, fmt.Sprintf("… and %d more", len(v.Problems)-10))
					break
				}
				lines = append(lines, "• "+problemLine(p))
			}
			s.verdict.SetText(strings.Join(lines, "\n"))
			s.verdict.Importance = widget.DangerImportance
		}
		s.verdict.Refresh()
	})
}

// export asks where to save and writes the filtered log as CSV or FHIR
// JSON; back, the button, gets the keyboard when the saved notice closes.
func (s *auditScreen) export(ext string, back fyne.Focusable) {
	f, err := s.filter()
	if err != nil {
		kit.ShowError("Could not export the audit log", kit.ErrorText(err), s.win).Back(back)
		return
	}
	name := "audit-" + time.Now().Format("2006-01-02")
	if ext == "csv" {
		name += ".csv"
	} else {
		name += ".fhir.json"
	}
	kit.ChooseSaveDialog(s.win)(name, func(w fyne.URIWriteCloser, err error) {
		if err != nil {
			kit.ShowError("Could not export the audit log", "The export was not written: "+kit.ErrorText(err), s.win).Back(back)
			return
		}
		if w == nil {
			return
		}
		background(func(ctx context.Context) (struct{}, error) {
			defer w.Close()
			if ext == "csv" {
				return struct{}{}, s.d.ExportAuditCSV(ctx, w, f)
			}
			return struct{}{}, s.d.ExportAuditFHIR(ctx, w, f)
		}, func(_ struct{}, err error) {
			if err != nil {
				kit.ShowError("Could not export the audit log", "The export was not written: "+kit.ErrorText(err), s.win).Back(back)
				return
			}
			kit.Notice{Title: "Exported", Message: "The audit log was saved to " + w.URI().Path() +
				". It names staff and patients by MRN: keep it as carefully as the records.", Back: back}.Show(s.win)
		})
	})
}

// shortDevice is the first eight hex digits of a workstation id, in two groups.
func shortDevice(id string) string {
	s := appadmin.ShortFingerprint(id)
	if len(s) > 9 {
		s = s[:9]
	}
	return s
}

// problemLine is one problem the check found, in the words the log uses
// ("Workstation ab12 cd34, change no. 5: …"; replica's String reads
// "device ab12 seq 5 (event …)").
func problemLine(p replica.Problem) string {
	if p.Device == "" {
		return p.String()
	}
	return fmt.Sprintf("Workstation %s, change no. %d: %s", shortDevice(p.Device), p.Seq, p.Reason)
}
