package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	appchat "github.com/medihaven/medihaven/app/chat"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/ui/kit"
	"github.com/medihaven/medihaven/ui/kit/kittest"
)

func TestLockUnlockLogOut(t *testing.T) {
	for _, role := range roles.All {
		t.Run(string(role), func(t *testing.T) {
			b := newFakeBackend()
			h := newHarness(t, b, Options{})
			name := staffOf(t, b, role)
			h.login(name, rightPassphrase)
			sh := h.mustShell()
			sh.nav.Select(2)
			s := b.sessions[0]

			test.Tap(sh.lock)
			ls := h.ws.locked
			if ls == nil || h.ws.shell != nil {
				t.Fatal("Lock did not show the lock screen")
			}
			if s.locks != 1 || !s.locked {
				t.Errorf("Lock called %d times", s.locks)
			}
			if text := renderedText(h.w.Content()); !strings.Contains(text, "Locked — "+name) {
				t.Errorf("lock screen shows %q", text)
			}

			test.Type(ls.pass, "guess")
			test.Tap(ls.unlock)
			h.wait()
			if h.ws.locked != ls {
				t.Fatal("a wrong passphrase unlocked the workstation")
			}
			if got := shownText(ls.message); got != errWrongPassphrase.Error() {
				t.Errorf("message = %q", got)
			}
			if ls.pass.Text != "" || ls.unlock.Disabled() {
				t.Errorf("after a wrong passphrase: field %q, Unlock disabled %v", ls.pass.Text, ls.unlock.Disabled())
			}

			test.Tap(ls.unlock)
			if got := shownText(ls.message); got != "Enter your passphrase." {
				t.Errorf("empty passphrase: message = %q", got)
			}

			test.Type(ls.pass, rightPassphrase)
			ls.pass.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
			h.wait()
			if h.ws.shell != sh {
				t.Fatal("unlocking did not bring back the same shell")
			}
			if sh.current != 2 {
				t.Errorf("after unlocking section %d is on show, want 2 (where the person left off)", sh.current)
			}
			if s.unlocks != 2 || s.locked {
				t.Errorf("Unlock called %d times, locked %v", s.unlocks, s.locked)
			}

			test.Tap(sh.logout)
			h.wait()
			if h.ws.login == nil || h.ws.login.staff == nil {
				t.Fatal("Log out did not return to the login form")
			}
			if s.closes != 1 {
				t.Errorf("Close called %d times, want 1", s.closes)
			}
			if got := h.ws.login.staff.Text; got != name {
				t.Errorf("staff name after logging out = %q, want %q", got, name)
			}
			if got := h.w.Title(); got != "Medihaven" {
				t.Errorf("window title after logging out = %q", got)
			}
		})
	}
}

func TestLogOutFromLockScreen(t *testing.T) {
	b := newFakeBackend()
	h := newHarness(t, b, Options{})
	h.login("Ben Okafor", rightPassphrase)
	test.Tap(h.mustShell().lock)
	test.Tap(h.ws.locked.logout)
	h.wait()
	if h.ws.login == nil || b.sessions[0].closes != 1 {
		t.Error("Log out on the lock screen did not log out")
	}
}

// TestLockShortcut calls the shortcut's handler: the test canvas cannot
// type shortcuts. The Xvfb test in the repository root presses Ctrl+L for
// real.
func TestLockShortcut(t *testing.T) {
	h := newHarness(t, newFakeBackend(), Options{})
	h.ws.typedLockShortcut(lockShortcut) // at the login screen it does nothing
	if h.ws.login == nil {
		t.Fatal("Ctrl+L at the login screen left it")
	}
	h.login("Dr. Clara Nguyen", rightPassphrase)
	h.mustShell()
	h.ws.typedLockShortcut(lockShortcut)
	if h.ws.locked == nil {
		t.Error("Ctrl+L did not lock the workstation")
	}
	h.ws.typedLockShortcut(lockShortcut) // on the lock screen it does nothing
	if h.ws.locked == nil || h.b.sessions[0].locks != 1 {
		t.Error("Ctrl+L on the lock screen did something")
	}
}

