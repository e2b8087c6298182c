package kit

import (
	"image/color"
	"time"

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
//
// Clicked open (or opened with Space or an arrow), its list takes letters
// too, and Enter takes the option marked (see optionList). Closed, it
// passes Esc on (PassKey) to the dialog it is in, and Enter submits the
// form it is in (OnSubmitted), as the form's fields do. ui builds no bare
// Select (TestNoBareChoice).
type TypeSelect struct {
	widget.Select
	// OnSubmitted, when set, runs on Enter while the list is closed.
	OnSubmitted func()
	list        *optionList // open, or nil
	ahead       typeAhead
}

// NewTypeSelect is a TypeSelect of options calling changed on a choice.
func NewTypeSelect(options []string, changed func(string)) *TypeSelect {
	s := &TypeSelect{}
	s.Options, s.OnChanged = options, changed
	s.PlaceHolder = "(Select one)"
	s.ExtendBaseWidget(s)
	return s
}

// TypedRune is part of fyne.Focusable: the option typed so far
// (typeAhead).
func (s *TypeSelect) TypedRune(r rune) {
	if i := s.ahead.next(s.Options, s.SelectedIndex(), r, time.Now()); i >= 0 {
		s.SetSelectedIndex(i)
	}
}

// Tapped is part of fyne.Tappable: opens the list that takes letters
// (Fyne's own pop-up ignores them).
func (s *TypeSelect) Tapped(*fyne.PointEvent) {
	if s.Disabled() {
		return
	}
	if c := fyne.CurrentApp().Driver().CanvasForObject(s); c != nil && c.Focused() != s && !fyne.CurrentDevice().IsMobile() {
		c.Focus(s)
	}
	s.open()
}

// TypedKey is part of fyne.Focusable: Space, Up and Down open the list
// that takes letters; Enter submits, Esc is passed on; the rest as Fyne's
// Select.
func (s *TypeSelect) TypedKey(e *fyne.KeyEvent) {
	switch e.Name {
	case fyne.KeySpace, fyne.KeyUp, fyne.KeyDown:
		s.open()
	case fyne.KeyReturn, fyne.KeyEnter:
		if s.OnSubmitted != nil && !s.Disabled() {
			s.OnSubmitted()
		}
	case fyne.KeyEscape:
		PassKey(s, e)
	default:
		s.Select.TypedKey(e)
	}
}

// Hide is part of fyne.CanvasObject: the open list goes with the select.
func (s *TypeSelect) Hide() {
	if s.list != nil {
		s.list.pop.Hide()
		s.list = nil
	}
	s.Select.Hide()
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
