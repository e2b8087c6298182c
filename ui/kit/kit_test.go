package kit

import (
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app"
)

type feed struct{ subs, stops int }

func (f *feed) OnChange(func([]app.Changed)) func() { f.subs++; return func() { f.stops++ } }

// TestLiveSubscribesWhileDrawn: the subscription opens when the content is
// drawn, once. (It closes when Fyne's renderer cache destroys the dropped
// renderer, on its own schedule.)
func TestLiveSubscribesWhileDrawn(t *testing.T) {
	a := test.NewTempApp(t)
	w := a.NewWindow("kit")
	f := &feed{}
	w.SetContent(Live(widget.NewLabel("x"), OnChanges(f, func() {}, "patient")))
	if f.subs != 1 || f.stops != 0 {
		t.Fatalf("after showing: %d subscriptions, %d stops", f.subs, f.stops)
	}
	w.Content().Refresh()
	if f.subs != 1 {
		t.Errorf("after a refresh: %d subscriptions, want 1", f.subs)
	}
}
