package kit

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// FieldIcon is an icon at the end of a field (its ActionItem) that a tap
// acts on: a password's eye, a date's calendar, a pick-list's arrow. It is
// tappable and no Tab stop, as Fyne's password eye: a widget.Button there
// was one, and Tab from the drug field or the day stopped on its button
// before the next field. The keyboard has its own way to each (typing,
// Down for a pick-list).
type FieldIcon struct {
	widget.BaseWidget
	of       fyne.Disableable     // the field: its icon is greyed while it is disabled
	res      func() fyne.Resource // the icon as things stand
	tap      func()
	disabled bool
	icon     *canvas.Image
}

// NewFieldIcon is the icon res (asked again on each Refresh) at the end
// of the field of, doing tap when tapped.
func NewFieldIcon(of fyne.Disableable, res func() fyne.Resource, tap func()) *FieldIcon {
	f := &FieldIcon{of: of, res: res, tap: tap, icon: canvas.NewImageFromResource(res())}
	f.ExtendBaseWidget(f)
	return f
}

// Tapped is part of fyne.Tappable.
func (f *FieldIcon) Tapped(*fyne.PointEvent) {
	if !f.Disabled() {
		f.tap()
	}
}

// Cursor is part of desktop.Cursorable.
func (f *FieldIcon) Cursor() desktop.Cursor { return desktop.PointerCursor }

// Disable is part of fyne.Disableable (widget.SelectEntry disables its
// ActionItem with itself).
func (f *FieldIcon) Disable() { f.disabled = true; f.Refresh() }

// Enable is part of fyne.Disableable.
func (f *FieldIcon) Enable() { f.disabled = false; f.Refresh() }

// Disabled is part of fyne.Disableable: the icon's or its field's.
func (f *FieldIcon) Disabled() bool { return f.disabled || (f.of != nil && f.of.Disabled()) }

// CreateRenderer is part of fyne.Widget.
func (f *FieldIcon) CreateRenderer() fyne.WidgetRenderer {
	return &fieldIconRenderer{WidgetRenderer: widget.NewSimpleRenderer(f.icon), f: f}
}

type fieldIconRenderer struct {
	fyne.WidgetRenderer
	f *FieldIcon
}

func (r *fieldIconRenderer) Layout(size fyne.Size) {
	s := r.f.Theme().Size(theme.SizeNameInlineIcon)
	r.f.icon.Resize(fyne.NewSquareSize(s))
	r.f.icon.Move(fyne.NewPos((size.Width-s)/2, (size.Height-s)/2))
}

func (r *fieldIconRenderer) MinSize() fyne.Size {
	th := r.f.Theme()
	return fyne.NewSquareSize(th.Size(theme.SizeNameInlineIcon) + 2*th.Size(theme.SizeNameInnerPadding))
}

func (r *fieldIconRenderer) Refresh() {
	res := r.f.res()
	if r.f.Disabled() {
		res = theme.NewDisabledResource(res)
	}
	r.f.icon.Resource = res
	r.f.icon.Refresh()
}
