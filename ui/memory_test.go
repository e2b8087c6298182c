package ui

import (
	"image"
	"image/color"
	"image/draw"
	"sync/atomic"
	"testing"
	"time"

	"github.com/medihaven/medihaven/internal/marks"
	"github.com/medihaven/medihaven/ui/kit/kittest"
)

// TestAppIconIsSmallAndTheSame: the icon the window draws is 176 pixels
// and still the icon: a transparent corner, the white cross in the middle,
// teal between them, and edges neither dark nor see-through.
func TestAppIconIsSmallAndTheSame(t *testing.T) {
	img := appIconImage()
	if b := img.Bounds(); b.Dx() != appIconSide || b.Dy() != appIconSide {
		t.Fatalf("icon is %v", b)
	}
	if appIconImage() != img {
		t.Error("each icon decodes its own copy")
	}
	at := func(x, y int) color.NRGBA { return color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA) }
	if c := at(0, 0); c.A != 0 {
		t.Errorf("corner %v, want transparent", c)
	}
	if c := at(appIconSide/2, appIconSide/2); c.R < 0xf0 || c.G < 0xf0 || c.B < 0xf0 || c.A != 0xff {
		t.Errorf("centre %v, want the white cross", c)
	}
	if c := at(appIconSide/2, appIconSide/10); c.G < c.R+0x30 || c.A != 0xff {
		t.Errorf("%v between edge and cross, want teal", c)
	}
	// The rounded edge: half-covered pixels keep the teal, not black.
	for x := 0; x < appIconSide/4; x++ {
		if c := at(x, x); c.A > 0x20 && c.A < 0xe0 && c.G < 0x50 {
			t.Errorf("edge pixel (%d,%d) %v is dark", x, x, c)
		}
	}
}

func TestHomeShown(t *testing.T) {
	for _, c := range []struct {
		name         string
		screens      []string // marks.Shown in this order
		stop         bool     // the shell closes before
		shown, freed int32
	}{
		{"home shows its data", []string{"Calendar", "Today", "Today"}, false, 1, 1},
		{"another screen does not count", []string{"Calendar"}, false, 0, 1},
		{"closed before", nil, true, 0, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			var shown, freed atomic.Int32
			done := make(chan struct{}, 2)
			stop := homeShown("Today", 50*time.Millisecond, func() { shown.Add(1) }, func() { freed.Add(1); done <- struct{}{} })
			defer stop()
			if c.stop {
				stop()
			}
			for _, s := range c.screens {
				marks.Shown(s)
			}
			// A release that must come is waited for as long as a loaded
			// machine may take; one that must not, a second.
			wait := time.Second
			if c.freed > 0 {
				wait = kittest.WaitBound
			}
			select {
			case <-done:
			case <-time.After(wait):
			}
			time.Sleep(100 * time.Millisecond) // a second release would come now
			if shown.Load() != c.shown || freed.Load() != c.freed {
				t.Errorf("shown %d, released %d; want %d, %d", shown.Load(), freed.Load(), c.shown, c.freed)
			}
		})
	}
}

// TestShrink: each output pixel averages the pixels it covers, weighted by
// their alpha; a premultiplied source gives the same.
func TestShrink(t *testing.T) {
	src := image.NewNRGBA(image.Rect(0, 0, 4, 4))
	for y := 0; y < 4; y++ {
		for x := 0; x < 4; x++ {
			switch {
			case x < 2 && y < 2: // top left: opaque teal
				src.SetNRGBA(x, y, color.NRGBA{0x0f, 0x7c, 0x80, 0xff})
			case x >= 2 && y < 2: // top right: half teal, half transparent black
				if x == 2 {
					src.SetNRGBA(x, y, color.NRGBA{0x0f, 0x7c, 0x80, 0xff})
				}
			case x < 2: // bottom left: white at half alpha
				src.SetNRGBA(x, y, color.NRGBA{0xff, 0xff, 0xff, 0x80})
			}
		}
	}
	want := map[image.Point]color.NRGBA{
		{0, 0}: {0x0f, 0x7c, 0x80, 0xff},
		{1, 0}: {0x0f, 0x7c, 0x80, 0x7f},
		{0, 1}: {0xff, 0xff, 0xff, 0x80},
		{1, 1}: {},
	}
	premultiplied := image.NewRGBA(src.Bounds())
	draw.Draw(premultiplied, src.Bounds(), src, image.Point{}, draw.Src)
	for name, in := range map[string]image.Image{"NRGBA": src, "RGBA": premultiplied} {
		got := shrink(in, 2)
		for p, w := range want {
			if c := got.NRGBAAt(p.X, p.Y); c != w {
				t.Errorf("%s: pixel %v = %v, want %v", name, p, c, w)
			}
		}
	}
}
