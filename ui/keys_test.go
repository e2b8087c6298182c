package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
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

// TestShellKeysFromAField: Ctrl+F and Ctrl+L reach the shell while a text
// field has the keyboard. Fyne's window gives a shortcut to the focused
// field and never to the canvas (glfw window.triggersShortcut), so the
// test takes the same path: the focused field's TypedShortcut. The
// field's own shortcuts (select all, copy, paste, word moves) stay its.
func TestShellKeysFromAField(t *testing.T) {
	h := newHarness(t, newFakeBackend(), Options{})
	h.login("Dr. Clara Nguyen", rightPassphrase)
	sh := h.mustShell()
	c := h.w.Canvas()
	press := func(s fyne.Shortcut) {
		t.Helper()
		f, ok := c.Focused().(fyne.Shortcutable)
		if !ok {
			t.Fatalf("the focused %T takes no shortcuts", c.Focused())
		}
		f.TypedShortcut(s)
	}
	key := func(k fyne.KeyName, m fyne.KeyModifier) fyne.Shortcut {
		return &desktop.CustomShortcut{KeyName: k, Modifier: m}
	}
	ctrl := fyne.KeyModifierShortcutDefault

	search, problem, note := kit.NewEntry(), kit.NewEntry(), kit.NewTextArea()
	search.SetPlaceHolder("Name, birth date, phone or MRN")
	problem.SetPlaceHolder("Problem, e.g. Type 2 diabetes")
	pass, multi, pick := kit.NewPasswordEntry(), kit.NewMultiLineEntry(), kit.NewSelectEntry([]string{"once daily"})
	sh.page.Objects = []fyne.CanvasObject{problem, note, pass, multi, pick, search}
	sh.page.Refresh()

	// Ctrl+F from any kind of field goes to the search.
	for _, f := range []fyne.Focusable{problem, note, pass, multi, pick} {
		c.Focus(f)
		press(key(fyne.KeyF, ctrl))
		if c.Focused() != search {
			t.Errorf("Ctrl+F from a %T focused %T, want the search", f, c.Focused())
		}
	}

	// The field's own keys: select all, copy, paste, word moves.
	c.Focus(problem)
	test.Type(problem, "Type 2 diabetes")
	press(&fyne.ShortcutSelectAll{})
	clip := fyne.CurrentApp().Clipboard()
	press(&fyne.ShortcutCopy{Clipboard: clip})
	if got := clip.Content(); got != "Type 2 diabetes" {
		t.Errorf("Ctrl+A, Ctrl+C copied %q", got)
	}
	c.Focus(note)
	press(&fyne.ShortcutPaste{Clipboard: clip})
	if note.Text != "Type 2 diabetes" {
		t.Errorf("Ctrl+V pasted %q", note.Text)
	}
	c.Focus(problem)
	problem.CursorColumn = len(problem.Text)
	press(key(fyne.KeyLeft, ctrl))
	if problem.CursorColumn != len("Type 2 ") {
		t.Errorf("Ctrl+Left: cursor at %d", problem.CursorColumn)
	}
	problem.CursorColumn = len(problem.Text)
	press(key(fyne.KeyBackspace, ctrl))
	if problem.Text != "Type 2 " {
		t.Errorf("Ctrl+Backspace left %q", problem.Text)
	}
	if c.Focused() != problem || h.ws.locked != nil {
		t.Fatal("the field's own keys left the field or locked")
	}

	// Ctrl+L from the Problem field locks: the chart leaves the screen.
	press(key(fyne.KeyL, ctrl))
	if h.ws.locked == nil || h.ws.shell != nil {
		t.Error("Ctrl+L from a focused field did not lock the workstation")
	}
}
