package kit

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// The ui's yes-or-no questions. Fyne's confirm dialogs (v2.8.1) take no
// key: Enter and Esc did nothing in "Sign this note?", and Esc on the
// page hid the dialog without its answer. Confirm is the one the screens
// use instead (TestNoBareConfirm): it shows with the keyboard on the
// answer Enter gives (Default), Enter presses the button that has the
// keyboard (Tab moves it), and Esc answers no.

// Confirm is a question with two answers.
type Confirm struct {
	Title string
	// Message is the question in words; Content, when set, is shown instead.
	Message string
	Content fyne.CanvasObject
	// Yes does what is asked ("Sign note"); No does not ("Keep editing",
	// "Cancel" when empty).
	Yes, No string
	// Danger draws Yes red: it destroys, or cannot be undone.
	Danger bool
	// EnterYes makes Yes the answer Enter gives. Without it Enter answers
	// No, the safe answer, as a question that signs, revokes or discards
	// must: an Enter meant for the form behind never does it.
	EnterYes bool
	// Large lets the dialog take most of the window: something to read
	// before answering (the note to be signed).
	Large bool
	// Answer runs once, with the answer; Esc answers no.
	Answer func(yes bool)
	// Back gets the keyboard when the question closes if nothing had it
	// as the question showed: the button that asked it. Fyne's
	// Button.Tapped (v2.8.1) takes the keyboard from the button before it
	// runs OnTapped, Space included, so a question a button asks finds
	// nothing with the keyboard: it must name the button. A question
	// asked from a field (Enter there) gives the keyboard back to the
	// field. Every question of ui names its Back or says why not
	// (TestEveryQuestionGivesTheKeyboardBack).
	Back fyne.Focusable
}

// ConfirmDialog is a Confirm or a Notice on show (a Notice's one button
// is its no).
type ConfirmDialog struct {
	d        *dialog.CustomDialog
	win      fyne.Window
	yes, no  *DialogButton
	def      *DialogButton // the one Enter presses when it shows
	overlay  fyne.CanvasObject
	answer   func(bool)
	answered bool
	back     fyne.Focusable // gets the keyboard when it closes (Confirm.Back, or what had it at show)
}

// DialogButton is a button of a Confirm: Enter presses it as Space does,
// and Esc answers the question no.
type DialogButton struct {
	widget.Button
	dlg *ConfirmDialog
}

// Plain is the widget.Button inside (tests find buttons by their text).
func (b *DialogButton) Plain() *widget.Button { return &b.Button }

// TypedKey is part of fyne.Focusable.
func (b *DialogButton) TypedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeyReturn, fyne.KeyEnter:
		if b.OnTapped != nil && !b.Disabled() {
			b.OnTapped()
		}
	case fyne.KeyEscape:
		b.dlg.Answer(false)
	default:
		b.Button.TypedKey(ev)
	}
}

// Show shows the question over win with the keyboard on its default
// answer.
func (c Confirm) Show(win fyne.Window) *ConfirmDialog {
	no := c.No
	if no == "" {
		no = "Cancel"
	}
	cd := &ConfirmDialog{win: win, answer: c.Answer, back: c.Back}
	cd.d = dialog.NewCustomWithoutButtons(c.Title, body(c.Message, c.Content), win)
	cd.no = cd.button(no, theme.CancelIcon(), false)
	cd.yes = cd.button(c.Yes, theme.ConfirmIcon(), true)
	def, other := cd.no, cd.yes
	if c.EnterYes {
		def, other = cd.yes, cd.no
	}
	def.Importance = widget.HighImportance
	other.Importance = widget.MediumImportance
	if c.Danger {
		cd.yes.Importance = widget.DangerImportance
	}
	cd.def = def
	cd.d.SetButtons([]fyne.CanvasObject{cd.no, cd.yes})
	if c.Large {
		s := win.Canvas().Size()
		cd.d.Resize(fyne.NewSize(min(s.Width-80, 960), s.Height-60))
	}
	cd.show()
	return cd
}

// Notice is something to read (information, or what failed and why)
// with one button that closes it. Fyne's information and error dialogs
// (v2.8.1) take no Enter, and Esc only when nothing in them has the
// keyboard; a Notice shows with the keyboard on its button, and Enter or
// Esc closes it (TestNoBareNotice).
type Notice struct {
	Title string
	// Message is what it says; Content, when set, is shown instead.
	Message string
	Content fyne.CanvasObject
	// Close is the button's text, "OK" when empty.
	Close string
	// Closed runs once, when it is closed.
	Closed func()
	// Back gets the keyboard when it closes if nothing had it as it
	// showed, as Confirm.Back.
	Back fyne.Focusable
}

