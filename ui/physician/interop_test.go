package physician

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/app/frontdesk"
	"github.com/medihaven/medihaven/app/interop"
	"github.com/medihaven/medihaven/app/prescribing"
	"github.com/medihaven/medihaven/ui/kit"
	"github.com/medihaven/medihaven/ui/kit/kittest"
)

// interopFake is a physician's session whose interoperability calls are
// recorded and answered in memory; the rest is the real session.
type interopFake struct {
	Session
	Charts
	Prescribing
	Days
	ics       []interop.ICSOptions
	fhir      []string // patients exported ("" the clinic)
	imported  []string // bundles read
	written   int      // resources the import wrote
	importErr error
	copies    []string // patients handed a copy
	copyErr   error
}

func (f *interopFake) ExportCalendarICS(_ context.Context, w io.Writer, o interop.ICSOptions) (int, error) {
	f.ics = append(f.ics, o)
	_, err := io.WriteString(w, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n")
	return 3, err
}

func (f *interopFake) ExportFHIR(_ context.Context, w io.Writer, patientID string) (interop.FHIRExport, error) {
	f.fhir = append(f.fhir, patientID)
	_, err := io.WriteString(w, `{"resourceType":"Bundle","type":"collection"}`)
	return interop.FHIRExport{Resources: map[string]int{"Patient": 1, "Condition": 2}, Total: 3}, err
}

func (f *interopFake) ImportFHIR(_ context.Context, r io.Reader) (interop.FHIRImport, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return interop.FHIRImport{}, err
	}
	f.imported = append(f.imported, string(b))
	if f.importErr != nil {
		return interop.FHIRImport{}, f.importErr
	}
	f.written += 4
	return interop.FHIRImport{Resources: map[string]int{"Patient": 1, "AllergyIntolerance": 1, "Condition": 2}, Total: 4,
		Notes: []string{"The other clinic's practitioner Dr Jones was kept as a name."}}, nil
}

func (f *interopFake) PreviewFHIR(_ context.Context, r io.Reader) (interop.FHIRImport, error) {
	if _, err := io.ReadAll(r); err != nil {
		return interop.FHIRImport{}, err
	}
	if f.importErr != nil {
		return interop.FHIRImport{}, f.importErr
	}
	return interop.FHIRImport{Resources: map[string]int{"Patient": 1, "AllergyIntolerance": 1, "Condition": 2}, Total: 4,
		LeftOut: map[string]int{"Claim": 3}, LeftOutTotal: 3}, nil
}

func (f *interopFake) ImportFHIRProgress(ctx context.Context, r io.Reader, progress func(done, total int)) (interop.FHIRImport, error) {
	progress(1, 2)
	got, err := f.ImportFHIR(ctx, r)
	if err == nil {
		progress(2, 2)
	}
	return got, err
}

func (f *interopFake) OutsideRecords(ctx context.Context, patientID string) (interop.Outside, error) {
	return interop.Outside{}, nil
}

func (f *interopFake) HandOutPatientCopy(_ context.Context, patientID string) (interop.PatientCopy, error) {
	f.copies = append(f.copies, patientID)
	if f.copyErr != nil {
		return interop.PatientCopy{}, f.copyErr
	}
	return interop.PatientCopy{Patient: patientID, MRN: "MH0000001", CID: "bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi",
		Passphrase: "otter-maple-cinder-violet-harbor-quartz", Handout: []byte("%PDF-1.4 handout"), Created: time.Now()}, nil
}

// saved records what the screens offered to save.
type saved struct{ name, data string }

// interopScreen is a physician's screen on the fake, working in place,
// with the save and open dialogs replaced.
func interopScreen(t *testing.T, c *testClinic) (*screen, *interopFake, *[]saved, *string) {
	t.Helper()
	f := &interopFake{Session: c.phys, Charts: chart.New(c.phys.Core()), Prescribing: prescribing.New(c.phys.Core()),
		Days: frontdesk.New(c.phys.Core())}
	w := test.NewTempWindow(t, widget.NewLabel(""))
	w.Resize(fyne.NewSize(1200, 800))
	s := newScreen(f, w)
	s.inline, s.now = true, func() time.Time { return c.now }
	var files []saved
	s.files.Save = func(name string, data []byte, done func(string, error)) {
		files = append(files, saved{name, string(data)})
		done("/tmp/"+name, nil)
	}
	bundle := new(string)
	s.files.Open = func(exts []string, done func(string, io.ReadCloser, error)) {
		done("transfer.json", io.NopCloser(strings.NewReader(*bundle)), nil)
	}
	return s, f, &files, bundle
}

