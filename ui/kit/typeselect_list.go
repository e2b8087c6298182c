package kit

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// optionList is a TypeSelect's open list. Fyne's Select opens a PopUpMenu,
// which takes the keyboard, ignores letters and leaves the item under the
// pointer as the one Enter takes: on the registration form Sex was clicked
// open, "f" typed and Enter pressed, and "unknown" (under the pointer) was
// chosen, not "female". This list marks the option a typed letter names (or
// the arrows move to, or the pointer moves onto) and Enter, Return or Space
// take the marked one. It opens with the current choice marked, below the
// select, or above it when there is no room below, so it does not open
// under the pointer.
type optionList struct {
	widget.BaseWidget
	s      *TypeSelect
	pop    *widget.PopUp
	scroll *container.Scroll // nil unless the list is taller than the window
	at     int               // the marked option, -1 none
	hover  int               // the row the pointer was last on, -1 none
}

// open shows s's options below (or above) it and gives them the keyboard.
func (s *TypeSelect) open() {
	s.closeList()
	c := fyne.CurrentApp().Driver().CanvasForObject(s)
	if c == nil || len(s.Options) == 0 {
		return
	}
	l := &optionList{s: s, at: s.SelectedIndex(), hover: -1}
	l.ExtendBaseWidget(l)
	var content fyne.CanvasObject = l
	least := l.MinSize() // wider than the select when an option is
	want := least.Height
	size := fyne.NewSize(max(s.Size().Width, least.Width), want)
	at := fyne.CurrentApp().Driver().AbsolutePositionForObject(s)
	border := s.Theme().Size(theme.SizeNameInputBorder)
	below := at.Y + s.Size().Height - border
	_, area := c.InteractiveArea()
	pos := fyne.NewPos(at.X, below)
	switch {
	case below+want <= area.Height:
	case at.Y+border-want >= 0:
		pos.Y = at.Y + border - want // above the select
	default: // taller than the room either side: the larger one, scrolled
		room, top := area.Height-below, below
		if at.Y+border > room {
			room, top = at.Y+border, 0
		}
		l.scroll = container.NewVScroll(l)
		content, size.Height, pos.Y = l.scroll, room, top
	}
	if pos.X+size.Width > area.Width {
		pos.X = max(area.Width-size.Width, 0)
	}
	l.pop = widget.NewPopUp(content, c)
	l.pop.Resize(size)
	l.pop.ShowAtPosition(pos)
	s.list = l
	c.Focus(l)
	l.show()
}

// closeList hides s's open list, if any, and gives the keyboard back to s.
func (s *TypeSelect) closeList() {
	l := s.list
	if l == nil {
		return
	}
	s.list = nil
	l.pop.Hide()
	if c := fyne.CurrentApp().Driver().CanvasForObject(s); c != nil && s.Visible() && !s.Disabled() {
		c.Focus(s)
	}
}

func (l *optionList) rowHeight() float32 {
	th := l.s.Theme()
	t := canvas.NewText("Mg", nil)
	t.TextSize = th.Size(theme.SizeNameText)
	return t.MinSize().Height + 2*th.Size(theme.SizeNameInnerPadding)
}

func (l *optionList) row(y float32) int {
	pad := l.s.Theme().Size(theme.SizeNamePadding)
	i := int((y - pad) / l.rowHeight())
	if y < pad || i >= len(l.s.Options) {
		return -1
	}
	return i
}

// mark marks option i and brings it into view.
func (l *optionList) mark(i int) {
	if i < 0 || i >= len(l.s.Options) || i == l.at {
		return
	}
	l.at = i
	l.Refresh()
	l.show()
}

// show scrolls the marked option into view.
func (l *optionList) show() {
	if l.scroll == nil || l.at < 0 {
		return
	}
	h, pad := l.rowHeight(), l.s.Theme().Size(theme.SizeNamePadding)
	top := pad + float32(l.at)*h
	if top < l.scroll.Offset.Y {
		l.scroll.ScrollToOffset(fyne.NewPos(0, top))
	} else if end := top + h - l.scroll.Size().Height; end > l.scroll.Offset.Y {
		l.scroll.ScrollToOffset(fyne.NewPos(0, end))
	}
}

// take chooses option i (none with -1) and closes the list.
func (l *optionList) take(i int) {
	l.s.closeList()
	if i >= 0 && i < len(l.s.Options) {
		l.s.SetSelectedIndex(i)
	}
}

// FocusGained is part of fyne.Focusable.
func (l *optionList) FocusGained() {}

// FocusLost is part of fyne.Focusable.
func (l *optionList) FocusLost() {}

// TypedRune is part of fyne.Focusable: the option typed so far
// (typeAhead).
func (l *optionList) TypedRune(r rune) {
	if i := l.s.ahead.next(l.s.Options, l.at, r, time.Now()); i >= 0 {
		l.mark(i)
	}
}

// TypedKey is part of fyne.Focusable.
func (l *optionList) TypedKey(e *fyne.KeyEvent) {
	n := len(l.s.Options)
	switch e.Name {
	case fyne.KeyDown:
		l.mark(min(l.at+1, n-1))
	case fyne.KeyUp:
		if l.at < 0 {
			l.mark(n - 1)
		} else {
			l.mark(max(l.at-1, 0))
		}
	case fyne.KeyHome:
		l.mark(0)
	case fyne.KeyEnd:
		l.mark(n - 1)
	case fyne.KeyEnter, fyne.KeyReturn, fyne.KeySpace:
		l.take(l.at)
	case fyne.KeyEscape:
		l.take(-1)
	}
}

