package ui

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/medihaven/medihaven/roles"
)

func TestLoginShowsEachRolesShell(t *testing.T) {
	tests := []struct {
		name     string
		role     roles.Role
		sections []string
	}{
		{"Alice Moreau", roles.Administrator, []string{"Registration tokens", "Staff directory", "Audit log", "Security", "Clinic", "Chat", "Settings", "Help"}},
		{"Ben Okafor", roles.Receptionist, []string{"Today", "Patients", "Appointments", "Working hours", "Colleagues", "Chat", "Settings", "Help"}},
		{"Dr. Clara Nguyen", roles.Physician, []string{"Calendar", "Patients", "Prescriptions", "Colleagues", "Chat", "Settings", "Help"}},
	}
	for _, tt := range tests {
		t.Run(string(tt.role), func(t *testing.T) {
			h := newHarness(t, newFakeBackend(), Options{})
			h.login(tt.name, rightPassphrase)
			sh := h.mustShell()

			if got := navTitles(sh); !slices.Equal(got, tt.sections) {
				t.Errorf("navigation = %q, want %q", got, tt.sections)
			}
			wantWho := tt.name + " · " + tt.role.Title()
			if sh.who.Text != wantWho {
				t.Errorf("top bar says %q, want %q", sh.who.Text, wantWho)
			}
			if got, want := h.w.Title(), "Medihaven — Riverside Family Practice"; got != want {
				t.Errorf("window title = %q, want %q", got, want)
			}
			if got := h.b.logins; !slices.Equal(got, []string{"/profiles/riverside|" + tt.name}) {
				t.Errorf("Login calls = %q", got)
			}
			for i, title := range tt.sections {
				if sh.sections[i].own != nil {
					continue // Settings and Help are the shell's own
				}
				sh.nav.Select(i)
				if sh.heading.Text != title {
					t.Errorf("after choosing %q the page heading is %q", title, sh.heading.Text)
				}
				if !strings.Contains(renderedText(sh.page), "Coming next: "+title) {
					t.Errorf("section %q does not say it is coming next; page shows %q", title, renderedText(sh.page))
				}
			}
			if got := sh.connection.Text + " / " + sh.waiting.Text; got != "Offline / All changes sent" {
				t.Errorf("status bar = %q", got)
			}
		})
	}
}

func TestLoginErrors(t *testing.T) {
	tests := []struct {
		desc        string
		name, pass  string
		nilSession  bool
		wantMessage string
		wantCalls   int // Login calls
	}{
		{"wrong passphrase", "Ben Okafor", "guess", false, errWrongPassphrase.Error(), 1},
		{"unknown staff member", "Nobody", rightPassphrase, false, errWrongPassphrase.Error(), 1},
		{"no staff name", "", rightPassphrase, false, "Enter your staff name.", 0},
		{"blank staff name", "   ", rightPassphrase, false, "Enter your staff name.", 0},
		{"no passphrase", "Ben Okafor", "", false, "Enter your passphrase.", 0},
		{"backend returns no session", "Ben Okafor", rightPassphrase, true, errNoSession.Error(), 1},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			b := newFakeBackend()
			b.nilSession = tt.nilSession
			h := newHarness(t, b, Options{})
			h.login(tt.name, tt.pass)

			ls := h.ws.login
			if ls == nil || h.ws.shell != nil {
				t.Fatal("a failed login left the login screen")
			}
			if got := shownText(ls.message); got != tt.wantMessage {
				t.Errorf("message = %q, want %q", got, tt.wantMessage)
			}
			if ls.pass.Text != "" && tt.pass != "" && tt.wantCalls > 0 {
				t.Errorf("the passphrase field still holds %d characters", len(ls.pass.Text))
			}
			if ls.staff.Text != tt.name {
				t.Errorf("the staff name changed to %q", ls.staff.Text)
			}
			if ls.submit.Disabled() || ls.staff.Disabled() || ls.busy.activity.Visible() {
				t.Error("the form is still busy after the login ended")
			}
			if len(b.logins) != tt.wantCalls {
				t.Errorf("Login called %d times, want %d", len(b.logins), tt.wantCalls)
			}
			if len(b.sessions) != 0 {
				t.Errorf("a failed login opened %d sessions", len(b.sessions))
			}
		})
	}
}

func TestLoginThenWrongThenRight(t *testing.T) {
	h := newHarness(t, newFakeBackend(), Options{})
	h.login("Ben Okafor", "guess")
	if got := shownText(h.ws.login.message); got != errWrongPassphrase.Error() {
		t.Fatalf("message = %q", got)
	}
	h.login("Ben Okafor", rightPassphrase)
	h.mustShell()
}

func TestEnterSubmitsTheForm(t *testing.T) {
	h := newHarness(t, newFakeBackend(), Options{StaffName: "Dr. Clara Nguyen"})
	ls := h.ws.login
	if focused := h.w.Canvas().Focused(); focused != ls.pass {
		t.Errorf("with the staff name prefilled the focus is on %T, want the passphrase", focused)
	}
	test.Type(ls.pass, rightPassphrase)
	ls.pass.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	h.wait()
	if sh := h.mustShell(); sh.session.Role() != roles.Physician {
		t.Errorf("logged in as %s", sh.session.Role())
	}
}

