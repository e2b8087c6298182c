package drugs

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/medihaven/medihaven/assets"
)

// Kinds of class (the kind column of classes.tsv).
const (
	KindFamily   = "family"   // an allergy to one member counts for every member
	KindClass    = "class"    // a therapeutic class
	KindProperty = "property" // a pharmacological property interaction rules use
)

// Class is one drug class or property of classes.tsv.
type Class struct {
	Name     string   // "penicillin"
	Kind     string   // KindFamily, KindClass or KindProperty
	Parents  []string // classes this one belongs to: "beta-lactam"
	Synonyms []string // "penicillins", "pcn"
}

// Form is one usual adult dose form of a drug.
type Form struct {
	Form     string // "tablet", "oral suspension"
	Strength string // "500 mg", "250 mg/5 mL", "500 mg + 125 mg"
	Route    string // "oral", "inhaled", "intravenous"
}

// Drug is one generic, or one fixed combination, of the formulary. Its
// slices are shared with the formulary: read them, do not change them.
type Drug struct {
	Name       string   // the generic (INN) name: "amoxicillin + clavulanic acid"
	ATC        []string // ATC codes: "J01CR02"
	Class      string   // the main class: "aminopenicillin"
	Also       []string // further classes and properties of the row
	Classes    []string // every class and property, with their parents and the components' (sorted)
	EML        string   // on the WHO Model List of Essential Medicines 2023: "core", "complementary" or ""
	Salts      []string // "amoxicillin trihydrate"
	Synonyms   []string // brand names and spellings: "co-amoxiclav", "augmentin"
	Components []string // the drugs of a fixed combination
	Forms      []Form   // usual adult dose forms; none for an ingredient only found in combinations

	in    map[string]bool // Classes and Components, for rule matching
	parts map[string]bool // Components and theirs
}

// Is reports whether d is the drug or class name, contains it, or belongs
// to it (directly, through a parent class, or through a component).
func (d Drug) Is(name string) bool { return name == d.Name || d.in[name] }

// Label is how one dose form of d reads on a screen and a prescription:
// "amoxicillin 500 mg capsule".
func (d Drug) Label(f Form) string { return d.Name + " " + f.Strength + " " + f.Form }

// ProductID is the stable key of one dose form of d, as prescriptions
// record it: generic, strength and form ("amoxicillin|500_mg|capsule").
func (d Drug) ProductID(f Form) string {
	return strings.ReplaceAll(d.Name+"|"+f.Strength+"|"+f.Form, " ", "_")
}

// Prescribable reports whether d has a dose form of its own (an
// ingredient such as clavulanic acid is only prescribed in combination).
func (d Drug) Prescribable() bool { return len(d.Forms) > 0 }

// Rule is one row of interactions.tsv or cross_reactivity.tsv.
type Rule struct {
	ID            string
	First, Second []string // drugs or classes
	Severity      Severity
	Effect        string // what goes wrong: "bleeding", "serotonin syndrome"
	Message       string // the clinical message a physician reads
	Sources       []string
}

// Formulary is the parsed formulary: drugs, classes, interaction and
// cross-reactivity rules and their sources. It is read-only once parsed
// and safe for concurrent use.
type Formulary struct {
	drugs    []Drug
	classes  map[string]*Class
	classKey map[string]string // folded class name or synonym -> class
	drugKey  map[string]int    // folded name, salt or synonym -> drug
	// keyWords is the most words of any key of classKey and drugKey: no
	// longer run of words can name anything (matching tries no more).
	keyWords int
	byATC    map[string][]int
	products map[string][2]int          // ProductID -> drug, form
	classIn  map[string]map[string]bool // class -> what every drug of it is (the class and its parents at least)
	search   []searchKey
	rules    []Rule // interactions
	// drugSides holds, for each drug, the rules it is on the first and
	// the second side of (ruleSides), so Interactions tests few rules.
	drugSides map[string][2][]uint64
	cross     []Rule // allergy cross-reactivity
	sources   map[string]string
}

var bundled = sync.OnceValues(func() (*Formulary, error) {
	t, err := ReadTables(assets.FormularyFS)
	if err != nil {
		return nil, err
	}
	return Parse(t)
})

// Load returns the formulary shipped in assets/formulary, parsed once. The
// data is fixed at build time, so an error is a build defect every caller
// reports (a test parses it on every build).
func Load() (*Formulary, error) { return bundled() }

