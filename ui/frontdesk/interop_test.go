package frontdesk

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/interop"
	"github.com/medihaven/medihaven/ui/kit/kittest"
)

// interopDesk is a receptionist's session whose interoperability calls
// are recorded and answered in memory; the rest is the real session.
type interopDesk struct {
	realDesk
	fhir      []string
	bundles   []string
	importErr error
	previews  int
	written   int
	copies    []string
}

func (d *interopDesk) ExportFHIR(_ context.Context, w io.Writer, patientID string) (interop.FHIRExport, error) {
	d.fhir = append(d.fhir, patientID)
	_, err := io.WriteString(w, `{"resourceType":"Bundle"}`)
	return interop.FHIRExport{Resources: map[string]int{"Patient": 1, "Appointment": 1}, Total: 2}, err
}

func (d *interopDesk) ImportFHIR(_ context.Context, r io.Reader) (interop.FHIRImport, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return interop.FHIRImport{}, err
	}
	d.bundles = append(d.bundles, string(b))
	if d.importErr != nil {
		return interop.FHIRImport{}, d.importErr
	}
	d.written++
	return interop.FHIRImport{Resources: map[string]int{"Patient": 1}, Total: 1}, nil
}

func (d *interopDesk) PreviewFHIR(_ context.Context, r io.Reader) (interop.FHIRImport, error) {
	if _, err := io.ReadAll(r); err != nil {
		return interop.FHIRImport{}, err
	}
	d.previews++
	if d.importErr != nil {
		return interop.FHIRImport{}, d.importErr
	}
	return interop.FHIRImport{Resources: map[string]int{"Patient": 1, "Encounter": 2}, Total: 3,
		LeftOut: map[string]int{"Claim": 2, "ExplanationOfBenefit": 2}, LeftOutTotal: 4}, nil
}

func (d *interopDesk) ImportFHIRProgress(ctx context.Context, r io.Reader, progress func(done, total int)) (interop.FHIRImport, error) {
	progress(1, 2)
	got, err := d.ImportFHIR(ctx, r)
	if err == nil {
		progress(2, 2)
	}
	return got, err
}

func (d *interopDesk) HandOutPatientCopy(_ context.Context, patientID string) (interop.PatientCopy, error) {
	d.copies = append(d.copies, patientID)
	return interop.PatientCopy{Patient: patientID, MRN: "MH0000002", CID: "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku",
		Passphrase: "7QK4-M2XP-9RTD-LW3H", Handout: []byte("%PDF-1.7")}, nil
}

