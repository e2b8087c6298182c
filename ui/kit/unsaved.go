package kit

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// Unsaved is a screen that may hold what someone typed and has not
// saved or signed yet: Unsaved says what, as the start of a sentence
// ("The note you started for Fischer, Emma"), or "" when nothing would be
// lost by leaving it.
type Unsaved interface {
	Unsaved() string
}

// WithUnsaved wraps a screen's content so that the shell can ask it,
// before it swaps the section away, whether typing would be lost
// (Unsaved).
func WithUnsaved(content fyne.CanvasObject, unsaved func() string) fyne.CanvasObject {
	u := &unsavedScreen{content: content, unsaved: unsaved}
	u.ExtendBaseWidget(u)
	return u
}

type unsavedScreen struct {
	widget.BaseWidget
	content fyne.CanvasObject
	unsaved func() string
}

// Unsaved is part of Unsaved.
func (u *unsavedScreen) Unsaved() string { return u.unsaved() }

// Content is the wrapped content (tests walk widget trees through it).
func (u *unsavedScreen) Content() fyne.CanvasObject { return u.content }

// CreateRenderer is part of fyne.Widget.
func (u *unsavedScreen) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(u.content)
}

// UnsavedIn is what o, a screen's content, would lose if left ("" when
// nothing, or when o does not say).
func UnsavedIn(o fyne.CanvasObject) string {
	if u, ok := o.(Unsaved); ok {
		return u.Unsaved()
	}
	return ""
}

// unsentMark ends an Unsaved text that is a whole sentence about messages
// not sent (Unsent). U+2060 WORD JOINER: never shown.
const unsentMark = "\u2060"

// Unsent is Unsaved's text for messages typed and not sent: sentence is
// said whole ("The message you started is not sent yet.") under "Leave
// without sending?". A chat message is sent, not saved: the question said
// "not saved" for one.
func Unsent(sentence string) string { return sentence + unsentMark }

// ConfirmLeave asks before leaving a screen that holds what (Unsaved's
// text): leave runs only when the person chooses to discard it.
func ConfirmLeave(win fyne.Window, what string, leave func()) {
	title, sentence := "Leave without saving?", what+" is not saved yet."
	if s, ok := strings.CutSuffix(what, unsentMark); ok {
		title, sentence = "Leave without sending?", s
	}
	// no Back: asked as the section changes (the navigation list or a shortcut); "Stay here" leaves the keyboard where it was, in the screen's field.
	Confirm{Title: title, Message: sentence + " If you leave now, what you typed is lost.",
		Yes: "Discard and leave", No: "Stay here", Danger: true,
		Answer: func(ok bool) {
			if ok {
				leave()
			}
		}}.Show(win)
}