// Drugs lists every drug, in the order of drugs.tsv.
func (f *Formulary) Drugs() []Drug { return append([]Drug(nil), f.drugs...) }

// Class returns the class or property named name.
func (f *Formulary) Class(name string) (Class, bool) {
	c := f.classes[name]
	if c == nil {
		return Class{}, false
	}
	return *c, true
}

// Rules returns the interaction rules, in the order of interactions.tsv.
func (f *Formulary) Rules() []Rule { return append([]Rule(nil), f.rules...) }

// Source returns the full citation of a source key of a rule.
func (f *Formulary) Source(key string) string { return f.sources[key] }

// Lookup returns the drug free text names: a generic name, salt, brand or
// spelling variant, in any case, with or without a dose after it
// ("Augmentin 625mg", "amoxycillin", "lithium carbonate 400 mg MR"), or an
// ATC code that belongs to one drug only.
func (f *Formulary) Lookup(text string) (Drug, bool) {
	if i, code, ok := f.atc(text); code {
		if !ok {
			return Drug{}, false
		}
		return f.drugs[i], true
	}
	i, _, ok := f.lookupDrug(foldWords(text))
	if !ok {
		return Drug{}, false
	}
	return f.drugs[i], true
}

// LookupATC returns every drug with the ATC code (a combination code may
// cover several fixed combinations).
func (f *Formulary) LookupATC(code string) []Drug {
	var out []Drug
	for _, i := range f.byATC[strings.ToUpper(strings.TrimSpace(code))] {
		out = append(out, f.drugs[i])
	}
	return out
}

// Resolved is what a free-text medication or allergy names: a drug, a
// class ("penicillins", "sulfa drugs", "NSAID"), or nothing the formulary
// knows. Callers must show the last case ("not checked: <name> is not in
// the formulary"): the checks cannot speak for it.
type Resolved struct {
	Input string // as given, trimmed
	Drug  *Drug  // the drug, if the text names one
	Class string // the class, if the text names a class and no drug
}

// Found reports whether the text named a drug or a class.
func (r Resolved) Found() bool { return r.Drug != nil || r.Class != "" }

// Name is the formulary's name for what the text resolved to.
func (r Resolved) Name() string {
	if r.Drug != nil {
		return r.Drug.Name
	}
	return r.Class
}

// NotChecked is the line a prescribing panel shows for a medication or
// allergy that did not resolve.
func NotChecked(input string) string {
	return fmt.Sprintf("not checked: %s is not in the formulary", strings.TrimSpace(input))
}

// Resolve says what free text names: a drug's whole name first, then a
// class's, then the longest drug name, then class name, the text starts
// with (an ATC code of one drug counts as its name).
func (f *Formulary) Resolve(text string) Resolved {
	r := Resolved{Input: strings.TrimSpace(text)}
	if i, code, ok := f.atc(text); code {
		if ok {
			r.Drug = &f.drugs[i]
		}
		return r
	}
	if m, ok := f.matchWords(foldWords(text)); ok {
		f.fill(&r, m)
	}
	return r
}

// ResolveAll is Resolve for text that may name several drugs or classes
// in a row ("penicillin, sulfa", "vitamin D and calcium"): after each name
// it skips doses, form words and filler and resolves what follows, as
// long as that names something. Words after a name that name nothing
// ("penicillin (hives)") are passed over, one by one, to a later name of
// the same entry of a list or to the next entry (entries are parted by a
// comma, semicolon or new line outside brackets): an entry naming nothing
// from its start is returned not Found, never dropped
// (until session 23 the first unknown word ended the text, so the
// ibuprofen of "penicillin (hives), ibuprofen (wheeze)" was checked by
// nothing and said by nothing). The first result has the whole text as
// Input, the later ones the words that named them (an entry naming
// nothing: the entry as written). Text naming nothing gives one Resolved
// that is not Found.
func (f *Formulary) ResolveAll(text string) []Resolved {
	first := f.Resolve(text)
	entries := listEntries(text)
	var words []string
	var entryOf []int // entryOf[i]: the entry word i is in
	for e, t := range entries {
		for _, w := range foldWords(t) {
			words, entryOf = append(words, w), append(entryOf, e)
		}
	}
	named := make([]bool, len(entries))
	var out []Resolved
	pos := 0
	switch m, ok := f.matchWords(words); {
	case first.Found() && !ok: // an ATC code
		return []Resolved{first}
	case first.Found():
		out, pos, named[0] = append(out, first), m.end, true
	case len(entries) <= 1:
		return []Resolved{first}
	}
	for pos < len(words) {
		rest := noise(words[pos:])
		pos = len(words) - len(rest)
		if len(rest) == 0 {
			break
		}
		e := entryOf[pos]
		if m, ok := f.matchWords(rest); ok {
			r := Resolved{Input: strings.Join(rest[:m.end], " ")}
			f.fill(&r, m)
			out, pos, named[e] = append(out, r), pos+m.end, true
			continue
		}
		if named[e] {
			pos++ // words after a name ("hives"): a later name of the entry still counts
			continue
		}
		out = append(out, Resolved{Input: strings.TrimSpace(entries[e])})
		for pos < len(words) && entryOf[pos] == e {
			pos++
		}
	}
	return out
}

