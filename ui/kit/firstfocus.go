package kit

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// FirstFocus is a screen with a field that takes the keyboard when the
// shell shows it (and on Ctrl+F): the Patients search, where a
// receptionist on the phone starts typing a name at once, without a click.
type FirstFocus interface {
	// FirstFocus is the field, or nil when it is not on show (a chart
	// opened in the search's place).
	FirstFocus() fyne.Focusable
}

// WithFirstFocus wraps a screen's content so that the shell gives the
// field first returns the keyboard when it shows the screen (FirstFocus).
func WithFirstFocus(content fyne.CanvasObject, first func() fyne.Focusable) fyne.CanvasObject {
	f := &firstFocusScreen{content: content, first: first}
	f.ExtendBaseWidget(f)
	return f
}

type firstFocusScreen struct {
	widget.BaseWidget
	content fyne.CanvasObject
	first   func() fyne.Focusable
}

// FirstFocus is part of FirstFocus.
func (f *firstFocusScreen) FirstFocus() fyne.Focusable { return f.first() }

// Content is the wrapped content (tests walk widget trees through it).
func (f *firstFocusScreen) Content() fyne.CanvasObject { return f.content }

// Unsaved passes on the wrapped content's (Unsaved), so the order of the
// wrappers does not matter.
func (f *firstFocusScreen) Unsaved() string { return UnsavedIn(f.content) }

// CreateRenderer is part of fyne.Widget.
func (f *firstFocusScreen) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(f.content)
}

// FirstFocusIn is the field o, a screen's content, gives the keyboard to
// when shown (FirstFocus), looking through the wrappers that hold it
// (WithUnsaved, Live); nil when it names none.
func FirstFocusIn(o fyne.CanvasObject) fyne.Focusable {
	for range 8 {
		if f, ok := o.(FirstFocus); ok {
			return f.FirstFocus()
		}
		w, ok := o.(interface{ Content() fyne.CanvasObject })
		if !ok {
			return nil
		}
		o = w.Content()
	}
	return nil
}
