package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/ui/kit"
	"github.com/medihaven/medihaven/ui/kit/kittest"
)

// passSession is a fake session whose passphrase can be changed and
// whose clinic locks idle workstations after 30 minutes.
type passSession struct {
	*fakeSession
	pass    string
	changes []string
}

func (s *passSession) ChangePassphrase(_ context.Context, old, next []byte) error {
	if string(old) != s.pass {
		return errors.New("app: wrong passphrase: your current passphrase is not right; check it and try again")
	}
	s.changes = append(s.changes, string(old)+">"+string(next))
	s.pass = string(next)
	return nil
}

func (s *passSession) IdleLockAfter(context.Context) time.Duration { return 30 * time.Minute }

// openSettings shows a shell for s and opens its Settings section.
func openSettings(t *testing.T, s Session) (*harness, *shellScreen, *settingsScreen) {
	t.Helper()
	h := newHarness(t, newFakeBackend(), Options{Profile: "/profiles/riverside"})
	if !h.ws.adopt(s) {
		t.Fatal("closed")
	}
	h.ws.showShell(s)
	sh := h.mustShell()
	if !h.ws.Open("Settings") || sh.settings == nil {
		t.Fatal("Settings did not open")
	}
	h.wait()
	return h, sh, sh.settings
}

func TestSettingsThemeAndDates(t *testing.T) {
	t.Cleanup(func() { kit.SetDateFormat("") })
	_, _, st := openSettings(t, &fakeSession{name: "Ben Okafor", role: roles.Receptionist, clinic: "Riverside"})
	a := fyne.CurrentApp()

	st.theme.SetSelected("Dark")
	if got := a.Settings().Theme().Color(theme.ColorNameBackground, theme.VariantLight); got != palettes[theme.VariantDark][theme.ColorNameBackground] {
		t.Errorf("Dark did not apply the dark palette: background %v", got)
	}
	if got := a.Preferences().String(prefTheme); got != "dark" {
		t.Errorf("theme kept as %q, want dark", got)
	}
	st.theme.SetSelected("Follow the system")
	if got := a.Preferences().String(prefTheme); got != "" {
		t.Errorf("theme kept as %q, want the system's", got)
	}

	for i, want := range []string{kit.SystemDateFormat().Example(), "15/03/1990", "03/15/1990", "1990-03-15"} {
		st.dates.SetSelectedIndex(i)
		if got := kit.CurrentDateFormat().Example(); got != want {
			t.Errorf("date option %d: the forms write %q, want %q", i, got, want)
		}
	}
	if got := a.Preferences().String(prefDateFormat); got != string(kit.YearMonthDay) {
		t.Errorf("date format kept as %q", got)
	}
	kit.SetDateFormat("")
	loadPreferences()
	if kit.CurrentDateFormat() != kit.YearMonthDay {
		t.Error("the saved date format is not applied at the next start")
	}
}

func TestSettingsIdleLockWithinTheClinicsLimit(t *testing.T) {
	s := &passSession{fakeSession: &fakeSession{name: "Ben Okafor", role: roles.Receptionist, clinic: "Riverside"}}
	h, sh, st := openSettings(t, s)
	waitUntil(t, func() bool { return sh.clinicIdle == 30*time.Minute })
	if got, want := strings.Join(st.idle.Options, ", "), "1 minute, 2 minutes, 5 minutes, 10 minutes, 15 minutes, 20 minutes, 30 minutes"; got != want {
		t.Errorf("idle options = %s, want %s", got, want)
	}
	if st.idle.Selected != "30 minutes" {
		t.Errorf("selected %q, want the clinic's 30 minutes", st.idle.Selected)
	}
	st.idle.SetSelected("5 minutes")
	if got := sh.idle.after; got != 5*time.Minute {
		t.Errorf("the running idle lock waits %v, want 5m", got)
	}
	if got := h.ws.idleLimit(10 * time.Minute); got != 5*time.Minute {
		t.Errorf("idle limit under a 10 minute clinic = %v, want 5m", got)
	}
	if got := h.ws.idleLimit(2 * time.Minute); got != 2*time.Minute {
		t.Errorf("the clinic's smaller limit does not win: %v", got)
	}
}

func TestSettingsChangePassphrase(t *testing.T) {
	s := &passSession{fakeSession: &fakeSession{name: "Ben Okafor", role: roles.Receptionist, clinic: "Riverside"}, pass: rightPassphrase}
	h, _, st := openSettings(t, s)
	for _, tt := range []struct {
		current, next, confirm string
		message, changed       string
	}{
		{"", "a new passphrase", "a new passphrase", "Enter your current passphrase.", ""},
		{rightPassphrase, "short", "short", "The new passphrase must have at least 8 characters.", ""},
		{rightPassphrase, "a new passphrase", "a new passphrase!", "The two new passphrases differ. Type the same one twice.", ""},
		{"guess", "a new passphrase", "a new passphrase", "Wrong passphrase: your current passphrase is not right; check it and try again", ""},
		{rightPassphrase, "a new passphrase", "a new passphrase", "", "Your passphrase is changed. Use the new one from now on, here and on the lock screen."},
	} {
		t.Run(fmt.Sprintf("%q>%q", tt.current, tt.next), func(t *testing.T) {
			st.current.SetText("")
			st.next.SetText("")
			st.confirm.SetText("")
			test.Type(st.current, tt.current)
			test.Type(st.next, tt.next)
			test.Type(st.confirm, tt.confirm)
			test.Tap(st.change)
			h.wait()
			if got := shownText(st.message); got != tt.message {
				t.Errorf("message = %q, want %q", got, tt.message)
			}
			if got := shownText(st.changed); got != tt.changed {
				t.Errorf("confirmation = %q, want %q", got, tt.changed)
			}
		})
	}
	if got := strings.Join(s.changes, ","); got != rightPassphrase+">a new passphrase" {
		t.Errorf("ChangePassphrase calls = %q", got)
	}
	if st.current.Text != "" || st.next.Text != "" || st.confirm.Text != "" {
		t.Error("the passphrases stay in the fields after the change")
	}
}

func TestPassphraseStrength(t *testing.T) {
	for _, tt := range []struct{ pass, want string }{
		{"", ""},
		{"abc", "Too short"},
		{"aaaaaaaaaa", "Weak"},
		{"password1", "Weak"},
		{"12345678", "Weak"},
		{"Sunshine2024", "Fair"},
		{"Xk9#mQ2$vL", "Very strong"},
		{"correct horse battery", "Fair"},
		{"correct horse battery staple", "Strong"},
		{"correct horse battery staple orbit lantern", "Very strong"},
	} {
		got, _ := strengthWords(tt.pass)
		if !strings.HasPrefix(got, tt.want) || (tt.want == "" && got != "") {
			t.Errorf("strength of %q = %q, want %s…", tt.pass, got, tt.want)
		}
	}
}

// waitUntil waits until cond holds, reading as the UI goroutine would
// (kittest.Eventually).
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	kittest.Eventually(t, "the screen", cond)
}
