package kit

import (
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// The ui's text fields. Fyne (v2.8.1, glfw window.triggersShortcut) gives
// a key combination to the focused widget when it takes shortcuts, as
// every widget.Entry does, and then never to the window's canvas, where
// the shell registers Ctrl+L (lock) and Ctrl+F (search); the entry drops
// the combinations it does not know. So while the Problem field or the
// chat field had the keyboard, Ctrl+L did nothing and the chart stayed on
// screen. The fields below pass such combinations on to their canvas.
// ui's sources build no bare widget entry (TestNoBareEntry).

// Entry is a widget.Entry that passes the shell's shortcuts on.
type Entry struct {
	widget.Entry
}

// NewEntry is a single-line field (widget.NewEntry).
func NewEntry() *Entry {
	e := &Entry{}
	e.Wrapping = fyne.TextWrap(fyne.TextTruncateClip)
	e.ExtendBaseWidget(e)
	return e
}

// NewMultiLineEntry is a multi-line field (widget.NewMultiLineEntry).
func NewMultiLineEntry() *Entry {
	e := NewEntry()
	e.MultiLine = true
	return e
}

// NewPasswordEntry is a field that hides what is typed, with the eye to
// show it (widget.NewPasswordEntry).
func NewPasswordEntry() *Entry {
	e := NewEntry()
	e.Password = true
	e.ActionItem = newRevealer(e)
	return e
}

// TypedShortcut is part of fyne.Shortcutable.
func (e *Entry) TypedShortcut(s fyne.Shortcut) { TypedShortcut(e, &e.Entry, s) }

// TypedKey is part of fyne.Focusable: Esc in a field of a question
// (Confirm) answers it no, as on its buttons.
func (e *Entry) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyEscape {
		if c := fyne.CurrentApp().Driver().CanvasForObject(e); c != nil && DialogKey(c, k) {
			return
		}
	}
	e.Entry.TypedKey(k)
}

// SelectEntry is a widget.SelectEntry that passes the shell's shortcuts
// on, and whose Down opens its list, which the arrows and Enter then
// choose from (the physician typed "amoxi" in the drug field, and Down and
// Enter did nothing: only the pointer could choose).
type SelectEntry struct {
	widget.SelectEntry
}

// NewSelectEntry is a field with a list to pick from (widget.NewSelectEntry).
func NewSelectEntry(options []string) *SelectEntry {
	e := &SelectEntry{}
	e.ExtendBaseWidget(e)
	e.Wrapping = fyne.TextWrap(fyne.TextTruncateClip)
	e.SetOptions(options) // makes the list's button, which opens it
	open := e.ActionItem.(*widget.Button).OnTapped
	e.ActionItem = NewFieldIcon(e, theme.MenuDropDownIcon, open) // no Tab stop
	return e
}

// TypedShortcut is part of fyne.Shortcutable.
func (e *SelectEntry) TypedShortcut(s fyne.Shortcut) { TypedShortcut(e, &e.Entry, s) }

// TypedKey opens the list on Down; other keys edit as usual.
func (e *SelectEntry) TypedKey(k *fyne.KeyEvent) {
	if f, ok := e.ActionItem.(*FieldIcon); ok && k.Name == fyne.KeyDown {
		f.Tapped(nil) // the list takes the keyboard (widget.PopUpMenu)
		return
	}
	e.SelectEntry.TypedKey(k)
}

// TypedShortcut gives s to the field e (the widget.Entry inside obj) and,
// when s is a key combination a field has no use for (not a word move or
// word delete: Ctrl or Alt with Left, Right, Backspace, Delete...), runs
// the shortcut registered with AddShortcut on obj's canvas (Ctrl+L,
// Ctrl+F). Every type in ui that embeds a widget.Entry calls it from its
// TypedShortcut.
func TypedShortcut(obj fyne.CanvasObject, e *widget.Entry, s fyne.Shortcut) {
	e.TypedShortcut(s)
	cs, ok := s.(*desktop.CustomShortcut)
	if !ok || fieldKey(cs.KeyName) {
		return
	}
	if run := canvasShortcut(obj, s); run != nil {
		run(s)
	}
}