func TestUnknownRoleShowsAMessage(t *testing.T) {
	b := newFakeBackend()
	b.staff["Dana"] = roles.Role("janitor")
	h := newHarness(t, b, Options{})
	h.login("Dana", rightPassphrase)
	sh := h.mustShell()
	if sh.nav.Length() != 0 {
		t.Errorf("an unknown role has %d sections", sh.nav.Length())
	}
	if text := renderedText(sh.content); !strings.Contains(text, "not one Medihaven knows") {
		t.Errorf("shell shows %q", text)
	}
}

// TestScreensFitTheSmallestWindow checks that every screen can be laid out
// in a 1024x700 window.
func TestScreensFitTheSmallestWindow(t *testing.T) {
	check := func(t *testing.T, h *harness, screen string) {
		t.Helper()
		min := h.w.Content().MinSize()
		if min.Width > smallest.Width || min.Height > smallest.Height {
			t.Errorf("%s needs %v, more than %v", screen, min, smallest)
		}
	}
	for _, role := range roles.All {
		t.Run(string(role), func(t *testing.T) {
			b := newFakeBackend()
			h := newHarness(t, b, Options{})
			check(t, h, "login")
			h.login("x", "y")
			check(t, h, "login with an error")
			h.login(staffOf(t, b, role), rightPassphrase)
			for i := range h.mustShell().sections {
				h.ws.shell.nav.Select(i)
				check(t, h, "shell section "+h.ws.shell.sections[i].title)
			}
			test.Tap(h.ws.shell.lock)
			check(t, h, "lock screen")
		})
	}
	t.Run("no profiles", func(t *testing.T) {
		b := newFakeBackend()
		b.profiles = nil
		check(t, newHarness(t, b, Options{}), "no-profile screen")
	})
}

func TestEveryRoleHasSections(t *testing.T) {
	for _, role := range roles.All {
		secs := sectionsOf[role]
		if len(secs) == 0 {
			t.Errorf("%s has no sections", role)
		}
		for _, s := range secs {
			if s.title == "" || s.icon == "" || (s.coming == "" && s.own == nil) {
				t.Errorf("%s: incomplete section %+v", role, s)
			}
		}
		var last []string
		for _, s := range secs[max(0, len(secs)-3):] {
			last = append(last, s.title)
		}
		if strings.Join(last, ", ") != "Chat, Settings, Help" {
			t.Errorf("%s: the navigation ends with %q, want Chat, Settings, Help", role, last)
		}
	}
}

// staffOf returns the fake clinic's staff member with the given role.
func staffOf(t *testing.T, b *fakeBackend, r roles.Role) string {
	t.Helper()
	for name, role := range b.staff {
		if role == r {
			return name
		}
	}
	t.Fatalf("no staff member is a %s", r)
	return ""
}

// renderedText returns the text of every label, card and entry placeholder
// shown under o, one per line.
func renderedText(o fyne.CanvasObject) string {
	var lines []string
	for _, obj := range test.LaidOutObjects(o) {
		if !obj.Visible() {
			continue
		}
		switch w := obj.(type) {
		case *widget.Label:
			lines = append(lines, w.Text)
		case *widget.Card:
			lines = append(lines, w.Title, w.Subtitle)
		}
	}
	return strings.Join(lines, "\n")
}

func TestCloseLogsOut(t *testing.T) {
	for _, screen := range []string{"shell", "lock screen"} {
		t.Run(screen, func(t *testing.T) {
			b := newFakeBackend()
			h := newHarness(t, b, Options{})
			h.login("Ben Okafor", rightPassphrase)
			if screen == "lock screen" {
				test.Tap(h.mustShell().lock)
			}
			if err := h.ws.Close(); err != nil {
				t.Fatal(err)
			}
			if err := h.ws.Close(); err != nil { // a second Close does nothing
				t.Fatal(err)
			}
			if n := b.sessions[0].closes; n != 1 {
				t.Errorf("session closed %d times, want 1", n)
			}
		})
	}
}

