package drugs

import (
	"sort"
	"strings"
	"unicode"
)

// fold is how names are compared: lower case, accents and punctuation
// dropped (a hyphen, slash or plus becomes a space, "st john's" reads
// "st johns"), the words "and" and "with" left out, and the British and
// American spellings made one (ph→f, ae→e, oe→e, y→i: "sulphamethoxazole",
// "amoxycillin", "oestradiol"). A decimal point between digits is kept.
func fold(s string) string {
	return strings.Join(foldWords(s), " ")
}

func foldWords(s string) []string {
	rs := []rune(strings.ToLower(s))
	var b strings.Builder
	for i, r := range rs {
		switch {
		case r == '.' && i > 0 && i+1 < len(rs) && unicode.IsDigit(rs[i-1]) && unicode.IsDigit(rs[i+1]):
			b.WriteRune(r)
		case r == '\'' || r == '’':
		case r == '%':
			b.WriteString(" % ")
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(plain(r))
		default:
			b.WriteByte(' ')
		}
	}
	words := strings.Fields(b.String())
	out := words[:0]
	for _, w := range words {
		if w == "and" || w == "with" {
			continue
		}
		out = append(out, spelling.Replace(w))
	}
	return out
}

var spelling = strings.NewReplacer("ph", "f", "ae", "e", "oe", "e", "y", "i")

// plain drops the accent of the letters drug names are written with in
// European languages ("amoxicilline", "céfalexine").
func plain(r rune) rune {
	switch r {
	case 'à', 'á', 'â', 'ä', 'ã', 'å':
		return 'a'
	case 'é', 'è', 'ê', 'ë':
		return 'e'
	case 'í', 'ì', 'î', 'ï':
		return 'i'
	case 'ó', 'ò', 'ô', 'ö', 'õ':
		return 'o'
	case 'ú', 'ù', 'û', 'ü':
		return 'u'
	case 'ç':
		return 'c'
	case 'ñ':
		return 'n'
	}
	return r
}

// Words a person writes around a drug's name that say nothing about it:
// skipped before the name ("tab. amoxicillin") and, for allergies and
// classes, anywhere ("allergy to penicillins", "sulfa drugs").
var (
	leading = set("tab", "tabs", "tablet", "tablets", "cap", "caps", "capsule", "capsules", "inj", "injection",
		"oral", "po", "iv", "im", "sc", "mr", "sr", "xl", "er", "the", "a", "an", "rx", "mg", "mcg", "g", "ml",
		"inh", "inhaler", "puff", "puffs", "cream", "ointment", "drops", "spray", "patch", "susp", "syrup",
		"od", "bd", "bid", "tds", "tid", "qds", "qid", "prn", "nocte", "mane", "daily", "weekly", "stat",
		"units", "iu", "mmol", "x", "one", "two", "at", "night", "morning")
	filler = set("allergy", "allergies", "allergic", "to", "intolerance", "intolerant", "drug", "drugs", "medication",
		"medications", "medicine", "medicines", "class", "group", "family", "type", "reaction", "sensitivity", "all", "any")
)

func set(words ...string) map[string]bool {
	m := map[string]bool{}
	for _, w := range words {
		m[fold(w)] = true
	}
	return m
}

// longest returns the index of the longest run of words, starting at
// words[0], that index holds, and how many words it took. No key has more
// than most words, so no longer run is tried (trying every run made the
// matching of one long allergy cubic in its words: session 23).
func longest[V any](index map[string]V, words []string, most int) (V, int) {
	var zero V
	for n := min(len(words), most); n > 0; n-- {
		if v, ok := index[strings.Join(words[:n], " ")]; ok {
			return v, n
		}
	}
	return zero, 0
}

// lookupDrug finds the drug free text names: its whole text, else the
// longest name the text starts with once leading form words and numbers
// are skipped ("Tab. Lithium carbonate 400 mg MR" → lithium). end is the
// index of the first word after the name.
func (f *Formulary) lookupDrug(words []string) (i, end int, ok bool) {
	if len(words) > 0 && len(words) <= f.keyWords {
		if i, ok := f.drugKey[strings.Join(words, " ")]; ok {
			return i, len(words), true
		}
	}
	for skip := 0; skip < len(words); skip++ {
		if i, n := longest(f.drugKey, words[skip:], f.keyWords); n > 0 {
			return i, skip + n, true
		}
		if !leading[words[skip]] && !isNumber(words[skip]) {
			break
		}
	}
	return 0, 0, false
}

// lookupClass finds the class free text names, after dropping filler
// words and, failing that, a plural "s" ("penicillins", "NSAIDs"). end
// is the index of the first word after the name.
func (f *Formulary) lookupClass(words []string) (class string, end int, ok bool) {
	var kept []string
	var at []int // index in words of each kept word
	for i, w := range words {
		if len(kept) == f.keyWords {
			break // no name is longer
		}
		if !filler[w] {
			kept, at = append(kept, w), append(at, i)
		}
	}
	all := make([]int, min(len(words), f.keyWords))
	for i := range all {
		all[i] = i
	}
	for _, try := range []struct {
		words []string
		at    []int
	}{{words, all}, {kept, at}, {singular(kept), at}} {
		if c, n := longest(f.classKey, try.words, f.keyWords); n > 0 {
			return c, try.at[n-1] + 1, true
		}
	}
	return "", 0, false
}

