package kit

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
)

// NewCount is a count in a small pill (an unread count: the chat's
// conversations, "Chat" in the shell's navigation), hidden while it is 0.
// SetCount changes it.
func NewCount() *fyne.Container {
	bg := canvas.NewRectangle(theme.Color(theme.ColorNamePrimary))
	bg.CornerRadius = 9
	n := canvas.NewText("", theme.Color(theme.ColorNameForegroundOnPrimary))
	n.TextStyle.Bold = true
	n.TextSize = theme.CaptionTextSize()
	n.Alignment = fyne.TextAlignCenter
	b := container.NewCenter(container.NewStack(bg, container.New(layout.NewCustomPaddedLayout(1, 1, 7, 7), n)))
	b.Hide()
	return b
}

// SetCount shows n in a pill made by NewCount ("99+" above 99), or hides
// it for 0.
func SetCount(b *fyne.Container, n int) {
	if n <= 0 {
		b.Hide()
		return
	}
	stack := b.Objects[0].(*fyne.Container)
	bg := stack.Objects[0].(*canvas.Rectangle)
	text := stack.Objects[1].(*fyne.Container).Objects[0].(*canvas.Text)
	text.Text = fmt.Sprint(n)
	if n > 99 {
		text.Text = "99+"
	}
	// Colours are read again: the theme may have changed (light, dark).
	bg.FillColor = theme.Color(theme.ColorNamePrimary)
	text.Color = theme.Color(theme.ColorNameForegroundOnPrimary)
	b.Show()
	b.Refresh()
}
