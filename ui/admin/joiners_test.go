package admin

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/ui/kit"
)

type fakeJoinDesk struct {
	mu      sync.Mutex
	waiting []app.Joiner
	did     []string
	stop    func()
}

func (f *fakeJoinDesk) OnChange(func([]Changed)) func() { return func() {} }

func (f *fakeJoinDesk) Waiting(context.Context) ([]app.Joiner, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]app.Joiner(nil), f.waiting...), nil
}

func (f *fakeJoinDesk) Approve(_ context.Context, fp, code string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.did = append(f.did, "approve "+fp+" "+code)
	if strings.ReplaceAll(code, " ", "") != "123456" {
		return app.ErrCodeMismatch
	}
	f.waiting = nil
	return nil
}

func (f *fakeJoinDesk) Refuse(_ context.Context, fp string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.did = append(f.did, "refuse "+fp)
	f.waiting = nil
	return nil
}

func (f *fakeJoinDesk) done() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.did, "; ")
}

// TestWaitingListApproveAndRefuse: a waiting newcomer shows with role, key
// and comparison code; approving asks for the code they read, a wrong one
// is said plainly; refusing is red and asks first.
func TestWaitingListApproveAndRefuse(t *testing.T) {
	nora := app.Joiner{Token: "0123456789abcdef", Name: "Dr Nora Newcomer", Role: roles.Physician,
		Fingerprint: "cccc111122223333444455556666777788889999", Code: "123 456"}
	f := &fakeJoinDesk{waiting: []app.Joiner{nora}}
	var l *waitingList
	w := newWindow(t, func(w fyne.Window) fyne.CanvasObject {
		l = newWaiting(f, w)
		return l.content()
	})
	eventually(t, "the newcomer listed", func() bool {
		s := texts(w.Content())
		return l.card.Visible() && strings.Contains(s, "Dr Nora Newcomer") && strings.Contains(s, "123 456") &&
			strings.Contains(s, "as Physician") && strings.Contains(s, "cccc 1111 2222 3333")
	})
	refuse := findButton(w.Content(), "Refuse…")
	if refuse == nil || refuse.Importance != widget.DangerImportance {
		t.Fatalf("the refuse button is not red: %+v", refuse)
	}

	locked(func() { test.Tap(findButton(w.Content(), "Approve…")) })
	locked(func() {
		test.Type(w.Canvas().Focused(), "654 321")
		confirm(t, w, "Approve")
	})
	eventually(t, "a wrong code said plainly", func() bool {
		top := w.Canvas().Overlays().Top()
		return top != nil && strings.Contains(texts(top), "comparison code does not match")
	})
	if got := f.done(); got != "approve "+nora.Fingerprint+" 654 321" {
		t.Fatalf("asked the session: %s", got)
	}
	locked(func() { w.Canvas().Overlays().Top().(interface{ Hide() }).Hide() })

	locked(func() { test.Tap(findButton(w.Content(), "Refuse…")) })
	locked(func() { confirm(t, w, "Refuse and revoke the token") })
	eventually(t, "the list empty and hidden after refusing", func() bool { return !l.card.Visible() })
	if got := f.done(); !strings.HasSuffix(got, "refuse "+nora.Fingerprint) {
		t.Errorf("asked the session: %s", got)
	}
}

type fakeRoleDesk struct {
	mu  sync.Mutex
	got string
}

func (f *fakeRoleDesk) ChangeRole(_ context.Context, fp string, role roles.Role) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = fp + " " + string(role)
	return nil
}

