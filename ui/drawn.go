package ui

import (
	"image"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"

	"github.com/medihaven/medihaven/internal/marks"
)

// drawnProbe tells when a screen is on the glass, for the window
// benchmark (internal/marks, MEDIHAVEN_TRACE): a transparent pixel the
// painter asks to be generated when it draws a frame. Armed with a mark's
// name and refreshed, it writes the mark at the next frame drawn. It
// exists only while marks are on.
type drawnProbe struct {
	raster *canvas.Raster
	mu     sync.Mutex
	armed  []string
}

var clearPixel = image.NewNRGBA(image.Rect(0, 0, 1, 1))

func newDrawnProbe() *drawnProbe {
	if !marks.Enabled() {
		return nil
	}
	p := &drawnProbe{}
	p.raster = canvas.NewRaster(func(int, int) image.Image {
		p.mu.Lock()
		names := p.armed
		p.armed = nil
		p.mu.Unlock()
		for _, n := range names {
			marks.Mark(n)
		}
		return clearPixel
	})
	p.raster.Resize(fyne.NewSize(1, 1))
	return p
}

// wrap puts the probe over content (top left, one pixel).
func (p *drawnProbe) wrap(content fyne.CanvasObject) fyne.CanvasObject {
	if p == nil {
		return content
	}
	return container.NewStack(content, container.NewWithoutLayout(p.raster))
}

// arm writes the mark name when the next frame is drawn.
func (p *drawnProbe) arm(name string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.armed = append(p.armed, name)
	p.mu.Unlock()
	p.raster.Refresh()
}