// listEntries splits text at the commas, semicolons and new lines outside
// brackets: the entries of a list ("penicillin (hives, rash); ibuprofen").
func listEntries(text string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range text {
		switch r {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth = max(depth-1, 0)
		case ',', ';', '\n', '\r':
			if depth == 0 {
				out, start = append(out, text[start:i]), i+1
			}
		}
	}
	return append(out, text[start:])
}

func (f *Formulary) fill(r *Resolved, m match) {
	if m.drug >= 0 {
		r.Drug = &f.drugs[m.drug]
	} else {
		r.Class = m.class
	}
}

// Suggestion is one drug offered while a name is typed.
type Suggestion struct {
	Drug    Drug
	Matched string // the name that matched what was typed: the generic, a brand, a salt
}

// Search returns up to n prescribable drugs with a name, salt, brand or a
// later word of a name that starts with prefix, generic names first, then
// brands and salts, then later words; shorter names first within each.
func (f *Formulary) Search(prefix string, n int) []Suggestion {
	p := fold(prefix)
	if p == "" || n <= 0 {
		return nil
	}
	lo := sort.Search(len(f.search), func(i int) bool { return f.search[i].key >= p })
	hi := lo
	for hi < len(f.search) && strings.HasPrefix(f.search[hi].key, p) {
		hi++
	}
	hits := make([]int, 0, hi-lo)
	for i := lo; i < hi; i++ {
		hits = append(hits, i)
	}
	slices.SortFunc(hits, func(a, b int) int {
		ka, kb := &f.search[a], &f.search[b]
		if ka.rank != kb.rank {
			return ka.rank - kb.rank
		}
		if len(ka.key) != len(kb.key) {
			return len(ka.key) - len(kb.key)
		}
		return a - b
	})
	var out []Suggestion
	for _, h := range hits {
		k := f.search[h]
		if slices.ContainsFunc(out, func(s Suggestion) bool { return s.Drug.Name == f.drugs[k.drug].Name }) {
			continue
		}
		out = append(out, Suggestion{Drug: f.drugs[k.drug], Matched: k.name})
		if len(out) == n {
			break
		}
	}
	return out
}

// ProductByID returns the drug and dose form of a ProductID.
func (f *Formulary) ProductByID(id string) (Drug, Form, bool) {
	p, ok := f.products[id]
	if !ok {
		return Drug{}, Form{}, false
	}
	d := f.drugs[p[0]]
	return d, d.Forms[p[1]], true
}

// Product returns the drug and dose form a label names ("amoxicillin 500
// mg capsule", "Augmentin 875/125"): the form whose strength, and then
// whose form name, the text mentions; a zero Form when it names none.
func (f *Formulary) Product(label string) (Drug, Form, bool) {
	d, ok := f.Lookup(label)
	if !ok {
		return Drug{}, Form{}, false
	}
	text := " " + units(label) + " "
	best, score := Form{}, 0
	for _, fm := range d.Forms {
		s := 0
		if strings.Contains(text, " "+units(fm.Strength)+" ") {
			s += 2
		}
		if strings.Contains(text, " "+fold(fm.Form)+" ") {
			s++
		}
		if s > score && s >= 2 {
			best, score = fm, s
		}
	}
	return d, best, true
}

// units folds a strength so that the ways of writing a unit compare equal
// ("500 micrograms", "500 mcg", "500 µg"; "100 units/mL", "100 IU/mL").
func units(s string) string {
	words := foldWords(strings.ReplaceAll(s, "µg", " mcg"))
	for i, w := range words {
		switch w {
		case "micrograms", "microgram", "ug":
			words[i] = "mcg"
		case "units", "unit":
			words[i] = "iu"
		}
	}
	return strings.Join(words, " ")
}
