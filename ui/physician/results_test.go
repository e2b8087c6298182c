package physician

import (
	"context"
	"os"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app/interop"
)

// TestResultsTabShowsImportedRecords opens the chart of a patient imported
// from a real Synthea bundle: the Results tab lists the results as
// written (a blood pressure systolic first), the coded problems and
// medications with what the prescribing checks make of them, and the
// reports; the Summary's problem list shows the problems' codes too.
func TestResultsTabShowsImportedRecords(t *testing.T) {
	test.NewTempApp(t)
	c := newTestClinic(t)
	f, err := os.Open("../../app/interop/testdata/synthea/gerlach374-uscore7.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := interop.New(c.phys.Core()).ImportFHIR(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	found, err := c.phys.SearchPatients(context.Background(), "Gerlach374", 1)
	if err != nil || len(found) != 1 {
		t.Fatalf("imported patient: %v %v", found, err)
	}
	w := test.NewTempWindow(t, widget.NewLabel(""))
	w.Resize(fyne.NewSize(1280, 800))
	s := newScreen(clinicOfTest(t, c.phys), w)
	s.inline, s.now = true, func() time.Time { return c.now }
	v := s.newChartView(found[0].ID, nil, "Back", func() {})
	w.SetContent(v.content)
	// The Summary's problem list shows the codes a problem came with.
	if !hasLabel(v.problems, "Prediabetes") || !hasLabel(v.problems, "SNOMED CT 15777000") {
		t.Error("the Summary's problem list does not show the imported problem with its SNOMED CT code")
	}
	v.tabs.SelectIndex(4)
	for _, want := range []string{"Results (56)", "41.957 Cel", "136/49 mm[Hg]", "Respiratory pathogens DNA and RNA panel", "9 results", "Procedures (3)", "Colonoscopy",
		"SNOMED CT 15777000", "RxNorm 310798", "checked as hydrochlorothiazide", "not checked", "Reports (41)"} {
		if !hasLabel(v.results, want) && !hasCardTitle(v.results, want) {
			t.Errorf("the Results tab does not show %q", want)
		}
	}
}

// hasCardTitle reports whether a card under o has the title.
func hasCardTitle(o fyne.CanvasObject, title string) bool {
	switch x := o.(type) {
	case *widget.Card:
		return x.Title == title || hasCardTitle(x.Content, title)
	case *fyne.Container:
		for _, c := range x.Objects {
			if hasCardTitle(c, title) {
				return true
			}
		}
	}
	return false
}