// BenchmarkShowShell builds a physician's shell into a 1280x800 window.
func BenchmarkShowShell(b *testing.B) {
	test.NewTempApp(b).Settings().SetTheme(clinicTheme{})
	w := test.NewTempWindow(b, nil)
	w.Resize(defaultSize)
	ws := newWorkstation(w, newFakeBackend(), Options{}, func(func()) {})
	s := &fakeSession{name: "Dr. Clara Nguyen", role: roles.Physician, clinic: "Riverside Family Practice"}
	for b.Loop() {
		ws.showShell(s)
	}
}

// TestChatWatchOnEveryScreen: the unread count shows on "Chat" in the
// navigation whatever screen is on show, and a new message from a
// colleague makes a desktop notification that names the sender (and the
// patient's MRN) but never the text, unless the staff member is looking
// at the Chat screen in the focused window.
func TestChatWatchOnEveryScreen(t *testing.T) {
	// The panel itself is tested in ui/chat; here the section shows its
	// placeholder, so that nothing but the shell runs.
	panel := screens[roles.Receptionist]["Chat"]
	screens[roles.Receptionist]["Chat"] = func(Session, fyne.Window, func(string)) fyne.CanvasObject { return nil }
	t.Cleanup(func() { screens[roles.Receptionist]["Chat"] = panel })
	b := newFakeBackend()
	b.chat = true
	h := newHarness(t, b, Options{})
	h.login("Ben Okafor", rightPassphrase)
	sh := h.mustShell()
	s := b.sessions[0]
	chatAt := -1
	for i, sec := range sh.sections {
		if sec.title == "Chat" {
			chatAt = i
		}
	}
	if chatAt < 0 || sh.current == chatAt {
		t.Fatalf("Chat is section %d, %d on show: the test needs another screen on show", chatAt, sh.current)
	}
	now := time.Now()
	old := &appchat.Message{ID: "m1", From: "fp-clara", FromName: "Dr. Clara Nguyen", Text: "Morning", Verified: true, At: now.Add(-time.Hour)}
	s.setConversations([]appchat.Conversation{
		{ID: appchat.Room, Title: "Clinic room", Presence: appchat.PresenceOnline},
		{ID: "fp-clara", Title: "Dr. Clara Nguyen", Role: roles.Physician, Presence: appchat.PresenceOnline, Unread: 1, Last: old},
	}, appchat.Received)
	h.wait()
	if got := navBadge(t, sh, chatAt); got != "1" {
		t.Errorf("badge on Chat = %q, want 1 (what was unread at login)", got)
	}

	const secret = "Mrs Hollingsworth-Pratt is in room 2"
	fresh := func(id, text, mrn string, verified bool, unread int) []appchat.Conversation {
		m := &appchat.Message{ID: id, From: "fp-clara", FromName: "Dr. Clara Nguyen", Text: text, MRN: mrn, Verified: verified, At: time.Now()}
		return []appchat.Conversation{
			{ID: appchat.Room, Title: "Clinic room", Presence: appchat.PresenceOnline},
			{ID: "fp-clara", Title: "Dr. Clara Nguyen", Role: roles.Physician, Presence: appchat.PresenceAway, Unread: unread, Last: m},
		}
	}
	tests := []struct {
		name          string
		focused, chat bool
		convs         []appchat.Conversation
		want          *fyne.Notification // nil: none
		badge         string
	}{
		{"another screen, window focused", true, false, fresh("m2", secret, "MH0012345", true, 2),
			fyne.NewNotification("Medihaven — Dr. Clara Nguyen", "New message about a patient (2 unread)"), "2"},
		{"window not focused", false, false, fresh("m3", secret, "", true, 3),
			fyne.NewNotification("Medihaven — Dr. Clara Nguyen", "New message (3 unread)"), "3"},
		{"unverified", false, false, fresh("m4", secret, "", false, 4),
			fyne.NewNotification("Medihaven — Dr. Clara Nguyen", "New unverified message: its sender could not be checked (4 unread)"), "4"},
		{"chat on show, not focused", false, true, fresh("m5", secret, "", true, 1),
			fyne.NewNotification("Medihaven — Dr. Clara Nguyen", "New message"), "1"},
		{"chat on show and focused: no notification", true, true, fresh("m6", secret, "", true, 1), nil, "1"},
		{"the same message again: no notification", false, false, fresh("m6", secret, "", true, 1), nil, "1"},
		{"read everywhere: no badge", false, false, fresh("m6", secret, "", true, 0), nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.chat {
				sh.nav.Select(chatAt)
			} else {
				sh.nav.Select(0)
			}
			h.wait()
			sh.focused.Store(tt.focused)
			test.AssertNotificationSent(t, tt.want, func() {
				s.setConversations(tt.convs, appchat.Received)
				h.wait()
			})
			if got := navBadge(t, sh, chatAt); got != tt.badge {
				t.Errorf("badge on Chat = %q, want %q", got, tt.badge)
			}
		})
	}

	// Logging out stops the watch.
	listening := s.listening()
	test.Tap(sh.logout)
	h.wait()
	if s.listening() >= listening {
		t.Errorf("%d change listeners after logging out, %d before", s.listening(), listening)
	}
	s.setConversations(fresh("m7", secret, "", true, 1), appchat.Received) // nothing to update: no panic
	h.wait()
}

