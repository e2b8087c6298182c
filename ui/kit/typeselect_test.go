package kit

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

func TestTypeSelectChoosesByLetter(t *testing.T) {
	test.NewTempApp(t)
	var changed []string
	s := NewTypeSelect([]string{"female", "male", "other", "unknown"}, func(v string) { changed = append(changed, v) })
	w := test.NewTempWindow(t, s)
	w.Canvas().Focus(s)
	for _, step := range []struct {
		typed rune
		want  string
	}{{'m', "male"}, {'F', "female"}, {'u', "unknown"}, {'x', "unknown"}, {'o', "other"}} {
		s.TypedRune(step.typed)
		if s.Selected != step.want {
			t.Errorf("typed %q: %q selected, want %q", step.typed, s.Selected, step.want)
		}
	}
	if len(changed) != 4 || changed[3] != "other" {
		t.Errorf("changes %v", changed)
	}
	// Several options with one letter: typing it again goes on.
	d := NewTypeSelect([]string{"once daily", "oral", "twice daily"}, nil)
	d.TypedRune('o')
	d.TypedRune('o')
	if d.Selected != "oral" {
		t.Errorf("o, o chose %q, want oral", d.Selected)
	}
}

// TestTypeSelectHasAnEntrysEdge: a Select is drawn with the edge an Entry
// has, in the theme's input border colour, the size of the box (Fyne's
// Select alone was a flat fill, edgeless on a white card in the light
// theme).
func TestTypeSelectHasAnEntrysEdge(t *testing.T) {
	test.NewTempApp(t)
	s := NewTypeSelect([]string{"oral"}, nil)
	w := test.NewTempWindow(t, s)
	w.Resize(fyne.NewSize(200, 60))
	var edge *canvas.Rectangle
	for _, o := range test.WidgetRenderer(s).Objects() {
		if r, ok := o.(*canvas.Rectangle); ok && r.StrokeWidth > 0 {
			edge = r
		}
	}
	want := theme.Color(theme.ColorNameInputBorder)
	if edge == nil || edge.StrokeColor != want || edge.Size() != s.Size() {
		t.Fatalf("edge %+v, want one in %v the size of the select %v", edge, want, s.Size())
	}
}

// TestTypeSelectOpenListTakesLetters: the Sex drop-down clicked open, "f"
// typed and Enter pressed chose "unknown", the item under the pointer,
// not "female" (Fyne's pop-up menu took the keyboard and ignored letters).
// The open list now marks the option a letter names and Enter takes it,
// even with the pointer resting on another row; it opens with the current
// choice marked, and Escape closes it choosing nothing.
func TestTypeSelectOpenListTakesLetters(t *testing.T) {
	test.NewTempApp(t)
	var changed []string
	s := NewTypeSelect([]string{"female", "male", "other", "unknown"}, func(v string) { changed = append(changed, v) })
	// Low in the window, as Sex is on the registration form: no room below.
	w := test.NewTempWindow(t, container.NewBorder(nil, s, nil, nil))
	w.Resize(fyne.NewSize(400, 300))
	c := w.Canvas()
	test.Tap(s)
	l, ok := c.Focused().(*optionList)
	if !ok || s.list != l {
		t.Fatalf("tapped open: %T has the keyboard, want the open list", c.Focused())
	}
	d := fyne.CurrentApp().Driver()
	if p, sp := d.AbsolutePositionForObject(l), d.AbsolutePositionForObject(s); p.Y+l.Size().Height > sp.Y+theme.InputBorderSize() {
		t.Errorf("no room below: the list (y %v, h %v) should open above the select (y %v)", p.Y, l.Size().Height, sp.Y)
	}
	// The pointer rests on "unknown" (as in the report), then "f", Enter.
	l.MouseIn(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(10, l.Size().Height-10)}})
	if l.at != 3 {
		t.Fatalf("pointer on the last row marked %d, want 3", l.at)
	}
	l.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(12, l.Size().Height-11)}})
	c.Focused().TypedRune('f')
	l.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: fyne.NewPos(14, l.Size().Height-12)}}) // a jitter on the same row
	c.Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if s.Selected != "female" || s.list != nil || c.Focused() != s {
		t.Fatalf("f, Enter: %q selected (list open %v, keyboard at %T), want female, closed, back on the select", s.Selected, s.list != nil, c.Focused())
	}
	// Opened again with Space: the choice is marked; Down, Enter is male.
	s.TypedKey(&fyne.KeyEvent{Name: fyne.KeySpace})
	if s.list == nil || s.list.at != 0 {
		t.Fatalf("Space: list %v, want it open on female", s.list)
	}
	c.Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
	c.Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyEnter})
	if s.Selected != "male" {
		t.Errorf("Down, Enter: %q, want male", s.Selected)
	}
	// "o", "u" go on; Escape chooses nothing.
	test.Tap(s)
	c.Focused().TypedRune('U')
	c.Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if s.Selected != "male" || s.list != nil {
		t.Errorf("u, Escape: %q (open %v), want male, closed", s.Selected, s.list != nil)
	}
	// A tap on a row takes it.
	test.Tap(s)
	l = s.list
	test.TapAt(l, fyne.NewPos(10, l.Size().Height-10))
	if s.Selected != "unknown" || s.list != nil {
		t.Errorf("tap on the last row: %q, want unknown", s.Selected)
	}
	if len(changed) != 3 || changed[0] != "female" {
		t.Errorf("changes %v, want female, male, unknown", changed)
	}
}

// TestTypeSelectReadsWhatIsTypedTogether: "mod" typed on Severity chose
// "mild" (m; then o and d chose nothing), and a moderate allergy was
// recorded as mild (under Xvfb). Letters typed together read as the
// start of an option, in the closed select and in its open list; a pause
// starts anew, and the same letter again still goes on.
func TestTypeSelectReadsWhatIsTypedTogether(t *testing.T) {
	test.NewTempApp(t)
	severities := []string{"mild", "moderate", "severe"}
	for _, tt := range []struct {
		typed string
		pause bool // before the last letter
		want  string
	}{
		{"mod", false, "moderate"}, {"mo", false, "moderate"}, {"m", false, "mild"}, {"mm", false, "moderate"},
		{"se", false, "severe"}, {"ms", true, "severe"}, {"mz", false, "mild"},
	} {
		for _, open := range []bool{false, true} {
			s := NewTypeSelect(severities, nil)
			w := test.NewTempWindow(t, container.NewBorder(s, nil, nil, nil))
			w.Resize(fyne.NewSize(400, 300))
			w.Canvas().Focus(s)
			if open {
				test.Tap(s)
			}
			for i, r := range tt.typed {
				if tt.pause && i == len(tt.typed)-1 {
					s.ahead.at = s.ahead.at.Add(-2 * typeAheadPause)
				}
				w.Canvas().Focused().TypedRune(r)
			}
			if open {
				w.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
			}
			if s.Selected != tt.want {
				t.Errorf("%q (pause %v, list open %v): %q chosen, want %q", tt.typed, tt.pause, open, s.Selected, tt.want)
			}
		}
	}
}
