package physician

import (
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/app/prescribing"
)

// TestScreenshots writes, when MEDIHAVEN_SHOTS names a folder, pictures
// of the physician's visit flow, a flagged vital, the "not checked"
// warning and a printed prescription, in the light and the dark theme at
// 1280x800, drawn by Fyne's software renderer from a real test clinic.
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("MEDIHAVEN_SHOTS")
	if dir == "" {
		t.Skip("set MEDIHAVEN_SHOTS=DIR to write the screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, variant := range []string{"light", "dark"} {
		th := theme.LightTheme()
		if variant == "dark" {
			th = theme.DarkTheme()
		}
		test.NewTempApp(t).Settings().SetTheme(th)
		shots(t, dir, variant)
	}
}

func shots(t *testing.T, dir, variant string) {
	ctx := context.Background()
	c := newTestClinic(t)
	c.book(t, "Earlier", c.now.Add(-3*time.Hour))
	seen, seenAppt := c.book(t, "Seenby", c.now.Add(-90*time.Minute))
	p, _ := c.book(t, "Chartwell", c.now.Add(20*time.Minute))
	c.book(t, "Later", c.now.Add(3*time.Hour))
	ch := chart.New(c.phys.Core())
	if en, err := ch.StartVisit(ctx, seenAppt.ID, true); err != nil {
		t.Fatal(err)
	} else if _, err := ch.FinishVisit(ctx, en.ID); err != nil {
		t.Fatal(err)
	}
	_ = seen
	if _, err := ch.AddAllergy(ctx, chart.Allergy{Patient: p.ID, Substance: "Penicillin", Reaction: "hives", Severity: "moderate"}); err != nil {
		t.Fatal(err)
	}
	if _, err := ch.AddMedication(ctx, chart.Medication{Patient: p.ID, Name: "Grandma's herbal tea", Dose: "a cup daily"}); err != nil {
		t.Fatal(err)
	}
	for i, v := range []chart.Vitals{{Systolic: 138, Diastolic: 86, Pulse: 84, SpO2: 97, TempC: 37.1, WeightKg: 70, HeightCm: 165},
		{Systolic: 186, Diastolic: 104, Pulse: 112, SpO2: 88, TempC: 38.6}} {
		v.Patient, v.Time = p.ID, c.now.Add(time.Duration(i-2)*24*time.Hour)
		if _, err := ch.RecordVitals(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	w := test.NewTempWindow(t, widget.NewLabel(""))
	w.Resize(fyne.NewSize(1280, 800))
	s := newScreen(clinicOfTest(t, c.phys), w)
	s.inline, s.now = true, func() time.Time { return c.now }
	s.print = func(context.Context, string) error { return nil }
	cs := newCalendar(s)
	w.SetContent(container.NewVScroll(cs.stack))
	shoot := func(name string) {
		t.Helper()
		f, err := os.Create(filepath.Join(dir, name+"-"+variant+".png"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := png.Encode(f, w.Canvas().Capture()); err != nil {
			t.Fatal(err)
		}
	}
	test.Tap(button(t, cs.stack, "Open chart")) // the first row: Earlier
	test.Tap(button(t, cs.chart.content, "Back to calendar"))
	row, _ := find(cs.stack, func(b *fyne.Container) bool { return hasLabel(b, "Chartwell, Cora") && len(b.Objects) == 3 })
	test.Tap(button(t, row, "Open chart"))
	v := cs.chart
	shoot("visit-1-chart-opened")
	test.Tap(button(t, v.content, "Start visit"))
	v.notes.s.SetText("Sore throat for three days, no cough.")
	v.notes.o.SetText("Temp 38.6, tonsillar exudate, tender nodes.")
	v.notes.a.SetText("Streptococcal pharyngitis likely.")
	v.notes.p.SetText("Antibiotic for 7 days; review if not better.")
	test.Tap(v.notes.sign)
	shoot("visit-2-sign-note")
	tapDialog(t, w, "Sign note")
	test.Tap(button(t, v.content, "Back to calendar"))
	shoot("visit-3-calendar-in-visit")
	test.Tap(button(t, row, "Open chart"))
	v = cs.chart

	v.tabs.SelectIndex(2)
	v.vf.spo2.SetText("87")
	v.vf.sys.SetText("182")
	v.vf.dia.SetText("101")
	shoot("vitals-1-flagged")
	test.Tap(v.vf.record)
	shoot("vitals-2-critical-confirm")
	tapDialog(t, w, "Correct it")

	v.tabs.SelectIndex(3)
	f := v.rx
	f.drug.SetText("ibupro")
	shoot("rx-1-suggestions")
	test.Tap(button(t, f.suggest, "ibuprofen 400 mg tablet"))
	f.dose.SetText("1")
	f.freq.SetText("three times daily")
	f.days.SetText("5")
	test.Tap(f.add)
	shoot("rx-2-not-checked")

	if variant != "light" {
		return
	}
	if err := c.admin.SetClinicContact(ctx, "12 Harbour Road, Portside PS1 4AB", "+44 20 7946 0000"); err != nil {
		t.Fatal(err)
	}
	if err := c.admin.SetLicence(ctx, c.phys.Fingerprint(), "GMC 7654321"); err != nil {
		t.Fatal(err)
	}
	if err := app.SyncLocal(ctx, c.admin, c.phys); err != nil {
		t.Fatal(err)
	}
	rx := prescribing.New(c.phys.Core())
	signed, err := rx.Prescribe(ctx, prescribing.Prescription{Patient: p.ID, Items: []prescribing.RxItem{
		{DrugID: "azithromycin|500_mg|tablet", Dose: "1", Frequency: "once daily", Days: 3, Quantity: "3 tablets", Instructions: "Take an hour before food."},
		{DrugID: "paracetamol|500_mg|tablet", Dose: "2", Frequency: "four times daily", Days: 5, Quantity: "40 tablets"}},
		Overrides: nil})
	if err != nil {
		ws, _ := rx.CheckPrescription(ctx, prescribing.Prescription{Patient: p.ID, Items: []prescribing.RxItem{
			{DrugID: "azithromycin|500_mg|tablet", Dose: "1", Frequency: "once daily", Days: 3, Quantity: "3 tablets"},
			{DrugID: "paracetamol|500_mg|tablet", Dose: "2", Frequency: "four times daily", Days: 5, Quantity: "40 tablets"}}})
		for i := range ws {
			ws[i].Reason = "Checked with the patient and the pharmacist."
		}
		signed, err = rx.Prescribe(ctx, prescribing.Prescription{Patient: p.ID, Items: []prescribing.RxItem{
			{DrugID: "azithromycin|500_mg|tablet", Dose: "1", Frequency: "once daily", Days: 3, Quantity: "3 tablets", Instructions: "Take an hour before food."},
			{DrugID: "paracetamol|500_mg|tablet", Dose: "2", Frequency: "four times daily", Days: 5, Quantity: "40 tablets"}}, Overrides: ws})
		if err != nil {
			t.Fatal(err)
		}
	}
	data, err := rx.PrescriptionPDF(ctx, signed.ID, prescribing.PDFSave)
	if err != nil {
		t.Fatal(err)
	}
	pdf := filepath.Join(dir, "prescription.pdf")
	if err := os.WriteFile(pdf, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if tool, err := exec.LookPath("pdftoppm"); err == nil {
		if out, err := exec.Command(tool, "-png", "-r", "110", "-singlefile", pdf, filepath.Join(dir, "prescription")).CombinedOutput(); err != nil {
			t.Errorf("pdftoppm: %v %s", err, out)
		}
	}
}
