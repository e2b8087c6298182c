package frontdesk

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
	"github.com/medihaven/medihaven/ui/kit"
)

// The receptionist's keyboard on the Patients screen: she types a name,
// Down moves into the results, Up from the first result goes back to the
// search, and Enter opens the marked patient. Enter in the search opens
// the patient only when exactly one was found; with several, it moves into
// the results (the first marked), so that a second Enter opens one she has
// seen: opening the first of five Fischers would open the wrong record
// as often as not.

// searchBox is the search field; Down moves into the results.
type searchBox struct {
	widget.Entry
	s *patientsScreen
	// typing is set while a key she typed edits the text (TypedRune,
	// TypedKey, a paste); text set otherwise (SetText) drops the
	// selection backToSearch made (textSet).
	typing bool
}

// TypedRune is part of fyne.Focusable.
func (b *searchBox) TypedRune(r rune) {
	b.typing = true
	defer func() { b.typing = false }()
	b.Entry.TypedRune(r)
}

// TypedShortcut is part of fyne.Shortcutable (a paste types too); the
// shell's Ctrl+L and Ctrl+F go on to the window (kit.TypedShortcut).
func (b *searchBox) TypedShortcut(sc fyne.Shortcut) {
	b.typing = true
	defer func() { b.typing = false }()
	kit.TypedShortcut(b, &b.Entry, sc)
}

// textSet drops the selection when the text was set rather than typed:
// Fyne's SetText keeps an entry's selection mark, and the next letter
// typed after one would erase the letter before it ("lin" read "in").
// On a single-line entry End moves to the end and unselects.
func (b *searchBox) textSet() {
	if !b.typing {
		b.Entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEnd})
	}
}

func newSearchBox(s *patientsScreen) *searchBox {
	b := &searchBox{s: s}
	b.ExtendBaseWidget(b)
	return b
}

// BaseEntry is the field's widget.Entry (kit.AsEntry).
func (b *searchBox) BaseEntry() *widget.Entry { return &b.Entry }

// TypedKey moves into the results on Down; other keys edit as usual.
func (b *searchBox) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyDown && b.s.intoResults() {
		return
	}
	b.typing = true
	defer func() { b.typing = false }()
	b.Entry.TypedKey(k)
}

// FocusLost forgets an Enter waiting for the search's answer: she has
// moved on (clicked a result, Register, another field). It also drops the
// selection backToSearch made (textSet says why).
func (b *searchBox) FocusLost() {
	b.s.enterWaits = false
	if b.SelectedText() != "" {
		b.Entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEnd}) // unselects
	}
	b.Entry.FocusLost()
}

// resultList is the list of patients found; Enter opens the marked one,
// and the marked row shows a bar in the primary colour while the list has
// the keyboard (the theme's own hover tint is too faint to see).
type resultList struct {
	widget.List
	s       *patientsScreen
	focused bool
	marked  widget.ListItemID
}

// TypedKey opens the marked patient on Enter, returns to the search on Up
// from the first row, and moves the mark on Up and Down.
func (l *resultList) TypedKey(k *fyne.KeyEvent) {
	switch k.Name {
	case fyne.KeyReturn, fyne.KeyEnter:
		l.s.openRow(l.marked)
		return
	case fyne.KeyUp:
		if l.marked <= 0 {
			l.s.focus(l.s.box)
			return
		}
	}
	l.List.TypedKey(k)
}

func (l *resultList) FocusGained() {
	l.focused = true
	l.List.FocusGained()
}

func (l *resultList) FocusLost() {
	l.focused = false
	l.List.FocusLost()
	l.RefreshItem(l.marked)
}

// highlighted follows the list's own highlight and redraws the rows whose
// mark changed.
func (l *resultList) highlighted(id widget.ListItemID) {
	old := l.marked
	l.marked = id
	l.RefreshItem(old)
	l.RefreshItem(id)
}

// showsMark reports whether row i carries the keyboard's mark.
func (l *resultList) showsMark(i widget.ListItemID) bool {
	return l.focused && l.marked == i
}

// intoResults focuses the results with the first one marked; false when
// there are none (or they answer an older search).
func (s *patientsScreen) intoResults() bool {
	if len(s.rows) == 0 || s.shown != s.seq {
		return false
	}
	s.results.Highlight(0)
	s.focus(s.list)
	return true
}

// submitted is Enter in the search: one patient found opens; several move
// into the results; nobody found starts a registration with the name
// typed (a walk-in), as Register a new patient does. An Enter typed before the answer arrives waits for it
// (the rows on show answer fewer letters: never open one of them), and is
// forgotten if she types on or leaves the search meanwhile.
func (s *patientsScreen) submitted(string) {
	if s.shown != s.seq {
		s.enterWaits = true
		return
	}
	switch {
	case len(s.rows) == 1:
		s.openRow(0)
	case s.nobody:
		s.newButton.OnTapped()
	default:
		s.intoResults()
	}
}

// openRow opens row i as a click would (asking first about unsaved work).
func (s *patientsScreen) openRow(i widget.ListItemID) {
	if i < 0 || i >= len(s.rows) {
		return
	}
	s.results.Unselect(i) // so that opening it again still opens it
	s.results.Select(i)
}

func (s *patientsScreen) focus(o fyne.Focusable) {
	if c := fyne.CurrentApp().Driver().CanvasForObject(s.box); c != nil {
		c.Focus(o)
	} else if s.win != nil {
		s.win.Canvas().Focus(o)
	}
}

// firstFocus is the search, its text selected so that typing replaces it:
// the field the screen gives the keyboard when shown (kit.FirstFocus).
func (s *patientsScreen) firstFocus() fyne.Focusable {
	s.query.TypedShortcut(&fyne.ShortcutSelectAll{})
	return s.box
}

// backToSearch gives the keyboard back to the search, its text selected,
// once a patient is registered or saved, or an import has ended: the
// receptionist types the next name without reaching for the mouse.
func (s *patientsScreen) backToSearch() {
	s.focus(s.firstFocus())
}
