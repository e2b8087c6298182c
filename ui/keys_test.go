package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/ui/kit"
)

func TestShellKeys(t *testing.T) {
	h := newHarness(t, newFakeBackend(), Options{})
	h.login("Ben Okafor", rightPassphrase)
	sh := h.mustShell()
	c := h.w.Canvas()

	// Ctrl+F: the screen's search field, not the other fields before it.
	date, search, mrn := widget.NewEntry(), widget.NewEntry(), widget.NewEntry()
	date.SetPlaceHolder("YYYY-MM-DD")
	search.SetPlaceHolder("Name, birth date, phone or MRN")
	mrn.SetPlaceHolder("Patient MRN (optional)")
	sh.page.Objects = []fyne.CanvasObject{date, mrn, search}
	sh.page.Refresh()
	if !h.ws.focusSearch() || c.Focused() != search {
		t.Errorf("Ctrl+F focused %v, want the search field", c.Focused())
	}
	sh.page.Objects = []fyne.CanvasObject{date, mrn}
	sh.page.Refresh()
	if h.ws.focusSearch() || c.Focused() != nil {
		t.Errorf("a screen without search: focus on %v", c.Focused())
	}

	// F1 opens Help; Esc closes the dialog on top.
	c.Unfocus()
	h.ws.typedKey(&fyne.KeyEvent{Name: fyne.KeyF1})
	if sh.heading.Text != "Help" || sh.sections[sh.current].title != "Help" {
		t.Errorf("F1 shows %q", sh.heading.Text)
	}
	if text := renderedText(sh.page); !containsAll(text, "Find or register a patient", "Go to the search field", "Send the chat message") {
		t.Errorf("the receptionist's help lacks the guide or the keys:\n%s", text)
	}
	dialog.ShowInformation("Saved", "The patient is registered.", h.w)
	if c.Overlays().Top() == nil {
		t.Fatal("no dialog")
	}
	h.ws.typedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if top := c.Overlays().Top(); top != nil && top.Visible() {
		t.Error("Esc did not close the dialog")
	}
}

func TestHelpHasAGuidePerRole(t *testing.T) {
	for _, role := range roles.All {
		if len(guides[role]) == 0 {
			t.Errorf("%s has no guide", role)
		}
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// TestShownScreenNamesItsKeyboard: a screen that names a field for the
// keyboard (kit.WithFirstFocus, the Patients search) has it when the shell
// shows it, after login for the first section as when opened from the
// navigation, and Ctrl+F goes to that field, whatever its type (the desk's
// search is its own widget around an entry: the hint-reading walk missed it).
func TestShownScreenNamesItsKeyboard(t *testing.T) {
	first := map[string]*searchLike{}
	for _, title := range []string{"Today", "Patients"} {
		old := screens[roles.Receptionist][title]
		t.Cleanup(func() { screens[roles.Receptionist][title] = old })
		screens[roles.Receptionist][title] = func(Session, fyne.Window, func(string)) fyne.CanvasObject {
			other, e := widget.NewEntry(), &searchLike{}
			e.ExtendBaseWidget(e)
			first[title] = e
			return kit.WithUnsaved(kit.WithFirstFocus(container.NewVBox(other, e), func() fyne.Focusable { return e }), func() string { return "" })
		}
	}
	h := newHarness(t, newFakeBackend(), Options{})
	h.login("Ben Okafor", rightPassphrase)
	sh := h.mustShell()
	c := h.w.Canvas()
	if sh.heading.Text != "Today" || first["Today"] == nil || c.Focused() != first["Today"] {
		t.Fatalf("after login (%s) the keyboard is on %T, not the screen's field", sh.heading.Text, c.Focused())
	}
	if !sh.show("Patients") || c.Focused() != first["Patients"] {
		t.Fatalf("Patients opened: the keyboard is on %T, not its search", c.Focused())
	}
	c.Unfocus()
	if !h.ws.focusSearch() || c.Focused() != first["Patients"] {
		t.Fatalf("Ctrl+F: the keyboard is on %T, not the screen's search", c.Focused())
	}
}

// searchLike is a search field that is its own widget around an entry.
type searchLike struct{ widget.Entry }
