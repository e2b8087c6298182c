package ui

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/widget"
)

// Metadata of the application; FyneApp.toml at the repository root says the
// same for `fyne package`, and a test keeps the two in step.
const (
	appID      = "app.medihaven.desktop"
	appName    = "Medihaven"
	appVersion = "0.1.0"
	appBuild   = 1
)

// Window sizes: the default, and the smallest the screens are laid out for.
var (
	defaultSize = fyne.NewSize(1280, 800)
	smallest    = fyne.NewSize(1024, 700)
)

// Workstation is the content of Medihaven's main window: the login screen,
// then the logged-in staff member's shell, and the lock screen while their
// keys are locked. Run builds one; tests build one into a window from
// fyne.io/fyne/v2/test and drive it.
//
// Its methods must be called on the Fyne goroutine, except Close.
type Workstation struct {
	win     fyne.Window
	backend Backend
	opts    Options

	// ctx ends when the workstation closes, cancelling work under way.
	ctx    context.Context
	cancel context.CancelFunc

	// background runs work that waits on disk or the network off the UI
	// goroutine; results come back through kit.OnUI. Tests replace it to
	// wait for that work.
	background func(func())

	mu      sync.Mutex
	closed  bool
	session Session // the logged-in session, nil at the login screen
	// closing counts log-outs under way, which Close waits for so that a
	// session is never cut off halfway through closing.
	closing sync.WaitGroup

	// The screen on show; at most one is non-nil.
	login  *loginScreen
	shell  *shellScreen
	locked *lockScreen

	clip    clipGuard        // empties what was copied from the app at a lock or log-out (clipguard.go)
	waiting *widget.Activity // the turning indicator of a wait on show, if any
	probe   *drawnProbe      // marks frames drawn, only under MEDIHAVEN_TRACE (drawn.go)
	// listed, when Run listed the profiles while it made the window, brings
	// that listing to the first login screen (nil afterwards).
	listed <-chan listing
}

// NewWorkstation shows the login screen in w and returns the workstation.
// Options left empty take their defaults; Options.Theme is applied by Run,
// not here.
func NewWorkstation(w fyne.Window, b Backend, o Options) *Workstation {
	return newWorkstation(w, b, o, func(f func()) { go f() })
}

// newWorkstation is NewWorkstation with the runner of background work.
func newWorkstation(w fyne.Window, b Backend, o Options, background func(func())) *Workstation {
	if o.Title == "" {
		o.Title = appName
	}
	ctx, cancel := context.WithCancel(context.Background())
	ws := &Workstation{
		win: w, backend: b, opts: o, ctx: ctx, cancel: cancel,
		background: background, probe: newDrawnProbe(), listed: o.listed,
	}
	w.SetTitle(o.Title)
	w.SetPadded(false) // the screens pad themselves; the page tone reaches the edges
	loadPreferences()  // settings.go
	ws.showLogin(o.StaffName, "")
	ws.probe.arm("first-frame")
	return ws
}

// releaseKeyMemory gives back to the system the memory a passphrase's key
// derivation left behind (the file keystore's Argon2 alone takes 64 MiB),
// now rather than minutes later when Go would. Called once a login or an
// unlock succeeded; it runs beside the screen being built, not before it.
func releaseKeyMemory() { go debug.FreeOSMemory() }

// Close cancels work under way, waits for a log-out under way and logs the
// staff member out, if anyone is logged in. It is safe to call from any
// goroutine, more than once.
func (ws *Workstation) Close() error {
	ws.mu.Lock()
	ws.closed = true
	s := ws.session
	ws.session = nil
	ws.mu.Unlock()
	ws.cancel()
	ws.closing.Wait()
	if s == nil {
		return nil
	}
	if err := s.Close(); err != nil {
		return fmt.Errorf("ui: logging out: %w", err)
	}
	return nil
}

// adopt makes s the logged-in session. If the workstation was closed while
// the login ran, it logs s out again and reports false. Called off the UI
// goroutine, so that a login finishing after the window closed is not left
// open.
func (ws *Workstation) adopt(s Session) bool {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.closed {
		_ = s.Close() // nobody is left to show the error to
		return false
	}
	ws.session = s
	return true
}

// release forgets the logged-in session and returns it (nil if none).
func (ws *Workstation) release() Session {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	s := ws.session
	ws.session = nil
	return s
}

// show puts a screen in the window and remembers which one it is.
func (ws *Workstation) show(content fyne.CanvasObject, login *loginScreen, shell *shellScreen, locked *lockScreen) {
	if ws.waiting != nil {
		ws.waiting.Stop()
		ws.waiting = nil
	}
	ws.removeShellKeys()
	ws.login, ws.shell, ws.locked = login, shell, locked
	c := ws.win.Canvas()
	was := c.Focused()
	ws.win.SetContent(ws.probe.wrap(content))
	if was != nil && c.Focused() != was {
		// Fyne's canvas drops the focused widget of the screen it replaces
		// without telling it: an entry (the login's passphrase) then blinks
		// its cursor off screen for the whole session, and each blink
		// repaints the window (15-20% of a core while idle under Xvfb's
		// software OpenGL, and the memory those frames take).
		was.FocusLost()
	}
}

// Run creates the Fyne app, opens the main window with the login screen and
// blocks until the window is closed. It then logs out whoever is logged in.
func Run(b Backend, o Options) error {
	if _, err := newTheme(o.Theme); err != nil {
		return err
	}
	// The profiles are listed (files on disk) while the window is made
	// (the display, OpenGL): the login form is then the first screen.
	listed := make(chan listing, 1)
	go func() {
		ps, err := b.Profiles(context.Background())
		listed <- listing{ps, err}
	}()
	// Metadata set here rather than read from FyneApp.toml, which a plain
	// `go build` binary does not find; it opts into fyne.Do threading.
	app.SetMetadata(fyne.AppMetadata{
		ID: appID, Name: appName, Version: appVersion, Build: appBuild,
		Icon: iconResource, Migrations: map[string]bool{"fyneDo": true},
	})
	a := app.NewWithID(appID)
	a.SetIcon(iconResource)
	// The theme chosen in Settings, unless the command line forces one.
	th, err := newTheme(a.Preferences().StringWithFallback(prefTheme, o.Theme))
	if o.Theme != "" || err != nil {
		th, _ = newTheme(o.Theme)
	}
	a.Settings().SetTheme(th)

	w := a.NewWindow(o.Title)
	noDepthBuffer() // before the window is shown: see glhints.go
	o.listed = listed
	ws := NewWorkstation(w, b, o)
	w.SetMaster()
	w.Resize(defaultSize)
	w.CenterOnScreen()
	if o.Started != nil {
		a.Lifecycle().SetOnStarted(func() { go o.Started(ws, w) })
	}
	w.ShowAndRun()
	return ws.Close()
}
