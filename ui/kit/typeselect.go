package kit

import (
	"image/color"
	"unicode"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// TypeSelect is a Select that a typed letter chooses from: the next
// option starting with it (again to go on to the one after). Fyne's own
// Select ignores letters, so a receptionist tabbing through the
// registration form typed "f" on Sex and nothing happened (only Space,
// the arrows and the pointer chose).
type TypeSelect struct {
	widget.Select
}

// NewTypeSelect is a TypeSelect of options calling changed on a choice.
func NewTypeSelect(options []string, changed func(string)) *TypeSelect {
	s := &TypeSelect{}
	s.Options, s.OnChanged = options, changed
	s.PlaceHolder = "(Select one)"
	s.ExtendBaseWidget(s)
	return s
}

// TypedRune is part of fyne.Focusable.
func (s *TypeSelect) TypedRune(r rune) {
	n := len(s.Options)
	from := s.SelectedIndex() // -1 with none: the search starts at the first
	for k := 1; k <= n; k++ {
		i := (from + k) % n
		if i < 0 {
			i += n
		}
		first, _ := utf8.DecodeRuneInString(s.Options[i])
		if unicode.ToLower(first) == unicode.ToLower(r) {
			s.SetSelectedIndex(i)
			return
		}
	}
}

// CreateRenderer is part of fyne.Widget: Fyne's Select with the edge an
// Entry has. Fyne draws a Select as a filled box only, which in the light
// theme (input background on a white card) left Sex, Route or Refills
// with no visible edge beside the bordered boxes of the same form.
func (s *TypeSelect) CreateRenderer() fyne.WidgetRenderer {
	r := s.Select.CreateRenderer()
	edge := canvas.NewRectangle(color.Transparent)
	// A Select's objects are made once, with it.
	objects := append(append([]fyne.CanvasObject{}, r.Objects()...), edge)
	e := &edgedRenderer{WidgetRenderer: r, edge: edge, s: s, objects: objects}
	e.style()
	return e
}

// edgedRenderer draws a Select's renderer and, above it, an Entry's edge.
type edgedRenderer struct {
	fyne.WidgetRenderer
	edge    *canvas.Rectangle
	s       *TypeSelect
	objects []fyne.CanvasObject
}

func (e *edgedRenderer) style() {
	th := e.s.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	e.edge.StrokeWidth = th.Size(theme.SizeNameInputBorder)
	e.edge.CornerRadius = th.Size(theme.SizeNameInputRadius)
	e.edge.StrokeColor = th.Color(theme.ColorNameInputBorder, v)
	if e.s.Disabled() {
		e.edge.StrokeColor = th.Color(theme.ColorNameDisabled, v)
	}
}

func (e *edgedRenderer) Layout(size fyne.Size) {
	e.WidgetRenderer.Layout(size)
	e.edge.Resize(size)
	e.edge.Move(fyne.NewPos(0, 0))
}

func (e *edgedRenderer) Objects() []fyne.CanvasObject {
	return e.objects
}

func (e *edgedRenderer) Refresh() {
	e.WidgetRenderer.Refresh()
	e.style()
	e.edge.Refresh()
}
