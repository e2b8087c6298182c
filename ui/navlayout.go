package ui

import (
	"fyne.io/fyne/v2"
)

// Below compactBelow px of window width the navigation shows its icons
// only (compactNavWidth wide), so the page keeps room at 1024×768.
const (
	compactBelow    = 1200
	compactNavWidth = 76
)

// shellBody lays out the navigation column and the page side by side; the
// column narrows to its icons in a small window. Its objects are the
// navigation column and the page.
type shellBody struct {
	sh *shellScreen
}

func (l shellBody) navWidth(width float32) float32 {
	if width < compactBelow {
		return compactNavWidth
	}
	return navWidth
}

// MinSize is part of fyne.Layout.
func (l shellBody) MinSize(objects []fyne.CanvasObject) fyne.Size {
	nav, page := objects[0].MinSize(), objects[1].MinSize()
	return fyne.NewSize(compactNavWidth+page.Width, max(nav.Height, page.Height))
}

// Layout is part of fyne.Layout.
func (l shellBody) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	w := l.navWidth(size.Width)
	objects[0].Resize(fyne.NewSize(w, size.Height))
	objects[0].Move(fyne.NewPos(0, 0))
	objects[1].Resize(fyne.NewSize(size.Width-w, size.Height))
	objects[1].Move(fyne.NewPos(w, 0))
	if compact := w == compactNavWidth; compact != l.sh.compact {
		l.sh.compact = compact
		l.sh.nav.Refresh() // the rows show or hide their titles
	}
}
