package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/assets"
)

// iconResource is the application icon as a Fyne resource.
var iconResource = fyne.NewStaticResource("icon.png", assets.IconPNG)

// lockIcon is a padlock (Material Design "lock", Apache 2.0), drawn in the
// theme's foreground colour. Fyne's icon set has none.
var lockIcon = theme.NewThemedResource(fyne.NewStaticResource("lock.svg", []byte(
	`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path fill="#000000" d="M18 8h-1V6c0-2.76-2.24-5-5-5S7 3.24 7 6v2H6c-1.1 0-2 .9-2 2v10c0 1.1.9 2 2 2h12c1.1 0 2-.9 2-2V10c0-1.1-.9-2-2-2zm-6 9c-1.1 0-2-.9-2-2s.9-2 2-2 2 .9 2 2-.9 2-2 2zm3.1-9H8.9V6c0-1.71 1.39-3.1 3.1-3.1 1.71 0 3.1 1.39 3.1 3.1v2z"/></svg>`)))

// colorNamePage is the tone of the page behind cards, a shade away from
// the cards' background so they stand out without heavy borders.
const colorNamePage fyne.ThemeColorName = "medihaven.page"

// backdrop fills the space behind its content with a theme colour, and
// follows the theme when it changes.
type backdrop struct {
	widget.BaseWidget
	color   fyne.ThemeColorName
	content fyne.CanvasObject
}

func newBackdrop(color fyne.ThemeColorName, content fyne.CanvasObject) *backdrop {
	b := &backdrop{color: color, content: content}
	b.ExtendBaseWidget(b)
	return b
}

// CreateRenderer is part of fyne.Widget.
func (b *backdrop) CreateRenderer() fyne.WidgetRenderer {
	r := &backdropRenderer{b: b, rect: canvas.NewRectangle(nil)}
	r.Refresh()
	return r
}

type backdropRenderer struct {
	b    *backdrop
	rect *canvas.Rectangle
}

func (r *backdropRenderer) Layout(s fyne.Size) {
	r.rect.Resize(s)
	r.b.content.Resize(s)
}

func (r *backdropRenderer) MinSize() fyne.Size { return r.b.content.MinSize() }

func (r *backdropRenderer) Refresh() {
	name := r.b.color
	if _, ours := r.b.Theme().(clinicTheme); !ours {
		name = theme.ColorNameBackground // other themes lack our colour names
	}
	r.rect.FillColor = theme.ColorForWidget(name, r.b)
	r.rect.Refresh()
	r.b.content.Refresh()
}

func (r *backdropRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.rect, r.b.content}
}

func (r *backdropRenderer) Destroy() {}

// columnLayout gives its objects a fixed width (or their minimum width, if
// larger) and their minimum height: a readable column inside a centre.
type columnLayout float32

func (w columnLayout) MinSize(objects []fyne.CanvasObject) fyne.Size {
	min := fyne.NewSize(float32(w), 0)
	for _, o := range objects {
		if o.Visible() {
			min = min.Max(o.MinSize())
		}
	}
	return min
}

func (w columnLayout) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objects {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

// centredColumn puts objects in a column of the given width in the middle of
// a page-toned backdrop.
func centredColumn(width float32, objects ...fyne.CanvasObject) fyne.CanvasObject {
	column := container.New(columnLayout(width), container.NewVBox(objects...))
	return newBackdrop(colorNamePage, container.NewCenter(column))
}

// newMessage returns a label for inline messages in the given importance
// (DangerImportance for errors). It stays hidden while it has no text.
func newMessage(importance widget.Importance) *widget.Label {
	l := widget.NewLabel("")
	l.Importance = importance
	l.Wrapping = fyne.TextWrapWord
	l.Hide()
	return l
}

// say shows text in a message label, or hides the label when text is empty.
func say(l *widget.Label, text string) {
	l.SetText(text)
	if text == "" {
		l.Hide()
	} else {
		l.Show()
	}
}

// newAppIcon returns the application icon at the given size (memory.go:
// one small copy shared by every icon shown).
func newAppIcon(size float32) *canvas.Image {
	img := canvas.NewImageFromImage(appIconImage())
	img.FillMode = canvas.ImageFillContain
	img.SetMinSize(fyne.NewSquareSize(size))
	return img
}

// newHeading returns centred heading text.
func newHeading(text string) *widget.Label {
	l := widget.NewLabelWithStyle(text, fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	l.SizeName = theme.SizeNameHeadingText
	return l
}

// busy switches a form between waiting and ready: while waiting its inputs
// are disabled and the activity indicator turns.
type busy struct {
	inputs   []fyne.Disableable
	activity *widget.Activity
}

func (b busy) set(waiting bool) {
	for _, in := range b.inputs {
		if waiting {
			in.Disable()
		} else {
			in.Enable()
		}
	}
	if waiting {
		b.activity.Show()
		b.activity.Start()
	} else {
		b.activity.Stop()
		b.activity.Hide()
	}
}

// newBusy returns a busy state over inputs with a hidden activity indicator.
func newBusy(inputs ...fyne.Disableable) busy {
	a := widget.NewActivity()
	a.Hide()
	return busy{inputs: inputs, activity: a}
}

// spacer is a fixed-height gap.
func spacer(height float32) fyne.CanvasObject {
	r := canvas.NewRectangle(nil)
	r.SetMinSize(fyne.NewSize(0, height))
	return r
}
