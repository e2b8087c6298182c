package ui

import (
	"slices"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/medihaven/medihaven/roles"
)

// TestLoginNamesThePerson: a profile that says whose workstation it is
// shows the clinic and the person in the list and the name on the form,
// and nobody types it; a profile that does not asks for the name.
func TestLoginNamesThePerson(t *testing.T) {
	b := newFakeBackend()
	b.profiles = []Profile{
		{Dir: "/p/riverside/physician", Clinic: "Riverside Family Practice", Staff: "Dr. Clara Nguyen"},
		{Dir: "/p/riverside/reception", Clinic: "Riverside Family Practice", Staff: "Ben Okafor"},
		{Dir: "/p/harbour", Clinic: "Harbour Street Clinic"},
	}
	b.staff[""] = roles.Physician // the fake takes an empty name for the profile's own person
	h := newHarness(t, b, Options{Profile: "/p/riverside/physician"})
	ls := h.ws.login
	want := []string{"Riverside Family Practice · Dr. Clara Nguyen", "Riverside Family Practice · Ben Okafor", "Harbour Street Clinic"}
	if got := ls.clinic.Options; !slices.Equal(got, want) {
		t.Errorf("options = %q, want %q", got, want)
	}
	formHas := func(o any) bool {
		for _, it := range ls.form.Items {
			if it.Widget == o {
				return true
			}
		}
		return false
	}
	if !formHas(ls.person) || formHas(ls.staff) || ls.person.Text != "Dr. Clara Nguyen" {
		t.Fatalf("the form does not name the person (%q) instead of asking", ls.person.Text)
	}
	if h.w.Canvas().Focused() != ls.pass {
		t.Error("the passphrase does not have the focus")
	}

	ls.clinic.SetSelectedIndex(2)
	if !formHas(ls.staff) || formHas(ls.person) {
		t.Fatal("a profile that names nobody does not ask for the staff name")
	}
	ls.clinic.SetSelectedIndex(0)
	test.Type(ls.pass, rightPassphrase)
	test.Tap(ls.submit)
	h.wait()
	h.mustShell()
	if got := b.logins; !slices.Equal(got, []string{"/p/riverside/physician|"}) {
		t.Errorf("Login calls = %q, want the profile with no typed name", got)
	}
}

// TestLoginErrorsReadForPeople: a backend error with a package prefix and
// a small first letter is shown without the prefix, capitalised.
func TestLoginErrorsReadForPeople(t *testing.T) {
	b := newFakeBackend()
	b.nilSession = true
	h := newHarness(t, b, Options{})
	h.login("Ben Okafor", rightPassphrase)
	got := shownText(h.ws.login.message)
	if got == "" || got[0] < 'A' || got[0] > 'Z' || slices.Contains([]string{"ui:", "app:"}, got[:3]) {
		t.Errorf("message %q does not start with a capital", got)
	}
}