// canvasKeys are the shortcuts AddShortcut registered, by canvas and by
// name. Fyne's canvases keep theirs unexported, and the test driver's
// canvas takes no shortcuts at all, so the fields look them up here.
var canvasKeys = struct {
	sync.Mutex
	m map[fyne.Canvas]map[string]func(fyne.Shortcut)
}{m: map[fyne.Canvas]map[string]func(fyne.Shortcut){}}

// AddShortcut registers a shortcut on c (canvas.AddShortcut), where it
// runs when no field has the keyboard, and for the kit's fields, which
// pass on the combinations they do not use.
func AddShortcut(c fyne.Canvas, s fyne.Shortcut, run func(fyne.Shortcut)) {
	c.AddShortcut(s, run)
	canvasKeys.Lock()
	defer canvasKeys.Unlock()
	if canvasKeys.m[c] == nil {
		canvasKeys.m[c] = map[string]func(fyne.Shortcut){}
	}
	canvasKeys.m[c][s.ShortcutName()] = run
}

// RemoveShortcut undoes AddShortcut.
func RemoveShortcut(c fyne.Canvas, s fyne.Shortcut) {
	c.RemoveShortcut(s)
	canvasKeys.Lock()
	defer canvasKeys.Unlock()
	delete(canvasKeys.m[c], s.ShortcutName())
	if len(canvasKeys.m[c]) == 0 {
		delete(canvasKeys.m, c)
	}
}

// canvasShortcut is the shortcut s registered on obj's canvas: the one
// the driver names, else the window's whose focus obj has.
func canvasShortcut(obj fyne.CanvasObject, s fyne.Shortcut) func(fyne.Shortcut) {
	d := fyne.CurrentApp().Driver()
	canvasKeys.Lock()
	defer canvasKeys.Unlock()
	if c := d.CanvasForObject(obj); c != nil && canvasKeys.m[c] != nil && hasFocus(c, obj) {
		return canvasKeys.m[c][s.ShortcutName()]
	}
	for _, w := range d.AllWindows() {
		if c := w.Canvas(); hasFocus(c, obj) {
			return canvasKeys.m[c][s.ShortcutName()]
		}
	}
	return nil
}

// hasFocus reports whether obj has c's keyboard focus.
func hasFocus(c fyne.Canvas, obj fyne.CanvasObject) bool {
	f := c.Focused()
	return f != nil && any(f) == any(obj)
}

// fieldKey: the keys a field moves or deletes with under Ctrl, Alt or
// Super (word moves, line ends); such combinations stay the field's.
func fieldKey(k fyne.KeyName) bool {
	switch k {
	case fyne.KeyLeft, fyne.KeyRight, fyne.KeyUp, fyne.KeyDown, fyne.KeyHome, fyne.KeyEnd,
		fyne.KeyBackspace, fyne.KeyDelete, fyne.KeyReturn, fyne.KeyEnter, fyne.KeyTab:
		return true
	}
	return false
}

// AsEntry is the widget.Entry inside a field of any of the kit's types
// (or o itself if it is a bare widget.Entry); ok is false for anything
// else.
func AsEntry(o any) (e *widget.Entry, ok bool) {
	switch x := o.(type) {
	case *widget.Entry:
		return x, true
	case *Entry:
		return &x.Entry, true
	case *SelectEntry:
		return &x.Entry, true
	case *TextArea:
		return &x.Entry, true
	case interface{ BaseEntry() *widget.Entry }:
		return x.BaseEntry(), true
	}
	return nil, false
}

// newRevealer is the eye at the end of a password field: a tap shows or
// hides what was typed and gives the field the keyboard back (Fyne's own
// is made only by widget.NewPasswordEntry).
func newRevealer(e *Entry) *FieldIcon {
	var eye *FieldIcon
	eye = NewFieldIcon(e, func() fyne.Resource {
		if e.Password {
			return theme.VisibilityOffIcon()
		}
		return theme.VisibilityIcon()
	}, func() {
		e.Password = !e.Password
		e.Refresh()
		eye.Refresh()
		if c := fyne.CurrentApp().Driver().CanvasForObject(e); c != nil {
			c.Focus(e)
		}
	})
	return eye
}
