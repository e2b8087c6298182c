package kit

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// ResultLines are a search result in two tight lines (Tight): the name
// in bold with Right (the birth date) at the right edge, where the dates
// of a page of Fischers line up, and a quieter detail line under it (the
// MRN, the phone). The desk's and the physician's searches both list
// patients so.
type ResultLines struct {
	widget.BaseWidget
	name, right, detail *widget.Label
}

// NewResultLines is an empty ResultLines, as tall and wide as a filled
// one (a list's template row).
func NewResultLines() *ResultLines {
	l := &ResultLines{
		name:   widget.NewLabelWithStyle("Family, Given", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		right:  widget.NewLabelWithStyle("born 00/00/0000", fyne.TextAlignTrailing, fyne.TextStyle{}),
		detail: widget.NewLabel("MH0000000 · phone"),
	}
	l.name.Truncation = fyne.TextTruncateEllipsis
	l.detail.Importance = widget.LowImportance
	l.detail.Truncation = fyne.TextTruncateEllipsis
	l.ExtendBaseWidget(l)
	return l
}

// Set writes the three texts.
func (l *ResultLines) Set(name, right, detail string) {
	l.name.SetText(name)
	l.right.SetText(right)
	l.detail.SetText(detail)
}

// CreateRenderer is part of fyne.Widget.
func (l *ResultLines) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(Tight(container.NewVBox(container.NewBorder(nil, nil, nil, l.right, l.name), l.detail)))
}

// ResultRow is ResultLines pressed as a button: a tap, or Space or Enter
// while it has the keyboard (Tab reaches it), runs OnTapped. It is lit
// as a button is under the pointer and with the keyboard.
type ResultRow struct {
	widget.BaseWidget
	Lines    *ResultLines
	OnTapped func()
	bg       *canvas.Rectangle
	hovered  bool
	focused  bool
}

// NewResultRow is a row that reads name, right and detail and runs
// tapped when pressed.
func NewResultRow(name, right, detail string, tapped func()) *ResultRow {
	r := &ResultRow{Lines: NewResultLines(), OnTapped: tapped, bg: canvas.NewRectangle(color.Transparent)}
	r.Lines.Set(name, right, detail)
	r.bg.CornerRadius = theme.InputRadiusSize()
	r.ExtendBaseWidget(r)
	return r
}

// CreateRenderer is part of fyne.Widget.
func (r *ResultRow) CreateRenderer() fyne.WidgetRenderer {
	gap := canvas.NewRectangle(color.Transparent) // the scroll bar's room
	gap.SetMinSize(fyne.NewSize(10, 0))
	edge := canvas.NewRectangle(color.Transparent)
	edge.SetMinSize(fyne.NewSize(4, 0))
	return widget.NewSimpleRenderer(container.NewStack(r.bg, container.NewBorder(nil, nil, edge, gap, r.Lines)))
}

// Refresh is part of fyne.Widget: the light follows the pointer and the
// keyboard.
func (r *ResultRow) Refresh() {
	r.bg.FillColor = color.Transparent
	switch {
	case r.focused:
		r.bg.FillColor = theme.Color(theme.ColorNameFocus)
	case r.hovered:
		r.bg.FillColor = theme.Color(theme.ColorNameHover)
	}
	r.bg.Refresh()
	r.BaseWidget.Refresh()
}

// Tapped is part of fyne.Tappable.
func (r *ResultRow) Tapped(*fyne.PointEvent) {
	if r.OnTapped != nil {
		r.OnTapped()
	}
}

// Cursor is part of desktop.Cursorable.
func (r *ResultRow) Cursor() desktop.Cursor { return desktop.PointerCursor }

// MouseIn is part of desktop.Hoverable.
func (r *ResultRow) MouseIn(*desktop.MouseEvent) { r.hovered = true; r.Refresh() }

// MouseMoved is part of desktop.Hoverable.
func (r *ResultRow) MouseMoved(*desktop.MouseEvent) {}

// MouseOut is part of desktop.Hoverable.
func (r *ResultRow) MouseOut() { r.hovered = false; r.Refresh() }

// FocusGained is part of fyne.Focusable.
func (r *ResultRow) FocusGained() { r.focused = true; r.Refresh() }

// FocusLost is part of fyne.Focusable.
func (r *ResultRow) FocusLost() { r.focused = false; r.Refresh() }

// TypedRune is part of fyne.Focusable.
func (r *ResultRow) TypedRune(rune) {}

// TypedKey is part of fyne.Focusable: Space and Enter press it.
func (r *ResultRow) TypedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeySpace, fyne.KeyReturn, fyne.KeyEnter:
		r.Tapped(nil)
	}
}
