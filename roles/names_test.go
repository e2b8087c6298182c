package roles

import (
	"errors"
	"testing"
)

func TestCheckPersonName(t *testing.T) {
	for _, tc := range []struct {
		name string
		want error // nil: it may stand
	}{
		{"Dr Paul Physician", nil},
		{"María-José Núñez", nil},
		{"Zoë O'Brien", nil},
		{"Ｄｒ Ｐａｕｌ", nil}, // look-alike, but visible: FoldName's question
		{"李小龍", nil},
		{"Ἀλέξανδρος", nil},
		{"Nguyễn Văn A", nil},
		{"e\u0301mile", nil},    // a combining accent
		{"Ada\u00a0Admin", nil}, // a no-break space is shown
		{"Ada\u3000Admin", nil}, // so is an ideographic space
		{"Rita\x00Reception", ErrNameHidden},
		{"Rita\tReception", ErrNameHidden},
		{"Rita\nReception", ErrNameHidden},
		{"Rita\u0085Reception", ErrNameHidden},        // next line (Cc)
		{"Dr Paul\u200b Physician", ErrNameHidden},    // zero-width space
		{"Ali\u200cReza", ErrNameHidden},              // zero-width non-joiner
		{"Ali\u200dReza", ErrNameHidden},              // zero-width joiner
		{"Rita \u200eReception", ErrNameHidden},       // left-to-right mark
		{"Rita \u200fReception", ErrNameHidden},       // right-to-left mark
		{"Rita \u202aReception", ErrNameHidden},       // embedding
		{"Rita \u202enaicisyhP", ErrNameHidden},       // override
		{"Rita \u2066Reception\u2069", ErrNameHidden}, // isolate
		{"Rita \u061cReception", ErrNameHidden},       // Arabic letter mark
		{"\ufeffRita", ErrNameHidden},                 // byte order mark
		{"Phy\u00adsician", ErrNameHidden},            // soft hyphen
		{"Paul\u2060Physician", ErrNameHidden},        // word joiner
		{"Paul\u2028Physician", ErrNameHidden},        // line separator
		{"Paul\u2029Physician", ErrNameHidden},        // paragraph separator
		{"Paul\ufe0fPhysician", ErrNameHidden},        // variation selector
		{"Paul\U000E0041Physician", ErrNameHidden},    // tag
		{"Paul\u034fPhysician", ErrNameHidden},        // combining grapheme joiner
		{"Paul \u3164 Physician", ErrNameHidden},      // Hangul filler
		{"Paul \u115f Physician", ErrNameHidden},      // Hangul choseong filler
		{"Paul \u2800 Physician", ErrNameHidden},      // blank braille pattern
		{"Paul\ue000Physician", ErrNameHidden},        // private use
		{"Paul\ufffdPhysician", ErrNameHidden},        // what a broken encoding leaves
		{"Paul\xffPhysician", ErrNameEncoding},
		{"Paul\xed\xa0\x80", ErrNameEncoding}, // an encoded surrogate
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckPersonName(tc.name)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("CheckPersonName(%q) = %v, want %v", tc.name, err, tc.want)
			}
		})
	}
}

func TestFoldName(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"Dr Paul Physician", "Dr Paul Physician", true},
		{"Dr Paul Physician", "dr  paul PHYSICIAN", true},
		{"Dr Paul Physician", " Dr Paul\u00a0Physician ", true},
		{"Dr Paul Physician", "Ｄｒ Ｐａｕｌ Ｐｈｙｓｉｃｉａｎ", true},       // full-width
		{"Dr Paul Physician", "Dr Paul Phy\u0455ician", true},  // a Cyrillic "ѕ"
		{"Dr Amara Okafor", "Dr \u0410mara Okafor", true},      // a Cyrillic capital "А"
		{"Dr Amara Okafor", "Dr Am\u03b1ra \u039fkafor", true}, // Greek "α" and "Ο"
		{"Dr Amara Okafor", "DR АМАRА ОКАFОR", true},           // Cyrillic capitals
		{"Иван Петров", "Иван Петров", true},
		{"Иван Петров", "Иван Петрова", false},
		{"Dr Paul Physifian", "Dr Paul Physi\ufb01an", true}, // the ligature "ﬁ"
		{"Strauss", "STRAUß", true},                          // case folding, not just lowering
		{"Émile", "E\u0301mile", true},                       // composed and decomposed
		{"Dr Paul Physician", "Dr Paul B. Physician", false}, // a middle initial tells them apart
		{"Dr Paul Physician", "Dr. Paul Physician", false},
		{"Dr Ian Wong", "Dr I\u03b1\u043f \u03c9ong", true}, // Greek "α", "ω", Cyrillic "п" (session 12 review, L5)
		{"Dr Gary Cole", "Dr \u050ca\u0433y Cole", true},    // Cyrillic "Ԍ", "г"
	} {
		if got := FoldName(tc.a) == FoldName(tc.b); got != tc.same {
			t.Errorf("FoldName(%q) == FoldName(%q): %v, want %v (%q, %q)", tc.a, tc.b, got, tc.same, FoldName(tc.a), FoldName(tc.b))
		}
	}
}

func TestVisibleName(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"Dr Paul Physician", "Dr Paul Physician"},
		{"Dr Paul\u200b Physician", "Dr Paul⟨U+200B⟩ Physician"},
		{"Rita \u202enaicisyhP", "Rita ⟨U+202E⟩naicisyhP"},
		{"Rita\x00", "Rita⟨U+0000⟩"},
		{"Rita\xff", "Rita⟨U+FFFD⟩"},
	} {
		if got := VisibleName(tc.name); got != tc.want {
			t.Errorf("VisibleName(%q) = %q, want %q", tc.name, got, tc.want)
		}
		if err := CheckPersonName(VisibleName(tc.name)); err != nil {
			t.Errorf("VisibleName(%q) still hides: %v", tc.name, err)
		}
	}
}

func TestCheckNameScripts(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"Dr Amara Okafor", true},
		{"Иван Петров", true},
		{"Ἀλέξανδρος Παπαδόπουλος", true},
		{"Ivan Петров", true}, // words of two alphabets side by side
		{"李小龍 Bruce Lee", true},
		{"María-José Núñez", true},
		{"Dr \u0410mara Okafor", false},   // Cyrillic "А" in a Latin word
		{"Dr Amara Okaf\u03bfr", false},   // Greek "ο"
		{"Dr Paul Phy\u0455ician", false}, // Cyrillic "ѕ"
		{"Jean-Пьер", false},
	} {
		err := CheckNameScripts(tc.name)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrNameScripts)) {
			t.Errorf("CheckNameScripts(%q) = %v, want ok %v", tc.name, err, tc.ok)
		}
	}
}
