package kit

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
)

// Tight draws o with little room around its labels and between its rows:
// a list row of two lines of text (a search result) takes the height of
// its text, where Fyne's labels each add a field's padding (at 1280x800
// the desk's search showed 6 of 15 Fischers). Colours and text sizes stay
// the app's, in either variant.
func Tight(o fyne.CanvasObject) fyne.CanvasObject {
	return container.NewThemeOverride(o, tightTheme{})
}

// tightTheme is the app's theme, asked each time (the variant may
// change), with small paddings.
type tightTheme struct{}

func (tightTheme) app() fyne.Theme { return fyne.CurrentApp().Settings().Theme() }

func (t tightTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	return t.app().Color(n, v)
}

func (t tightTheme) Font(s fyne.TextStyle) fyne.Resource { return t.app().Font(s) }

func (t tightTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return t.app().Icon(n) }

func (t tightTheme) Size(n fyne.ThemeSizeName) float32 {
	switch n {
	case theme.SizeNameInnerPadding:
		return 2
	case theme.SizeNamePadding, theme.SizeNameLineSpacing:
		return 1
	}
	return t.app().Size(n)
}
