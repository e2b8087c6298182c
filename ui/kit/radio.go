package kit

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Radio is a choice of one of a few, as widget.RadioGroup draws it, whose
// choices pass Esc to the question they are in (DialogKey) while they
// have the keyboard: Fyne's radio items (v2.8.1) drop every key but Space, so
// Esc did nothing in the administrator's "Change role?" once a role was
// chosen by keyboard.
type Radio struct {
	widget.BaseWidget
	Selected  string
	OnChanged func(string)
	choices   []*radioChoice
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
	for _, c := range r.choices {
		c.Refresh()
	}
	if r.OnChanged != nil {
		r.OnChanged(s)
	}
}

// CreateRenderer is part of fyne.Widget.
func (r *Radio) CreateRenderer() fyne.WidgetRenderer {
	box := container.NewVBox()
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
	return widget.NewSimpleRenderer(container.NewBorder(nil, nil, c.icon, nil, c.label))
}

func (c *radioChoice) Refresh() {
	var icon fyne.Resource = theme.RadioButtonIcon()
	if c.radio.Selected == c.text {
		icon = theme.NewPrimaryThemedResource(theme.RadioButtonCheckedIcon())
	} else if c.focused {
		icon = theme.NewPrimaryThemedResource(icon)
	}
	c.icon.SetResource(icon)
	c.label.TextStyle.Bold = c.focused
	c.label.Refresh()
	c.BaseWidget.Refresh()
}

func (c *radioChoice) Tapped(*fyne.PointEvent) { c.radio.SetSelected(c.text) }

func (c *radioChoice) FocusGained() { c.focused = true; c.Refresh() }

func (c *radioChoice) FocusLost() { c.focused = false; c.Refresh() }

func (c *radioChoice) TypedRune(rune) {}

// TypedKey: Space chooses; Esc goes to the question it is in (Enter
// does nothing, as on Fyne's: a choice made is no answer yet).
func (c *radioChoice) TypedKey(ev *fyne.KeyEvent) {
	switch ev.Name {
	case fyne.KeySpace:
		c.radio.SetSelected(c.text)
	case fyne.KeyEscape:
		if cv := fyne.CurrentApp().Driver().CanvasForObject(c); cv != nil {
			DialogKey(cv, ev)
		}
	}
}
