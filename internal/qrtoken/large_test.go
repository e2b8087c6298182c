package qrtoken

import (
	"image"
	"image/color"
	"image/draw"
	"os"
	"strings"
	"testing"
	"time"

	xdraw "golang.org/x/image/draw"
)

// largePhoto is a phone's full-resolution photo of the token screen: w x h
// pixels of grey ground, the code drawn across a quarter of its width.
func largePhoto(t testing.TB, text string, w, h int) *image.RGBA {
	t.Helper()
	drawn, err := PNG(text)
	if err != nil {
		t.Fatal(err)
	}
	code := decodePNG(t, drawn)
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(out, out.Bounds(), image.NewUniform(color.RGBA{0xd0, 0xd0, 0xd0, 0xff}), image.Point{}, draw.Src)
	side := w / 4
	at := image.Rect(w/3, h/3, w/3+side, h/3+side)
	xdraw.CatmullRom.Scale(out, at, code, code.Bounds(), draw.Over, nil)
	return out
}

// TestReadLargePhotos: a 12- and a 48-megapixel photo of the token screen
// read back, as a JPEG and as a PNG; the picture is read at a few
// megapixels (shrink), not at its full size.
func TestReadLargePhotos(t *testing.T) {
	if testing.Short() {
		t.Skip("large pictures")
	}
	text := texts(t)["whole token"]
	for _, c := range []struct {
		name string
		w, h int
		jpeg bool
	}{
		{"12 MP JPEG", 4032, 3024, true},
		{"48 MP JPEG", 8000, 6000, true},
		{"48 MP PNG, square", 6928, 6928, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			img := largePhoto(t, text, c.w, c.h)
			var data []byte
			if c.jpeg {
				data = encodeJPEG(t, img, 85)
			} else {
				data = encodePNG(t, img)
			}
			start := time.Now()
			got, err := Read(data)
			if err != nil || got != text {
				t.Fatalf("Read = %.20q, %v", got, err)
			}
			t.Logf("%d bytes read in %v", len(data), time.Since(start).Round(time.Millisecond))
		})
	}
}

// TestReadUnluckyCodes: two whole tokens (test secrets) whose code in a
// 48-megapixel JPEG no reading at 1/4 found (one in 30 random tokens did
// not: CI failed on one, session 27); the smaller scales read them.
func TestReadUnluckyCodes(t *testing.T) {
	if testing.Short() {
		t.Skip("large pictures")
	}
	raw, err := os.ReadFile("testdata/unlucky-tokens.txt")
	if err != nil {
		t.Fatal(err)
	}
	for i, text := range strings.Fields(string(raw)) {
		data := encodeJPEG(t, largePhoto(t, text, 8000, 6000), 85)
		if got, err := Text(data); err != nil || got != text {
			t.Errorf("token %d: Text = %.20q, %v", i, got, err)
		}
	}
}

// BenchmarkReadLargePhoto: the cost of a 48-megapixel picture (session
// 26 measured 5.3 s and ~230 MB for a 6928² PNG).
func BenchmarkReadLargePhoto(b *testing.B) {
	text := texts(b)["whole token"]
	data := encodeJPEG(b, largePhoto(b, text, 8000, 6000), 85)
	b.ReportAllocs()
	for b.Loop() {
		if got, err := Read(data); err != nil || got != text {
			b.Fatalf("Read = %.20q, %v", got, err)
		}
	}
}
