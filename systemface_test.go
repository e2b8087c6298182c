package main

import (
	"image"
	"image/color"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"golang.org/x/image/font/sfnt"
)

// The system font the lookup must still find: Debian's DejaVu Sans
// (fonts-dejavu-core, in the Makefile's APT_PACKAGES).
const systemSans = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

// TestSystemFaceRendersRunesFyneLacks: Make builds against Fyne patched to
// look up the system's face only when a rune needs it
// (docs/patches/fyne-2.8.1-lazy-system-face.diff; issue 17), instead of
// parsing it up front for every text style. A rune that none of Fyne's
// bundled fonts has and DejaVu Sans has (Armenian Ա, the n-ary sum ∑, the
// staff of Aesculapius ⚕) must still be drawn with a real glyph, not the
// missing-glyph mark Fyne draws when no face has it. Under make
// (GOWORK=.build/go.work) the test binary must also carry the patched Fyne.
func TestSystemFaceRendersRunesFyneLacks(t *testing.T) {
	if work := os.Getenv("GOWORK"); strings.HasSuffix(work, filepath.Join(".build", "go.work")) {
		if got := fyneReplacement(t); !strings.Contains(got, "lazyface") {
			t.Fatalf("GOWORK=%s but this binary's fyne.io/fyne/v2 is %q, not the patched copy", work, got)
		}
	}
	sys, err := os.ReadFile(systemSans)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no system font to fall back to: %v (make deps installs fonts-dejavu-core)", err)
		}
		t.Skipf("no system font to fall back to: %v", err)
	}
	test.NewTempApp(t)
	bundled := map[string][]byte{
		"text":        theme.DefaultTextFont().Content(),
		"bold":        theme.DefaultTextBoldFont().Content(),
		"symbol":      theme.DefaultSymbolFont().Content(),
		"theme's own": test.Theme().Font(fyne.TextStyle{}).Content(),
	}
	if emoji := theme.DefaultEmojiFont(); emoji != nil {
		bundled["emoji"] = emoji.Content()
	}
	missing := render(t, '\u0378') // unassigned: no font has it, Fyne draws its missing-glyph mark
	for _, r := range []rune{'Ա', '∑', '⚕'} {
		for name, data := range bundled {
			if hasRune(t, data, r) {
				t.Fatalf("Fyne's bundled %s font has %q: choose a rune only the system's font has", name, r)
			}
		}
		if !hasRune(t, sys, r) {
			t.Fatalf("%s lacks %q", systemSans, r)
		}
		img := render(t, r)
		ink, differ := 0, 0
		b := img.Bounds()
		bg := img.At(b.Min.X, b.Min.Y)
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				if far(img.At(x, y), bg) {
					ink++
				}
				if far(img.At(x, y), missing.At(x, y)) {
					differ++
				}
			}
		}
		t.Logf("%q: %d pixels of ink, %d differ from the missing-glyph mark", r, ink, differ)
		if ink < 20 || differ < 20 {
			t.Errorf("%q: %d pixels of ink, %d differ from the missing-glyph mark: not drawn from the system's font", r, ink, differ)
		}
	}
}

func render(t *testing.T, r rune) image.Image {
	t.Helper()
	text := canvas.NewText(string(r), color.White)
	text.TextSize = 48
	w := test.NewTempWindow(t, text)
	w.SetPadded(false)
	w.Resize(fyne.NewSize(80, 80))
	return w.Canvas().Capture()
}

// far: two colours a glyph's edge apart, not a rounding.
func far(a, b color.Color) bool {
	ar, ag, ab, _ := a.RGBA()
	br, bg, bb, _ := b.RGBA()
	d := func(x, y uint32) int {
		if x > y {
			return int(x - y)
		}
		return int(y - x)
	}
	return d(ar, br)+d(ag, bg)+d(ab, bb) > 3*0x4000
}

func hasRune(t *testing.T, data []byte, r rune) bool {
	t.Helper()
	f, err := sfnt.Parse(data)
	if err != nil {
		t.Fatalf("parse font: %v", err)
	}
	var buf sfnt.Buffer
	i, err := f.GlyphIndex(&buf, r)
	if err != nil {
		t.Fatalf("glyph index of %q: %v", r, err)
	}
	return i != 0
}

// fyneReplacement is where this binary's Fyne came from ("" for upstream).
func fyneReplacement(t *testing.T) string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		t.Fatal("no build info")
	}
	for _, m := range info.Deps {
		if m.Path == "fyne.io/fyne/v2" {
			if m.Replace != nil {
				return m.Replace.Path
			}
			return ""
		}
	}
	t.Fatal("fyne.io/fyne/v2 not in the build info")
	return ""
}
