package ui

import (
	"context"
	"errors"
	"github.com/medihaven/medihaven/ui/kit"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/roles"
)

// fakeFounder is a computer with no profile whose backend can create and
// join clinics.
type fakeFounder struct {
	*fakeBackend
	mu       sync.Mutex
	created  []NewClinic
	joins    []JoinRequest
	joinErr  error
	statuses []string // what Status answers in turn: "wait", "approved", or a refusal
	asked    int
	canceled bool
}

func (f *fakeFounder) KeyStorage(context.Context) KeyStorage {
	return KeyStorage{Where: "Your keys will be kept in a file in this workstation's folder, protected by your passphrase."}
}

func (f *fakeFounder) CreateClinic(_ context.Context, c NewClinic) (Session, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c.Passphrase = append([]byte(nil), c.Passphrase...)
	f.created = append(f.created, c)
	return &fakeSession{name: c.Admin, role: roles.Administrator, clinic: c.Clinic}, nil
}

func (f *fakeFounder) Join(_ context.Context, j JoinRequest) (Joining, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.joins = append(f.joins, j)
	if f.joinErr != nil {
		return nil, f.joinErr
	}
	return fakeJoining{f, &fakeSession{name: j.Name, role: roles.Receptionist, clinic: "Riverside Family Practice"}}, nil
}

type fakeJoining struct {
	f *fakeFounder
	s *fakeSession
}

func (j fakeJoining) Code() string { return "123 456" }
func (j fakeJoining) Status(context.Context) (bool, string, error) {
	j.f.mu.Lock()
	defer j.f.mu.Unlock()
	st := j.f.statuses[min(j.f.asked, len(j.f.statuses)-1)]
	j.f.asked++
	switch st {
	case "wait":
		return false, "", nil
	case "approved":
		return true, "", nil
	}
	return false, st, nil
}
func (j fakeJoining) Session() Session { return j.s }
func (j fakeJoining) Cancel() error {
	j.f.mu.Lock()
	defer j.f.mu.Unlock()
	j.f.canceled = true
	return nil
}

// newFounderHarness opens a workstation on a computer with no profile.
func newFounderHarness(t *testing.T) (*harness, *fakeFounder) {
	t.Helper()
	b := newFakeBackend()
	b.profiles = nil
	f := &fakeFounder{fakeBackend: b}
	test.NewTempApp(t).Settings().SetTheme(clinicTheme{})
	h := &harness{t: t, b: b, w: test.NewTempWindow(t, nil)}
	h.w.Resize(defaultSize)
	h.ws = newWorkstation(h.w, f, Options{}, h.background)
	t.Cleanup(func() { h.wait(); h.ws.Close(); h.wait() })
	h.wait()
	return h, f
}

// button finds a button by its text on the window.
func button(t *testing.T, h *harness, text string) *widget.Button {
	t.Helper()
	for _, o := range test.LaidOutObjects(h.w.Content()) {
		if b, ok := o.(*widget.Button); ok && b.Text == text && b.Visible() {
			return b
		}
	}
	t.Fatalf("no button %q on:\n%s", text, renderedText(h.w.Content()))
	return nil
}

func TestCreateAClinicInTheWindow(t *testing.T) {
	h, f := newFounderHarness(t)
	if text := renderedText(h.w.Content()); !strings.Contains(text, "There is no clinic on this computer yet") || strings.Contains(text, "terminal") {
		t.Fatalf("the first screen shows:\n%s", text)
	}
	test.Tap(button(t, h, "Create a clinic"))
	h.wait()
	var cf *createForm
	for _, o := range test.LaidOutObjects(h.w.Content()) {
		if e, ok := o.(*kit.Entry); ok && e.PlaceHolder == "e.g. Riverside Family Practice" {
			cf = &createForm{clinic: e}
		}
	}
	if cf == nil {
		t.Fatal("no create form")
	}
	if !strings.Contains(renderedText(h.w.Content()), "protected by your passphrase") {
		t.Error("the form does not say where the keys live")
	}
	form := entriesByHint(h.w.Content())
	create := button(t, h, "Create the clinic")
	steps := []struct {
		hint, text, message string
	}{
		{"", "", "Enter the clinic's name."},
		{"e.g. Riverside Family Practice", "Riverside Family Practice", "Enter your name."},
		{"Your name as colleagues know it", "Alex Morgan", "Choose a passphrase."},
		{"At least 8 characters; a few words are best", "correct horse battery", "The two passphrases differ. Type the same one twice."},
		{"The same passphrase again", "correct horse battery", ""},
	}
	for _, st := range steps {
		if st.hint != "" {
			test.Type(form[st.hint], st.text)
		}
		test.Tap(create)
		h.wait()
		if st.message == "" {
			break
		}
		if got := messageText(h.w.Content()); got != st.message {
			t.Errorf("after %q: message %q, want %q", st.text, got, st.message)
		}
	}
	sh := h.mustShell()
	if sh.session.Role() != roles.Administrator || len(f.created) != 1 {
		t.Fatalf("created %+v", f.created)
	}
	c := f.created[0]
	if c.Clinic != "Riverside Family Practice" || c.Admin != "Alex Morgan" || string(c.Passphrase) != "correct horse battery" ||
		c.Servers != WorkOffline || c.Zone != systemZone() {
		t.Errorf("CreateClinic got %+v", c)
	}
}

