package ui

import (
	"context"
	"fmt"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/ui/kit"
)

// IdleLocking is a session that says after how long without input its
// workstation locks itself (the clinic's security setting).
type IdleLocking interface {
	IdleLockAfter(ctx context.Context) time.Duration
}

// defaultIdleLock applies when the session does not say.
const defaultIdleLock = 10 * time.Minute

// idleCheck is how often the shell looks for input.
var idleCheck = 5 * time.Second

// idleWatch locks a shell after a spell without input. Fyne has no window-wide
// input hook, so input is noticed three ways: keys the canvas receives
// (nothing focused), the pointer moving or pressing over the shell where no
// widget takes it (activityArea), and, sampled every few seconds, a change of
// the focused widget or of a focused entry's text or cursor (typing).
type idleWatch struct {
	mu    sync.Mutex
	last  time.Time
	after time.Duration // lock after this long without input
	sig   string
	now   func() time.Time
}

// setAfter changes how long the workstation may stay without input.
func (iw *idleWatch) setAfter(d time.Duration) {
	iw.mu.Lock()
	iw.after = d
	iw.mu.Unlock()
}

// due reports whether the workstation has been idle long enough to lock.
func (iw *idleWatch) due() bool {
	iw.mu.Lock()
	defer iw.mu.Unlock()
	return iw.now().Sub(iw.last) >= iw.after
}

func (iw *idleWatch) touch() {
	iw.mu.Lock()
	iw.last = iw.now()
	iw.mu.Unlock()
}

// sample notes typing and focus changes since the last sample.
func (iw *idleWatch) sample(c fyne.Canvas) {
	sig := ""
	if f := c.Focused(); f != nil {
		sig = fmt.Sprintf("%p", f)
		if e, ok := kit.AsEntry(f); ok {
			sig += fmt.Sprintf("/%d/%d/%d", len(e.Text), e.CursorRow, e.CursorColumn)
		}
	}
	if sig != iw.sig {
		iw.sig = sig
		iw.touch()
	}
}

// watchIdle starts the idle lock of a shell on show. It ends when another
// screen replaces the shell (lock, log out).
func (ws *Workstation) watchIdle(sh *shellScreen) {
	iw := &idleWatch{now: time.Now, after: ws.idleLimit(sh.clinicIdle)}
	iw.touch()
	sh.idle = iw
	c := ws.win.Canvas()
	if dc, ok := c.(desktop.Canvas); ok {
		dc.SetOnKeyDown(func(*fyne.KeyEvent) { iw.touch() })
	}
	c.SetOnTypedRune(func(rune) { iw.touch() })
	c.SetOnTypedKey(func(ev *fyne.KeyEvent) {
		iw.touch()
		ws.typedKey(ev) // F1, Esc (keys.go)
	})
	if p, ok := sh.session.(IdleLocking); ok {
		// The clinic's limit is read as other background work is, so a
		// test runs it when it waits and never beside its own taps.
		ws.background(func() {
			ctx, cancel := context.WithTimeout(ws.ctx, 10*time.Second)
			defer cancel()
			if d := p.IdleLockAfter(ctx); d > 0 {
				kit.OnUI(func() {
					sh.clinicIdle = d
					iw.setAfter(ws.idleLimit(d))
					if sh.settings != nil {
						sh.settings.showIdle(ws, sh)
					}
				})
			}
		})
	}
	go func() {
		t := time.NewTicker(idleCheck)
		defer t.Stop()
		for {
			select {
			case <-ws.ctx.Done():
				return // the workstation closed
			case <-t.C:
			}
			done := make(chan bool, 1)
			kit.OnUI(func() {
				if ws.shell != sh || sh.idle != iw {
					done <- true
					return
				}
				iw.sample(c)
				if iw.due() {
					ws.lockShell(sh)
					done <- true
					return
				}
				done <- false
			})
			select {
			case stop := <-done:
				if stop {
					return
				}
			case <-ws.ctx.Done():
				return // closing: the driver may drop the queued check
			}
		}
	}()
}

// activityArea passes its content through and tells the idle watch when
// the pointer moves or presses over it where no widget takes the event.
type activityArea struct {
	widget.BaseWidget
	content fyne.CanvasObject
	touch   func()
}

func newActivityArea(content fyne.CanvasObject, touch func()) *activityArea {
	a := &activityArea{content: content, touch: touch}
	a.ExtendBaseWidget(a)
	return a
}

// CreateRenderer is part of fyne.Widget.
func (a *activityArea) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(a.content)
}

// MouseIn is part of desktop.Hoverable.
func (a *activityArea) MouseIn(*desktop.MouseEvent) { a.touch() }

// MouseMoved is part of desktop.Hoverable.
func (a *activityArea) MouseMoved(*desktop.MouseEvent) { a.touch() }

// MouseOut is part of desktop.Hoverable.
func (a *activityArea) MouseOut() {}

// MouseDown is part of desktop.Mouseable.
func (a *activityArea) MouseDown(*desktop.MouseEvent) { a.touch() }

// MouseUp is part of desktop.Mouseable.
func (a *activityArea) MouseUp(*desktop.MouseEvent) { a.touch() }
