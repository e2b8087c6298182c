package ui

import (
	"fmt"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/ui/kit"
)

// Widths of the navigation column and of a section's placeholder card.
const (
	navWidth         = 240
	placeholderWidth = 680
)

// shellScreen is what a logged-in staff member works in: a top bar, the
// role's navigation, the chosen section and a status bar.
type shellScreen struct {
	ws       *Workstation
	win      fyne.Window
	session  Session
	sections []section
	content  fyne.CanvasObject

	who          *widget.Label
	lock, logout *widget.Button
	nav          *widget.List
	current      int // index in sections of the section on show, -1 for none
	// staying and leaving are set while the navigation is moved by
	// open's question about unsaved typing: back to the section that
	// stays (nothing to open), or on to the one chosen (no question).
	staying, leaving bool
	page             *fyne.Container
	heading          *widget.Label
	scroll           *container.Scroll // the page; each section opens at its top
	compact          bool              // the navigation shows icons only (navlayout.go)

	connection, waiting *widget.Label
	why                 *syncWhy        // the sync's problem in words (syncstatus.go)
	statusRow           *fyne.Container // laid out again when its texts change
	catching            *widget.ProgressBarInfinite
	behind              *widget.Label
	refused             *widget.Button // the count of refused events (syncstatus.go)
	refusedN            int
	stopSync            func()

	idle       *idleWatch      // idle auto-lock (idle.go)
	clinicIdle time.Duration   // the clinic's longest idle time before the lock
	settings   *settingsScreen // the Settings section, once built

	badges      []int       // per section: the count shown next to its title, 0 for none
	stopWatches []func()    // of the sections' watches
	stopHome    func()      // of awaitHome's wait for the home screen
	focused     atomic.Bool // the window has the input focus
}

// A Watch runs for as long as the shell is on show, whatever section is:
// it keeps its section's badge (a count next to the title in the
// navigation) and may notify. It returns its stop, or nil when the session
// does not offer what it needs. Sections register theirs in wire_*.go.
type Watch func(s Session, env WatchEnv) (stop func())

// WatchEnv is what the shell gives a Watch; its functions run on the UI
// goroutine.
type WatchEnv struct {
	Focused    func() bool    // the window has the input focus
	Showing    func() bool    // the watch's section is on show
	Badge      func(n int)    // show n next to the section's title (0 hides it)
	Background func(f func()) // run f off the UI goroutine
}

// watches holds the sections' watches by section title.
var watches = map[string]Watch{}

// startWatches starts the watch of every section of the shell that has one.
func (sh *shellScreen) startWatches(background func(func())) {
	lc := fyne.CurrentApp().Lifecycle()
	sh.focused.Store(true)
	sh.ws.clip.found()
	lc.SetOnEnteredForeground(func() { sh.focused.Store(true); sh.ws.clip.found() })
	lc.SetOnExitedForeground(func() { sh.focused.Store(false); sh.ws.clip.left() })
	for i, sec := range sh.sections {
		watch := watches[sec.title]
		if watch == nil {
			continue
		}
		stop := watch(sh.session, WatchEnv{
			Focused:    sh.focused.Load,
			Showing:    func() bool { return sh.current == i },
			Badge:      func(n int) { sh.setBadge(i, n) },
			Background: background,
		})
		if stop != nil {
			sh.stopWatches = append(sh.stopWatches, stop)
		}
	}
}

// setBadge shows n next to section i's title in the navigation.
func (sh *shellScreen) setBadge(i, n int) {
	if i < len(sh.badges) && sh.badges[i] != n {
		sh.badges[i] = n
		sh.nav.RefreshItem(i)
	}
}