// Show shows the notice over win with the keyboard on its button.
func (n Notice) Show(win fyne.Window) *ConfirmDialog {
	text := n.Close
	if text == "" {
		text = "OK"
	}
	cd := &ConfirmDialog{win: win, back: n.Back}
	if n.Closed != nil {
		cd.answer = func(bool) { n.Closed() }
	}
	cd.d = dialog.NewCustomWithoutButtons(n.Title, body(n.Message, n.Content), win)
	cd.no = cd.button(text, nil, false)
	cd.no.Importance = widget.HighImportance
	cd.def = cd.no
	cd.d.SetButtons([]fyne.CanvasObject{cd.no})
	cd.show()
	return cd
}

// body is a dialog's content: content, or message wrapped.
func body(message string, content fyne.CanvasObject) fyne.CanvasObject {
	if content != nil {
		return content
	}
	msg := widget.NewLabel(message)
	msg.Wrapping = fyne.TextWrapWord
	return AtLeast(380, 0, msg)
}

// show shows cd's dialog with the keyboard on its default button.
func (cd *ConfirmDialog) show() {
	if f := cd.win.Canvas().Focused(); f != nil {
		cd.back = f // a field that asked (Enter), or what the keyboard was on
	}
	cd.d.SetOnClosed(func() { cd.Answer(false) }) // hidden by other means than its buttons
	cd.d.Show()
	cd.shown(cd.win.Canvas())
	cd.win.Canvas().Focus(cd.def)
}

// Back gives f the keyboard when cd closes, if nothing had it as cd
// showed: Confirm.Back for a dialog shown by ShowError, whose failure the
// button that asked ran into.
func (cd *ConfirmDialog) Back(f fyne.Focusable) *ConfirmDialog {
	if cd.back == nil {
		cd.back = f
	}
	return cd
}

// Resize sizes the dialog.
func (cd *ConfirmDialog) Resize(s fyne.Size) { cd.d.Resize(s) }

func (cd *ConfirmDialog) button(text string, icon fyne.Resource, yes bool) *DialogButton {
	b := &DialogButton{dlg: cd}
	b.Text, b.Icon = text, icon
	b.OnTapped = func() { cd.Answer(yes) }
	b.ExtendBaseWidget(b)
	return b
}

// Answer closes the dialog with the answer yes or no, as its buttons do.
// Only the first answer counts.
func (cd *ConfirmDialog) Answer(yes bool) {
	if cd.answered {
		return
	}
	cd.answered = true
	cd.d.Hide()
	c := cd.win.Canvas()
	for i, x := range shownConfirms[c] {
		if x == cd {
			shownConfirms[c] = append(shownConfirms[c][:i:i], shownConfirms[c][i+1:]...)
			break
		}
	}
	if len(shownConfirms[c]) == 0 {
		delete(shownConfirms, c)
	}
	// Its overlay is gone: the canvas gives the keyboard back in the page
	// (or the dialog below). First, so that an answer that moves the
	// keyboard has the last word.
	if cd.back != nil {
		c.Focus(cd.back)
	}
	if cd.answer != nil {
		cd.answer(yes)
	}
}

// Hide closes the dialog, answering no if it was not answered.
func (cd *ConfirmDialog) Hide() { cd.Answer(false) }

// Default is the button Enter presses when the dialog shows.
func (cd *ConfirmDialog) Default() *DialogButton { return cd.def }

// DialogKey gives Enter and Esc, typed when no field has the keyboard
// (the page behind was clicked), to the Confirm on top of c: Enter presses
// its default answer, Esc answers no. It reports whether there was one.
func DialogKey(c fyne.Canvas, ev *fyne.KeyEvent) bool {
	cd := confirmOnTop(c)
	if cd == nil {
		return false
	}
	switch ev.Name {
	case fyne.KeyReturn, fyne.KeyEnter:
		cd.Default().TypedKey(ev)
	case fyne.KeyEscape:
		cd.Answer(false)
	default:
		return false
	}
	return true
}

// shownConfirms are the Confirms on show, by canvas, each with the
// overlay its dialog put on the canvas: Fyne's overlay is of an internal
// type that says nothing of what it holds.
var shownConfirms = map[fyne.Canvas][]*ConfirmDialog{}

// shown notes cd as on show on c, its overlay the one on top; it forgets
// those whose overlay is gone.
func (cd *ConfirmDialog) shown(c fyne.Canvas) {
	cd.overlay = c.Overlays().Top()
	kept := []*ConfirmDialog{cd}
	for _, o := range c.Overlays().List() {
		for _, x := range shownConfirms[c] {
			if x.overlay == o && x != cd {
				kept = append(kept, x)
			}
		}
	}
	shownConfirms[c] = kept
}

// confirmOnTop is the Confirm shown on top of c, or nil.
func confirmOnTop(c fyne.Canvas) *ConfirmDialog {
	top := c.Overlays().Top()
	for _, cd := range shownConfirms[c] {
		if top != nil && cd.overlay == top && !cd.answered {
			return cd
		}
	}
	return nil
}
