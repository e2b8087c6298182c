package ui

import (
	"fmt"
	"image/png"
	"os"
	"strings"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/ui/kit"
)

// The status bar's "Why?" shows while the sync has a problem and tells it
// in words when tapped.
func TestSyncWhyTellsTheProblem(t *testing.T) {
	test.NewTempApp(t)
	win := test.NewTempWindow(t, widget.NewLabel(""))
	win.Resize(fyne.NewSize(900, 600))
	w := newSyncWhy(win)
	win.SetContent(w.btn)
	if w.btn.Visible() {
		t.Fatal("Why? shows without a problem")
	}
	const problem = "The chat server refused the account name or password"
	w.set(problem)
	if !w.btn.Visible() {
		t.Fatal("Why? hidden while there is a problem")
	}
	test.Tap(w.btn)
	top := win.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("no dialog")
	}
	var texts []string
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if l, ok := o.(*widget.Label); ok {
			texts = append(texts, l.Text)
		}
		if c, ok := o.(interface{ Objects() []fyne.CanvasObject }); ok {
			for _, x := range c.Objects() {
				walk(x)
			}
		}
		if c, ok := o.(*fyne.Container); ok {
			for _, x := range c.Objects {
				walk(x)
			}
		}
		if w, ok := o.(fyne.Widget); ok {
			for _, x := range test.WidgetRenderer(w).Objects() {
				walk(x)
			}
		}
	}
	walk(top)
	if all := strings.Join(texts, "\n"); !strings.Contains(all, problem) || !strings.Contains(all, "tell your clinic's administrator") {
		t.Errorf("the dialog says %q", all)
	}
	w.set("")
	if w.btn.Visible() {
		t.Error("Why? stays once the problem is gone")
	}
}

// The shell's status bar shows Why? while the sync reports a problem.
func TestShellSaysWhyTheSyncFails(t *testing.T) {
	b := newFakeBackend()
	h := newHarness(t, b, Options{})
	h.login(staffOf(t, b, roles.Physician), rightPassphrase)
	sh := h.mustShell()
	if sh.why.btn.Visible() {
		t.Fatal("Why? shows while the sync has no problem")
	}
	sh.setSync(SyncStatus{Problem: "The chat server refused the account name or password"})
	if !sh.why.btn.Visible() || sh.connection.Text != "Offline — retrying" {
		t.Fatalf("status bar: %q, Why? visible %v", sh.connection.Text, sh.why.btn.Visible())
	}
	test.Tap(sh.why.btn)
	if top := h.w.Canvas().Overlays().Top(); top == nil || !strings.Contains(renderedText(top), "refused the account") {
		t.Error("Why? does not tell the problem")
	}
	if os.Getenv("F19SHOT") != "" {
		h.w.Resize(fyne.NewSize(1280, 800))
		f, _ := os.Create(os.Getenv("F19SHOT"))
		png.Encode(f, h.w.Canvas().Capture())
		f.Close()
	}
}

// syncingSession is a fakeSession whose sync reports as netsync's does:
// where it stands at once, on the subscriber's goroutine, then each change
// on the reporter's.
type syncingSession struct {
	*fakeSession
	mu     sync.Mutex
	status SyncStatus
	fn     func(SyncStatus)
}

func (s *syncingSession) OnSyncStatus(fn func(SyncStatus)) (stop func()) {
	s.mu.Lock()
	s.fn = fn
	st := s.status
	s.mu.Unlock()
	fn(st)
	return func() {
		s.mu.Lock()
		s.fn = nil
		s.mu.Unlock()
	}
}

func (s *syncingSession) report(st SyncStatus) {
	s.mu.Lock()
	s.status = st
	fn := s.fn
	s.mu.Unlock()
	if fn != nil {
		fn(st)
	}
}

// The shell opens from a login's callback, under kit.OnUI's lock, and
// the sync reports at once as the shell subscribes: the status still
// shows (the shell does not wait for the lock it holds), and of statuses
// reported one after the other on the sync's goroutine the last one
// stays on show.
func TestShellShowsTheSyncStatus(t *testing.T) {
	b := newFakeBackend()
	h := newHarness(t, b, Options{})
	s := &syncingSession{
		fakeSession: &fakeSession{name: "Dr. Clara Nguyen", role: roles.Physician, clinic: "Riverside"},
		status:      SyncStatus{Connected: true, Waiting: 3},
	}
	var sh *shellScreen
	kit.OnUI(func() { // as a login's callback opens it
		if h.ws.adopt(s) {
			h.ws.showShell(s)
			sh = h.ws.shell
		}
	})
	if sh == nil {
		t.Fatal("the shell did not open")
	}
	shows := func(connection, waiting string) func() bool { // read under kit.Locked (waitUntil)
		return func() bool { return sh.connection.Text == connection && sh.waiting.Text == waiting }
	}
	waitUntil(t, shows("Connected", "3 changes waiting to send"))

	const last = 40
	go func() {
		for i := 1; i <= last; i++ {
			s.report(SyncStatus{Waiting: i, Problem: "The chat server does not answer"})
		}
	}()
	waitUntil(t, shows("Offline — retrying", fmt.Sprintf("%d changes waiting to send", last)))
}

// TestWaitingText: the status bar says "All changes sent" rather than
// "Changes waiting to send: 0", and counts in words.
func TestWaitingText(t *testing.T) {
	for n, want := range map[int]string{0: "All changes sent", 1: "1 change waiting to send", 3: "3 changes waiting to send"} {
		if got := waitingText(n); got != want {
			t.Errorf("waitingText(%d) = %q, want %q", n, got, want)
		}
	}
}
