package prescribing

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/assets"
)

// Drug is one product of the formulary: a generic name in a form and
// strength, and the drug class the allergy and interaction checks use.
type Drug struct {
	ID       string // stable key: generic, strength and form
	Generic  string // "amoxicillin"
	Form     string // "capsule"
	Strength string // "500 mg"
	Class    string // "penicillin"
	Route    string // usual route: "oral", "inhaled"...
}

// Label is how a drug reads on a screen and a printed prescription.
func (d Drug) Label() string {
	return fmt.Sprintf("%s %s %s", d.Generic, d.Strength, d.Form)
}

// Interaction is one clinically important pair of the bundled table. A side
// is a generic name or "class:" and a drug class.
type Interaction struct {
	First, Second string
	Severity      string // "major" or "moderate"
	Effect        string
}

// Formulary is the bundled list of drugs with its interaction table and
// allergy aliases. It is read-only once parsed.
type Formulary struct {
	drugs        []Drug
	byID         map[string]Drug
	classOf      map[string]string // generic -> class
	classes      map[string]bool
	interactions []Interaction
	alias        map[string]string   // word -> generic or class
	cross        map[string][]string // allergy class -> classes that may cross-react
}

// ErrFormulary is wrapped by ParseFormulary for malformed files.
var ErrFormulary = errors.New("app: the formulary is malformed")