func TestExportCalendar(t *testing.T) {
	test.NewTempApp(t)
	c := newTestClinic(t)
	s, f, files, _ := interopScreen(t, c)
	cs := newCalendar(s)
	s.win.SetContent(container.NewVScroll(cs.stack))

	test.Tap(cs.exportBtn)
	x := cs.ics
	if x == nil || x.detail.Selected != "Busy only" || !strings.Contains(x.explain.Text, "only “Appointment”") {
		t.Fatalf("the dialog does not default to busy only with its explanation: %+v", x)
	}

	tests := []struct {
		name, span, from, to, detail string
		want                         interop.ICSOptions
		wantErr                      string
	}{
		{name: "default four weeks, busy", span: span4Weeks, detail: "Busy only",
			want: interop.ICSOptions{From: startOfDay(c.now), To: startOfDay(c.now).AddDate(0, 0, 28), Detail: interop.ICSBusy}},
		{name: "this week, initials", span: spanWeek, detail: "Initials and MRN",
			want: interop.ICSOptions{From: startOfWeek(c.now), To: startOfWeek(c.now).AddDate(0, 0, 7), Detail: interop.ICSInitials}},
		{name: "dates, full", span: spanDates, from: "2026-11-02", to: "2026-11-15", detail: "Name and reason",
			want: interop.ICSOptions{From: time.Date(2026, 11, 2, 0, 0, 0, 0, time.Local), To: time.Date(2026, 11, 16, 0, 0, 0, 0, time.Local), Detail: interop.ICSFull}},
		{name: "dates reversed", span: spanDates, from: "2026-11-15", to: "2026-11-02", detail: "Busy only", wantErr: "before the first"},
		{name: "not a date", span: spanDates, from: "15/11/2026", to: "2026-11-02", detail: "Busy only", wantErr: "is not a date"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			test.Tap(cs.exportBtn)
			x := cs.ics
			x.span.SetSelected(tc.span)
			if x.dates.Visible() != (tc.span == spanDates) {
				t.Errorf("the date fields show %v for %q", x.dates.Visible(), tc.span)
			}
			x.from.SetText(tc.from)
			x.to.SetText(tc.to)
			x.detail.SetSelected(tc.detail)
			calls, nfiles := len(f.ics), len(*files)
			test.Tap(x.export)
			if tc.wantErr != "" {
				if !x.fb.Visible() || !strings.Contains(x.fb.Text, tc.wantErr) || len(f.ics) != calls || len(*files) != nfiles {
					t.Fatalf("bad dates: %q, %d exports", x.fb.Text, len(f.ics)-calls)
				}
				return
			}
			if len(f.ics) != calls+1 {
				t.Fatalf("no export: %q", x.fb.Text)
			}
			got := f.ics[len(f.ics)-1]
			tc.want.Physician = c.phys.Fingerprint()
			if got.Physician != tc.want.Physician || !got.From.Equal(tc.want.From) || !got.To.Equal(tc.want.To) || got.Detail != tc.want.Detail {
				t.Errorf("options %+v, want %+v", got, tc.want)
			}
			file := (*files)[len(*files)-1]
			if file.name != "calendar-"+tc.want.From.Format("2006-01-02")+".ics" || !strings.HasPrefix(file.data, "BEGIN:VCALENDAR") {
				t.Errorf("saved %q: %q", file.name, file.data)
			}
			msg := fmt.Sprintf("3 appointments from %s to %s exported to /tmp/%s.", day(tc.want.From), day(tc.want.To.AddDate(0, 0, -1)), file.name)
			if !strings.Contains(kittest.Dialog(s.win), msg) {
				t.Errorf("confirmation %q, want %q", kittest.Dialog(s.win), msg)
			}
			if cs.exportBtn.Disabled() {
				t.Error("the export button stayed disabled")
			}
		})
	}
}