// match is what a run of words names, and the index of the first word
// after the name.
type match struct {
	drug  int // -1 for a class
	class string
	end   int
}

// matchWords says what words name: a drug's whole name, a class's, then
// the longest drug name and the longest class name the words start with.
func (f *Formulary) matchWords(words []string) (match, bool) {
	if len(words) == 0 {
		return match{}, false
	}
	if len(words) <= f.keyWords {
		whole := strings.Join(words, " ")
		if i, ok := f.drugKey[whole]; ok {
			return match{drug: i, end: len(words)}, true
		}
		if c, ok := f.classKey[whole]; ok {
			return match{drug: -1, class: c, end: len(words)}, true
		}
	}
	if i, end, ok := f.lookupDrug(words); ok {
		return match{drug: i, end: end}, true
	}
	if c, end, ok := f.lookupClass(words); ok {
		return match{drug: -1, class: c, end: end}, true
	}
	return match{}, false
}

// atc returns the drug whose ATC code text is, if it is a code (checked
// before folding, which would change "D10AE01"); ok is false for a code
// no drug or several drugs have.
func (f *Formulary) atc(text string) (i int, code, ok bool) {
	c := strings.ToUpper(strings.TrimSpace(text))
	if !atcPattern.MatchString(c) {
		return 0, false, false
	}
	if ds := f.byATC[c]; len(ds) == 1 {
		return ds[0], true, true
	}
	return 0, true, false
}

// noise drops the words before a further name in a list: numbers,
// dose-form words and filler ("400 mg", "tablets", "allergy to").
func noise(words []string) []string {
	for len(words) > 0 && (isNumber(words[0]) || leading[words[0]] || filler[words[0]]) {
		words = words[1:]
	}
	return words
}

// singular drops a plural "s" from each word ("beta blockers").
func singular(words []string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		if len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is") {
			w = w[:len(w)-1]
		}
		out[i] = w
	}
	return out
}

func isNumber(w string) bool {
	for _, r := range w {
		if !unicode.IsDigit(r) && r != '.' {
			return false
		}
	}
	return w != ""
}

// searchKey is one name a drug may be typed as, for Search.
type searchKey struct {
	key  string // folded
	name string // as written in the formulary
	drug int
	rank int // 0 the generic name, 1 a salt or synonym, 2 a later word of a name
}

// buildSearch sorts every name of every prescribable drug, and every
// later word of a name ("clavulanic acid" in "amoxicillin + clavulanic
// acid"), so Search is a binary search.
func (f *Formulary) buildSearch() {
	for i, d := range f.drugs {
		if len(d.Forms) == 0 {
			continue
		}
		for j, n := range append(append([]string{d.Name}, d.Salts...), d.Synonyms...) {
			rank := 1
			if j == 0 {
				rank = 0
			}
			words := foldWords(n)
			f.search = append(f.search, searchKey{strings.Join(words, " "), n, i, rank})
			for w := 1; w < len(words); w++ {
				f.search = append(f.search, searchKey{strings.Join(words[w:], " "), n, i, 2})
			}
		}
	}
	sort.Slice(f.search, func(a, b int) bool { return f.search[a].key < f.search[b].key })
}

// Suggest returns up to n drug names close in spelling to text that the
// formulary does not know ("amoxicilin" → amoxicillin), for a "did you
// mean" beside a "not checked" line. It never resolves anything: a near
// name may be another drug (hydroxyzine, hydralazine).
func (f *Formulary) Suggest(text string, n int) []string {
	var words []string
	for _, w := range foldWords(text) {
		if unicode.IsDigit(rune(w[0])) || len(words) == 3 {
			break
		}
		words = append(words, w)
	}
	q := strings.Join(words, " ")
	if len(q) < 4 || n <= 0 {
		return nil
	}
	limit := 1
	if len(q) >= 7 {
		limit = 2
	}
	type near struct {
		name string
		dist int
	}
	var found []near
	seen := map[string]bool{}
	for key, i := range f.drugKey {
		if d := len(key) - len(q); d > limit || d < -limit {
			continue
		}
		name := f.drugs[i].Name
		if dist := editDistance(q, key); dist <= limit && !seen[name] {
			seen[name] = true
			found = append(found, near{name, dist})
		}
	}
	sort.Slice(found, func(a, b int) bool {
		if found[a].dist != found[b].dist {
			return found[a].dist < found[b].dist
		}
		return found[a].name < found[b].name
	})
	var out []string
	for i := 0; i < len(found) && i < n; i++ {
		out = append(out, found[i].name)
	}
	return out
}

// editDistance is the Levenshtein distance of two short strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
