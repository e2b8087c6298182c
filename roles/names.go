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
// letter reads as the plain one), case folded, and every run of white
// space one space, none at either end. Two members whose names fold alike
// cannot be told apart on a screen.
func FoldName(name string) string {
	s := norm.NFKC.String(cases.Fold().String(norm.NFKC.String(name)))
	return strings.Join(strings.Fields(s), " ")
}

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
