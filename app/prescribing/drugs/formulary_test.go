package drugs

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/medihaven/medihaven/assets"
)

func TestBundled(t *testing.T) {
	f := mustLoad(t)
	drugs := f.Drugs()
	core := 0
	for _, d := range drugs {
		if d.EML == "core" {
			core++
		}
	}
	if len(drugs) < 400 || core < 150 {
		t.Errorf("%d drugs, %d on the EML core list; want at least 400 and 150", len(drugs), core)
	}
	if len(f.Rules()) < 80 {
		t.Errorf("%d interaction rules, want the ONC high-priority and common primary-care ones (80+)", len(f.Rules()))
	}
	for _, r := range f.Rules() {
		for _, s := range r.Sources {
			if f.Source(s) == "" {
				t.Errorf("rule %s cites unknown source %q", r.ID, s)
			}
		}
	}
}

// Every drug resolves by its generic name, each salt and synonym, and
// each ATC code (alone when no other drug shares it).
func TestEveryDrugResolves(t *testing.T) {
	f := mustLoad(t)
	for _, d := range f.Drugs() {
		names := append(append([]string{d.Name, strings.ToUpper(d.Name)}, d.Salts...), d.Synonyms...)
		for _, n := range names {
			got, ok := f.Lookup(n)
			if !ok || got.Name != d.Name {
				t.Errorf("Lookup(%q) = %q, %v; want %q", n, got.Name, ok, d.Name)
			}
			if r := f.Resolve(n); r.Drug == nil || r.Drug.Name != d.Name {
				t.Errorf("Resolve(%q) = %q; want the drug %q", n, r.Name(), d.Name)
			}
		}
		for _, code := range d.ATC {
			all := f.LookupATC(strings.ToLower(code))
			if !slices.ContainsFunc(all, func(x Drug) bool { return x.Name == d.Name }) {
				t.Errorf("LookupATC(%s) misses %s", code, d.Name)
			}
			if got, ok := f.Lookup(code); len(all) == 1 && (!ok || got.Name != d.Name) {
				t.Errorf("Lookup(%s) = %q, %v; want %q", code, got.Name, ok, d.Name)
			}
		}
		if len(d.Forms) > 0 && len(d.ATC) == 0 {
			t.Errorf("%s has no ATC code", d.Name)
		}
		if !d.Is(d.Class) {
			t.Errorf("%s is not in its own class %s", d.Name, d.Class)
		}
	}
}

func TestResolveFreeText(t *testing.T) {
	f := mustLoad(t)
	tests := []struct{ text, drug, class string }{
		{"lithium", "lithium", ""},
		{"Lithium carbonate 400 mg MR tablets, one at night", "lithium", ""},
		{"Augmentin 625mg", "amoxicillin + clavulanic acid", ""},
		{"amoxicillin/clavulanate 875/125", "amoxicillin + clavulanic acid", ""},
		{"amoxycillin", "amoxicillin", ""},
		{"Amoxicilline", "amoxicillin", ""},
		{"Tab. Paracetamol 500mg", "paracetamol", ""},
		{"Céfalexine", "cefalexin", ""},
		{"sulphamethoxazole", "sulfamethoxazole", ""},
		{"St. John's Wort", "st john's wort", ""},
		{"morphine sulphate 10 mg/5 mL", "morphine", ""},
		{"oestradiol patch", "estradiol", ""},
		{"frusemide", "furosemide", ""},
		{"albuterol inhaler", "salbutamol", ""},
		{"J01CA04", "amoxicillin", ""},
		{"sulpha", "", "sulfonamide antibiotic"},
		{"Sulfa drugs", "", "sulfonamide antibiotic"},
		{"penicillins", "", "penicillin"},
		{"Penicillin allergy (rash 2019)", "", "penicillin"},
		{"NSAID", "", "nsaid"},
		{"NSAIDs", "", "nsaid"},
		{"beta-blockers", "", "beta blocker"},
		{"ACE inhibitors", "", "ace inhibitor"},
		{"opiates", "", "opioid"},
		{"insulin", "", "insulin"},
		{"latex", "", NonDrugAllergen},
		{"grandma's herbal tea", "", ""},
		{"amoxicilin", "", ""},
		{"", "", ""},
		{"  --  ", "", ""},
	}
	for _, tt := range tests {
		r := f.Resolve(tt.text)
		drug := ""
		if r.Drug != nil {
			drug = r.Drug.Name
		}
		if drug != tt.drug || r.Class != tt.class || r.Found() != (tt.drug != "" || tt.class != "") {
			t.Errorf("Resolve(%q) = drug %q class %q; want %q %q", tt.text, drug, r.Class, tt.drug, tt.class)
		}
	}
}

