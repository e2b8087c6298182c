package physician

import (
	"errors"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/ui/kit"
)

// drawnText walks the tree the way the window's driver draws it (each
// widget's renderer looked up for the object as placed, hidden objects
// skipped) and returns the visible canvas texts.
func drawnText(o fyne.CanvasObject) []*canvas.Text {
	if o == nil || !o.Visible() {
		return nil
	}
	switch x := o.(type) {
	case *canvas.Text:
		return []*canvas.Text{x}
	case *fyne.Container:
		var out []*canvas.Text
		for _, c := range x.Objects {
			out = append(out, drawnText(c)...)
		}
		return out
	case fyne.Widget:
		var out []*canvas.Text
		for _, c := range test.WidgetRenderer(x).Objects() {
			out = append(out, drawnText(c)...)
		}
		return out
	}
	return nil
}

// TestChartStatusDrawsLatestMessage sets the chart's status line to a
// failure, a success and a failure again, and checks after each that the
// text drawn (not Label.Text) is the latest message in its colour. The
// status line used to be placed as its feedback wrapper, which Fyne's
// renderer cache keys apart from the label inside it: the window drew a
// first renderer's text while SetText updated a second one.
func TestChartStatusDrawsLatestMessage(t *testing.T) {
	test.NewTempApp(t)
	c := newTestClinic(t)
	p := importTransfer(t, c)
	v, w := openChartIn(t, c, p.ID, fyne.NewSize(1000, 800))

	tests := []struct {
		name  string
		set   func()
		want  string
		color fyne.ThemeColorName
	}{
		{"failure", func() { v.status.fail(errors.New("the printer refused the job")) }, "the printer refused the job", theme.ColorNameError},
		{"success", func() { v.status.ok("Prescription sent to the printer.") }, "Prescription sent to the printer.", theme.ColorNameSuccess},
		{"failure again", func() { v.status.fail(errors.New("no printer is set up")) }, "no printer is set up", theme.ColorNameError},
	}
	stale := []string{"refused", "sent to the printer", "no printer"}
	for _, tc := range tests {
		kit.Locked(tc.set)
		var line *canvas.Text
		var all []string
		kit.Locked(func() {
			for _, txt := range drawnText(w.Content()) {
				all = append(all, txt.Text)
				for _, old := range stale {
					if strings.Contains(strings.ToLower(txt.Text), old) {
						line = txt
					}
				}
			}
		})
		if line == nil || !strings.Contains(strings.ToLower(tc.want), strings.ToLower(line.Text)) {
			t.Fatalf("%s: the status line draws %q, want %q (drawn: %q)", tc.name, text(line), tc.want, all)
		}
		if want := theme.Color(tc.color); line.Color != want {
			t.Errorf("%s: drawn in %v, want %s %v", tc.name, line.Color, tc.color, want)
		}
		kit.Locked(func() { w.Content().MinSize() }) // the next frame lays out, after this one drew
	}
}

func text(t *canvas.Text) string {
	if t == nil {
		return "nothing"
	}
	return t.Text
}

// openChartIn opens patient's chart as the physician, inline, in a test
// window of size (returned too), and fails the test if it does not open.
func openChartIn(t *testing.T, c *testClinic, patient string, size fyne.Size) (*chartView, fyne.Window) {
	t.Helper()
	w := test.NewTempWindow(t, widget.NewLabel(""))
	w.Resize(size)
	s := newScreen(clinicOfTest(t, c.phys), w)
	s.inline, s.now = true, func() time.Time { return c.now }
	v := s.newChartView(patient, nil, "Back", func() {})
	w.SetContent(v.content)
	if !v.loaded {
		t.Fatalf("the chart did not open: %q", v.status.Text)
	}
	return v, w
}