func TestJoinAClinicInTheWindow(t *testing.T) {
	joinPoll = time.Millisecond
	t.Cleanup(func() { joinPoll = 3 * time.Second })
	for _, tt := range []struct {
		name     string
		joinErr  error
		statuses []string
		want     string // text on the screen at the end
	}{
		{"bad token", errors.New("app: the registration token has expired: ask your administrator for a new one"), nil,
			"The registration token has expired: ask your administrator for a new one"},
		{"approved", nil, []string{"wait", "wait", "approved"}, ""},
		{"refused", nil, []string{"wait", "Your administrator refused this request."}, "Your administrator refused this request."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h, f := newFounderHarness(t)
			f.joinErr, f.statuses = tt.joinErr, tt.statuses
			test.Tap(button(t, h, "Join a clinic"))
			h.wait()
			form := entriesByHint(h.w.Content())
			test.Type(form["The registration token or its short code (MH2-…), as your administrator gave it"], "MH2-ABCD-EFGH")
			test.Type(form["Your name as colleagues know it"], "Rosa Delgado")
			test.Type(form["At least 8 characters; a few words are best"], "correct horse battery")
			test.Type(form["The same passphrase again"], "correct horse battery")
			test.Tap(button(t, h, "Join the clinic"))
			h.wait()
			if len(f.joins) != 1 || f.joins[0].Token != "MH2-ABCD-EFGH" || f.joins[0].Name != "Rosa Delgado" {
				t.Fatalf("Join got %+v", f.joins)
			}
			text := renderedText(h.w.Content())
			switch {
			case tt.want == "":
				if sh := h.mustShell(); sh.session.StaffName() != "Rosa Delgado" {
					t.Errorf("shell of %q", sh.session.StaffName())
				}
			case !strings.Contains(text, tt.want):
				t.Errorf("the screen does not say %q:\n%s", tt.want, text)
			}
			if tt.name == "refused" {
				if !strings.Contains(text, "123 456") {
					t.Errorf("the waiting screen lacks the comparison code:\n%s", text)
				}
				test.Tap(button(t, h, "Remove this request and start again"))
				h.wait()
				if !f.canceled {
					t.Error("the refused request was not removed")
				}
			}
		})
	}
}

// entriesByHint maps each entry's placeholder to the entry.
func entriesByHint(o fyne.CanvasObject) map[string]*widget.Entry {
	out := map[string]*widget.Entry{}
	for _, x := range test.LaidOutObjects(o) {
		if e, ok := kit.AsEntry(x); ok {
			out[e.PlaceHolder] = e
		}
	}
	return out
}

// messageText is the text of the visible danger message, "" for none.
func messageText(o fyne.CanvasObject) string {
	for _, x := range test.LaidOutObjects(o) {
		if l, ok := x.(*widget.Label); ok && l.Visible() && l.Importance == widget.DangerImportance {
			return l.Text
		}
	}
	return ""
}

// waitingBackend logs in to a workstation whose request to join still
// waits for approval.
type waitingBackend struct{ *fakeFounder }

type waitingSession struct {
	*fakeSession
	j Joining
}

func (w waitingSession) AwaitingApproval() Joining { return w.j }

func (b waitingBackend) Login(_ context.Context, dir, name string, pass []byte) (Session, error) {
	s := &fakeSession{name: "Rosa Delgado", role: roles.Receptionist, clinic: "Riverside Family Practice"}
	return waitingSession{s, fakeJoining{b.fakeFounder, s}}, nil
}

// TestLoginWhileStillWaiting: a newcomer who closed the window while
// waiting logs in again to the waiting screen, which moves on by itself.
func TestLoginWhileStillWaiting(t *testing.T) {
	joinPoll = time.Millisecond
	t.Cleanup(func() { joinPoll = 3 * time.Second })
	b := newFakeBackend()
	b.profiles = []Profile{{Dir: "/p/reception", Clinic: "Riverside Family Practice", Staff: "Rosa Delgado"}}
	f := &fakeFounder{fakeBackend: b, statuses: []string{"wait", "approved"}}
	test.NewTempApp(t).Settings().SetTheme(clinicTheme{})
	h := &harness{t: t, b: b, w: test.NewTempWindow(t, nil)}
	h.ws = newWorkstation(h.w, waitingBackend{f}, Options{}, h.background)
	t.Cleanup(func() { h.wait(); h.ws.Close(); h.wait() })
	h.wait()
	test.Type(h.ws.login.pass, rightPassphrase)
	test.Tap(h.ws.login.submit)
	h.wait()
	if f.asked < 2 {
		t.Fatalf("the waiting screen asked %d times", f.asked)
	}
	if sh := h.mustShell(); sh.session.StaffName() != "Rosa Delgado" {
		t.Errorf("shell of %q", sh.session.StaffName())
	}
}
