package ui

import (
	"github.com/medihaven/medihaven/ui/kit"
	"math"
	"strings"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// minPassphrase is the shortest passphrase the app accepts (app.MinPassphrase).
const minPassphrase = 8

// strength is a rough estimate of how hard a passphrase is to guess, in
// bits: three or more words count per word (as a guesser's word list of
// ~2,000 words would), a run of four or more letters counts as one word,
// other characters by the kinds of characters used, and repeats or steps
// (aaaa, 1234) once. It guides the person; it proves nothing.
func strength(p string) float64 {
	if words := strings.Fields(p); len(words) >= 3 {
		return float64(len(words)) * wordBits
	}
	pool := 0
	for _, c := range []struct {
		in   func(rune) bool
		size int
	}{{unicode.IsLower, 26}, {unicode.IsUpper, 26}, {unicode.IsDigit, 10}, {isOther, 32}} {
		if strings.IndexFunc(p, c.in) >= 0 {
			pool += c.size
		}
	}
	perChar := math.Log2(float64(max(pool, 2)))
	bits, letters := 0.0, 0
	var prev rune
	flush := func() {
		if letters >= 4 {
			bits += wordBits
		} else {
			bits += float64(letters) * perChar
		}
		letters = 0
	}
	for i, r := range p {
		if unicode.IsLetter(r) {
			letters++
			prev = r
			continue
		}
		flush()
		if i == 0 || (r != prev && r != prev+1) {
			bits += perChar
		}
		prev = r
	}
	flush()
	return bits
}

// wordBits is what one word of a passphrase adds.
const wordBits = 11

func isOther(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }

// strengthWords says what strength means, for the line under the field.
func strengthWords(p string) (string, widget.Importance) {
	if p == "" {
		return "", widget.LowImportance
	}
	if len(p) < minPassphrase {
		return "Too short: use at least 8 characters, or better a few words", widget.DangerImportance
	}
	switch bits := strength(p); {
	case bits < 28:
		return "Weak: easy to guess; add words or characters", widget.DangerImportance
	case bits < 44:
		return "Fair: a few more words would make it strong", widget.WarningImportance
	case bits < 60:
		return "Strong", widget.SuccessImportance
	default:
		return "Very strong", widget.SuccessImportance
	}
}

// newStrengthLine returns a label that follows entry's text with its
// strength estimate.
func newStrengthLine(entry *kit.Entry) *widget.Label {
	l := widget.NewLabel("")
	l.Wrapping = fyne.TextWrapWord
	prev := entry.OnChanged
	entry.OnChanged = func(s string) {
		text, imp := strengthWords(s)
		l.Importance = imp
		l.SetText(text)
		if prev != nil {
			prev(s)
		}
	}
	return l
}
