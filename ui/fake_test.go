package ui

import (
	"context"
	"errors"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app"
	appchat "github.com/medihaven/medihaven/app/chat"
	"github.com/medihaven/medihaven/roles"
)

// The fake clinic's passphrase for everyone.
const rightPassphrase = "correct horse"

var errWrongPassphrase = errors.New("That passphrase is not right for this staff member. Check it and try again.")

// fakeBackend is a Backend held in memory with one staff member per role.
type fakeBackend struct {
	profiles    []Profile
	profilesErr error
	staff       map[string]roles.Role
	// nilSession makes Login return neither a session nor an error.
	nilSession bool
	// gate, when set, holds every Login until it is closed.
	gate chan struct{}
	// chat makes sessions that chat (chatSession).
	chat bool

	mu           sync.Mutex
	profileCalls int
	logins       []string // "dir|name" of every Login call
	sessions     []*fakeSession
}

func newFakeBackend() *fakeBackend {
	return &fakeBackend{
		profiles: []Profile{{Dir: "/profiles/riverside", Clinic: "Riverside Family Practice"}},
		staff: map[string]roles.Role{
			"Alice Moreau":     roles.Administrator,
			"Ben Okafor":       roles.Receptionist,
			"Dr. Clara Nguyen": roles.Physician,
		},
	}
}

func (b *fakeBackend) Profiles(ctx context.Context) ([]Profile, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.profileCalls++
	return b.profiles, b.profilesErr
}

func (b *fakeBackend) Login(ctx context.Context, dir, name string, pass []byte) (Session, error) {
	if b.gate != nil {
		<-b.gate
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.logins = append(b.logins, dir+"|"+name)
	if b.nilSession {
		return nil, nil
	}
	role, ok := b.staff[name]
	if !ok || string(pass) != rightPassphrase {
		return nil, errWrongPassphrase
	}
	clinic := ""
	for _, p := range b.profiles {
		if p.Dir == dir {
			clinic = p.Clinic
		}
	}
	s := &fakeSession{name: name, role: role, clinic: clinic}
	b.sessions = append(b.sessions, s)
	if b.chat {
		return chatSession{s}, nil
	}
	return s, nil
}

// fakeSession records what the UI asked of it.
type fakeSession struct {
	name, clinic string
	role         roles.Role

	mu                     sync.Mutex
	locked                 bool
	locks, unlocks, closes int

	// The staff chat (ui/chat) of a chatSession: its conversations and
	// who listens.
	convs     []appchat.Conversation
	listeners map[int]func([]app.Changed)
	nextID    int
	reads     []string // conversations marked read
}

// chatSession is a fakeSession that also chats (staffchat.Chat).
type chatSession struct{ *fakeSession }

// setConversations replaces the chat's conversations and tells the
// listeners, as a message arriving does.
func (s *fakeSession) setConversations(convs []appchat.Conversation, scope string) {
	s.mu.Lock()
	s.convs = convs
	fns := make([]func([]app.Changed), 0, len(s.listeners))
	for _, fn := range s.listeners {
		fns = append(fns, fn)
	}
	s.mu.Unlock()
	for _, fn := range fns {
		fn([]app.Changed{{Kind: appchat.Kind, Scope: scope}})
	}
}

func (s *fakeSession) listening() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.listeners)
}

func (s chatSession) Conversations(context.Context) ([]appchat.Conversation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.locked {
		return nil, app.ErrLocked
	}
	return append([]appchat.Conversation(nil), s.convs...), nil
}

func (s chatSession) History(_ context.Context, conv string) ([]appchat.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.convs {
		if c.ID == conv && c.Last != nil {
			return []appchat.Message{*c.Last}, nil
		}
	}
	return nil, nil
}

func (s chatSession) MarkRead(_ context.Context, conv string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads = append(s.reads, conv)
	return nil
}

