package frontdesk

import (
	"context"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/ui/kit"
)

// TestPatientsEnterBeforeTheAnswer is a receptionist faster than the
// search: on a real workstation its answer comes back after she typed, and
// Enter may come first. The Enter then waits for the answer and does what
// it would have done (the one patient found opens, once; several move into
// the results); the rows on show, which answer fewer letters, are never
// opened; typing on or leaving the search forgets the Enter.
func TestPatientsEnterBeforeTheAnswer(t *testing.T) {
	test.NewTempApp(t)
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
	var held []func()
	s.env.held = &held // the search's answers wait; the form's do not
	answer := func(reverse bool) {
		t.Helper()
		hs := held
		held = nil
		for i := range hs {
			if reverse {
				hs[len(hs)-1-i]()
			} else {
				hs[i]()
			}
		}
	}
	opens := 0
	selected := s.results.OnSelected
	s.results.OnSelected = func(i int) { opens++; selected(i) }
	c := s.win.Canvas()
	enter := func() {
		t.Helper()
		if c.Focused() != s.box {
			t.Fatalf("Enter: the keyboard is on %T, not the search", c.Focused())
		}
		s.box.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	}
	name := func(id string) string {
		p, _ := recep.Patient(ctx, id)
		return p.Name()
	}

	// One found: Enter before the answer opens her when it arrives, once.
	c.Focus(s.box)
	test.Type(s.query, "lindq")
	enter()
	if s.form.id != "" || opens != 0 {
		t.Fatalf("Enter before the answer opened %q", name(s.form.id))
	}
	answer(false)
	if s.form.id == "" || name(s.form.id) != "Lindqvist, Märta" || opens != 1 {
		t.Fatalf("after the answer: open %q, %d opens, want Lindqvist once", name(s.form.id), opens)
	}
	answer(false)
	if opens != 1 {
		t.Fatalf("%d opens after nothing more arrived", opens)
	}
	lindqvist := s.form.id

	// The rows on show answer "lindq"; she types "fisch" and Enter before
	// its answer: Lindqvist, the one row on show, must not open. The
	// answers arrive newest first; the two Fischers found move the
	// keyboard into the results, and nobody opens yet.
	c.Focus(s.box)
	s.query.SetText("")
	answer(false)
	test.Type(s.query, "fisch")
	enter()
	if opens != 1 {
		t.Fatal("Enter before the answer opened a row of the older search")
	}
	answer(true)
	if opens != 1 || s.form.id != lindqvist || c.Focused() != s.list || !s.list.showsMark(0) || len(s.rows) != 2 {
		t.Fatalf("two found: %d opens, open %q, keyboard on %T, mark on 0 %v, %d rows",
			opens, name(s.form.id), c.Focused(), s.list.showsMark(0), len(s.rows))
	}

	// Enter, then more letters before the answer: the Enter is forgotten.
	c.Focus(s.box)
	s.query.SetText("")
	answer(false)
	test.Type(s.query, "lind")
	enter()
	test.Type(s.query, "q")
	answer(false)
	if opens != 1 || c.Focused() != s.box {
		t.Fatalf("Enter before more letters: %d opens, keyboard on %T", opens, c.Focused())
	}

	// Enter, then the keyboard leaves the search (she clicks elsewhere):
	// the answer opens nobody.
	s.query.SetText("")
	answer(false)
	s.form.startNew("")
	test.Type(s.query, "lindq")
	enter()
	c.Focus(s.form.fields["family"])
	answer(false)
	if opens != 1 || s.form.id != "" {
		t.Fatalf("Enter, then the keyboard left: %d opens, open %q", opens, name(s.form.id))
	}

	// A change arriving meanwhile (a sync) searches again with the same
	// letters: the Enter waits for that answer.
	c.Focus(s.box)
	s.query.SetText("")
	answer(false)
	test.Type(s.query, "lindq")
	enter()
	s.refresh()
	answer(false)
	if opens != 2 || s.form.id != lindqvist {
		t.Fatalf("Enter across a refresh: %d opens, open %q", opens, name(s.form.id))
	}
}

// TestPatientsSearchHasTheKeyboard: the Patients screen gives its search
// the keyboard when shown (kit.FirstFocus); Register a new patient gives
// it to the first required field still empty; and the search has it
// back, its text selected so the next name replaces it, once the patient
// is registered.
func TestPatientsSearchHasTheKeyboard(t *testing.T) {
	test.NewTempApp(t)
	recep, _ := clinic(t)
	s := onPatients(t, recep)
	screen := s.screen()
	s.win.SetContent(screen)
	c := s.win.Canvas()
	f := kit.FirstFocusIn(screen)
	if f != s.box {
		t.Fatalf("the screen names %T for the keyboard, want its search", f)
	}
	c.Focus(f)
	test.Type(s.query, "neu")
	if c.Focused() != s.box || s.query.Text != "neu" {
		t.Fatalf("typing on a fresh screen: keyboard on %T, search %q", c.Focused(), s.query.Text)
	}

	// Register a new patient: the name typed carries over, and the keyboard
	// is in the first required field still empty.
	test.Tap(s.newButton)
	fm := s.form
	if c.Focused() != fm.fields["given"] || fm.entries["family"].Text != "Neu" {
		t.Fatalf("Register a new patient: the keyboard is on %T (family %q)", c.Focused(), fm.entries["family"].Text)
	}
	test.Type(fm.entries["given"], "Nora")
	c.FocusNext()
	if c.Focused() != fm.fields["birth"] {
		t.Fatalf("Tab from the given names went to %T", c.Focused())
	}
	test.Type(fm.entries["birth"], "1990-05-05")
	test.Tap(fm.save)
	if fm.id == "" {
		t.Fatalf("not registered: %q", fm.message.Text)
	}
	p, _ := recep.Patient(context.Background(), fm.id)
	if c.Focused() != s.box || s.query.Text != p.MRN {
		t.Fatalf("after Register: keyboard on %T, search %q (want %s)", c.Focused(), s.query.Text, p.MRN)
	}
	test.Type(s.query, "fis")
	if s.query.Text != "fis" {
		t.Fatalf("the next name typed after Register reads %q: the MRN was not selected", s.query.Text)
	}
}
