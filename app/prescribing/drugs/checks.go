package drugs

import (
	"fmt"
	mathbits "math/bits"
	"sort"
	"strings"
)

// Severity ranks a finding; a higher value is more serious.
type Severity int

// Severities, as the tables write them.
const (
	Minor Severity = iota + 1
	Moderate
	Major
	Contraindicated
)

var severityNames = map[Severity]string{Minor: "minor", Moderate: "moderate", Major: "major", Contraindicated: "contraindicated"}

func (s Severity) String() string {
	if n, ok := severityNames[s]; ok {
		return n
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// ParseSeverity reads "contraindicated", "major", "moderate" or "minor".
func ParseSeverity(s string) (Severity, error) {
	for sev, n := range severityNames {
		if n == s {
			return sev, nil
		}
	}
	return 0, fmt.Errorf("severity %q must be contraindicated, major, moderate or minor", s)
}

// Finding kinds.
const (
	FindingAllergy     = "allergy"
	FindingInteraction = "interaction"
)

// Rule ids of the findings that no table row makes.
const (
	RuleSubstance = "substance" // the allergen is the drug, or one of its components
	RuleComponent = "component" // the drug is a component of the allergen
	RuleClass     = "class"     // the allergy names a class the drug belongs to
	RuleFamily    = "family"    // allergen and drug share a family class
	RuleDuplicate = "duplicate" // the drug and a current medication share an ingredient
)

// sourceChart is the source of the findings no table row makes.
const sourceChart = "The patient's recorded allergies and medications, checked against the drug names, ingredients and classes of the formulary supplied with Medihaven"

// Finding is one result of a check: which drug met which allergy or
// medication, how, how serious it is and on whose authority.
type Finding struct {
	Kind     string   // FindingAllergy or FindingInteraction
	Drug     string   // the drug checked (its generic name)
	Input    string   // the allergy or current medication as given
	Matched  string   // what Input resolved to: a drug or a class of the formulary
	Severity Severity //
	Rule     string   // a rule id of the tables, or one of the Rule constants
	Effect   string   // what goes wrong: "bleeding", "allergy", "cross-reactivity"
	Why      string   // how they met: "ibuprofen is an nsaid; warfarin is an anticoagulant"
	Message  string   // the one-line clinical message
	Sources  []string // full citations
}

// Source is the finding's citations in one line.
func (f Finding) Source() string { return strings.Join(f.Sources, "; ") }

// NonDrugAllergen is the class of allergens that are no drug (latex,
// peanuts): an allergy to one is known and needs no check, but a
// medication resolving to it ("fish oil") is not checked.
const NonDrugAllergen = "non-drug allergen"

// member is what a resolved input is, for matching rule sides.
type member struct {
	name  string // the drug's name; "" for a class
	in    map[string]bool
	parts map[string]bool
}

func (m member) is(side string) bool { return side == m.name || m.in[side] }

func (f *Formulary) memberOf(r Resolved) member {
	if r.Drug != nil {
		return member{r.Drug.Name, r.Drug.in, r.Drug.parts}
	}
	return member{"", f.classIn[r.Class], nil}
}

// matchSide returns the first name of side that m is, or "".
func matchSide(m member, side []string) string {
	for _, s := range side {
		if m.is(s) {
			return s
		}
	}
	return ""
}

// describe says how m, written name, meets side: "warfarin", "co-trimoxazole
// contains trimethoprim", "ibuprofen is an NSAID", "clarithromycin
// (strong cyp3a4 inhibitor)" for a property.
func (f *Formulary) describe(m member, name, side string) string {
	switch {
	case side == name:
		return name
	case m.parts[side]:
		return name + " contains " + side
	case f.classes[side] != nil && f.classes[side].Kind == KindProperty:
		return name + " (" + Spoken(side) + ")"
	}
	return name + " is " + article(side)
}

// Words of class names that people write in capitals (the tables keep
// every name in lower case): whole words, or a word's part before its
// first hyphen ("cyp3a4-critical", "qt-prolonging").
var acronyms = map[string]string{"nsaid": "NSAID", "ssri": "SSRI", "snri": "SNRI", "maoi": "MAOI", "hiv": "HIV",
	"h2": "H2", "ace": "ACE", "dpp-4": "DPP-4", "sglt2": "SGLT2", "glp-1": "GLP-1", "pde5": "PDE5", "pde4": "PDE4",
	"p2y12": "P2Y12", "nk1": "NK1", "nmda": "NMDA", "adhd": "ADHD", "cns": "CNS", "5-ht3": "5-HT3", "dmard": "DMARD",
	"cyp1a2": "CYP1A2", "cyp2c19": "CYP2C19", "cyp2d6": "CYP2D6", "cyp3a4": "CYP3A4", "mao": "MAO", "mao-a": "MAO-A",
	"mao-b": "MAO-B", "nrti": "NRTI", "nnrti": "NNRTI", "oatp": "OATP", "p-gp": "P-gp", "qt": "QT",
	"sars-cov-2": "SARS-CoV-2", "xa": "Xa", "z-drug": "Z-drug"}

// Letters that name a vitamin or a hepatitis after those words.
var lettered = map[string]bool{"vitamin": true, "hepatitis": true}

// Spoken writes a class name as people write it: "nsaid" → "NSAID",
// "strong cyp3a4 inhibitor" → "strong CYP3A4 inhibitor", "vitamin b12" →
// "vitamin B12", "parenteral factor xa inhibitor" → "parenteral factor Xa
// inhibitor". A drug's name, or any other word, is left as it is.
func Spoken(name string) string {
	words := strings.Split(name, " ")
	for i, w := range words {
		if a, ok := acronyms[w]; ok {
			words[i] = a
			continue
		}
		if head, tail, ok := strings.Cut(w, "-"); ok {
			if a, ok := acronyms[head]; ok {
				words[i] = a + "-" + tail
				continue
			}
		}
		if i > 0 && lettered[words[i-1]] && isLetterName(w) {
			words[i] = strings.ToUpper(w)
		}
	}
	return strings.Join(words, " ")
}

// isLetterName reports whether w is one letter, then digits: "b", "b12".
func isLetterName(w string) bool {
	if w == "" || w[0] < 'a' || w[0] > 'z' {
		return false
	}
	for _, c := range w[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// article puts "a" or "an" before a class name, as spoken: "an NSAID",
// "a statin".
func article(class string) string {
	class = Spoken(class)
	if class == "" {
		return class
	}
	first, _, _ := strings.Cut(class, " ")
	if up := strings.ToUpper(first); up == first && len(first) > 1 {
		// Said letter by letter: "an NSAID", "an SSRI", "a DPP-4 inhibitor".
		if strings.ContainsAny(first[:1], "AEFHILMNORSX") {
			return "an " + class
		}
		return "a " + class
	}
	if strings.ContainsAny(class[:1], "aeiou") {
		return "an " + class
	}
	return "a " + class
}

func (f *Formulary) citations(keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = f.sources[k]
	}
	return out
}

// AllergyConflicts checks prescribing d to a patient with the given
// allergies (free text: a drug, brand or class, e.g. "penicillins", "sulfa
// drugs", "Augmentin"). It finds the substance itself or in a combination,
// the class an allergy names, a family both belong to, and the
// cross-reactions of cross_reactivity.tsv: at most one finding, the most
// severe, per allergy. Allergies that resolve to nothing are returned as
// unchecked; blank ones are ignored.
func (f *Formulary) AllergyConflicts(d Drug, allergies []string) (findings []Finding, unchecked []string) {
	drug := member{d.Name, d.in, d.parts}
	known, unchecked := f.resolveAll(allergies, false)
	for _, r := range known {
		if fd, ok := f.allergyFinding(d, drug, r); ok {
			findings = append(findings, fd)
		}
	}
	sortFindings(findings)
	return findings, unchecked
}

// resolveAll resolves free-text inputs (each may name several things, see
// ResolveAll), leaving out blank ones and
// listing those that name nothing. For medications a non-drug allergen's
// name names nothing either: "fish oil" is no fish allergy.
func (f *Formulary) resolveAll(inputs []string, medications bool) (known []Resolved, unchecked []string) {
	for _, in := range inputs {
		for _, r := range f.ResolveAll(in) {
			switch {
			case r.Input == "":
			case !r.Found() || medications && r.Class == NonDrugAllergen:
				unchecked = append(unchecked, r.Input)
			default:
				known = append(known, r)
			}
		}
	}
	return known, unchecked
}

func (f *Formulary) allergyFinding(d Drug, drug member, r Resolved) (Finding, bool) {
	fd := Finding{Kind: FindingAllergy, Drug: d.Name, Input: r.Input, Matched: r.Name(), Effect: "allergy"}
	allergen := f.memberOf(r)
	ok := true
	switch {
	case r.Drug != nil && r.Drug.Name == d.Name:
		fd.Severity, fd.Rule, fd.Why = Contraindicated, RuleSubstance, fmt.Sprintf("the patient is allergic to %s", d.Name)
	case r.Drug != nil && d.parts[r.Drug.Name]:
		fd.Severity, fd.Rule, fd.Why = Contraindicated, RuleSubstance, fmt.Sprintf("%s contains %s", d.Name, r.Drug.Name)
	case r.Drug != nil && r.Drug.parts[d.Name]:
		fd.Severity, fd.Rule, fd.Why = Major, RuleComponent, fmt.Sprintf("%s is part of %s", d.Name, r.Drug.Name)
	case r.Drug == nil && d.in[r.Class]:
		fd.Severity, fd.Rule, fd.Why = Contraindicated, RuleClass, f.describe(drug, d.Name, r.Class)
	default:
		family := f.sharedFamily(allergen, drug)
		ok = family != ""
		fd.Severity, fd.Rule = Major, RuleFamily
		fd.Why = fmt.Sprintf("%s and %s are both in the %s family", d.Name, Spoken(r.Name()), Spoken(family))
	}
	if ok {
		fd.Message = fmt.Sprintf("Allergy: %s (recorded as %q).", fd.Why, r.Input)
		fd.Sources = []string{sourceChart}
		return fd, true
	}
	// Cross-reactivity: the most severe row, first in file order on a tie.
	for _, rule := range f.cross {
		a, b := matchSide(allergen, rule.First), matchSide(drug, rule.Second)
		if a == "" || b == "" || ok && rule.Severity <= fd.Severity {
			continue
		}
		ok = true
		fd.Severity, fd.Rule, fd.Effect, fd.Message = rule.Severity, rule.ID, rule.Effect, rule.Message
		fd.Why = f.describe(allergen, Spoken(r.Name()), a) + "; " + f.describe(drug, d.Name, b)
		fd.Sources = f.citations(rule.Sources)
	}
	return fd, ok
}

// sharedFamily returns a family class both belong to, or "".
func (f *Formulary) sharedFamily(a, b member) string {
	var fams []string
	for c := range a.in {
		if cl := f.classes[c]; cl != nil && cl.Kind == KindFamily && b.in[c] {
			fams = append(fams, c)
		}
	}
	sort.Strings(fams)
	if len(fams) == 0 {
		return ""
	}
	return fams[0]
}

// Interactions checks prescribing d alongside the given current
// medications (free text, as recorded or imported). A medication naming a
// class ("NSAIDs") is checked as that class. Per medication and effect
// only the most severe rule is reported; a medication sharing an
// ingredient with d (co-codamol and paracetamol) is a duplicate finding.
// Medications that resolve to nothing are returned as unchecked; blank
// ones, and d itself, are ignored.
func (f *Formulary) Interactions(d Drug, current []string) (findings []Finding, unchecked []string) {
	drug := member{d.Name, d.in, d.parts}
	known, unchecked := f.resolveAll(current, true)
	for _, r := range known {
		if r.Drug != nil && r.Drug.Name == d.Name {
			continue
		}
		other := f.memberOf(r)
		if fd, ok := duplicate(d, r); ok {
			findings = append(findings, fd)
		}
		best := map[string]int{} // effect -> index in findings
		for _, ri := range f.candidates(drug, other) {
			rule := f.rules[ri]
			fd, ok := f.interaction(d, drug, r, other, rule)
			if !ok {
				continue
			}
			if i, seen := best[rule.Effect]; seen {
				if rule.Severity > findings[i].Severity {
					findings[i] = fd
				}
				continue
			}
			best[rule.Effect] = len(findings)
			findings = append(findings, fd)
		}
	}
	sortFindings(findings)
	return findings, unchecked
}

// candidates returns, in file order, the rules that may match the pair:
// one side holds a and the other b, from the sides each was found on at
// parse time (a bit a rule), so a check tests few rules.
func (f *Formulary) candidates(a, b member) []int {
	sa, sb := f.sidesOf(a), f.sidesOf(b)
	var out []int
	for w := range sa[0] {
		bits := sa[0][w]&sb[1][w] | sa[1][w]&sb[0][w]
		for bits != 0 {
			out = append(out, w*64+mathbits.TrailingZeros64(bits))
			bits &= bits - 1
		}
	}
	return out
}

// sidesOf returns the rules m is on the first and on the second side of.
func (f *Formulary) sidesOf(m member) [2][]uint64 {
	if m.name != "" {
		if s, ok := f.drugSides[m.name]; ok {
			return s
		}
	}
	return f.ruleSides(m)
}

// ruleSides computes which rules m is on either side of.
func (f *Formulary) ruleSides(m member) [2][]uint64 {
	n := (len(f.rules) + 63) / 64
	s := [2][]uint64{make([]uint64, n), make([]uint64, n)}
	for i, rule := range f.rules {
		if matchSide(m, rule.First) != "" {
			s[0][i/64] |= 1 << (i % 64)
		}
		if matchSide(m, rule.Second) != "" {
			s[1][i/64] |= 1 << (i % 64)
		}
	}
	return s
}

// interaction applies one rule to the pair, either way round.
func (f *Formulary) interaction(d Drug, drug member, r Resolved, other member, rule Rule) (Finding, bool) {
	a, b := matchSide(drug, rule.First), matchSide(other, rule.Second)
	if a == "" || b == "" {
		a, b = matchSide(drug, rule.Second), matchSide(other, rule.First)
	}
	if a == "" || b == "" {
		return Finding{}, false
	}
	return Finding{Kind: FindingInteraction, Drug: d.Name, Input: r.Input, Matched: r.Name(),
		Severity: rule.Severity, Rule: rule.ID, Effect: rule.Effect, Message: rule.Message,
		Why: f.describe(drug, d.Name, a) + "; " + f.describe(other, r.Name(), b), Sources: f.citations(rule.Sources)}, true
}

// duplicate reports a current medication that shares an ingredient with
// d: the patient would take it twice.
func duplicate(d Drug, r Resolved) (Finding, bool) {
	if r.Drug == nil {
		return Finding{}, false
	}
	own := append([]string{d.Name}, d.Components...)
	theirs := append([]string{r.Drug.Name}, r.Drug.Components...)
	for _, a := range own {
		for _, b := range theirs {
			if a == b {
				return Finding{Kind: FindingInteraction, Drug: d.Name, Input: r.Input, Matched: r.Drug.Name,
					Severity: Major, Rule: RuleDuplicate, Effect: "duplicate therapy",
					Why:     fmt.Sprintf("%s and %s both contain %s", d.Name, r.Drug.Name, a),
					Message: fmt.Sprintf("The patient already takes %s in %q: risk of a double dose.", a, r.Input),
					Sources: []string{sourceChart}}, true
			}
		}
	}
	return Finding{}, false
}

// sortFindings puts the most severe first, keeping input order otherwise.
func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].Severity > fs[j].Severity })
}

// Report is the result of every check on one drug.
type Report struct {
	Findings  []Finding // allergy findings first, then interactions, each most severe first
	Unchecked []string  // allergies and medications the formulary does not know, as given
}

// Check runs AllergyConflicts and Interactions on d.
func (f *Formulary) Check(d Drug, allergies, current []string) Report {
	a, ua := f.AllergyConflicts(d, allergies)
	i, ui := f.Interactions(d, current)
	return Report{Findings: append(a, i...), Unchecked: append(ua, ui...)}
}
