package kit

import "fyne.io/fyne/v2"

// Parted is a screen with parts a link elsewhere may open (the audit
// log's refused events, which the status bar's count of them opens).
type Parted interface {
	// ShowPart brings the part named part on show and reports whether the
	// screen has it.
	ShowPart(part string) bool
}

// ShowPartIn shows the part named part of o, a screen's content, looking
// through the wrappers that hold it (Live, WithFirstFocus) as FirstFocusIn
// does; false when it has none of that name.
func ShowPartIn(o fyne.CanvasObject, part string) bool {
	for range 8 {
		if p, ok := o.(Parted); ok {
			return p.ShowPart(part)
		}
		w, ok := o.(interface{ Content() fyne.CanvasObject })
		if !ok {
			return false
		}
		o = w.Content()
	}
	return false
}
