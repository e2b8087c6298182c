package ui

import (
	"errors"
	"image/color"
	"math"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

func TestNewTheme(t *testing.T) {
	light, dark := theme.VariantLight, theme.VariantDark
	tests := []struct {
		name    string
		forced  *fyne.ThemeVariant
		wantErr error
	}{
		{"", nil, nil},
		{"light", &light, nil},
		{"dark", &dark, nil},
		{"Dark", nil, ErrUnknownTheme},
		{"blue", nil, ErrUnknownTheme},
	}
	for _, tt := range tests {
		th, err := newTheme(tt.name)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("newTheme(%q) error = %v, want %v", tt.name, err, tt.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		for _, system := range []fyne.ThemeVariant{light, dark} {
			want := system
			if tt.forced != nil {
				want = *tt.forced
			}
			got := th.Color(theme.ColorNameBackground, system)
			if got != palettes[want][theme.ColorNameBackground] {
				t.Errorf("newTheme(%q) on a %v system gives the background of the wrong variant", tt.name, system)
			}
		}
	}
}

// TestThemeContrast holds both palettes to WCAG contrast ratios: 7:1 for
// body text, 4.5:1 for other text a person must read.
func TestThemeContrast(t *testing.T) {
	pairs := []struct {
		fg, bg fyne.ThemeColorName
		min    float64
	}{
		{theme.ColorNameForeground, theme.ColorNameBackground, 7},
		{theme.ColorNameForeground, colorNamePage, 7},
		{theme.ColorNameForeground, theme.ColorNameInputBackground, 7},
		{theme.ColorNameForeground, theme.ColorNameButton, 7},
		{theme.ColorNameForegroundOnPrimary, theme.ColorNamePrimary, 4.5},
		{theme.ColorNameError, theme.ColorNameBackground, 4.5},
		{theme.ColorNamePlaceHolder, theme.ColorNameInputBackground, 4.5},
		{theme.ColorNameHyperlink, theme.ColorNameBackground, 4.5},
		// Fyne draws LowImportance labels (the hints under fields, a
		// closed day's hours) in the disabled colour: they must be read.
		{theme.ColorNameDisabled, theme.ColorNameBackground, 4.5},
		{theme.ColorNameDisabled, colorNamePage, 4.5},
	}
	for _, v := range []fyne.ThemeVariant{theme.VariantLight, theme.VariantDark} {
		th := clinicTheme{}
		for _, p := range pairs {
			r := contrast(th.Color(p.fg, v), th.Color(p.bg, v))
			if r < p.min {
				t.Errorf("variant %v: %s on %s has contrast %.2f, want at least %.1f", v, p.fg, p.bg, r, p.min)
			}
		}
	}
}

func TestThemeFallsBackToFyne(t *testing.T) {
	th := clinicTheme{}
	if th.Icon(theme.IconNameHome) == nil || th.Font(fyne.TextStyle{Bold: true}) == nil {
		t.Error("icons or fonts missing")
	}
	if got, want := th.Size(theme.SizeNameScrollBar), theme.DefaultTheme().Size(theme.SizeNameScrollBar); got != want {
		t.Errorf("scroll bar size %v, want Fyne's %v", got, want)
	}
	if th.Color(theme.ColorNameMenuBackground, fyne.ThemeVariant(7)) != palettes[theme.VariantLight][theme.ColorNameMenuBackground] {
		t.Error("an unknown variant does not fall back to the light palette")
	}
}

// contrast is the WCAG 2 contrast ratio of two opaque colours.
func contrast(a, b color.Color) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	lin := func(v uint32) float64 {
		s := float64(v) / 0xffff
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}

// TestFocusShowsOnEveryButton: Fyne draws a button with the keyboard by
// blending the focus colour over its fill. The focus colour was the
// primary colour, translucent, so over a primary button (Register, Start
// visit, Sign, Book) it changed nothing: a receptionist tabbing through
// the Patients screen under Xvfb could not see where she was. Over every
// fill the focus must show, and the text stay readable.
func TestFocusShowsOnEveryButton(t *testing.T) {
	fills := []struct{ bg, fg fyne.ThemeColorName }{
		{theme.ColorNamePrimary, theme.ColorNameForegroundOnPrimary},
		{theme.ColorNameButton, theme.ColorNameForeground},
		{theme.ColorNameError, theme.ColorNameForegroundOnError},
	}
	for _, v := range []fyne.ThemeVariant{theme.VariantLight, theme.VariantDark} {
		th := clinicTheme{}
		for _, f := range fills {
			bg := th.Color(f.bg, v)
			focused := over(bg, th.Color(theme.ColorNameFocus, v))
			if r := contrast(focused, bg); r < 1.25 {
				t.Errorf("variant %v: a focused %s button differs from an unfocused one by %.2f, want at least 1.25", v, f.bg, r)
			}
			if r := contrast(th.Color(f.fg, v), focused); r < 4.5 {
				t.Errorf("variant %v: %s on a focused %s button has contrast %.2f, want at least 4.5", v, f.fg, f.bg, r)
			}
		}
	}
}

// over is top blended over an opaque bottom, as Fyne's buttons blend.
func over(bottom, top color.Color) color.Color {
	br, bg, bb, _ := bottom.RGBA()
	tr, tg, tb, ta := top.RGBA() // premultiplied
	mix := func(b, t uint32) uint8 { return uint8((t + b*(0xffff-ta)/0xffff) >> 8) }
	return color.NRGBA{R: mix(br, tr), G: mix(bg, tg), B: mix(bb, tb), A: 0xff}
}
