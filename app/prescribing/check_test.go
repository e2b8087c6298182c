package prescribing

import (
	"strings"
	"testing"

	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/assets"
)

func mustDrug(t *testing.T, f *Formulary, label string) Drug {
	t.Helper()
	d, ok := f.Find(label)
	if !ok {
		t.Fatalf("%q is not in the formulary", label)
	}
	return d
}

func TestAllergyCheck(t *testing.T) {
	f, err := BundledFormulary()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		drug      string
		allergies []chart.Allergy
		want      string // a word of the warning's message; "" means no warning
	}{
		{"same substance", "amoxicillin 500 mg", []chart.Allergy{{Substance: "Amoxicillin", Reaction: "rash"}}, "allergic to Amoxicillin"},
		{"class named", "amoxicillin 500 mg", []chart.Allergy{{Substance: "penicillin", Reaction: "anaphylaxis"}}, "is a penicillin"},
		{"class plural alias", "flucloxacillin", []chart.Allergy{{Substance: "Penicillins"}}, "is a penicillin"},
		{"another drug of the class", "phenoxymethylpenicillin", []chart.Allergy{{Substance: "amoxicillin"}}, "like amoxicillin"},
		{"part of a combination", "trimethoprim-sulfamethoxazole", []chart.Allergy{{Substance: "trimethoprim"}}, "allergic to trimethoprim"},
		{"sulfa alias", "trimethoprim-sulfamethoxazole", []chart.Allergy{{Substance: "sulfa", Reaction: "hives"}}, "sulfonamide antibiotic"},
		{"cross-reactivity", "cefalexin", []chart.Allergy{{Substance: "penicillin"}}, "cross-reactivity"},
		{"aspirin and NSAIDs", "ibuprofen", []chart.Allergy{{Substance: "aspirin", Reaction: "bronchospasm"}}, "cross-reactivity"},
		{"alias of a generic", "paracetamol", []chart.Allergy{{Substance: "acetaminophen"}}, "allergic to acetaminophen"},
		{"unrelated drug", "atorvastatin", []chart.Allergy{{Substance: "penicillin"}}, ""},
		{"unrelated substance", "amoxicillin 500 mg", []chart.Allergy{{Substance: "latex"}, {Substance: "peanuts"}}, ""},
		{"entered in error", "amoxicillin 500 mg", []chart.Allergy{{Substance: "amoxicillin", Status: chart.AllergyEnteredInError}}, ""},
		{"macrolide vs penicillin", "clarithromycin", []chart.Allergy{{Substance: "penicillin"}}, ""},
		{"no allergies", "amoxicillin 500 mg", nil, ""},
		{"trimethoprim alone vs sulfa", "trimethoprim 200 mg", []chart.Allergy{{Substance: "sulfa"}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := f.CheckAllergies(mustDrug(t, f, tt.drug), tt.allergies)
			if tt.want == "" {
				if len(got) != 0 {
					t.Fatalf("warned %+v, want no warning", got)
				}
				return
			}
			if len(got) != 1 || !strings.Contains(got[0].Message, tt.want) || got[0].Kind != WarnAllergy {
				t.Fatalf("got %+v, want one allergy warning mentioning %q", got, tt.want)
			}
		})
	}
}

func TestInteractionCheck(t *testing.T) {
	f, err := BundledFormulary()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		drug     string
		taking   []string
		severity string // "" means no warning
	}{
		{"warfarin and an NSAID", "ibuprofen", []string{"warfarin"}, "major"},
		{"NSAID and warfarin, other way", "warfarin", []string{"naproxen 500 mg tablet"}, "major"},
		{"warfarin and ciprofloxacin", "ciprofloxacin", []string{"Warfarin 1 mg"}, "major"},
		{"ACE inhibitor and spironolactone", "spironolactone", []string{"lisinopril 10 mg"}, "major"},
		{"sildenafil and a nitrate", "sildenafil", []string{"isosorbide mononitrate"}, "major"},
		{"simvastatin and clarithromycin", "clarithromycin", []string{"simvastatin"}, "major"},
		{"SSRI and tramadol", "tramadol", []string{"sertraline"}, "major"},
		{"opioid and benzodiazepine", "codeine", []string{"diazepam 5 mg"}, "major"},
		{"methotrexate and trimethoprim", "trimethoprim 200 mg", []string{"methotrexate"}, "major"},
		{"clopidogrel and omeprazole", "omeprazole", []string{"clopidogrel"}, "moderate"},
		{"levothyroxine and calcium", "calcium carbonate", []string{"levothyroxine"}, "moderate"},
		{"ACE inhibitor and NSAID", "ibuprofen", []string{"ramipril"}, "moderate"},
		{"paracetamol and warfarin stay quiet", "paracetamol", []string{"warfarin"}, ""},
		{"amoxicillin and metformin stay quiet", "amoxicillin 500 mg", []string{"metformin", "atorvastatin"}, ""},
		{"azithromycin and simvastatin stay quiet", "azithromycin", []string{"simvastatin"}, ""},
		{"unknown medication stays quiet", "ibuprofen", []string{"grandma's herbal tea"}, ""},
		{"same drug is no interaction", "ibuprofen", []string{"ibuprofen 400 mg"}, ""},
		{"nothing taken", "warfarin", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var taking []Taking
			for _, n := range tt.taking {
				taking = append(taking, Taking{Name: n, Source: "current medication"})
			}
			got := f.CheckInteractions(mustDrug(t, f, tt.drug), taking)
			if tt.severity == "" {
				if len(got) != 0 {
					t.Fatalf("warned %+v, want no warning", got)
				}
				return
			}
			if len(got) != 1 || got[0].Severity != tt.severity || got[0].Kind != WarnInteraction {
				t.Fatalf("got %+v, want one %s interaction", got, tt.severity)
			}
		})
	}
}