// ParseFormulary reads the three formulary files (see
// assets/formulary/SOURCE.md for their format).
func ParseFormulary(drugs, interactions, allergy []byte) (*Formulary, error) {
	f := &Formulary{byID: map[string]Drug{}, classOf: map[string]string{}, classes: map[string]bool{},
		alias: map[string]string{}, cross: map[string][]string{}}
	err := eachRecord(drugs, 5, func(line int, rec []string) error {
		d := Drug{Generic: norm(rec[0]), Form: strings.TrimSpace(rec[1]), Strength: strings.TrimSpace(rec[2]),
			Class: norm(rec[3]), Route: strings.TrimSpace(rec[4])}
		if d.Generic == "" || d.Strength == "" || d.Form == "" || d.Class == "" {
			return fmt.Errorf("line %d: a drug needs a generic name, form, strength and class", line)
		}
		d.ID = strings.ReplaceAll(d.Generic+"|"+d.Strength+"|"+d.Form, " ", "_")
		if _, dup := f.byID[d.ID]; dup {
			return fmt.Errorf("line %d: %s is listed twice", line, d.Label())
		}
		if c, ok := f.classOf[d.Generic]; ok && c != d.Class {
			return fmt.Errorf("line %d: %s is in two classes", line, d.Generic)
		}
		f.drugs = append(f.drugs, d)
		f.byID[d.ID], f.classOf[d.Generic], f.classes[d.Class] = d, d.Class, true
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: drugs: %w", ErrFormulary, err)
	}
	known := func(side string) bool {
		if c, ok := strings.CutPrefix(side, "class:"); ok {
			return f.classes[c]
		}
		_, ok := f.classOf[side]
		return ok
	}
	err = eachRecord(interactions, 4, func(line int, rec []string) error {
		in := Interaction{First: norm(rec[0]), Second: norm(rec[1]), Severity: norm(rec[2]), Effect: strings.TrimSpace(rec[3])}
		if !known(in.First) || !known(in.Second) {
			return fmt.Errorf("line %d: %q or %q is no drug or class of the formulary", line, in.First, in.Second)
		}
		if in.Severity != "major" && in.Severity != "moderate" {
			return fmt.Errorf("line %d: severity must be major or moderate", line)
		}
		f.interactions = append(f.interactions, in)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: interactions: %w", ErrFormulary, err)
	}
	err = eachRecord(allergy, 3, func(line int, rec []string) error {
		a, b := norm(rec[1]), norm(rec[2])
		switch norm(rec[0]) {
		case "alias":
			if !known(b) && !known("class:"+b) {
				return fmt.Errorf("line %d: %q is no drug or class of the formulary", line, b)
			}
			f.alias[a] = b
		case "cross":
			if !f.classes[a] || !f.classes[b] {
				return fmt.Errorf("line %d: %q or %q is no class of the formulary", line, a, b)
			}
			f.cross[a] = append(f.cross[a], b)
		default:
			return fmt.Errorf("line %d: a row is alias or cross", line)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: allergy: %w", ErrFormulary, err)
	}
	sort.SliceStable(f.drugs, func(i, j int) bool { return f.drugs[i].Generic < f.drugs[j].Generic })
	return f, nil
}

// eachRecord calls fn with each CSV record of exactly n fields, skipping
// blank lines and comments.
func eachRecord(b []byte, n int, fn func(line int, rec []string) error) error {
	r := csv.NewReader(bytes.NewReader(b))
	r.Comment, r.FieldsPerRecord, r.TrimLeadingSpace = '#', n, true
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		line, _ := r.FieldPos(0)
		if err := fn(line, rec); err != nil {
			return err
		}
	}
}

// norm lower-cases and collapses spaces: how names are compared.
func norm(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// bundledFormulary parses the embedded formulary once; the data is fixed at
// build time, so a failure is a build defect that every caller reports.
var bundledFormulary = sync.OnceValues(func() (*Formulary, error) {
	return ParseFormulary(assets.FormularyDrugs, assets.FormularyInteractions, assets.FormularyAllergy)
})

// BundledFormulary returns the formulary shipped with Medihaven.
func BundledFormulary() (*Formulary, error) { return bundledFormulary() }

// Formulary returns the formulary prescriptions are chosen from.
func (s *Service) Formulary() (*Formulary, error) { return bundledFormulary() }

// Drugs lists every drug, by generic name.
func (f *Formulary) Drugs() []Drug { return append([]Drug(nil), f.drugs...) }

// Drug returns the drug with id.
func (f *Formulary) Drug(id string) (Drug, bool) {
	d, ok := f.byID[id]
	return d, ok
}

// Search returns up to limit drugs whose generic name, class or label
// contains every word of q (all drugs for an empty q).
func (f *Formulary) Search(q string, limit int) []Drug {
	words := strings.Fields(norm(q))
	var out []Drug
	for _, d := range f.drugs {
		hay := norm(d.Label() + " " + d.Class)
		ok := true
		for _, w := range words {
			if !strings.Contains(hay, w) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, d)
			if limit > 0 && len(out) == limit {
				break
			}
		}
	}
	return out
}

// Find returns the drug a person means by a label such as
// "Amoxicillin 500 mg" or "amoxicillin 500 mg capsule" (the drug of that
// generic name and strength), or a generic name alone (its first strength).
func (f *Formulary) Find(label string) (Drug, bool) {
	l := norm(label)
	if a, ok := f.alias[l]; ok {
		l = a
	}
	best, rank := Drug{}, 0
	for _, d := range f.drugs {
		switch {
		case l == norm(d.Label()):
			return d, true
		case rank < 2 && strings.HasPrefix(l, d.Generic+" ") && sameStrength(strings.TrimPrefix(l, d.Generic+" "), norm(d.Strength)):
			best, rank = d, 2
		case rank < 1 && l == d.Generic:
			best, rank = d, 1 // the generic alone: its first strength
		}
	}
	return best, rank > 0
}

// sameStrength reports whether rest (what follows the generic name in a
// label) names strength: "500 mg capsule" and "500 mg", or "100 mcg" and
// "100 mcg/dose".
func sameStrength(rest, strength string) bool {
	w := strings.Fields(rest)
	if len(w) > 2 {
		w = w[:2]
	}
	given := strings.Join(w, " ")
	return given != "" && (strings.HasPrefix(rest, strength) || strings.HasPrefix(strength, given))
}

// Warning is one finding of the checks run before a prescription is
// signed, kept in the signed prescription with the prescriber's reason
// (chart.Warning).
type Warning = chart.Warning

// Warning kinds.
const (
	WarnAllergy     = "allergy"
	WarnInteraction = "interaction"
)

// Taking is a drug a patient already takes (or is prescribed alongside),
// as the interaction check sees it.
type Taking struct {
	Name   string // as written: a formulary generic name or free text
	Source string // "current medication", "this prescription"
}

// classOfName returns the generic and class a free-text name means, if the
// formulary knows it ("Amoxicillin 500 mg" -> amoxicillin, penicillin).
func (f *Formulary) classOfName(name string) (generic, class string, ok bool) {
	n := norm(name)
	if a, ok := f.alias[n]; ok {
		n = a
	}
	if c, ok := f.classOf[n]; ok {
		return n, c, true
	}
	// The longest generic name the text starts with ("insulin glargine 100").
	for g, c := range f.classOf {
		if (strings.HasPrefix(n, g+" ") || n == g) && len(g) > len(generic) {
			generic, class, ok = g, c, true
		}
	}
	return generic, class, ok
}

// CheckAllergies returns the allergy warnings of prescribing drug to a
// patient with the given allergies: a match by substance (the generic name,
// or one of its parts for a combination), by drug class (an allergy to the
// class, or to another drug of the same class), or a known cross-reactivity.
func (f *Formulary) CheckAllergies(drug Drug, allergies []chart.Allergy) []Warning {
	var out []Warning
	parts := strings.Split(drug.Generic, "-")
	for _, a := range allergies {
		if a.Status == chart.AllergyEnteredInError {
			continue
		}
		sub := norm(a.Substance)
		if sub == "" {
			continue
		}
		if al, ok := f.alias[sub]; ok {
			sub = al
		}
		var msg string
		allergyClass := ""
		if f.classes[sub] {
			allergyClass = sub
		} else if c, ok := f.classOf[sub]; ok {
			allergyClass = c
		}
		switch {
		case sub == drug.Generic || contains(parts, sub):
			msg = fmt.Sprintf("The patient is allergic to %s (%s).", a.Substance, orUnknown(a.Reaction))
		case allergyClass == drug.Class && f.classes[sub]:
			msg = fmt.Sprintf("%s is a %s; the patient is allergic to %s (%s).", drug.Generic, drug.Class, a.Substance, orUnknown(a.Reaction))
		case allergyClass == drug.Class:
			msg = fmt.Sprintf("%s is a %s like %s, to which the patient is allergic (%s).", drug.Generic, drug.Class, a.Substance, orUnknown(a.Reaction))
		case allergyClass != "" && contains(f.cross[allergyClass], drug.Class):
			msg = fmt.Sprintf("Possible cross-reactivity: %s is a %s and the patient is allergic to %s (%s).", drug.Generic, drug.Class, a.Substance, orUnknown(a.Reaction))
		default:
			continue
		}
		out = append(out, Warning{Kind: WarnAllergy, Drug: drug.Label(), With: a.Substance, Severity: orUnknown(a.Severity), Message: msg})
	}
	return out
}

// CheckInteractions returns the interaction warnings of prescribing drug
// alongside what the patient takes (names the formulary does not know are
// skipped: the check cannot speak for them).
func (f *Formulary) CheckInteractions(drug Drug, taking []Taking) []Warning {
	var out []Warning
	seen := map[string]bool{}
	for _, t := range taking {
		g, c, ok := f.classOfName(t.Name)
		if !ok || g == drug.Generic {
			continue
		}
		for _, in := range f.interactions {
			if !(matches(in.First, drug.Generic, drug.Class) && matches(in.Second, g, c)) &&
				!(matches(in.Second, drug.Generic, drug.Class) && matches(in.First, g, c)) {
				continue
			}
			if seen[g] {
				continue
			}
			seen[g] = true
			out = append(out, Warning{Kind: WarnInteraction, Drug: drug.Label(), With: t.Name, Severity: in.Severity,
				Message: fmt.Sprintf("%s with %s (%s): %s.", drug.Generic, g, t.Source, in.Effect)})
		}
	}
	return out
}

func matches(side, generic, class string) bool {
	if c, ok := strings.CutPrefix(side, "class:"); ok {
		return c == class
	}
	return side == generic
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func orUnknown(s string) string {
	if strings.TrimSpace(s) == "" {
		return "reaction not recorded"
	}
	return s
}