func (s chatSession) Send(_ context.Context, conv, text, mrn string) (appchat.Message, error) {
	return appchat.Message{Conversation: conv, Text: text, MRN: mrn, Mine: true}, nil
}

func (s chatSession) SetAway(context.Context, bool) error { return nil }
func (s chatSession) Online() bool                        { return true }

func (s chatSession) OnChange(fn func([]app.Changed)) (stop func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listeners == nil {
		s.listeners = map[int]func([]app.Changed){}
	}
	s.nextID++
	id := s.nextID
	s.listeners[id] = fn
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.listeners, id)
	}
}

func (s *fakeSession) StaffName() string { return s.name }
func (s *fakeSession) Role() roles.Role  { return s.role }
func (s *fakeSession) Clinic() string    { return s.clinic }

func (s *fakeSession) Lock() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.locked = true
	s.locks++
}

func (s *fakeSession) Unlock(ctx context.Context, pass []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unlocks++
	if string(pass) != rightPassphrase {
		return errWrongPassphrase
	}
	s.locked = false
	return nil
}

func (s *fakeSession) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closes++
	return nil
}

// harness is a workstation in a test window whose background work the
// test runs and waits for.
type harness struct {
	t  *testing.T
	ws *Workstation
	w  fyne.Window
	b  *fakeBackend

	mu      sync.Mutex
	pending []func()
}

// newHarness opens a workstation on b and waits for its login screen.
func newHarness(t *testing.T, b *fakeBackend, o Options) *harness {
	t.Helper()
	test.NewTempApp(t).Settings().SetTheme(clinicTheme{})
	h := &harness{t: t, b: b, w: test.NewTempWindow(t, nil)}
	h.w.Resize(defaultSize)
	h.ws = newWorkstation(h.w, b, o, h.background)
	t.Cleanup(func() {
		h.wait() // Close waits for a log-out under way
		if err := h.ws.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		h.wait()
	})
	h.wait()
	return h
}

// background keeps f until the test calls wait.
func (h *harness) background(f func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.pending = append(h.pending, f)
}

// wait runs the background work, one piece at a time on a goroutine of
// its own as the app does, until none is left. The test driver runs
// fyne.Do at once on the calling goroutine, so the test goroutine stays
// blocked here meanwhile and the pieces run one after the other: the
// screen is never touched by two goroutines at a time (the shell's chat
// watch and an open chat panel both have work pending at once).
func (h *harness) wait() {
	for {
		h.mu.Lock()
		work := h.pending
		h.pending = nil
		h.mu.Unlock()
		if len(work) == 0 {
			return
		}
		for _, f := range work {
			done := make(chan struct{})
			go func() {
				defer close(done)
				f()
			}()
			<-done
		}
	}
}

// login fills the form and taps "Log in".
func (h *harness) login(name, pass string) {
	h.t.Helper()
	ls := h.ws.login
	if ls == nil || ls.staff == nil {
		h.t.Fatal("the login form is not on show")
	}
	ls.staff.SetText("")
	ls.pass.SetText("")
	test.Type(ls.staff, name)
	test.Type(ls.pass, pass)
	test.Tap(ls.submit)
	h.wait()
}

// mustShell returns the shell on show, failing the test if there is none.
func (h *harness) mustShell() *shellScreen {
	h.t.Helper()
	if h.ws.shell == nil {
		msg := ""
		if h.ws.login != nil && h.ws.login.message != nil {
			msg = h.ws.login.message.Text
		}
		h.t.Fatalf("the shell is not on show (login message %q)", msg)
	}
	return h.ws.shell
}

// navTitles returns the titles the shell's navigation list shows.
func navTitles(sh *shellScreen) []string {
	var titles []string
	for i := 0; i < sh.nav.Length(); i++ {
		titles = append(titles, sh.sections[i].title)
	}
	return titles
}

// shownText returns the text of a message label, or "" while it is hidden.
func shownText(l *widget.Label) string {
	if !l.Visible() {
		return ""
	}
	return l.Text
}
