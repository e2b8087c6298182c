package physician

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/app/prescribing"
)

// TestPrescribeSuggestsAndNeverSkipsSilently: drugs are offered while the
// name is typed (a brand finds its generic), and a current medication the
// formulary does not know shows as "not checked" in the panel; signing
// waits for the physician's confirmation, which is signed with the
// prescription.
func TestPrescribeSuggestsAndNeverSkipsSilently(t *testing.T) {
	test.NewTempApp(t)
	c := newTestClinic(t)
	p, _ := c.book(t, "Herbalist", c.now.Add(time.Hour))
	if _, err := chart.New(c.phys.Core()).AddMedication(context.Background(),
		chart.Medication{Patient: p.ID, Name: "Grandma's herbal tea", Dose: "a cup daily"}); err != nil {
		t.Fatal(err)
	}
	v, _, _ := openChart(t, c, p.ID)
	f := v.rx

	// Suggestions while typing, before any list is opened.
	f.drug.SetText("Nurofen")
	test.Tap(button(t, f.suggest, "ibuprofen 400 mg tablet (Nurofen)"))
	if f.chosen == nil || f.chosen.Generic != "ibuprofen" || len(f.suggest.Objects) != 0 {
		t.Fatalf("tapping the suggestion did not choose it: %+v", f.chosen)
	}
	if !f.preview.Visible() || !strings.Contains(f.preview.Text, "Grandma's herbal tea is not in the formulary") {
		t.Errorf("the preview does not say what was not checked: %q", f.preview.Text)
	}
	f.dose.SetText("1")
	f.freq.SetText("three times daily")
	f.days.SetText("5")
	test.Tap(f.add)
	if len(f.warnings) != 1 || f.warnings[0].Kind != prescribing.WarnNotChecked ||
		!hasLabel(f.warnBox, "Not checked: Grandma's herbal tea is not in the formulary") {
		t.Fatalf("warnings %+v", f.warnings)
	}
	test.Tap(f.sign)
	if len(v.chart.Prescriptions) != 0 || !strings.Contains(f.fb.Text, "confirmation") {
		t.Fatalf("signed without the confirmation: %q", f.fb.Text)
	}
	f.confirms[f.warnings[0].Key()].SetChecked(true)
	test.Tap(f.sign)
	if len(v.chart.Prescriptions) != 1 {
		t.Fatalf("not signed: %q", f.fb.Text)
	}
	if o := v.chart.Prescriptions[0].Overrides; len(o) != 1 || !strings.Contains(o[0].Reason, "confirmed they checked Grandma's herbal tea") {
		t.Errorf("signed overrides %+v", o)
	}
	if !hasLabel(v.rxList, "Grandma's herbal tea is not in the formulary") {
		t.Error("the signed prescription does not show what was confirmed")
	}
}

// TestPrintKeepsThePDF: Print… keeps the prescription's PDF in the
// Documents/Medihaven folder and sends that file to the printer (lp); when
// printing fails the physician is told where the file is.
func TestPrintKeepsThePDF(t *testing.T) {
	test.NewTempApp(t)
	docs := t.TempDir()
	t.Setenv("XDG_DOCUMENTS_DIR", docs)
	c := newTestClinic(t)
	p, _ := c.book(t, "Printer", c.now.Add(time.Hour))
	v, s, _ := openChart(t, c, p.ID)
	var printed []string
	var fail error
	s.print = func(_ context.Context, path string) error { printed = append(printed, path); return fail }
	f := v.rx
	f.drug.SetText("paracetamol 500 mg tablet")
	f.dose.SetText("1")
	f.freq.SetText("four times daily")
	f.days.SetText("3")
	test.Tap(f.sign)
	if len(v.chart.Prescriptions) != 1 {
		t.Fatalf("not signed: %q", f.fb.Text)
	}
	code := v.chart.Prescriptions[0].Code
	test.Tap(button(t, f.signed, "Print…"))
	want := filepath.Join(docs, "Medihaven", "prescription-"+code+".pdf")
	if len(printed) != 1 || printed[0] != want || !strings.Contains(v.status.Text, want) {
		t.Fatalf("printed %v, status %q; want %s", printed, v.status.Text, want)
	}
	if b, err := os.ReadFile(want); err != nil || !strings.HasPrefix(string(b), "%PDF-") {
		t.Fatalf("the PDF is not kept: %v", err)
	}
	fail = errors.New("no printer is set up")
	test.Tap(button(t, f.signed, "Print…"))
	if v.status.Importance != widget.DangerImportance || !strings.Contains(v.status.Text, "saved as "+want) {
		t.Errorf("a failed print says %q", v.status.Text)
	}
}
