package ui

import (
	"errors"
	"fmt"
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// ErrUnknownTheme is returned by Run for an Options.Theme it does not know.
var ErrUnknownTheme = errors.New("ui: unknown theme")

// clinicTheme is Medihaven's look: calm teal on soft neutrals, dark text
// with strong contrast, slightly larger type than Fyne's default. It has a
// light and a dark palette; forced, when set, overrides the system's choice.
type clinicTheme struct {
	forced *fyne.ThemeVariant
}

// newTheme returns the theme for an Options.Theme value: "light", "dark",
// or "" to follow the system.
func newTheme(name string) (fyne.Theme, error) {
	var v fyne.ThemeVariant
	switch name {
	case "":
		return clinicTheme{}, nil
	case "light":
		v = theme.VariantLight
	case "dark":
		v = theme.VariantDark
	default:
		return nil, fmt.Errorf("%w %q: use \"light\", \"dark\" or leave it empty to follow the system", ErrUnknownTheme, name)
	}
	return clinicTheme{forced: &v}, nil
}

func rgb(hex uint32) color.NRGBA {
	return color.NRGBA{R: uint8(hex >> 16), G: uint8(hex >> 8), B: uint8(hex), A: 0xff}
}

func rgba(hex uint32, alpha uint8) color.NRGBA {
	c := rgb(hex)
	c.A = alpha
	return c
}

// palettes maps each variant to its colours; names not listed fall back to
// Fyne's default theme.
var palettes = map[fyne.ThemeVariant]map[fyne.ThemeColorName]color.Color{
	theme.VariantLight: {
		theme.ColorNameBackground:          rgb(0xffffff),
		colorNamePage:                      rgb(0xe9eff1),
		theme.ColorNameForeground:          rgb(0x1d2a30),
		theme.ColorNamePrimary:             rgb(0x0f7c80),
		theme.ColorNameForegroundOnPrimary: rgb(0xffffff),
		theme.ColorNameButton:              rgb(0xe3ebed),
		theme.ColorNameDisabledButton:      rgb(0xe8edef),
		theme.ColorNameDisabled:            rgb(0x5e6e75), // LowImportance hints too: 0x8f9da3 was 2.4:1 on the page
		theme.ColorNameInputBackground:     rgb(0xf7fafb),
		theme.ColorNameInputBorder:         rgb(0xb9c7cc),
		theme.ColorNameHeaderBackground:    rgb(0xe3ecee),
		theme.ColorNameMenuBackground:      rgb(0xffffff),
		theme.ColorNameOverlayBackground:   rgb(0xffffff),
		theme.ColorNamePlaceHolder:         rgb(0x5b6b72),
		theme.ColorNameSeparator:           rgb(0xd3dde0),
		theme.ColorNameHover:               rgba(0x0f7c80, 0x14),
		theme.ColorNamePressed:             rgba(0x0f7c80, 0x30),
		theme.ColorNameFocus:               rgba(0x063f42, 0x59), // darker than Primary: shows on a primary button (TestFocusShowsOnEveryButton)
		theme.ColorNameSelection:           rgba(0x0f7c80, 0x2e),
		theme.ColorNameScrollBar:           rgba(0x1d2a30, 0x66),
		theme.ColorNameShadow:              rgba(0x0b2a30, 0x30),
		theme.ColorNameError:               rgb(0xb3261e),
		theme.ColorNameForegroundOnError:   rgb(0xffffff),
		theme.ColorNameSuccess:             rgb(0x2e7d32),
		theme.ColorNameWarning:             rgb(0xa35a00),
		theme.ColorNameHyperlink:           rgb(0x0b6a6e),
	},
	theme.VariantDark: {
		theme.ColorNameBackground:          rgb(0x172125),
		colorNamePage:                      rgb(0x0e1518),
		theme.ColorNameForeground:          rgb(0xe4ecee),
		theme.ColorNamePrimary:             rgb(0x4cbab5),
		theme.ColorNameForegroundOnPrimary: rgb(0x06201f),
		theme.ColorNameButton:              rgb(0x263740),
		theme.ColorNameDisabledButton:      rgb(0x1d282d),
		theme.ColorNameDisabled:            rgb(0x7d8d94), // LowImportance hints too: 0x66767d was 3.9:1 on the page
		theme.ColorNameInputBackground:     rgb(0x1f2c31),
		theme.ColorNameInputBorder:         rgb(0x3a4b52),
		theme.ColorNameHeaderBackground:    rgb(0x1c292e),
		theme.ColorNameMenuBackground:      rgb(0x1f2c31),
		theme.ColorNameOverlayBackground:   rgb(0x1f2c31),
		theme.ColorNamePlaceHolder:         rgb(0x94a4aa),
		theme.ColorNameSeparator:           rgb(0x2c3b41),
		theme.ColorNameHover:               rgba(0x4cbab5, 0x1a),
		theme.ColorNamePressed:             rgba(0x4cbab5, 0x40),
		theme.ColorNameFocus:               rgba(0x1b6f6b, 0x6b), // likewise
		theme.ColorNameSelection:           rgba(0x4cbab5, 0x38),
		theme.ColorNameScrollBar:           rgba(0xe4ecee, 0x66),
		theme.ColorNameShadow:              rgba(0x000000, 0x66),
		theme.ColorNameError:               rgb(0xf2837b),
		theme.ColorNameForegroundOnError:   rgb(0x2a0705),
		theme.ColorNameSuccess:             rgb(0x7bc67e),
		theme.ColorNameWarning:             rgb(0xf0b35a),
		theme.ColorNameHyperlink:           rgb(0x7fd3cf),
	},
}

// sizes are the sizes that differ from Fyne's default theme.
var sizes = map[fyne.ThemeSizeName]float32{
	theme.SizeNameText:            15,
	theme.SizeNameCaptionText:     12,
	theme.SizeNameSubHeadingText:  18,
	theme.SizeNameHeadingText:     24,
	theme.SizeNameInnerPadding:    9,
	theme.SizeNameInputRadius:     6,
	theme.SizeNameButtonRadius:    6,
	theme.SizeNameSelectionRadius: 4,
	theme.SizeNameCardRadius:      10,
}

// Color returns the named colour of the forced variant, or of v when the
// theme follows the system.
func (t clinicTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	if t.forced != nil {
		v = *t.forced
	}
	if v != theme.VariantDark {
		v = theme.VariantLight
	}
	if c, ok := palettes[v][n]; ok {
		return c
	}
	return theme.DefaultTheme().Color(n, v)
}

// Font returns Fyne's default fonts.
func (clinicTheme) Font(s fyne.TextStyle) fyne.Resource { return theme.DefaultTheme().Font(s) }

// Icon returns Fyne's default icons.
func (clinicTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return theme.DefaultTheme().Icon(n) }

// Size returns Medihaven's sizes, falling back to Fyne's.
func (clinicTheme) Size(n fyne.ThemeSizeName) float32 {
	if s, ok := sizes[n]; ok {
		return s
	}
	return theme.DefaultTheme().Size(n)
}
