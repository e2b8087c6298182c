package physician

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/ui/kit"
	"github.com/medihaven/medihaven/ui/kit/kittest"
)

// TestPatientsSearchRowsFit: the physician's results are the desk's two
// tight lines (name, "born <date>" at the right, the MRN under it), rows
// touching as in a list: at 1280x800 14 of 15 Fischers are in view. They
// were full-width buttons of one long line, 36 px and 4 between (15 in
// view here, the dates not lined up). Tab and Space still press one.
func TestPatientsSearchRowsFit(t *testing.T) {
	test.NewTempApp(t)
	c := newTestClinic(t)
	for _, given := range strings.Fields("Anna Berta Clara Dora Emma Frida Greta Hanna Ida Jana Karla Lena Mia Nora Olga") {
		if _, err := c.recep.RegisterPatient(context.Background(), app.Patient{Family: "Fischer", Given: given, Birth: "1942-06-09", Sex: "female"}); err != nil {
			t.Fatal(err)
		}
	}
	c.sync(t)
	w := test.NewTempWindow(t, widget.NewLabel(""))
	s := newScreen(clinicOfTest(t, c.phys), w)
	s.inline, s.now = true, func() time.Time { return c.now }
	f := newPatients(s)
	w.SetContent(container.NewVScroll(f.shown())) // the shell scrolls its page
	w.Resize(fyne.NewSize(1280, 800))
	f.query.SetText("Fischer")
	f.find()
	if len(f.results.Objects) != 15 {
		t.Fatalf("%d results for 15 Fischers", len(f.results.Objects))
	}
	fit := 0
	for _, r := range f.results.Objects {
		if fyne.CurrentApp().Driver().AbsolutePositionForObject(r).Y+r.Size().Height <= 800 {
			fit++
		}
	}
	t.Logf("%d of 15 rows in view, a row %.0f px tall", fit, f.results.Objects[0].Size().Height)
	if h := f.results.Objects[0].Size().Height; fit < 13 || h > 48 {
		t.Errorf("%d of 15 Fischers in view at 1280x800, a row %.0f px: want at least 13, at most 48 px", fit, h)
	}
	row, ok := f.results.Objects[0].(*kit.ResultRow)
	if !ok {
		t.Fatalf("a result is a %T", f.results.Objects[0])
	}
	got := kittest.Texts(row)
	for _, want := range []string{"Fischer, Anna\n", "born " + kit.DayText("1942-06-09") + "\n", "MRN MH"} {
		if !strings.Contains(got, want) {
			t.Errorf("the row reads %q, without %q", got, want)
		}
	}
	// The keyboard: Tab from the search reaches the first row (the Find
	// button between), and Space opens that chart.
	cv := w.Canvas()
	cv.Focus(f.query)
	cv.FocusNext()
	cv.FocusNext()
	if cv.Focused() != row {
		t.Fatalf("two Tabs from the search reach %T, not the first result", cv.Focused())
	}
	row.TypedKey(&fyne.KeyEvent{Name: fyne.KeySpace})
	if f.chart == nil {
		t.Fatal("Space on a result did not open the chart")
	}
}
