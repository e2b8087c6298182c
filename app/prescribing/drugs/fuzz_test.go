package drugs

import (
	"testing"

	"github.com/medihaven/medihaven/assets"
)

// FuzzParse feeds Parse arbitrary tables: it must return a formulary or a
// ParseError, never panic, and what it returns must answer every query.
func FuzzParse(f *testing.F) {
	t, err := ReadTables(assets.FormularyFS)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(t.Classes, t.Drugs, t.Interactions, t.CrossReactivity, t.Sources)
	g := goodTables()
	f.Add([]byte(g["classes.tsv"]), []byte(g["drugs.tsv"]), []byte(g["interactions.tsv"]), []byte(g["cross_reactivity.tsv"]), []byte(g["sources.tsv"]))
	f.Fuzz(func(t *testing.T, classes, drugs, inter, cross, sources []byte) {
		fm, err := Parse(Tables{classes, drugs, inter, cross, sources})
		if err != nil {
			return
		}
		all := fm.Drugs()
		for i, d := range all {
			if i > 20 {
				break
			}
			fm.Check(d, append(d.Synonyms, d.Class, "x"), []string{d.Name, all[0].Name, "y"})
			fm.Search(d.Name, 3)
		}
	})
}

// FuzzLookup feeds free text to every matcher: no panic, and a drug
// Lookup finds must be found again by its own name.
func FuzzLookup(f *testing.F) {
	fm, err := Load()
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"Augmentin 625mg", "amoxycillin", "sulfa drugs", "J01CA04", "St. John's Wort", "Céfalexine",
		"penicillin allergy (rash)", "tab. lithium carbonate 400 mg mr", "", " . ", "1.5", "ph ae oe y", "a+b/c-d"} {
		f.Add(s)
	}
	warfarin, _ := fm.Lookup("warfarin")
	f.Fuzz(func(t *testing.T, s string) {
		if d, ok := fm.Lookup(s); ok {
			if again, ok := fm.Lookup(d.Name); !ok || again.Name != d.Name {
				t.Fatalf("Lookup(%q) = %s, which does not look up again", s, d.Name)
			}
		}
		fm.Resolve(s)
		fm.ResolveAll(s)
		fm.Search(s, 10)
		fm.Product(s)
		fm.Suggest(s, 3)
		fm.Check(warfarin, []string{s}, []string{s})
	})
}
