package physician

import (
	"context"
	"os"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/app/interop"
)

// importTransfer imports testdata/transfer.json (a chart written by Dr
// Maria Rossi at another clinic) as the test clinic's physician and
// returns the patient it registered.
func importTransfer(t *testing.T, c *testClinic) app.Patient {
	t.Helper()
	ctx := context.Background()
	f, err := os.Open("testdata/transfer.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := interop.New(c.phys.Core()).ImportFHIR(ctx, f); err != nil {
		t.Fatalf("ImportFHIR: %v", err)
	}
	found, err := c.phys.SearchPatients(ctx, "Transfer", 5)
	if err != nil || len(found) != 1 {
		t.Fatalf("imported patient: %v %v", found, err)
	}
	return found[0]
}

// TestChartShowsImportedOrigin opens a transferred chart: the imported
// note says who wrote it at the other clinic and who imported it, the
// other imported records carry a small origin line, and a note written
// here still reads "Signed by".
func TestChartShowsImportedOrigin(t *testing.T) {
	test.NewTempApp(t)
	c := newTestClinic(t)
	p := importTransfer(t, c)
	if _, err := chart.New(c.phys.Core()).WriteNote(context.Background(), chart.Note{Patient: p.ID, Subjective: "Seen here after the transfer."}); err != nil {
		t.Fatal(err)
	}

	v, _ := openChartIn(t, c, p.ID, fyne.NewSize(1200, 800))

	tests := []struct {
		where fyne.CanvasObject
		want  string
	}{
		{v.timeline, "Imported — written by Dr Maria Rossi (other clinic); imported by Dr Paul Physician on 2 Nov 2026 · signature verified"},
		{v.timeline, "Addendum, 4 Mar 2026"},
		{v.timeline, "Dr Maria Rossi (other clinic; imported by Dr Paul Physician): Spirometry booked"},
		{v.timeline, "Signed by Dr Paul Physician, 2 Nov 2026 09:00 · signature verified"}, // the note written here
		{v.problems, "Imported — recorded by Dr Maria Rossi (other clinic); imported 2 Nov 2026"},
		{v.allergyList, "Imported — recorded by Dr Maria Rossi (other clinic)"},
		{v.meds, "Imported — recorded by Dr Maria Rossi (other clinic)"},
		{v.results, "3 Mar 2026"}, // measurements of another clinic are its results, as written
		{v.results, "68.2 kg"},
		{v.results, "Imported — measured by Dr Maria Rossi (other clinic); imported 2 Nov 2026"},
	}
	for _, tt := range tests {
		if !hasLabel(tt.where, tt.want) {
			t.Errorf("no label with %q", tt.want)
		}
	}
	// Only the note written here reads as signed by the importer.
	signed := 0
	for _, n := range v.chart.Notes {
		if _, ok := find(v.noteCard(n), func(l *widget.Label) bool { return strings.HasPrefix(l.Text, "Signed by ") }); ok {
			signed++
			if n.IsImported() {
				t.Errorf("the imported note reads as signed by %s", n.AuthorName)
			}
		}
	}
	if signed != 1 {
		t.Errorf("%d notes read \"Signed by\", want the one written here", signed)
	}
}
