package kit

import (
	"testing"

	"fyne.io/fyne/v2/test"
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
