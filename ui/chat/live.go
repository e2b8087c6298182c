package chat

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// live wraps content and keeps a subscription for as long as the content
// is on screen: start runs when it is first drawn and its stop when the
// shell throws the screen away.
type live struct {
	widget.BaseWidget
	content fyne.CanvasObject
	start   func() (stop func())
}

func newLive(content fyne.CanvasObject, start func() (stop func())) *live {
	l := &live{content: content, start: start}
	l.ExtendBaseWidget(l)
	return l
}

// CreateRenderer starts the subscription.
func (l *live) CreateRenderer() fyne.WidgetRenderer {
	return &liveRenderer{l: l, stop: l.start()}
}

type liveRenderer struct {
	l    *live
	stop func()
}

func (r *liveRenderer) Layout(s fyne.Size)           { r.l.content.Resize(s) }
func (r *liveRenderer) MinSize() fyne.Size           { return r.l.content.MinSize() }
func (r *liveRenderer) Refresh()                     { r.l.content.Refresh() }
func (r *liveRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.l.content} }
func (r *liveRenderer) Destroy() {
	if r.stop != nil {
		r.stop()
		r.stop = nil
	}
}
