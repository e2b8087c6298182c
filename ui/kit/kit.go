package kit

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app"
)

// Live wraps a screen's content and keeps a subscription (a change feed, a
// ticker) open while the content is drawn: subscribe runs when Fyne first
// draws it and its stop when Fyne destroys the renderer, which happens when
// the shell swaps the section away.
func Live(content fyne.CanvasObject, subscribe func() (stop func())) fyne.CanvasObject {
	l := &live{content: content, subscribe: subscribe}
	l.ExtendBaseWidget(l)
	return l
}

type live struct {
	widget.BaseWidget
	content   fyne.CanvasObject
	subscribe func() (stop func())
}

// Content is the wrapped content (tests walk widget trees through it).
func (l *live) Content() fyne.CanvasObject { return l.content }

// CreateRenderer is part of fyne.Widget.
func (l *live) CreateRenderer() fyne.WidgetRenderer {
	r := &liveRenderer{l: l}
	if l.subscribe != nil {
		r.stop = l.subscribe()
	}
	return r
}

type liveRenderer struct {
	l    *live
	stop func()
}

func (r *liveRenderer) Layout(s fyne.Size) { r.l.content.Resize(s) }

// MinSize is nothing while the content hides itself (a list shown only
// when it has rows), so it leaves no blank space above what follows.
func (r *liveRenderer) MinSize() fyne.Size {
	if !r.l.content.Visible() {
		return fyne.Size{}
	}
	return r.l.content.MinSize()
}
func (r *liveRenderer) Refresh()                     { r.l.content.Refresh() }
func (r *liveRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.l.content} }
func (r *liveRenderer) Destroy() {
	if r.stop != nil {
		r.stop()
		r.stop = nil
	}
}

// Feed is a session's change feed.
type Feed interface {
	OnChange(fn func([]app.Changed)) (stop func())
}

// OnChanges returns a subscription for Live that calls refresh on the UI
// goroutine whenever an entity of one of kinds changes.
func OnChanges(f Feed, refresh func(), kinds ...string) func() (stop func()) {
	return func() func() {
		return f.OnChange(func(ch []app.Changed) {
			for _, c := range ch {
				for _, k := range kinds {
					if c.Kind == k {
						OnUI(refresh)
						return
					}
				}
			}
		})
	}
}

// AtLeast lays o out at least w wide and h high (0: its own size): a list
// in the shell's scrolling page would otherwise shrink to one row, and a
// field to its placeholder.
func AtLeast(w, h float32, o fyne.CanvasObject) *fyne.Container {
	return container.New(minSize{fyne.NewSize(w, h)}, o)
}

type minSize struct{ size fyne.Size }

func (m minSize) MinSize(objs []fyne.CanvasObject) fyne.Size {
	s := m.size
	for _, o := range objs {
		s = s.Max(o.MinSize())
	}
	return s
}

func (m minSize) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Resize(size)
		o.Move(fyne.NewPos(0, 0))
	}
}