func TestMedicationNamedAsClass(t *testing.T) {
	f := mustLoad(t)
	got, unchecked := f.Interactions(mustLookup(t, f, "ciprofloxacin"), []string{"insulin", "NSAIDs", "fish oil"})
	if len(unchecked) != 1 || unchecked[0] != "fish oil" {
		t.Errorf("unchecked %v, want fish oil (a food allergen's name is no medication)", unchecked)
	}
	rules := map[string]bool{}
	for _, fd := range got {
		rules[fd.Rule] = true
	}
	if !rules["hypoglycaemia-fq"] {
		t.Errorf("findings %+v: insulin recorded as a class must still meet the hypoglycaemia rule", got)
	}
}

func TestSearch(t *testing.T) {
	f := mustLoad(t)
	tests := []struct {
		prefix string
		first  string
	}{
		{"amox", "amoxicillin"},
		{"Augm", "amoxicillin + clavulanic acid"},
		{"clavul", "amoxicillin + clavulanic acid"},
		{"war", "warfarin"},
		{"LITH", "lithium"},
		{"co-tri", "sulfamethoxazole + trimethoprim"},
	}
	for _, tt := range tests {
		got := f.Search(tt.prefix, 5)
		if len(got) == 0 || got[0].Drug.Name != tt.first {
			t.Errorf("Search(%q) = %+v, want %q first", tt.prefix, got, tt.first)
		}
		for _, s := range got {
			if !s.Drug.Prescribable() {
				t.Errorf("Search(%q) offers the ingredient %s", tt.prefix, s.Drug.Name)
			}
		}
	}
	if got := f.Search("a", 7); len(got) != 7 {
		t.Errorf("Search(a, 7) gave %d", len(got))
	}
	if got := f.Search("zzzz", 5); len(got) != 0 {
		t.Errorf("Search(zzzz) = %v", got)
	}
}

func TestProduct(t *testing.T) {
	f := mustLoad(t)
	d, fm, ok := f.Product("Amoxicillin 500 mg capsule")
	if !ok || d.Name != "amoxicillin" || fm.Strength != "500 mg" || fm.Form != "capsule" {
		t.Fatalf("Product = %s %+v %v", d.Name, fm, ok)
	}
	if got := d.Label(fm); got != "amoxicillin 500 mg capsule" {
		t.Errorf("Label = %q", got)
	}
	back, bfm, ok := f.ProductByID(d.ProductID(fm))
	if id := d.ProductID(fm); id != "amoxicillin|500_mg|capsule" || !ok || back.Name != d.Name || bfm != fm {
		t.Errorf("ProductID %q does not come back: %s %+v %v", id, back.Name, bfm, ok)
	}
	if _, fm, ok := f.Product("Colchicine 500 mcg tablet"); !ok || fm.Strength != "500 micrograms" {
		t.Errorf("mcg and micrograms are one unit: %+v", fm)
	}
	if _, fm, ok := f.Product("amoxicillin"); !ok || fm != (Form{}) {
		t.Errorf("a name alone names no form: %+v %v", fm, ok)
	}
}