func TestEnterInStaffNameMovesToPassphrase(t *testing.T) {
	h := newHarness(t, newFakeBackend(), Options{})
	ls := h.ws.login
	if focused := h.w.Canvas().Focused(); focused != ls.staff {
		t.Errorf("focus is on %T, want the staff name", focused)
	}
	test.Type(ls.staff, "Ben Okafor")
	ls.staff.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if focused := h.w.Canvas().Focused(); focused != ls.pass {
		t.Errorf("after Enter the focus is on %T, want the passphrase", focused)
	}
	if len(h.b.logins) != 0 {
		t.Error("Enter in the staff name logged in")
	}
}

func TestNoProfiles(t *testing.T) {
	b := newFakeBackend()
	b.profiles = nil
	h := newHarness(t, b, Options{Profile: "/empty"})
	ls := h.ws.login
	if ls == nil || ls.staff != nil {
		t.Fatal("with no profiles the login form is on show")
	}
	text := renderedText(h.w.Content())
	for _, want := range []string{"No clinic on this computer yet", "medihaven init --clinic NAME --admin NAME", "make run"} {
		if !strings.Contains(text, want) {
			t.Errorf("the screen does not say %q; it shows %q", want, text)
		}
	}

	b.mu.Lock()
	b.profiles = newFakeBackend().profiles
	b.mu.Unlock()
	test.Tap(ls.retry)
	h.wait()
	if b.profileCalls != 2 || h.ws.login.staff == nil {
		t.Errorf("Look again: %d Profiles calls, form shown %v", b.profileCalls, h.ws.login.staff != nil)
	}
}

func TestProfilesError(t *testing.T) {
	b := newFakeBackend()
	b.profilesErr = errors.New("The profile folder /x cannot be read: permission denied.")
	h := newHarness(t, b, Options{})
	text := renderedText(h.w.Content())
	if !strings.Contains(text, b.profilesErr.Error()) {
		t.Errorf("the error is not shown; the screen shows %q", text)
	}
	if h.ws.login.retry == nil {
		t.Error("no way to look again")
	}
}

func TestChoosingAClinic(t *testing.T) {
	several := []Profile{
		{Dir: "/p/riverside", Clinic: "Riverside Family Practice"},
		{Dir: "/p/harbour", Clinic: "Harbour Street Clinic"},
		{Dir: "/p/harbour-old", Clinic: "Harbour Street Clinic"},
	}
	t.Run("none chosen", func(t *testing.T) {
		b := newFakeBackend()
		b.profiles = several
		h := newHarness(t, b, Options{})
		wantOptions := []string{"Riverside Family Practice", "Harbour Street Clinic (/p/harbour)", "Harbour Street Clinic (/p/harbour-old)"}
		if got := h.ws.login.clinic.Options; !slices.Equal(got, wantOptions) {
			t.Errorf("clinic options = %q, want %q", got, wantOptions)
		}
		h.login("Ben Okafor", rightPassphrase)
		if got := shownText(h.ws.login.message); got != "Choose your clinic." {
			t.Errorf("message = %q", got)
		}
		h.ws.login.clinic.SetSelectedIndex(2)
		h.login("Ben Okafor", rightPassphrase)
		h.mustShell()
		if got := b.logins; !slices.Equal(got, []string{"/p/harbour-old|Ben Okafor"}) {
			t.Errorf("Login calls = %q", got)
		}
	})
	t.Run("named whole", func(t *testing.T) { // the staff member was cut off in the 460 px column
		b := newFakeBackend()
		b.profiles = []Profile{
			{Dir: "/p/r", Clinic: "Riverside Family Practice", Staff: "Rosa Delgado"},
			{Dir: "/p/o", Clinic: "Riverside Family Practice", Staff: "Dr. Amara Okafor"},
		}
		h := newHarness(t, b, Options{Profile: "/p/r"})
		c := h.ws.login.clinic
		text := fyne.MeasureText(c.Options[1], theme.TextSize(), fyne.TextStyle{}).Width
		if inner := c.Size().Width - 4*theme.Size(theme.SizeNameInnerPadding) - theme.Size(theme.SizeNameInlineIcon); inner < text {
			t.Errorf("the clinic drop-down is %v wide, leaving %v for %q of %v", c.Size().Width, inner, c.Options[1], text)
		}
	})
	t.Run("preselected", func(t *testing.T) {
		b := newFakeBackend()
		b.profiles = several
		h := newHarness(t, b, Options{Profile: "/p/harbour"})
		if got := h.ws.login.clinic.SelectedIndex(); got != 1 {
			t.Errorf("selected clinic %d, want 1", got)
		}
	})
}

func TestCloseWhileLoggingIn(t *testing.T) {
	b := newFakeBackend()
	b.gate = make(chan struct{})
	h := newHarness(t, b, Options{})
	ls := h.ws.login
	test.Type(ls.staff, "Ben Okafor")
	test.Type(ls.pass, rightPassphrase)
	test.Tap(ls.submit)
	if !ls.submit.Disabled() || !ls.busy.activity.Visible() {
		t.Error("the form does not show that the login is under way")
	}
	test.Tap(ls.submit) // a second tap while busy must not log in twice
	if err := h.ws.Close(); err != nil {
		t.Fatal(err)
	}
	close(b.gate)
	h.wait()
	if len(b.sessions) != 1 {
		t.Fatalf("%d sessions opened, want 1", len(b.sessions))
	}
	if s := b.sessions[0]; s.closes != 1 {
		t.Errorf("a login that finished after the window closed was closed %d times, want 1", s.closes)
	}
	if h.ws.shell != nil {
		t.Error("the shell opened after the window closed")
	}
}
