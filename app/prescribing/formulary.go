package prescribing

import (
	"fmt"
	"slices"
	"strings"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/app/prescribing/drugs"
)

// Drug is one product the physician prescribes: a drug of the formulary
// (app/prescribing/drugs) in one of its usual dose forms.
type Drug struct {
	ID       string // stable key: generic, strength and form (drugs.Drug.ProductID)
	Generic  string // "amoxicillin"
	Form     string // "capsule"
	Strength string // "500 mg"
	Class    string // the main class: "aminopenicillin"
	Route    string // usual route: "oral", "inhaled"...
	// Matched is the name that found it while typing when it is not the
	// generic: a brand or a salt ("Augmentin").
	Matched string

	drug drugs.Drug
}

// Label is how a drug reads on a screen and a printed prescription.
func (d Drug) Label() string {
	return fmt.Sprintf("%s %s %s", d.Generic, d.Strength, d.Form)
}

// Formulary is the formulary prescriptions are chosen from and checked
// against, as prescribing uses it: products to choose while typing, and
// the allergy and interaction checks, whose every input that the
// formulary does not know comes back as a warning, never dropped.
type Formulary struct{ f *drugs.Formulary }

// BundledFormulary returns the formulary shipped with Medihaven
// (assets/formulary).
func BundledFormulary() (*Formulary, error) {
	f, err := drugs.Load()
	if err != nil {
		return nil, fmt.Errorf("app: the bundled formulary cannot be read (a defect of this build): %w", err)
	}
	return &Formulary{f}, nil
}

// Formulary returns the formulary prescriptions are chosen from.
func (s *Service) Formulary() (*Formulary, error) { return BundledFormulary() }

func product(d drugs.Drug, f drugs.Form, matched string) Drug {
	if strings.EqualFold(matched, d.Name) {
		matched = ""
	}
	if slices.Contains(d.Synonyms, matched) {
		matched = app.Capitalise(matched) // a brand: "Nurofen"
	}
	return Drug{ID: d.ProductID(f), Generic: d.Name, Form: f.Form, Strength: f.Strength, Class: d.Class, Route: f.Route,
		Matched: matched, drug: d}
}

// Search returns up to limit products (every dose form of each drug) whose
// generic name, brand, salt or a later word of a name starts with q, or
// whose label starts with q ("amoxicillin 500"); generic names first.
func (f *Formulary) Search(q string, limit int) []Drug {
	words := strings.Fields(strings.ToLower(q))
	if len(words) == 0 {
		return nil
	}
	var out []Drug
	for _, s := range f.f.Search(words[0], 50) {
		for _, form := range s.Drug.Forms {
			p := product(s.Drug, form, s.Matched)
			if len(words) > 1 && !strings.HasPrefix(strings.ToLower(p.Label()), strings.Join(words, " ")) &&
				!strings.HasPrefix(strings.ToLower(s.Matched+" "+form.Strength+" "+form.Form), strings.Join(words, " ")) {
				continue
			}
			out = append(out, p)
			if limit > 0 && len(out) == limit {
				return out
			}
		}
	}
	return out
}

// Drug returns the product with id (Drug.ID).
func (f *Formulary) Drug(id string) (Drug, bool) {
	d, form, ok := f.f.ProductByID(id)
	if !ok {
		return Drug{}, false
	}
	return product(d, form, ""), true
}

// Find returns the product a person means by a label such as "amoxicillin
// 500 mg capsule", "Amoxicillin 500 mg" or a brand with a strength, or a
// name alone (its first dose form).
func (f *Formulary) Find(label string) (Drug, bool) {
	d, form, ok := f.f.Product(label)
	if !ok || !d.Prescribable() {
		return Drug{}, false
	}
	if form == (drugs.Form{}) {
		form = d.Forms[0]
	}
	return product(d, form, ""), true
}

// Warning kinds.
const (
	WarnAllergy     = "allergy"
	WarnInteraction = "interaction"
	// WarnNotChecked is an allergy or medication of the chart that the
	// formulary does not know, so no check could speak for it: signing
	// needs the prescriber's confirmation that they checked it themselves.
	WarnNotChecked = "not-checked"
)

// Warning is one finding of the checks run before a prescription is
// signed, kept in the signed prescription with the prescriber's reason
// (chart.Warning).
type Warning = chart.Warning

// Taking is a drug a patient already takes (or is prescribed alongside),
// as the interaction check sees it.
type Taking struct {
	Name   string // as written: a formulary name, brand or free text
	Source string // "current medication", "on this prescription"
}

// Check returns the warnings of prescribing d to a patient with the
// allergies (entered in error ones left out) who takes taking: allergy
// and interaction findings, then one WarnNotChecked warning for each
// allergy or medication the formulary does not know.
func (f *Formulary) Check(d Drug, allergies []chart.Allergy, taking []Taking) []Warning {
	var subs []string
	for _, a := range allergies {
		if a.Status != chart.AllergyEnteredInError {
			subs = append(subs, a.Substance)
		}
	}
	var names []string
	source := map[string]string{}
	for _, t := range taking {
		names = append(names, t.Name)
		source[strings.TrimSpace(t.Name)] = t.Source
	}
	rep := f.f.Check(d.drug, subs, names)
	var out []Warning
	for _, fd := range rep.Findings {
		w := Warning{Kind: WarnAllergy, Drug: d.Label(), With: fd.Input, Severity: fd.Severity.String(), Message: fd.Message}
		if fd.Kind == drugs.FindingInteraction {
			w.Kind = WarnInteraction
			if src := source[fd.Input]; src != "" {
				w.Message = fmt.Sprintf("%s (%s, %s)", fd.Message, fd.Input, src)
			}
		}
		if s := fd.Source(); s != "" {
			w.Message += " Source: " + s
			if !strings.HasSuffix(s, ".") {
				w.Message += "." // a sentence, ended like the others
			}
		}
		out = append(out, w)
	}
	for _, u := range rep.Unchecked {
		out = append(out, Warning{Kind: WarnNotChecked, With: u, Severity: "unknown",
			Message: app.Capitalise(drugs.NotChecked(u)) + "; check it yourself before signing."})
	}
	return out
}