// goodTables is a small formulary that parses.
func goodTables() map[string]string {
	return map[string]string{
		"classes.tsv": "class\tkind\tparents\tsynonyms\nantibacterial\tclass\t-\tantibiotics\npenicillin\tfamily\tantibacterial\tpenicillins\nnsaid\tfamily\t-\tnsaids\n",
		"drugs.tsv": "name\tatc\tclass\talso\teml\tsalts\tsynonyms\tcomponents\tforms\n" +
			"amoxicillin\tJ01CA04\tpenicillin\t-\tcore\t-\tamoxil\t-\tcapsule 500 mg (oral)\n" +
			"ibuprofen\tM01AE01\tnsaid\t-\t-\t-\tadvil\t-\ttablet 400 mg (oral)\n",
		"interactions.tsv":     "id\tfirst\tsecond\tseverity\teffect\tmessage\tsources\nx\tamoxicillin\tnsaid\tminor\tx\tMessage.\tlabel\n",
		"cross_reactivity.tsv": "id\tallergy\tdrugs\tseverity\tmessage\tsources\n",
		"sources.tsv":          "key\tcitation\nlabel\tThe labels.\n",
	}
}

func parseMap(m map[string]string) (*Formulary, error) {
	fsys := fstest.MapFS{}
	for name, body := range m {
		fsys["formulary/"+name] = &fstest.MapFile{Data: []byte(body)}
	}
	t, err := ReadTables(fsys)
	if err != nil {
		return nil, err
	}
	return Parse(t)
}

func TestParseRejects(t *testing.T) {
	if _, err := parseMap(goodTables()); err != nil {
		t.Fatalf("good tables: %v", err)
	}
	tests := []struct{ name, file, old, new string }{
		{"bad header", "drugs.tsv", "name\tatc", "nom\tatc"},
		{"missing field", "drugs.tsv", "\tcapsule 500 mg (oral)", ""},
		{"unknown class", "drugs.tsv", "\tpenicillin\t-", "\tpenicilin\t-"},
		{"bad ATC", "drugs.tsv", "J01CA04", "J1CA4"},
		{"form without route", "drugs.tsv", "capsule 500 mg (oral)", "capsule 500 mg"},
		{"form without strength", "drugs.tsv", "capsule 500 mg (oral)", "capsule (oral)"},
		{"synonym of two drugs", "drugs.tsv", "\tadvil\t", "\tamoxil\t"},
		{"dose form twice", "drugs.tsv", "capsule 500 mg (oral)", "capsule 500 mg (oral); capsule 500 mg (rectal)"},
		{"unknown component", "drugs.tsv", "amoxil\t-", "amoxil\tclavulanate"},
		{"bad eml", "drugs.tsv", "\tcore\t", "\tessential\t"},
		{"class loop", "classes.tsv", "antibacterial\tclass\t-", "antibacterial\tclass\tpenicillin"},
		{"unknown parent", "classes.tsv", "antibacterial\tclass\t-", "antibacterial\tclass\tdrug"},
		{"bad kind", "classes.tsv", "nsaid\tfamily", "nsaid\tgroup"},
		{"unknown rule side", "interactions.tsv", "\tnsaid\tminor", "\tnsaids-x\tminor"},
		{"bad severity", "interactions.tsv", "\tminor\t", "\tdeadly\t"},
		{"unknown source", "interactions.tsv", "\tlabel\n", "\tsmpc\n"},
		{"no sources file header", "sources.tsv", "key\tcitation\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := goodTables()
			if !strings.Contains(m[tt.file], tt.old) {
				t.Fatalf("%s has no %q", tt.file, tt.old)
			}
			m[tt.file] = strings.Replace(m[tt.file], tt.old, tt.new, 1)
			_, err := parseMap(m)
			var pe *ParseError
			if !errors.Is(err, ErrMalformed) || !errors.As(err, &pe) || pe.File != tt.file {
				t.Fatalf("err = %v, want a ParseError of %s", err, tt.file)
			}
		})
	}
}