func TestChangeRoleDialog(t *testing.T) {
	f := &fakeRoleDesk{}
	m := roleHolder{Fingerprint: "bbbb000000000000000000000000000000000000", Name: "Rita Reception", Role: roles.Receptionist}
	done := make(chan struct{}, 1)
	w := newWindow(t, func(fyne.Window) fyne.CanvasObject { return widget.NewLabel("directory") })
	locked(func() { changeRole(f, m, w, nil, func() { done <- struct{}{} }) })
	var top fyne.CanvasObject
	locked(func() { top = w.Canvas().Overlays().Top() })
	if s := lockedTexts(top); !strings.Contains(s, "Rita Reception's role is Receptionist") || strings.Contains(s, "\nReceptionist\n") {
		t.Fatalf("the dialog says %q", s)
	}
	locked(func() {
		var radio *kit.Radio
		walk(top, func(o fyne.CanvasObject) {
			if r, ok := o.(*kit.Radio); ok {
				radio = r
			}
		})
		radio.SetSelected("Physician")
		confirm(t, w, "Change role")
	})
	<-done
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.got != m.Fingerprint+" physician" {
		t.Errorf("ChangeRole(%s)", f.got)
	}
}

// TestChangeRoleEscOnARoleCancels: with a role chosen by keyboard (Shift+Tab
// from Cancel to a role, Space), Esc cancels the question. Fyne's radio
// items dropped the Esc, and the dialog stayed.
func TestChangeRoleEscOnARoleCancels(t *testing.T) {
	f := &fakeRoleDesk{}
	m := roleHolder{Fingerprint: "bbbb000000000000000000000000000000000000", Name: "Rita Reception", Role: roles.Receptionist}
	w := newWindow(t, func(fyne.Window) fyne.CanvasObject { return widget.NewLabel("directory") })
	done := false
	locked(func() {
		changeRole(f, m, w, nil, func() { done = true })
		cv := w.Canvas()
		cv.FocusPrevious()
		choice := cv.Focused()
		if _, onButton := choice.(*kit.DialogButton); onButton || choice == nil {
			t.Fatalf("Shift+Tab from Cancel reached %T, not a role", choice)
		}
		choice.TypedKey(&fyne.KeyEvent{Name: fyne.KeySpace})
		choice.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
		if cv.Overlays().Top() != nil {
			t.Error("Esc on a role left the question shown")
		}
	})
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.got != "" || done {
		t.Errorf("Esc changed the role: ChangeRole(%q)", f.got)
	}
}

// fullDesk is the administrator's fake session with approvals and role
// changes, as app.Session has them.
type fullDesk struct {
	*fakeDesk
	join *fakeJoinDesk
	role *fakeRoleDesk
}

func (f fullDesk) Waiting(ctx context.Context) ([]app.Joiner, error) { return f.join.Waiting(ctx) }
func (f fullDesk) Approve(ctx context.Context, fp, code string) error {
	return f.join.Approve(ctx, fp, code)
}
func (f fullDesk) Refuse(ctx context.Context, fp string) error { return f.join.Refuse(ctx, fp) }
func (f fullDesk) ChangeRole(ctx context.Context, fp string, r roles.Role) error {
	return f.role.ChangeRole(ctx, fp, r)
}

// TestDirectoryWaitingAndRoles: the directory shows who waits to join
// above the staff, and a Role… button next to the red Revoke of every
// other active member.
func TestDirectoryWaitingAndRoles(t *testing.T) {
	d := fullDesk{fakeDesk: newFakeDesk(), role: &fakeRoleDesk{}, join: &fakeJoinDesk{waiting: []app.Joiner{{Token: "0123456789abcdef",
		Name: "Dr Nora Newcomer", Role: roles.Physician, Fingerprint: "cccc111122223333444455556666777788889999", Code: "123 456"}}}}
	var s fyne.CanvasObject
	w := newWindow(t, func(w fyne.Window) fyne.CanvasObject { s = NewDirectory(d, w); return s })
	eventually(t, "the waiting newcomer and the staff", func() bool {
		got := texts(s)
		return strings.Contains(got, "Waiting to join") && strings.Contains(got, "Dr Nora Newcomer") &&
			strings.Contains(got, "2 staff members")
	})
	var roleButtons, redRevokes int
	lockedWalk(s, func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && b.Visible() {
			switch {
			case b.Text == "Role…":
				roleButtons++
			case b.Text == "Revoke" && b.Importance == widget.DangerImportance:
				redRevokes++
			}
		}
	})
	if roleButtons != 1 || redRevokes != 1 {
		t.Errorf("%d Role… buttons and %d red Revoke buttons, want 1 and 1 (not for oneself)", roleButtons, redRevokes)
	}
	locked(func() { test.Tap(findButton(s, "Role…")) })
	if top := w.Canvas().Overlays().Top(); top == nil || !strings.Contains(lockedTexts(top), "Change Rita Reception's role?") {
		t.Fatal("no role dialog")
	}
}