// navBadge returns the count shown next to section i in the navigation,
// "" when none is.
func navBadge(t *testing.T, sh *shellScreen, i int) string {
	t.Helper()
	var found string
	var visit func(o fyne.CanvasObject, depth int)
	visit = func(o fyne.CanvasObject, depth int) {
		if o == nil || !o.Visible() {
			return
		}
		switch x := o.(type) {
		case *fyne.Container:
			if len(x.Objects) == 2 { // a navigation row: the title on the left, the badge on the right
				if left, ok := x.Objects[0].(*fyne.Container); ok && len(left.Objects) == 2 {
					if l, ok := left.Objects[1].(*widget.Label); ok && l.Text == sh.sections[i].title {
						found = visibleText(x.Objects[1])
						return
					}
				}
			}
			for _, c := range x.Objects {
				visit(c, depth+1)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(x).Objects() {
				visit(c, depth+1)
			}
		}
	}
	visit(sh.nav, 0)
	return found
}

// visibleText is the text of the visible canvas.Text under o.
func visibleText(o fyne.CanvasObject) string {
	if o == nil || !o.Visible() {
		return ""
	}
	switch x := o.(type) {
	case *canvas.Text:
		return x.Text
	case *fyne.Container:
		for _, c := range x.Objects {
			if s := visibleText(c); s != "" {
				return s
			}
		}
	}
	return ""
}

// TestScreenOpensAnotherSection: a screen registered with linkedScreenOf
// (the physician's Calendar and Patients, whose note leads to Colleagues)
// opens another section of the shell through the open it is given.
func TestScreenOpensAnotherSection(t *testing.T) {
	calendar := screens[roles.Physician]["Calendar"]
	screens[roles.Physician]["Calendar"] = linkedScreenOf(func(_ Session, _ fyne.Window, open func(string)) fyne.CanvasObject {
		return widget.NewButton("Open Colleagues", func() { open("Colleagues") })
	})
	t.Cleanup(func() { screens[roles.Physician]["Calendar"] = calendar })
	h := newHarness(t, newFakeBackend(), Options{})
	h.login("Dr. Clara Nguyen", rightPassphrase)
	sh := h.mustShell()
	if sh.heading.Text != "Calendar" {
		t.Fatalf("the shell opens on %q", sh.heading.Text)
	}
	b, ok := sh.page.Objects[0].(*widget.Button)
	if !ok {
		t.Fatalf("the page shows %T, not the test's screen", sh.page.Objects[0])
	}
	test.Tap(b)
	if sh.heading.Text != "Colleagues" || sh.sections[sh.current].title != "Colleagues" {
		t.Errorf("after Open Colleagues the shell shows %q", sh.heading.Text)
	}
}

// TestLeavingUnsavedTypingAsks: a section holding typing not saved yet
// (kit.Unsaved: the physician's chart with a note half written) asks
// before the navigation or Log out swaps it away, since every section is
// built anew when opened (a physician who looked at Chat mid-visit came
// back to the calendar, the chart and her note gone). Stay here keeps
// the section and its selection; Discard and leave goes on.
func TestLeavingUnsavedTypingAsks(t *testing.T) {
	calendar := screens[roles.Physician]["Calendar"]
	draft := widget.NewEntry()
	screens[roles.Physician]["Calendar"] = screenOf(func(Session, fyne.Window) fyne.CanvasObject {
		return kit.WithUnsaved(draft, func() string {
			if draft.Text == "" {
				return ""
			}
			return "The note you started for Fischer, Emma"
		})
	})
	t.Cleanup(func() { screens[roles.Physician]["Calendar"] = calendar })
	h := newHarness(t, newFakeBackend(), Options{})
	h.login("Dr. Clara Nguyen", rightPassphrase)
	sh := h.mustShell()
	asked := func() fyne.CanvasObject {
		top := h.w.Canvas().Overlays().Top()
		if top == nil || !strings.Contains(renderedText(top), "The note you started for Fischer, Emma is not saved yet") {
			return nil
		}
		return top
	}
	page := sh.page.Objects[0]

	// Nothing typed: the navigation goes on without a question.
	sh.show("Chat")
	if sh.heading.Text != "Chat" || asked() != nil {
		t.Fatalf("with nothing typed: %q, asked %v", sh.heading.Text, asked() != nil)
	}
	sh.show("Calendar")
	page = sh.page.Objects[0]
	test.Type(draft, "Cough for 3 days")

	sh.nav.Select(2)
	top := asked()
	if top == nil {
		t.Fatal("the navigation left the typed note without asking")
	}
	if sh.heading.Text != "Calendar" || sh.page.Objects[0] != page || sh.sections[sh.current].title != "Calendar" {
		t.Fatalf("while asking the shell shows %q", sh.heading.Text)
	}
	test.Tap(kittest.Button(top, "Stay here"))
	if sh.page.Objects[0] != page || draft.Text != "Cough for 3 days" {
		t.Fatal("Stay here did not keep the section")
	}
	// The keyboard answers too: Enter stays (it is on Stay here), and Esc
	// typed with no field focused (the page was clicked) stays and closes
	// the question (Fyne's dialogs took neither key).
	c := h.w.Canvas()
	for _, key := range []func(){
		func() { c.Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) },
		func() { c.Unfocus(); h.ws.typedKey(&fyne.KeyEvent{Name: fyne.KeyEscape}) },
	} {
		sh.nav.Select(2)
		if asked() == nil {
			t.Fatal("the navigation left the typed note without asking")
		}
		key()
		if asked() != nil || sh.page.Objects[0] != page || draft.Text != "Cough for 3 days" {
			t.Fatalf("a key on the question left the section (%q) or left it shown", sh.heading.Text)
		}
	}

	test.Tap(sh.logout)
	top = asked()
	if top == nil || h.ws.shell != sh {
		t.Fatal("Log out left the typed note without asking")
	}
	test.Tap(kittest.Button(top, "Stay here"))

	sh.nav.Select(2)
	test.Tap(kittest.Button(asked(), "Discard and leave"))
	if sh.current != 2 || sh.page.Objects[0] == page {
		t.Errorf("Discard and leave stayed on %q", sh.heading.Text)
	}
}
