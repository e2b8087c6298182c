package drugs_test

import (
	"fmt"

	"github.com/medihaven/medihaven/app/prescribing/drugs"
)

// A prescription is checked against the patient's allergies and current
// medications as recorded, in free text; what the formulary does not know
// is listed, never skipped.
func ExampleFormulary_Check() {
	f, err := drugs.Load()
	if err != nil {
		fmt.Println(err)
		return
	}
	d, _ := f.Lookup("Augmentin 625 mg")
	r := f.Check(d, []string{"Penicillins (rash)", "latex"}, []string{"methotrexate 10 mg weekly", "Zapoxiflam"})
	for _, fd := range r.Findings {
		fmt.Printf("%s %s: %s (%s)\n", fd.Severity, fd.Kind, fd.Input, fd.Why)
	}
	for _, name := range r.Unchecked {
		fmt.Println(drugs.NotChecked(name))
	}
	// Output:
	// contraindicated allergy: Penicillins (rash) (amoxicillin + clavulanic acid is a penicillin)
	// moderate interaction: methotrexate 10 mg weekly (amoxicillin + clavulanic acid is a penicillin; methotrexate)
	// not checked: Zapoxiflam is not in the formulary
}

// Suggestions while typing come from every name a drug is known by.
func ExampleFormulary_Search() {
	f, _ := drugs.Load()
	for _, s := range f.Search("augm", 3) {
		fmt.Println(s.Matched, "=", s.Drug.Name, s.Drug.ATC, s.Drug.Forms[0].Strength, s.Drug.Forms[0].Form)
	}
	// Output:
	// augmentin = amoxicillin + clavulanic acid [J01CR02] 500 mg + 125 mg tablet
}
