package ui

import (
	"fmt"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/ui/admin"
	"github.com/medihaven/medihaven/ui/kit"
)

// SyncStatus is what the status bar shows about the network sync.
type SyncStatus struct {
	Connected  bool   // in touch with the clinic's chat server
	Waiting    int    // changes waiting to be sent
	CatchingUp bool   // fetching changes of other workstations
	Behind     int    // changes known to exist and not fetched yet
	Problem    string // the last trouble, in plain words ("" when none)
	Refused    int    // events of other workstations this one refused (kept, never applied)
}

// SyncSource is implemented by sessions that sync with the clinic. The
// shell subscribes while it is on show; fn may be called from any
// goroutine.
type SyncSource interface {
	OnSyncStatus(fn func(SyncStatus)) (stop func())
}

// followSync shows src's status in the status bar until stop is called.
// The status comes on the sync's goroutines and once on this one as the
// shell subscribes (netsync says where it stands at once); the shell
// opens from a login's callback, under kit.OnUI's lock, which is not
// reentrant. So every status reaches the UI from a goroutine of its own,
// and each shows the latest one: none is shown after a newer one.
func (sh *shellScreen) followSync(src SyncSource) (stop func()) {
	var mu sync.Mutex
	var latest SyncStatus
	var stopped bool // a hand-over still on its way shows nothing then
	unsubscribe := src.OnSyncStatus(func(st SyncStatus) {
		mu.Lock()
		latest = st
		mu.Unlock()
		go kit.OnUI(func() {
			mu.Lock()
			st, stopped := latest, stopped
			mu.Unlock()
			if !stopped {
				sh.setSync(st)
			}
		})
	})
	return func() {
		mu.Lock()
		stopped = true
		mu.Unlock()
		unsubscribe()
	}
}

// syncWhy is the status bar's "Why?" button: shown while the sync has a
// problem, it tells it in plain words (the words `medihaven sync run`
// prints), so a workstation that stays offline says why.
type syncWhy struct {
	btn     *widget.Button
	problem string
}

func newSyncWhy(win fyne.Window) *syncWhy {
	w := &syncWhy{}
	w.btn = widget.NewButtonWithIcon("Why?", theme.InfoIcon(), func() {
		msg := widget.NewLabel(w.problem)
		msg.Wrapping = fyne.TextWrapWord
		hint := widget.NewLabel("Changes are kept on this workstation and sent when the clinic's servers answer again. " +
			"If this stays, tell your clinic's administrator what it says.")
		hint.Wrapping = fyne.TextWrapWord
		hint.Importance = widget.LowImportance
		body := container.NewVBox(msg, hint)
		kit.Notice{Title: "Why the sync is not working", Close: "Close", Content: container.New(minWidth{440}, body), Back: w.btn}.Show(win)
	})
	w.btn.Importance = widget.LowImportance
	w.btn.Hide()
	return w
}

// set shows the button while there is a problem.
func (w *syncWhy) set(problem string) {
	w.problem = problem
	if problem == "" {
		w.btn.Hide()
		return
	}
	w.btn.Show()
}

// minWidth lays its objects out stacked, at least w wide.
type minWidth struct{ w float32 }

func (m minWidth) MinSize(objs []fyne.CanvasObject) fyne.Size {
	s := fyne.NewSize(m.w, 0)
	for _, o := range objs {
		s = s.Max(o.MinSize())
	}
	s.Width = max(s.Width, m.w)
	return s
}

func (m minWidth) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

// refusedText is the status bar's count of refused events.
func refusedText(n int) string {
	if n == 1 {
		return "1 change refused"
	}
	return fmt.Sprintf("%d changes refused", n)
}

// newRefusedButton is the status bar's count of refused events: for an
// administrator it opens the audit log's list of them; for anyone else it
// says what they are and who sees them.
func (sh *shellScreen) newRefusedButton() *widget.Button {
	b := widget.NewButtonWithIcon("", theme.WarningIcon(), func() {
		if sh.session.Role() == roles.Administrator && sh.show(auditTitle) && len(sh.page.Objects) == 1 &&
			kit.ShowPartIn(sh.page.Objects[0], admin.PartRefused) {
			return
		}
		msg := widget.NewLabel("Other workstations' software signed changes that this workstation refused: " +
			"they broke a rule of the clinic (a dose that is no amount, a change written after its author was revoked, a clock gone back…), " +
			"so they changed nothing here. Nothing you wrote is lost. Your clinic's administrator sees each one on the audit log.")
		msg.Wrapping = fyne.TextWrapWord
		kit.Notice{Title: refusedText(sh.refusedN), Close: "Close", Content: container.New(minWidth{440}, msg), Back: sh.refused}.Show(sh.win)
	})
	b.Importance = widget.LowImportance
	b.Hide()
	return b
}
