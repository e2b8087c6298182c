package roles

// names.go holds the rule for a person's name in the clinic's directory.
// Screens show a member by that name (the chat marks her signed messages
// "✔ Verified" beside it), so a name must read as what it is: a name that
// holds a character nobody sees (a zero-width space, a soft hyphen), or
// one that reorders the text shown around it (bidi embeddings, overrides
// and isolates), could look exactly like a colleague's. The rule is judged
// for each name alone, from its characters only, so every workstation
// gives the same verdict whatever else it knows; which names are taken
// already is the admitting workstation's question (FoldName).

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// ErrNameHidden means a name holds a character that is not shown, or that
// changes how the text around it is shown.
var ErrNameHidden = errors.New("roles: the name holds a character that is not shown, or that changes how the text around it is shown")

// ErrNameEncoding means a name is not valid UTF-8 text.
var ErrNameEncoding = errors.New("roles: the name is not valid text")

// CheckPersonName returns why name may not name a person in the directory
// (nil when it may): it is not valid UTF-8, or holds a hidden rune (see
// Hidden). The first such rune is named, so every workstation gives the
// same reason.
//
// Every workstation applying a directory entry judges its name by this
// rule, so it names categories that Unicode versions barely change
// (control, surrogate, private use, line and paragraph separators: never;
// format and default-ignorable: rarely), not "unassigned": a character a
// newer Unicode assigns would otherwise be refused by a workstation built
// with an older one and taken by the rest.
func CheckPersonName(name string) error {
	if !utf8.ValidString(name) {
		return fmt.Errorf("%w: it is not valid UTF-8: type it again by hand", ErrNameEncoding)
	}
	for i, r := range name {
		if Hidden(r) {
			return fmt.Errorf("%w: %U after %q: type the name again by hand (text pasted from a document or a web page can carry such characters)",
				ErrNameHidden, r, name[:i])
		}
	}
	return nil
}

// Hidden reports whether r may not stand in a person's name: a control
// (Cc) or format (Cf: zero-width spaces and joiners, the bidi marks,
// embeddings, overrides and isolates U+200B–U+200F, U+202A–U+202E,
// U+2066–U+2069, the byte order mark U+FEFF, the soft hyphen, tags…)
// character, a surrogate or private-use code point, a line or paragraph
// separator, a variation selector or another default-ignorable code point
// (the Hangul fillers, the combining grapheme joiner), the blank braille
// pattern, or U+FFFD (what a broken encoding leaves).
//
// Zero-width joiners (U+200C, U+200D) are refused with the rest, though
// some Persian and Indic spellings use them: a person then writes the
// name without them.
func Hidden(r rune) bool {
	switch r {
	case utf8.RuneError, '\u2800':
		return true
	}
	return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Cs, unicode.Co, unicode.Zl, unicode.Zp,
		unicode.Variation_Selector, unicode.Other_Default_Ignorable_Code_Point)
}

// FoldName is the form in which two names that read alike are equal:
// compatibility characters decomposed (NFKC: a full-width or ligature
// letter reads as the plain one), Cyrillic and Greek letters drawn like
// Latin ones read as those (lookalike), case folded, and every run of
// white space one space, none at either end. Two members whose names fold
// alike cannot be told apart on a screen.
func FoldName(name string) string {
	s := strings.Map(func(r rune) rune {
		if l, ok := lookalike[r]; ok {
			return l
		}
		return r
	}, norm.NFKC.String(name))
	s = norm.NFKC.String(cases.Fold().String(s))
	return strings.Join(strings.Fields(s), " ")
}

// lookalike maps the Cyrillic and Greek letters that most fonts draw like
// a Latin letter (the commonest of Unicode's confusables, UTS #39) to that
// letter, in both cases: "Dr Раul" (a Cyrillic "Р") reads as "Dr Paul".
var lookalike = map[rune]rune{
	// Cyrillic capitals and small letters.
	'А': 'A', 'В': 'B', 'Е': 'E', 'К': 'K', 'М': 'M', 'Н': 'H', 'О': 'O', 'Р': 'P', 'С': 'C', 'Т': 'T',
	'У': 'Y', 'Х': 'X', 'Ѕ': 'S', 'І': 'I', 'Ј': 'J', 'Ԁ': 'D', 'Ԛ': 'Q', 'Ԝ': 'W', 'Ү': 'Y', 'Ӏ': 'I',
	'а': 'a', 'в': 'b', 'е': 'e', 'к': 'k', 'м': 'm', 'н': 'h', 'о': 'o', 'р': 'p', 'с': 'c', 'т': 't',
	'у': 'y', 'х': 'x', 'ѕ': 's', 'і': 'i', 'ј': 'j', 'ԁ': 'd', 'ԛ': 'q', 'ԝ': 'w', 'ү': 'y', 'ӏ': 'l',
	'һ': 'h', 'ɡ': 'g', 'ı': 'i',
	// Greek capitals and small letters.
	'Α': 'A', 'Β': 'B', 'Ε': 'E', 'Ζ': 'Z', 'Η': 'H', 'Ι': 'I', 'Κ': 'K', 'Μ': 'M', 'Ν': 'N', 'Ο': 'O',
	'Ρ': 'P', 'Τ': 'T', 'Υ': 'Y', 'Χ': 'X', 'ο': 'o', 'ν': 'v', 'ρ': 'p', 'ι': 'i', 'κ': 'k', 'υ': 'u',
	'α': 'a', 'τ': 't', 'ϳ': 'j', 'Ϳ': 'J', 'ω': 'w', 'γ': 'y', 'η': 'n',
	// Cyrillic letters drawn like Latin in italics and many sans fonts
	// (session 12 review, L5).
	'п': 'n', 'г': 'r', 'ԍ': 'g', 'ѡ': 'w', 'Ԍ': 'G',
}

// ErrNameScripts means a word of a name mixes letters of Latin, Greek and
// Cyrillic.
var ErrNameScripts = errors.New("roles: a word of the name mixes letters of different alphabets")

// CheckNameScripts returns why name may not name a newcomer for the way
// its letters are written (nil when it may): a word that mixes Latin,
// Greek and Cyrillic letters, which no one's name does and which passes a
// name off as another's ("Dr Аmara", its "А" Cyrillic). Words in
// different alphabets may stand side by side. It is judged where a name
// is chosen and where a newcomer is admitted, never on apply, so a rule
// added here cannot split workstations that already took a name.
func CheckNameScripts(name string) error {
	for _, word := range strings.Fields(name) {
		var seen []string
		for _, r := range word {
			for _, sc := range confusableScripts {
				if unicode.Is(sc.table, r) && !slices.Contains(seen, sc.name) {
					seen = append(seen, sc.name)
				}
			}
		}
		if len(seen) > 1 {
			return fmt.Errorf("%w: %q has %s letters: type the name again on a keyboard of one alphabet", ErrNameScripts, word, strings.Join(seen, " and "))
		}
	}
	return nil
}

var confusableScripts = []struct {
	name  string
	table *unicode.RangeTable
}{{"Latin", unicode.Latin}, {"Greek", unicode.Greek}, {"Cyrillic", unicode.Cyrillic}}

// VisibleName is name as a screen may show it: each hidden rune (Hidden)
// written out as ⟨U+XXXX⟩, and bytes that are not UTF-8 as U+FFFD. A name
// the directory took before the name rule existed is shown this way, so
// it can still not pass for a colleague's.
func VisibleName(name string) string {
	if CheckPersonName(name) == nil {
		return name
	}
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(name, "\uFFFD") {
		if Hidden(r) {
			fmt.Fprintf(&b, "⟨%U⟩", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