// Tapped is part of fyne.Tappable: the option under the pointer.
func (l *optionList) Tapped(e *fyne.PointEvent) {
	if i := l.row(e.Position.Y); i >= 0 {
		l.take(i)
	}
}

// MouseIn is part of desktop.Hoverable.
func (l *optionList) MouseIn(e *desktop.MouseEvent) { l.MouseMoved(e) }

// MouseMoved is part of desktop.Hoverable: the pointer marks the row it
// moves onto; a typed letter's mark stays until it moves to another row.
func (l *optionList) MouseMoved(e *desktop.MouseEvent) {
	if i := l.row(e.Position.Y); i != l.hover {
		l.hover = i
		l.mark(i)
	}
}

// MouseOut is part of desktop.Hoverable.
func (l *optionList) MouseOut() { l.hover = -1 }

// CreateRenderer is part of fyne.Widget: the rows of a Fyne menu.
func (l *optionList) CreateRenderer() fyne.WidgetRenderer {
	r := &optionRenderer{l: l, bg: canvas.NewRectangle(nil), mark: canvas.NewRectangle(nil)}
	for _, o := range l.s.Options {
		r.texts = append(r.texts, canvas.NewText(o, nil))
	}
	r.Refresh()
	return r
}

type optionRenderer struct {
	l     *optionList
	bg    *canvas.Rectangle
	mark  *canvas.Rectangle
	texts []*canvas.Text
}

func (r *optionRenderer) Destroy() {}

func (r *optionRenderer) MinSize() fyne.Size {
	th := r.l.s.Theme()
	inner, pad := th.Size(theme.SizeNameInnerPadding), th.Size(theme.SizeNamePadding)
	var w float32
	for _, t := range r.texts {
		w = max(w, t.MinSize().Width)
	}
	return fyne.NewSize(w+2*inner, float32(len(r.texts))*r.l.rowHeight()+2*pad)
}

func (r *optionRenderer) Layout(size fyne.Size) {
	th := r.l.s.Theme()
	inner, pad := th.Size(theme.SizeNameInnerPadding), th.Size(theme.SizeNamePadding)
	h := r.l.rowHeight()
	r.bg.Resize(size)
	for i, t := range r.texts {
		t.Move(fyne.NewPos(inner, pad+float32(i)*h+inner))
		t.Resize(fyne.NewSize(size.Width-2*inner, t.MinSize().Height))
	}
	if r.l.at >= 0 {
		r.mark.Move(fyne.NewPos(pad/2, pad+float32(r.l.at)*h+pad/2))
		r.mark.Resize(fyne.NewSize(size.Width-pad, h-pad))
	}
}

func (r *optionRenderer) Objects() []fyne.CanvasObject {
	objects := []fyne.CanvasObject{r.bg, r.mark}
	for _, t := range r.texts {
		objects = append(objects, t)
	}
	return objects
}

func (r *optionRenderer) Refresh() {
	th := r.l.s.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	r.bg.FillColor = th.Color(theme.ColorNameMenuBackground, v)
	r.bg.CornerRadius = th.Size(theme.SizeNameMenuRadius)
	r.mark.FillColor = th.Color(theme.ColorNameFocus, v)
	r.mark.CornerRadius = th.Size(theme.SizeNameMenuRadius)
	r.mark.Hidden = r.l.at < 0
	for _, t := range r.texts {
		t.Color = th.Color(theme.ColorNameForeground, v)
		t.TextSize = th.Size(theme.SizeNameText)
		t.Alignment = r.l.s.Alignment
	}
	r.Layout(r.l.Size())
	canvas.Refresh(r.l)
}

// nextByLetter is the index of the first option after from (wrapping round;
// from -1 starts at the first) that starts with r, any case; -1 if none.
func nextByLetter(options []string, from int, r rune) int {
	if len(options) == 0 {
		return -1
	}
	n := len(options)
	for k := 1; k <= n; k++ {
		i := (from + k) % n
		if i < 0 {
			i += n
		}
		first, _ := utf8.DecodeRuneInString(options[i])
		if unicode.ToLower(first) == unicode.ToLower(r) {
			return i
		}
	}
	return -1
}

// typeAhead is what was typed on a pick list in quick succession, as a
// system's own lists read it: "mod" chooses "moderate". Each letter alone
// went to the next option starting with it, so "mod" on Severity chose
// "mild" (m), then nothing for o and d, and a moderate penicillin allergy
// was recorded as mild (seen under Xvfb, session 28).
type typeAhead struct {
	typed string
	at    time.Time
}

// typeAheadPause ends what is typed: a letter after it starts anew.
const typeAheadPause = time.Second

// next is the index of the option that starts with what was typed, r
// added; one letter, the same letter again ("mm"), or a letter nothing
// typed before it leads on to, goes to the next option starting with it
// after from; -1 when none does.
func (t *typeAhead) next(options []string, from int, r rune, now time.Time) int {
	if now.Sub(t.at) > typeAheadPause {
		t.typed = ""
	}
	t.at = now
	t.typed += string(unicode.ToLower(r))
	if strings.Trim(t.typed, string(unicode.ToLower(r))) == "" {
		return nextByLetter(options, from, r)
	}
	for i, o := range options {
		if strings.HasPrefix(strings.ToLower(o), t.typed) {
			return i
		}
	}
	// Nothing starts so: the letter starts anew ("m" then "f" on Sex is
	// female, as before).
	t.typed = string(unicode.ToLower(r))
	return nextByLetter(options, from, r)
}