func TestPatientRecordLeavesAndArrives(t *testing.T) {
	test.NewTempApp(t)
	recep, _ := clinic(t)
	p, err := recep.Register(context.Background(), app.Patient{Family: "Lindqvist", Given: "Märta", Birth: "1984-02-27"}, false)
	if err != nil {
		t.Fatal(err)
	}
	d := &interopDesk{realDesk: recep}
	w := test.NewWindow(nil)
	defer w.Close()
	w.Resize(fyne.NewSize(1100, 900))
	e := inPlace(d, w)
	type file struct{ name, data string }
	var saved []file
	e.save = func(name string, data []byte, done func(string, error)) {
		saved = append(saved, file{name, string(data)})
		done("/home/desk/"+name, nil)
	}
	var bundle string
	e.open = func(_ []string, done func(string, io.ReadCloser, error)) {
		done("transfer.json", io.NopCloser(strings.NewReader(bundle)), nil)
	}
	s := newPatients(e)
	w.SetContent(s.content())

	// A new registration offers neither; an open record offers both.
	if s.form.copyBtn.Visible() || s.form.fhirBtn.Visible() {
		t.Error("an empty form offers to export")
	}
	s.form.open(p.ID)
	if !s.form.copyBtn.Visible() || !s.form.fhirBtn.Visible() {
		t.Fatal("an open record does not offer its exports")
	}

	test.Tap(s.form.fhirBtn)
	if len(d.fhir) != 1 || d.fhir[0] != p.ID || len(saved) != 1 || saved[0].name != p.MRN+".json" {
		t.Fatalf("FHIR export of %q saved %+v", d.fhir, saved)
	}
	if msg := kittest.Dialog(w); !strings.Contains(msg, "2 FHIR resources exported to /home/desk/"+p.MRN+".json") {
		t.Errorf("confirmation %q", msg)
	}
	kittest.TapDialog(t, w, "OK")

	test.Tap(s.form.copyBtn)
	if msg := kittest.Dialog(w); !strings.Contains(msg, "Lindqvist, Märta · MRN "+p.MRN) {
		t.Errorf("the copy dialog does not name the patient: %q", msg)
	}
	kittest.TapDialog(t, w, "Make the copy")
	if msg := kittest.Dialog(w); len(d.copies) != 1 || !strings.Contains(msg, "7QK4-M2XP-9RTD-LW3H") || !strings.Contains(msg, "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku") {
		t.Fatalf("copies %q, dialog %q", d.copies, msg)
	}
	// Done before the handout is saved asks first.
	kittest.TapDialog(t, w, "Done")
	if msg := kittest.Dialog(w); !strings.Contains(msg, "will not be shown again") {
		t.Fatalf("closing without the handout did not ask: %q", msg)
	}
	kittest.TapDialog(t, w, "Keep it open")
	kittest.TapDialog(t, w, "Save handout PDF…")
	if got := saved[len(saved)-1]; got.name != "handout-MH0000002.pdf" || got.data != "%PDF-1.7" {
		t.Errorf("handout saved as %+v", got)
	}
	kittest.TapDialog(t, w, "Done")
	if w.Canvas().Overlays().Top() != nil {
		t.Errorf("the dialog stayed open: %q", kittest.Dialog(w))
	}

	// A transfer in: a broken one is refused by the preview with the field
	// named; a good one is shown first (kept, left out) and imported only
	// on Import.
	bundle = `{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient"}}]}`
	d.importErr = errors.New("app: invalid input: entry 1 (Patient): name is missing: a patient needs a family or given name")
	test.Tap(s.importBtn)
	if msg := kittest.Dialog(w); !strings.Contains(msg, "Entry 1 (Patient): name is missing") || !strings.Contains(msg, "nothing of it was written") {
		t.Errorf("import error %q", msg)
	}
	if d.written != 0 || d.previews != 1 || len(d.bundles) != 0 || s.importBtn.Disabled() {
		t.Errorf("written %d, previews %d, imported %q", d.written, d.previews, d.bundles)
	}
	w.Canvas().Unfocus()
	kittest.TapDialog(t, w, "Close")
	if w.Canvas().Focused() != s.box {
		t.Errorf("after a refused import the keyboard is on %T, not the search", w.Canvas().Focused())
	}
	d.importErr = nil
	test.Tap(s.importBtn)
	msg := kittest.Dialog(w)
	for _, want := range []string{"This bundle holds 1 patient, 2 records Medihaven keeps and 4 it leaves out.", "Kept", "Left out", "ExplanationOfBenefit"} {
		if !strings.Contains(msg, want) {
			t.Errorf("preview lacks %q: %q", want, msg)
		}
	}
	w.Canvas().Unfocus()
	kittest.TapDialog(t, w, "Cancel")
	if len(d.bundles) != 0 || s.importBtn.Disabled() {
		t.Fatalf("a cancelled preview imported %q (button disabled %v)", d.bundles, s.importBtn.Disabled())
	}
	if w.Canvas().Focused() != s.box {
		t.Errorf("after a cancelled import the keyboard is on %T, not the search", w.Canvas().Focused())
	}
	test.Tap(s.importBtn)
	kittest.TapDialog(t, w, "Import")
	if msg := kittest.Dialog(w); !strings.Contains(msg, "1 resource imported from transfer.json") || d.written != 1 {
		t.Errorf("import summary %q", msg)
	}
	if len(d.bundles) != 1 || d.bundles[0] != bundle || d.previews != 3 {
		t.Errorf("imported %q after %d previews", d.bundles, d.previews)
	}
	// Once the summary is closed, the keyboard is back in the search: the
	// receptionist types the imported patient's name.
	w.Canvas().Unfocus()
	kittest.TapDialog(t, w, "OK")
	if w.Canvas().Focused() != s.box {
		t.Errorf("after an import the keyboard is on %T, not the search", w.Canvas().Focused())
	}
}