func TestChartExportAndPatientCopy(t *testing.T) {
	test.NewTempApp(t)
	c := newTestClinic(t)
	p, _ := c.book(t, "Chartwell", c.now.Add(time.Hour))
	s, f, files, _ := interopScreen(t, c)
	fi := newPatients(s)
	s.win.SetContent(fi.stack)
	fi.open(p.ID)
	v := fi.chart
	if v == nil || !v.loaded || v.fhirBtn.Disabled() || v.copyBtn.Disabled() {
		t.Fatal("the chart did not open with its export buttons enabled")
	}

	// Export FHIR: the patient's bundle, saved as MRN.json.
	test.Tap(v.fhirBtn)
	if len(f.fhir) != 1 || f.fhir[0] != p.ID {
		t.Fatalf("exported %q", f.fhir)
	}
	if got := (*files)[0]; got.name != p.MRN+".json" || !strings.Contains(got.data, `"Bundle"`) {
		t.Errorf("saved %+v", got)
	}
	if msg := kittest.Dialog(s.win); !strings.Contains(msg, "3 FHIR resources exported to /tmp/"+p.MRN+".json") {
		t.Errorf("confirmation %q", msg)
	}
	kittest.TapDialog(t, s.win, "OK")

	// The patient copy: a failure in plain words first, then the copy.
	f.copyErr = errors.New("app: no IPFS node is configured for this clinic: ask the administrator to set one in the settings")
	test.Tap(v.copyBtn)
	if msg := kittest.Dialog(s.win); !strings.Contains(msg, "encrypted with a new passphrase") || !strings.Contains(msg, "Chartwell, Cora · MRN "+p.MRN) {
		t.Errorf("the dialog does not explain what will happen: %q", msg)
	}
	kittest.TapDialog(t, s.win, "Make the copy")
	if msg := kittest.Dialog(s.win); !strings.Contains(msg, "No IPFS node is configured") || !strings.Contains(msg, "nothing was handed out") {
		t.Errorf("error shown %q", msg)
	}
	f.copyErr = nil
	kittest.TapDialog(t, s.win, "Try again")
	if len(f.copies) != 2 || f.copies[1] != p.ID {
		t.Fatalf("copies %q", f.copies)
	}
	msg := kittest.Dialog(s.win)
	for _, want := range []string{"bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi", "otter-maple-cinder-violet-harbor-quartz", "shown only this once"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the dialog does not show %q: %q", want, msg)
		}
	}
	kittest.TapDialog(t, s.win, "Save handout PDF…")
	if got := (*files)[len(*files)-1]; got.name != "handout-MH0000001.pdf" || !strings.HasPrefix(got.data, "%PDF-") {
		t.Errorf("handout saved as %+v", got)
	}
	if msg := kittest.Dialog(s.win); !strings.Contains(msg, "Handout saved to /tmp/handout-MH0000001.pdf") {
		t.Errorf("no confirmation of the handout: %q", msg)
	}
	kittest.TapDialog(t, s.win, "Done")
	if top := s.win.Canvas().Overlays().Top(); top != nil {
		t.Errorf("the dialog stayed open: %q", kittest.Dialog(s.win))
	}
}