func TestFormularyBundled(t *testing.T) {
	f, err := BundledFormulary()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(f.Drugs()); n < 80 {
		t.Errorf("%d drugs, want the common primary-care ones (80+)", n)
	}
	if got := f.Search("amoxi 500", 0); len(got) != 2 {
		t.Errorf("search amoxi 500: %v", got)
	}
	if !strings.Contains(string(assets.FormularySource), "CC0") || !strings.Contains(string(assets.FormularySource), "not for clinical use") {
		t.Error("SOURCE.md must state the licence and that it is a demo dataset")
	}
}

func TestParseFormularyRejects(t *testing.T) {
	good := "amoxicillin,capsule,500 mg,penicillin,oral\nibuprofen,tablet,400 mg,nsaid,oral\n"
	tests := []struct{ name, drugs, inter, allergy string }{
		{"missing field", "amoxicillin,capsule,500 mg,penicillin\n", "", ""},
		{"empty class", "amoxicillin,capsule,500 mg,,oral\n", "", ""},
		{"duplicate", good + "amoxicillin,capsule,500 mg,penicillin,oral\n", "", ""},
		{"two classes", good + "amoxicillin,tablet,250 mg,cephalosporin,oral\n", "", ""},
		{"unknown side", good, "amoxicillin,warfarin,major,x\n", ""},
		{"bad severity", good, "amoxicillin,class:nsaid,deadly,x\n", ""},
		{"unknown alias target", good, "", "alias,sulfa,sulfonamide antibiotic\n"},
		{"bad row kind", good, "", "maybe,a,b\n"},
		{"bad quote", "\"amoxicillin,capsule,500 mg,penicillin,oral\n", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseFormulary([]byte(tt.drugs), []byte(tt.inter), []byte(tt.allergy)); err == nil {
				t.Fatal("parsed, want an error")
			}
		})
	}
	if _, err := ParseFormulary([]byte(good), []byte("amoxicillin,class:nsaid,moderate,x\n"), []byte("alias,nsaids,nsaid\ncross,nsaid,penicillin\n")); err != nil {
		t.Fatalf("good formulary: %v", err)
	}
}

func FuzzParseFormulary(f *testing.F) {
	f.Add(assets.FormularyDrugs, assets.FormularyInteractions, assets.FormularyAllergy)
	f.Add([]byte("a,b,c,d,e\n"), []byte("a,class:d,major,x\n"), []byte("alias,x,a\n"))
	f.Fuzz(func(t *testing.T, drugs, inter, allergy []byte) {
		fm, err := ParseFormulary(drugs, inter, allergy)
		if err != nil {
			return
		}
		for _, d := range fm.Drugs() {
			fm.CheckAllergies(d, []chart.Allergy{{Substance: d.Class}, {Substance: d.Generic}})
			fm.CheckInteractions(d, []Taking{{Name: d.Generic}, {Name: "x"}})
		}
	})
}

func FuzzNormalizeCode(f *testing.F) {
	f.Add("abcde-23456")
	f.Add(" AB CDE 234-56 ")
	f.Fuzz(func(t *testing.T, s string) {
		c := NormalizeCode(s)
		if len(c) == 11 && NormalizeCode(c) != c {
			t.Fatalf("NormalizeCode is not idempotent on %q", s)
		}
	})
}
