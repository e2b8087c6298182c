package admin

import (
	"context"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/ui/kit"
)

// Changes is the change feed every screen listens to, to refresh live.
type Changes interface {
	OnChange(fn func([]Changed)) (stop func())
}

// onUI runs fn on the UI goroutine, one callback at a time (kit.OnUI).
func onUI(fn func()) { kit.OnUI(fn) }

// background runs work off the UI goroutine and done back on it.
func background[T any](work func(context.Context) (T, error), done func(T, error)) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		v, err := work(ctx)
		onUI(func() { done(v, err) })
	}()
}

// load is background for a screen's load of what it shows: of the loads
// begun on l, only the newest draws (kit.Latest).
func load[T any](l *kit.Newest, work func(context.Context) (T, error), done func(T, error)) {
	background(work, kit.Latest(l, done))
}

// liveRefresh calls refresh (on the UI goroutine) after every change of
// the given kinds until the object leaves the window; a nil kinds matches
// every change.
func liveRefresh(c Changes, kinds map[string]bool, refresh func()) (stop func()) {
	return c.OnChange(func(ch []Changed) {
		for _, x := range ch {
			if kinds == nil || kinds[x.Kind] {
				onUI(refresh)
				return
			}
		}
	})
}

// when shows a time the way a clinic reads it; "—" for none.
func when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.Local().Format("2 Jan 2006 15:04")
}

// ago says how long ago t was, roughly.
func ago(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d/time.Hour))
	default:
		return when(t)
	}
}

// newNote is a wrapping label for messages and hints.
func newNote(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}