// shortDesk issues tokens with a short code, as a clinic with a join desk.
type shortDesk struct{ *fakeDesk }

func (d shortDesk) IssueRegistrationToken(ctx context.Context, role roles.Role, ttl time.Duration) (app.IssuedToken, error) {
	t, err := d.fakeDesk.IssueRegistrationToken(ctx, role, ttl)
	t.Short = "MH2-EHAK-QAIK-PRWJ-YJKB-YANJ-MFZT-WSPQ"
	return t, err
}

// TestTokenShowsShortCode: an issued token shows its short code (and the
// whole token), and the Revoke buttons are red.
func TestTokenShowsShortCode(t *testing.T) {
	d := shortDesk{newFakeDesk()}
	var s fyne.CanvasObject
	newWindow(t, func(w fyne.Window) fyne.CanvasObject { s = NewTokens(d, w); return s })
	eventually(t, "the screen", func() bool { return strings.Contains(texts(s), "No token issued yet.") })
	locked(func() { test.Tap(findButton(s, "Issue token")) })
	eventually(t, "the short code", func() bool {
		got := texts(s)
		return strings.Contains(got, "MH2-EHAK-QAIK-PRWJ-YJKB-YANJ-MFZT-WSPQ") && strings.Contains(got, "The whole token") &&
			strings.Contains(got, "type the short code")
	})
	eventually(t, "a red Revoke", func() bool {
		b := findButton(s, "Revoke")
		return b != nil && b.Importance == widget.DangerImportance
	})
}

// TestTokenListSaysWhoAsked: an open token someone asked to join with
// says so, and where to approve them.
func TestTokenListSaysWhoAsked(t *testing.T) {
	base := newFakeDesk()
	tok, _ := base.IssueRegistrationToken(context.Background(), roles.Physician, time.Hour)
	d := fullDesk{fakeDesk: base, role: &fakeRoleDesk{}, join: &fakeJoinDesk{waiting: []app.Joiner{{Token: tok.ID,
		Name: "Dr Nora Newcomer", Role: roles.Physician, Fingerprint: "cccc111122223333444455556666777788889999", Code: "123 456"}}}}
	var s fyne.CanvasObject
	newWindow(t, func(w fyne.Window) fyne.CanvasObject { s = NewTokens(d, w); return s })
	eventually(t, "the token marked as asked", func() bool {
		got := texts(s)
		return strings.Contains(got, "Asked") && strings.Contains(got, "Dr Nora Newcomer waits for approval in the Staff directory")
	})
}

// TestTokenWithoutShortCodeSaysNoneToType: a clinic without a join desk
// issues tokens with no short code; the hint then says to scan or paste,
// not to "type the short code" (under Xvfb the demo administrator read
// that beside no code at all).
func TestTokenWithoutShortCodeSaysNoneToType(t *testing.T) {
	d := newFakeDesk()
	var s fyne.CanvasObject
	newWindow(t, func(w fyne.Window) fyne.CanvasObject { s = NewTokens(d, w); return s })
	eventually(t, "the screen", func() bool { return strings.Contains(texts(s), "No token issued yet.") })
	locked(func() { test.Tap(findButton(s, "Issue token")) })
	eventually(t, "the issued token", func() bool { return strings.Contains(texts(s), "Token for a new") })
	got := lockedTexts(s)
	if strings.Contains(got, "short code") || !strings.Contains(got, "scan the QR code or paste the whole token") {
		t.Errorf("without a short code the screen reads:\n%s", got)
	}
}