func TestSourceStatesLicence(t *testing.T) {
	src := strings.Join(strings.Fields(string(assets.FormularySource)), " ") // Markdown wraps lines anywhere
	for _, want := range []string{"CC0", "CC BY-NC-SA 3.0 IGO", "not freely redistributable", "Not for clinical use until reviewed", "pharmacist"} {
		if !strings.Contains(src, want) {
			t.Errorf("SOURCE.md does not say %q", want)
		}
	}
}

func TestSuggest(t *testing.T) {
	f := mustLoad(t)
	tests := []struct{ text, want string }{
		{"amoxicilin 500mg", "amoxicillin"},
		{"Warfarine", "warfarin"},
		{"seretide", "fluticasone + salmeterol"},
		{"metformine", "metformin"},
		{"grandma's herbal tea", ""},
		{"abc", ""},
	}
	for _, tt := range tests {
		got := f.Suggest(tt.text, 3)
		if tt.want == "" && len(got) != 0 || tt.want != "" && (len(got) == 0 || got[0] != tt.want) {
			t.Errorf("Suggest(%q) = %v, want %q first", tt.text, got, tt.want)
		}
	}
}

func TestResolveAll(t *testing.T) {
	f := mustLoad(t)
	tests := []struct {
		text string
		want []string // names found, in order; "?" for not found
	}{
		{"penicillin, sulfa", []string{"penicillin", "sulfonamide antibiotic"}},
		{"Penicillin; Sulpha drugs; codeine (vomiting)", []string{"penicillin", "sulfonamide antibiotic", "codeine"}},
		{"vitamin D and calcium", []string{"colecalciferol", "calcium supplement"}},
		{"Lithium carbonate 400 mg MR tablets, one at night", []string{"lithium"}},
		{"Augmentin 625mg tds", []string{"amoxicillin + clavulanic acid"}},
		{"amoxicillin and clavulanic acid", []string{"amoxicillin + clavulanic acid"}},
		{"aspirin - rash", []string{"aspirin"}},
		{"Salbutamol inh prn, beclometasone 2 puffs bd", []string{"salbutamol", "beclometasone"}},
		{"zapoxiflam", []string{"?"}},
		{"J01CA04", []string{"amoxicillin"}},
		// Session 23: words naming nothing after a name are passed over up
		// to the next entry of the list, an entry naming nothing is not
		// dropped, a name with a comma stays one.
		{"penicillin (hives), ibuprofen (wheeze)", []string{"penicillin", "ibuprofen"}},
		{"penicillin (hives, swelling); NSAIDs", []string{"penicillin", "nsaid"}},
		{"penicillin rash, zapoxiflam", []string{"penicillin", "?"}},
		{"penicillin rash ibuprofen wheeze", []string{"penicillin", "ibuprofen"}},
		{"zapoxiflam, ibuprofen", []string{"?", "ibuprofen"}},
		{"measles, mumps and rubella vaccine, penicillin", []string{"measles, mumps and rubella vaccine", "penicillin"}},
		{"Lithium carbonate 400 mg MR tablets,\none at night", []string{"lithium"}},
	}
	for _, tt := range tests {
		var got []string
		for _, r := range f.ResolveAll(tt.text) {
			if r.Found() {
				got = append(got, r.Name())
			} else {
				got = append(got, "?")
			}
		}
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("ResolveAll(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
	// A second allergy in one field is checked, not dropped.
	got, _ := f.AllergyConflicts(mustLookup(t, f, "co-trimoxazole"), []string{"penicillin, sulfa"})
	if len(got) != 1 || got[0].Matched != "sulfonamide antibiotic" || got[0].Input != "sulfa" {
		t.Errorf("findings %+v, want the sulfa allergy of the list", got)
	}
}
