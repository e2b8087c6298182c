package kit

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Radio is a choice of one of a few, as widget.RadioGroup draws it, whose
// choices pass Esc on (PassKey) while they have the keyboard: Fyne's radio
// items (v2.8.1) drop every key but Space, so Esc did nothing in the
// administrator's "Change role?" once a role was chosen by keyboard, nor
// in the physician's "Export calendar" once a detail was. ui builds no
// bare radio group (TestNoBareChoice).
type Radio struct {
	widget.DisableableWidget
	Selected  string
	OnChanged func(string)
	// Horizontal lays the choices out in a row.
	Horizontal bool
	choices    []*radioChoice
}

// NewRadio is a Radio of options, none chosen; changed, when set, runs
// with each new choice.
func NewRadio(options []string, changed func(string)) *Radio {
	r := &Radio{OnChanged: changed}
	for _, o := range options {
		c := &radioChoice{radio: r, text: o, icon: widget.NewIcon(theme.RadioButtonIcon()), label: widget.NewLabel(o)}
		c.ExtendBaseWidget(c)
		r.choices = append(r.choices, c)
	}
	r.ExtendBaseWidget(r)
	return r
}

// SetSelected chooses option s ("" for none).
func (r *Radio) SetSelected(s string) {
	if s == r.Selected {
		return
	}
	r.Selected = s
	r.Refresh()
	if r.OnChanged != nil {
		r.OnChanged(s)
	}
}

// Refresh is part of fyne.CanvasObject: redraws every choice (after
// Selected was set, or the Radio enabled or disabled).
func (r *Radio) Refresh() {
	for _, c := range r.choices {
		c.Refresh()
	}
	r.DisableableWidget.Refresh()
}

// Disable is part of fyne.Disableable: no choice can be made, nor take
// the keyboard.
func (r *Radio) Disable() { r.DisableableWidget.Disable(); r.Refresh() }

// Enable is part of fyne.Disableable.
func (r *Radio) Enable() { r.DisableableWidget.Enable(); r.Refresh() }

// CreateRenderer is part of fyne.Widget.
func (r *Radio) CreateRenderer() fyne.WidgetRenderer {
	box := container.NewVBox()
	if r.Horizontal {
		box = container.NewHBox()
	}
	for _, c := range r.choices {
		box.Add(c)
	}
	return widget.NewSimpleRenderer(box)
}

// radioChoice is one option of a Radio: a tap or Space chooses it; with
// the keyboard its circle and text are drawn stronger.
type radioChoice struct {
	widget.BaseWidget
	radio   *Radio
	text    string
	icon    *widget.Icon
	label   *widget.Label
	focused bool
}

func (c *radioChoice) CreateRenderer() fyne.WidgetRenderer {
	c.style()
	return widget.NewSimpleRenderer(container.NewBorder(nil, nil, c.icon, nil, c.label))
}

// style draws the circle and text as the choice stands.
func (c *radioChoice) style() {
	var icon fyne.Resource = theme.RadioButtonIcon()
	switch {
	case c.radio.Selected == c.text:
		icon = theme.RadioButtonCheckedIcon()
		if !c.Disabled() {
			icon = theme.NewPrimaryThemedResource(icon)
		}
	case c.focused:
		icon = theme.NewPrimaryThemedResource(icon)
	}
	if c.Disabled() {
		icon = theme.NewDisabledResource(icon)
	}
	c.icon.SetResource(icon)
	c.label.TextStyle.Bold = c.focused
	c.label.Importance = widget.MediumImportance
	if c.Disabled() {
		c.label.Importance = widget.LowImportance
	}
}

func (c *radioChoice) Refresh() {
	c.style()
	c.label.Refresh()
	c.BaseWidget.Refresh()
}

// Disabled is part of fyne.Disableable: a choice of a disabled Radio
// takes neither the pointer nor the keyboard.
func (c *radioChoice) Disabled() bool { return c.radio.Disabled() }

func (c *radioChoice) Enable()  {}
func (c *radioChoice) Disable() {}

func (c *radioChoice) Tapped(*fyne.PointEvent) {
	if !c.Disabled() {
		c.radio.SetSelected(c.text)
	}
}

func (c *radioChoice) FocusGained() { c.focused = true; c.Refresh() }

func (c *radioChoice) FocusLost() { c.focused = false; c.Refresh() }

func (c *radioChoice) TypedRune(rune) {}

// TypedKey: Space chooses; Esc is passed on (PassKey) to the question or
// dialog it is in. Enter does nothing, as on Fyne's: a choice made is no
// answer yet.
func (c *radioChoice) TypedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeySpace:
		c.Tapped(nil)
	case fyne.KeyEscape:
		PassKey(c, ev)
	}
}

// PassKey gives ev, typed in obj, which has no use for it, to obj's window
// as if nothing had the keyboard: to the window's own key handler (the
// shell's, where Esc answers the question on top no or closes the dialog
// on top), or, with none, to the question on top (DialogKey). Fyne gives a
// key to the focused widget only, so a choice that dropped Esc kept its
// dialog open.
func PassKey(obj fyne.CanvasObject, ev *fyne.KeyEvent) {
	c := fyne.CurrentApp().Driver().CanvasForObject(obj)
	if c == nil {
		return
	}
	if on := c.OnTypedKey(); on != nil {
		on(ev)
		return
	}
	DialogKey(c, ev)
}
