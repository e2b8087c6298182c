package frontdesk

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/ui/kit"
)

// TestPatientsKeyboard is the receptionist at the phone: she types a
// surname, Down moves into the results with the first marked, Down and
// Enter open the second; with one found, Enter in the search opens it;
// with several, Enter moves into the results and opens nothing yet. Tab
// goes from the search to the results, before the buttons.
func TestPatientsKeyboard(t *testing.T) {
	recep, _ := clinic(t)
	ctx := context.Background()
	for _, p := range []app.Patient{
		{Family: "Fischer", Given: "Anna", Birth: "1980-01-01"},
		{Family: "Fischer", Given: "Bernd", Birth: "1981-02-02"},
		{Family: "Lindqvist", Given: "Märta", Birth: "1984-02-27"},
	} {
		if _, err := recep.Register(ctx, p, false); err != nil {
			t.Fatal(err)
		}
	}
	s := onPatients(t, recep)
	c := s.win.Canvas()
	key := func(name fyne.KeyName) {
		t.Helper()
		f, ok := c.Focused().(fyne.Focusable)
		if !ok {
			t.Fatalf("nothing has the keyboard for %s", name)
		}
		f.TypedKey(&fyne.KeyEvent{Name: name})
	}
	focused := func(want fyne.Focusable, what string) {
		t.Helper()
		if c.Focused() != want {
			t.Fatalf("%s: the keyboard is on %T, want %T", what, c.Focused(), want)
		}
	}

	// Tab from the search reaches the results first.
	c.Focus(s.box)
	typeInto(s.query, "fischer")
	if len(s.rows) != 2 {
		t.Fatalf("search fischer: %v", s.rows)
	}
	c.FocusNext()
	focused(s.list, "Tab from the search")
	c.FocusNext()
	if b, ok := c.Focused().(fyne.Tappable); !ok || b != s.importBtn {
		t.Fatalf("Tab from the results: the keyboard is on %T, want the Import button", c.Focused())
	}

	// Down from the search marks the first; Down, Enter opens the second.
	c.Focus(s.box)
	key(fyne.KeyDown)
	focused(s.list, "Down in the search")
	if !s.list.showsMark(0) || s.list.showsMark(1) || s.form.id != "" {
		t.Fatalf("after Down: mark on 0 %v, on 1 %v, open %q", s.list.showsMark(0), s.list.showsMark(1), s.form.id)
	}
	key(fyne.KeyDown)
	if !s.list.showsMark(1) || s.list.showsMark(0) {
		t.Fatal("the mark did not follow Down")
	}
	key(fyne.KeyReturn)
	if s.form.id != s.rows[1].ID {
		t.Fatalf("Enter opened %q, want %s (%s)", s.form.id, s.rows[1].ID, s.rows[1].Name())
	}
	// Up, Up goes back to the search, and the mark goes with the keyboard.
	key(fyne.KeyUp)
	key(fyne.KeyUp)
	focused(s.box, "Up from the first result")
	if s.list.showsMark(0) {
		t.Error("the results show a mark without the keyboard")
	}

	// One found: Enter in the search opens her.
	typeInto(s.query, "lindq")
	if len(s.rows) != 1 {
		t.Fatalf("search lindq: %v", s.rows)
	}
	c.Focus(s.box)
	key(fyne.KeyReturn)
	if s.form.id != s.rows[0].ID {
		t.Fatalf("Enter with one found opened %q", s.form.id)
	}

	// Several found: Enter moves into the results and opens nothing; a
	// second Enter opens the first.
	open := s.form.id
	typeInto(s.query, "fischer")
	c.Focus(s.box)
	key(fyne.KeyReturn)
	focused(s.list, "Enter with two found")
	if s.form.id != open || !s.list.showsMark(0) {
		t.Fatalf("Enter with two found: open %q (was %q), mark on 0 %v", s.form.id, open, s.list.showsMark(0))
	}
	key(fyne.KeyReturn)
	if s.form.id != s.rows[0].ID {
		t.Fatalf("the second Enter opened %q, want %s", s.form.id, s.rows[0].ID)
	}

	// Nothing found: Down leaves the keyboard in the search; Enter starts
	// a registration (TestEnterOnNobodyFoundRegisters).
	typeInto(s.query, "xyz")
	c.Focus(s.box)
	key(fyne.KeyDown)
	focused(s.box, "Down with nobody found")
	key(fyne.KeyReturn)
	if s.form.id != "" || s.form.heading.Text != "Register a new patient" {
		t.Fatalf("Enter with nobody found: open %q, heading %q", s.form.id, s.form.heading.Text)
	}
}

// TestEnterOnNobodyFoundRegisters is a walk-in: the receptionist types the
// name into the search, nobody matches, and Enter starts the registration
// with the name typed in and the keyboard on the birth date. Enter did
// nothing: she reached Family name by six Tabs (the empty results, the
// two buttons, Register and Clear) and typed the name again.
func TestEnterOnNobodyFoundRegisters(t *testing.T) {
	recep, _ := clinic(t)
	s := onPatients(t, recep)
	c := s.win.Canvas()
	c.Focus(s.box)
	typeInto(s.query, "quint harper")
	if !strings.Contains(s.found.Text, "press Enter to register") {
		t.Errorf("nobody found says %q", s.found.Text)
	}
	s.box.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	f := s.form
	if f.id != "" || f.entries["family"].Text != "Quint" || f.entries["given"].Text != "Harper" {
		t.Fatalf("Enter on nobody found: family %q, given %q", f.entries["family"].Text, f.entries["given"].Text)
	}
	if e, _ := kit.AsEntry(c.Focused()); e != f.entries["birth"] {
		t.Fatalf("the keyboard is on %T, want the birth date", c.Focused())
	}
	// Someone found: Enter still does what it did (no registration).
	if _, err := recep.Register(context.Background(), app.Patient{Family: "Quint", Given: "Harper", Birth: "1985-03-14"}, false); err != nil {
		t.Fatal(err)
	}
	c.Focus(s.box)
	s.query.SetText("")
	typeInto(s.query, "quint")
	s.box.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if f.id == "" {
		t.Errorf("Enter on the one found did not open her")
	}
}