func TestImportAndExportTransfers(t *testing.T) {
	test.NewTempApp(t)
	c := newTestClinic(t)
	s, f, files, bundle := interopScreen(t, c)
	fi := newPatients(s)
	s.win.SetContent(fi.stack)

	// A bundle with a mistake: the error names the entry and field, and
	// says nothing was imported.
	*bundle = `{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient","birthDate":"1961-13-45"}}]}`
	f.importErr = errors.New(`app: entry 0 (Patient): birthDate "1961-13-45" is not a date`)
	test.Tap(button(t, fi.stack, "Import transfer (FHIR)…"))
	msg := kittest.Dialog(s.win)
	if !strings.Contains(msg, `Entry 0 (Patient): birthDate "1961-13-45" is not a date`) || !strings.Contains(msg, "nothing of it was written") {
		t.Errorf("import error shown %q", msg)
	}
	if len(f.imported) != 0 || f.written != 0 {
		t.Errorf("a bundle the preview refused was imported: %q, wrote %d", f.imported, f.written)
	}
	kittest.TapDialog(t, s.win, "Close")

	// A good bundle: first what it holds, then, on Import, the summary,
	// counts and notes.
	f.importErr = nil
	test.Tap(button(t, fi.stack, "Import transfer (FHIR)…"))
	msg = kittest.Dialog(s.win)
	for _, want := range []string{"This bundle holds 1 patient, 3 records Medihaven keeps and 3 it leaves out.", "Kept", "Left out", "Claim"} {
		if !strings.Contains(msg, want) {
			t.Errorf("preview lacks %q: %q", want, msg)
		}
	}
	if len(f.imported) != 0 {
		t.Fatal("the preview imported")
	}
	kittest.TapDialog(t, s.win, "Cancel")
	if len(f.imported) != 0 {
		t.Fatal("a cancelled preview imported")
	}
	test.Tap(button(t, fi.stack, "Import transfer (FHIR)…"))
	kittest.TapDialog(t, s.win, "Import")
	if len(f.imported) != 1 || f.imported[0] != *bundle {
		t.Errorf("the import read %q", f.imported)
	}
	msg = kittest.Dialog(s.win)
	for _, want := range []string{"4 resources imported from transfer.json", "AllergyIntolerance", "Dr Jones was kept as a name"} {
		if !strings.Contains(msg, want) {
			t.Errorf("summary lacks %q: %q", want, msg)
		}
	}
	if f.written != 4 {
		t.Errorf("wrote %d", f.written)
	}
	s.win.Canvas().Unfocus()
	kittest.TapDialog(t, s.win, "OK")
	// The summary closed, the keyboard is in the search: the physician
	// types the name of the patient just imported.
	if s.win.Canvas().Focused() != fi.query {
		t.Errorf("after the import the keyboard is on %T, not the search", s.win.Canvas().Focused())
	}

	// The whole clinic.
	test.Tap(button(t, fi.stack, "Export clinic (FHIR)…"))
	if len(f.fhir) != 1 || f.fhir[0] != "" || len(*files) != 1 || (*files)[0].name != "clinic-fhir.json" {
		t.Errorf("clinic export: %q, saved %+v", f.fhir, *files)
	}
}

// TestExportCalendarOfTheSession runs the export on the real session: the
// saved file is iCalendar with the booked visit, and busy only says
// nothing of the patient.
func TestExportCalendarOfTheSession(t *testing.T) {
	test.NewTempApp(t)
	c := newTestClinic(t)
	c.book(t, "Chartwell", c.now.Add(time.Hour))
	s, _, files, _ := interopScreen(t, c)
	s.c = clinicOfTest(t, c.phys)
	cs := newCalendar(s)
	s.win.SetContent(cs.stack)
	test.Tap(cs.exportBtn)
	test.Tap(cs.ics.export)
	if len(*files) != 1 {
		t.Fatalf("nothing saved: %q", kittest.Dialog(s.win))
	}
	ics := (*files)[0].data
	if !strings.HasPrefix(ics, "BEGIN:VCALENDAR") || strings.Count(ics, "BEGIN:VEVENT") != 1 || strings.Contains(ics, "Chartwell") {
		t.Errorf("calendar file:\n%s", ics)
	}
	if msg := kittest.Dialog(s.win); !strings.Contains(msg, "1 appointment from") {
		t.Errorf("confirmation %q", msg)
	}
}

// TestExportDatesPrefilledAsTheWorkstationWritesThem: the export's own
// dates are written in the Settings format (they were ISO beside a
// placeholder in the workstation's format), and exporting them as they
// stand takes today and the thirteen days after it.
func TestExportDatesPrefilledAsTheWorkstationWritesThem(t *testing.T) {
	test.NewTempApp(t)
	kit.SetDateFormat(kit.DayMonthYear)
	t.Cleanup(func() { kit.SetDateFormat("") })
	c := newTestClinic(t)
	s, f, _, _ := interopScreen(t, c)
	cs := newCalendar(s)
	s.win.SetContent(container.NewVScroll(cs.stack))
	test.Tap(cs.exportBtn)
	x := cs.ics
	x.span.SetSelected(spanDates)
	today := startOfDay(c.now)
	if want := today.Format("02/01/2006"); x.from.Text != want {
		t.Errorf("from is %q, want %q", x.from.Text, want)
	}
	test.Tap(x.export)
	if len(f.ics) == 0 {
		t.Fatalf("no export: %q", x.fb.Text)
	}
	got := f.ics[len(f.ics)-1]
	if !got.From.Equal(today) || !got.To.Equal(today.AddDate(0, 0, 14)) {
		t.Errorf("exported %v to %v, want %v to %v", got.From, got.To, today, today.AddDate(0, 0, 14))
	}
}
