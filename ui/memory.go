package ui

import (
	"bytes"
	"image"
	"image/draw"
	"image/png"
	"runtime/debug"
	"sync"
	"time"

	"github.com/medihaven/medihaven/assets"
	"github.com/medihaven/medihaven/internal/marks"
)

// settleDelay is how long after a home screen shows its data the shell
// gives back the memory that building it left behind: long enough for
// its frame to be drawn and for the screen's own loading to end.
const settleDelay = time.Second

// homeShown waits for the shell's first section, titled home, to show
// its data (marks.Shown): then it calls shown there, on the UI goroutine,
// and release on a goroutine of its own. A screen that never says so gets
// release alone after fallback. It returns a stop for a shell closed
// before either.
func homeShown(home string, fallback time.Duration, shown, release func()) (stop func()) {
	var once sync.Once
	fire := func() { once.Do(func() { go release() }) }
	timer := time.AfterFunc(fallback, fire)
	marks.OnShown(func(screen string) {
		if screen == home {
			marks.OnShown(nil)
			timer.Stop()
			shown()
			fire()
		}
	})
	return func() {
		once.Do(func() {})
		timer.Stop()
		marks.OnShown(nil)
	}
}

// releaseSettled gives the heap Go no longer uses back to the system once
// a home screen is built. Go keeps freed heap mapped for minutes (and lets
// the heap double before it collects); after a login that is about 10 MB
// of the window's resident memory for nothing. It costs one collection
// (a few milliseconds, off the UI goroutine), after the screen is drawn.
func releaseSettled() {
	time.Sleep(settleDelay)
	debug.FreeOSMemory()
	marks.Mark("settled") // the window benchmark reads Go's memory here
}

// appIconSide is the side in pixels of the icon the window draws: twice
// the largest it is shown (88, on the login screen), so that it stays
// sharp on a display scaled up to 2x.
const appIconSide = 176

// appIconImage is the application icon scaled down once to appIconSide
// and shared by every icon the window draws. Drawn from the 512-pixel
// PNG, each image on screen decoded its own 1 MB copy.
var appIconImage = sync.OnceValue(func() image.Image {
	src, err := png.Decode(bytes.NewReader(assets.IconPNG))
	if err != nil {
		return image.NewNRGBA(image.Rect(0, 0, 1, 1)) // the embedded PNG is tested; never here
	}
	return shrink(src, appIconSide)
})

// shrink scales src down to side x side by averaging the source pixels
// each output pixel covers (src is square and at least side wide). The
// colours are averaged weighted by their alpha, so that the transparent
// corners do not darken the rounded edge.
func shrink(src image.Image, side int) *image.NRGBA {
	nrgba, ok := src.(*image.NRGBA) // what png.Decode gives for the icon
	if !ok {
		b := src.Bounds()
		nrgba = image.NewNRGBA(b)
		draw.Draw(nrgba, b, src, b.Min, draw.Src)
	}
	b := nrgba.Bounds()
	out := image.NewNRGBA(image.Rect(0, 0, side, side))
	for y := 0; y < side; y++ {
		y0, y1 := b.Min.Y+y*b.Dy()/side, b.Min.Y+(y+1)*b.Dy()/side
		for x := 0; x < side; x++ {
			x0, x1 := b.Min.X+x*b.Dx()/side, b.Min.X+(x+1)*b.Dx()/side
			var r, g, bl, a, n uint32
			for sy := y0; sy < y1; sy++ {
				row := nrgba.Pix[nrgba.PixOffset(x0, sy):nrgba.PixOffset(x1, sy)]
				for i := 0; i+3 < len(row); i += 4 {
					pa := uint32(row[i+3])
					r, g, bl, a = r+uint32(row[i])*pa, g+uint32(row[i+1])*pa, bl+uint32(row[i+2])*pa, a+pa
				}
				n += uint32(x1 - x0)
			}
			if n == 0 || a == 0 {
				continue
			}
			i := out.PixOffset(x, y)
			out.Pix[i+0], out.Pix[i+1], out.Pix[i+2] = uint8(r/a), uint8(g/a), uint8(bl/a)
			out.Pix[i+3] = uint8(a / n)
		}
	}
	return out
}
