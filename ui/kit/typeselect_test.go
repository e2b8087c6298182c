package kit

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
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