// showShell builds the shell for a logged-in session and shows it.
func (ws *Workstation) showShell(s Session) {
	role := s.Role()
	sh := &shellScreen{ws: ws, win: ws.win, session: s, sections: sectionsOf[role], current: -1, clinicIdle: defaultIdleLock}
	sh.badges = make([]int, len(sh.sections))
	ws.awaitHome(sh)
	ws.win.SetTitle(fmt.Sprintf("%s — %s", ws.opts.Title, s.Clinic()))

	clinic := widget.NewLabelWithStyle(s.Clinic(), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	clinic.SizeName = theme.SizeNameSubHeadingText
	sh.who = widget.NewLabel(fmt.Sprintf("%s · %s", s.StaffName(), role.Title()))
	sh.lock = widget.NewButtonWithIcon("Lock", lockIcon, func() { ws.lockShell(sh) })
	sh.logout = widget.NewButtonWithIcon("Log out", theme.LogoutIcon(), func() {
		if what := sh.unsaved(); what != "" {
			kit.ConfirmLeave(sh.win, what, func() { ws.logout(sh) })
			return
		}
		ws.logout(sh)
	})
	topBar := container.New(layout.NewCustomPaddedLayout(6, 6, 12, 12), container.NewBorder(nil, nil,
		container.NewHBox(newAppIcon(32), clinic),
		container.NewHBox(sh.who, sh.lock, sh.logout),
	))

	sh.nav = widget.NewList(
		func() int { return len(sh.sections) },
		func() fyne.CanvasObject {
			return container.NewBorder(nil, nil,
				container.NewHBox(widget.NewIcon(theme.InfoIcon()), widget.NewLabel("Registration tokens")),
				kit.NewCount())
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			row := o.(*fyne.Container)
			left := row.Objects[0].(*fyne.Container)
			left.Objects[0].(*widget.Icon).SetResource(theme.Icon(sh.sections[i].icon))
			title := left.Objects[1].(*widget.Label)
			title.SetText(sh.sections[i].title)
			title.Hidden = sh.compact
			kit.SetCount(row.Objects[1].(*fyne.Container), sh.badges[i])
		},
	)
	sh.nav.HideSeparators = true
	sh.nav.OnSelected = func(i widget.ListItemID) { sh.open(i) }

	sh.heading = newHeading("")
	sh.heading.Alignment = fyne.TextAlignLeading
	// The section fills the page's height, so a screen with a list or a
	// grid gets the room a large window has (a short screen keeps its own
	// height at the top).
	sh.page = container.NewStack()
	// Both ways: a screen wider than the window scrolls sideways rather
	// than widening the window past the screen (1024×768 must work).
	sh.scroll = container.NewScroll(
		container.New(layout.NewCustomPaddedLayout(12, 12, 20, 20), container.NewBorder(sh.heading, nil, nil, nil, sh.page)))
	body := newBackdrop(colorNamePage, sh.scroll)

	sh.connection = widget.NewLabel("Offline")
	sh.why = newSyncWhy(sh.win)
	sh.waiting = widget.NewLabel("")
	sh.catching = widget.NewProgressBarInfinite()
	sh.behind = widget.NewLabel("")
	sh.refused = sh.newRefusedButton()
	sh.setSync(SyncStatus{})
	sh.statusRow = container.NewHBox(
		widget.NewIcon(theme.ComputerIcon()), sh.connection, sh.why.btn, widget.NewSeparator(), sh.waiting, sh.refused,
		container.New(columnLayout(160), sh.catching), sh.behind)
	statusBar := container.New(layout.NewCustomPaddedLayout(0, 0, 12, 12), sh.statusRow)
	if src, ok := s.(SyncSource); ok {
		sh.stopSync = sh.followSync(src)
	}

	// The page's tone sets it apart from the bars and the navigation, so
	// no separator lines are needed.
	sh.content = newActivityArea(container.NewBorder( // idle auto-lock: pointer activity (idle.go)
		topBar,
		statusBar,
		nil,
		nil,
		container.New(shellBody{sh}, container.NewPadded(sh.nav), body),
	), func() {
		if sh.idle != nil {
			sh.idle.touch()
		}
	})
	if len(sh.sections) == 0 {
		sh.showNoSections(role)
	} else {
		sh.nav.Select(0)
	}
	sh.startWatches(ws.background)
	ws.showShellScreen(sh)
	sh.focusFirst() // the first section was built before the shell was in the window
	ws.probe.arm("shell")
}

// awaitHome waits for the first section's screen to show its data
// (marks.Shown): then the "home" mark (MEDIHAVEN_TRACE) is written when
// the frame with it is drawn, and the memory building it left behind is
// given back (memory.go). A screen that never says so gets its memory
// given back after homeFallback.
func (ws *Workstation) awaitHome(sh *shellScreen) {
	if len(sh.sections) == 0 {
		return
	}
	sh.stopHome = homeShown(sh.sections[0].title, homeFallback, func() { ws.probe.arm("home") }, releaseSettled)
}

// homeFallback is how long after the shell is shown the memory is given
// back when its home screen does not say it has shown its data.
const homeFallback = 5 * time.Second

// lockShortcut locks the workstation from the keyboard (Ctrl+L, or Cmd+L
// on a Mac), for a staff member stepping away from the desk.
var lockShortcut = &desktop.CustomShortcut{KeyName: fyne.KeyL, Modifier: fyne.KeyModifierShortcutDefault}

// showShellScreen shows a built shell, with its keyboard shortcut.
func (ws *Workstation) showShellScreen(sh *shellScreen) {
	ws.show(sh.content, nil, sh, nil)
	ws.addShellKeys() // keys.go
	ws.watchIdle(sh)  // idle auto-lock (idle.go)
}

// typedLockShortcut locks the shell on show, if any.
func (ws *Workstation) typedLockShortcut(fyne.Shortcut) {
	if ws.shell != nil {
		ws.lockShell(ws.shell)
	}
}

// open shows section i. Until a section's screen is built it shows what the
// screen will do, marked as not built yet, never made-up data.
func (sh *shellScreen) open(i int) {
	if i < 0 || i >= len(sh.sections) || sh.staying {
		return
	}
	// A section holding typing not saved yet (a note half written) asks
	// first: the navigation goes back to it until the person chooses to
	// discard it (every section is built anew when opened).
	if what := sh.unsaved(); what != "" && i != sh.current && !sh.leaving {
		sh.staying = true
		sh.nav.Select(sh.current)
		sh.staying = false
		kit.ConfirmLeave(sh.win, what, func() {
			sh.leaving = true
			defer func() { sh.leaving = false }()
			sh.nav.Select(i)
		})
		return
	}
	sec := sh.sections[i]
	sh.current = i
	sh.heading.SetText(sec.title)
	defer sh.scroll.ScrollToTop()
	if sec.own != nil {
		sh.page.Objects = []fyne.CanvasObject{sec.own(sh.ws, sh)}
		sh.page.Refresh()
		return
	}
	if build := screens[sh.session.Role()][sec.title]; build != nil {
		if screen := build(sh.session, sh.win, func(title string) { sh.show(title) }); screen != nil {
			sh.page.Objects = []fyne.CanvasObject{screen}
			sh.page.Refresh()
			sh.focusFirst()
			return
		}
	}
	title := widget.NewLabelWithStyle("Coming next: "+sec.title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameSubHeadingText
	note := paragraph("This screen is not built yet: nothing on it is clinic data.")
	note.Importance = widget.LowImportance
	card := widget.NewCard("", "", container.NewPadded(container.NewVBox(title, paragraph(sec.coming), note)))
	sh.page.Objects = []fyne.CanvasObject{
		container.NewHBox(container.New(columnLayout(placeholderWidth), card)),
	}
	sh.page.Refresh()
}

// focusFirst gives the keyboard to the field the screen on show names
// (kit.FirstFocus: the Patients search), once the shell is in the window;
// false when it names none.
func (sh *shellScreen) focusFirst() bool {
	if sh.ws == nil || sh.ws.shell != sh || len(sh.page.Objects) != 1 {
		return false
	}
	f := kit.FirstFocusIn(sh.page.Objects[0])
	if f == nil {
		return false
	}
	sh.win.Canvas().Focus(f)
	return sh.win.Canvas().Focused() == f
}

// unsaved is what the section on show would lose if it were swapped away
// ("" when nothing; kit.Unsaved).
func (sh *shellScreen) unsaved() string {
	if sh.current < 0 || len(sh.page.Objects) != 1 {
		return ""
	}
	return kit.UnsavedIn(sh.page.Objects[0])
}

// show opens the section titled title, selected in the navigation, and
// reports whether the shell has one.
func (sh *shellScreen) show(title string) bool {
	for i, sec := range sh.sections {
		if sec.title == title {
			sh.nav.Select(i)
			return true
		}
	}
	return false
}

// showNoSections explains a role the shell has no navigation for.
func (sh *shellScreen) showNoSections(role roles.Role) {
	sh.heading.SetText("No screens for this role")
	sh.page.Objects = []fyne.CanvasObject{paragraph(fmt.Sprintf(
		"This workstation's role (%q) is not one Medihaven knows, so it has nothing to show. "+
			"Ask your clinic's administrator to check your role.", string(role)))}
	sh.page.Refresh()
}

// waitingText says how many changes wait to be sent: "All changes sent",
// "1 change waiting to send", "3 changes waiting to send" ("Changes waiting
// to send: 0" read as a problem with nothing wrong).
func waitingText(n int) string {
	switch n {
	case 0:
		return "All changes sent"
	case 1:
		return "1 change waiting to send"
	}
	return fmt.Sprintf("%d changes waiting to send", n)
}

// setSync shows the connection state, how many changes wait to be sent,
// and a progress bar while changes of other workstations are fetched. A
// workstation that does not sync shows "Offline", "All changes sent".
func (sh *shellScreen) setSync(st SyncStatus) {
	switch {
	case st.Connected:
		sh.connection.SetText("Connected")
	case st.Problem != "":
		sh.connection.SetText("Offline — retrying")
	default:
		sh.connection.SetText("Offline")
	}
	sh.why.set(st.Problem)
	sh.refusedN = st.Refused
	if st.Refused > 0 {
		sh.refused.SetText(refusedText(st.Refused))
		sh.refused.Show()
	} else {
		sh.refused.Hide()
	}
	sh.waiting.SetText(waitingText(st.Waiting))
	if st.CatchingUp {
		sh.catching.Show()
		sh.catching.Start()
		if st.Behind > 0 {
			sh.behind.SetText(fmt.Sprintf("Catching up: %d changes to go", st.Behind))
		} else {
			sh.behind.SetText("Catching up")
		}
		sh.behind.Show()
	} else {
		sh.catching.Stop()
		sh.catching.Hide()
		sh.behind.Hide()
	}
	if sh.statusRow != nil {
		sh.statusRow.Refresh() // texts of other widths, Why? shown or hidden
	}
}

// stop ends the shell's subscriptions (log out, lock).
func (sh *shellScreen) stop() {
	if sh.stopSync != nil {
		sh.stopSync()
		sh.stopSync = nil
	}
	for _, stop := range sh.stopWatches {
		stop()
	}
	sh.stopWatches = nil
	if sh.stopHome != nil {
		sh.stopHome()
		sh.stopHome = nil
	}
}

// lockShell locks the session's keys and shows the lock screen.
func (ws *Workstation) lockShell(sh *shellScreen) {
	ws.clip.wipe(sh.focused.Load())
	sh.session.Lock()
	ws.showLocked(sh)
}

// logout logs the staff member out off the UI goroutine and returns to the
// login screen, telling what went wrong if logging out failed.
func (ws *Workstation) logout(sh *shellScreen) {
	ws.clip.wipe(sh.focused.Load())
	sh.stop()
	s := ws.release()
	if s == nil {
		return // already logged out
	}
	name := s.StaffName()
	ws.showWaiting("Logging out…", nil)
	ws.closing.Add(1)
	ws.background(func() {
		err := s.Close()
		ws.closing.Done()
		kit.OnUI(func() {
			msg := ""
			if err != nil {
				msg = "Logging out did not finish cleanly: " + err.Error()
			}
			ws.showLogin(name, msg)
		})
	})
}
