package drugs

import (
	"strings"
	"testing"
)

func mustLoad(t testing.TB) *Formulary {
	t.Helper()
	f, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func mustLookup(t testing.TB, f *Formulary, name string) Drug {
	t.Helper()
	d, ok := f.Lookup(name)
	if !ok {
		t.Fatalf("%q is not in the formulary", name)
	}
	return d
}

// check is one case of the allergy and interaction table: prescribing drug
// to a patient with one allergy or one current medication. rule "" means
// no finding at all; otherwise the first finding has that rule and
// severity. The sources of each case are those its rule cites
// (cross_reactivity.tsv, interactions.tsv).
type check struct {
	name     string
	drug     string
	allergy  string // one of allergy and taking is set
	taking   string
	rule     string
	severity Severity
}

var allergyCases = []check{
	// By substance, brand and spelling.
	{"same substance", "amoxicillin", "Amoxicillin", "", RuleSubstance, Contraindicated},
	{"spelling variant", "amoxicillin", "amoxycillin", "", RuleSubstance, Contraindicated},
	{"substance in a combination", "co-amoxiclav", "amoxicillin", "", RuleSubstance, Contraindicated},
	{"brand of the combination", "amoxicillin", "Augmentin", "", RuleComponent, Major},
	{"allergen in co-trimoxazole", "co-trimoxazole", "trimethoprim", "", RuleSubstance, Contraindicated},
	{"paracetamol as acetaminophen", "co-codamol", "acetaminophen", "", RuleSubstance, Contraindicated},
	// By class named, singular or plural.
	{"class plural", "flucloxacillin", "Penicillins", "", RuleClass, Contraindicated},
	{"class singular", "amoxicillin", "penicillin", "", RuleClass, Contraindicated},
	{"extended-spectrum combination", "piperacillin + tazobactam", "penicillins", "", RuleClass, Contraindicated},
	{"pip-tazo brand", "Tazocin", "PCN", "", RuleClass, Contraindicated},
	{"temocillin", "temocillin", "penicillin allergy", "", RuleClass, Contraindicated},
	{"beta-lactams", "meropenem", "beta-lactams", "", RuleClass, Contraindicated},
	{"sulfa drugs", "co-trimoxazole", "sulfa drugs", "", RuleClass, Contraindicated},
	{"sulpha spelling", "sulfadiazine", "sulpha", "", RuleClass, Contraindicated},
	{"NSAID singular", "naproxen", "NSAID", "", RuleClass, Contraindicated},
	{"NSAIDs include aspirin", "aspirin", "NSAIDs", "", RuleClass, Contraindicated},
	{"opiates", "oxycodone", "opiates", "", RuleClass, Contraindicated},
	{"cephalosporins", "ceftriaxone", "cephalosporins", "", RuleClass, Contraindicated},
	{"macrolides", "azithromycin", "macrolides", "", RuleClass, Contraindicated},
	{"quinolones", "ciprofloxacin", "quinolones", "", RuleClass, Contraindicated},
	{"ACE inhibitors", "ramipril", "ACE inhibitors", "", RuleClass, Contraindicated},
	// Another member of a family.
	{"penicillin family", "phenoxymethylpenicillin", "amoxicillin", "", RuleFamily, Major},
	{"co-amoxiclav then flucloxacillin", "flucloxacillin", "co-amoxiclav", "", RuleFamily, Major},
	{"aspirin then ibuprofen", "ibuprofen", "aspirin", "", RuleFamily, Major},
	{"ibuprofen then celecoxib", "celecoxib", "ibuprofen", "", RuleFamily, Major},
	{"morphine then codeine", "codeine", "morphine", "", RuleFamily, Major},
	{"ACE-inhibitor angioedema", "lisinopril", "enalapril", "", RuleFamily, Major},
	{"aromatic anticonvulsants", "lamotrigine", "carbamazepine", "", RuleFamily, Major},
	{"tetracyclines", "doxycycline", "tetracycline", "", RuleFamily, Major},
	// Cross-reactivity.
	{"penicillin and cephalosporin", "ceftriaxone", "penicillin", "", "pen-ceph", Moderate},
	{"amoxicillin side chain", "cefalexin", "amoxicillin", "", "pen-ceph-sidechain", Major},
	{"cephalexin spelling", "cephalexin", "Amoxil", "", "pen-ceph-sidechain", Major},
	{"cephalosporin and penicillin", "amoxicillin", "ceftriaxone", "", "ceph-pen", Moderate},
	{"penicillin and carbapenem", "meropenem", "penicillins", "", "pen-carbapenem", Minor},
	{"ceftazidime and aztreonam", "aztreonam", "ceftazidime", "", "ceftazidime-aztreonam", Major},
	{"sulfa and sulfasalazine", "sulfasalazine", "sulfa", "", "sulfa-sulfasalazine", Major},
	{"other opioid group", "fentanyl", "morphine", "", "opioid-phen", Minor},
	{"ACE inhibitor and sacubitril", "Entresto", "ramipril", "", "acei-arni", Contraindicated},
	{"contrast dye", "iohexol", "contrast dye", "", RuleClass, Contraindicated},
	{"local anaesthetics", "tetracaine", "local anaesthetics", "", RuleClass, Contraindicated},
	// No warning.
	{"amide and ester anaesthetics", "tetracaine", "lidocaine", "", "", 0},
	{"sulfa and furosemide (Strom 2003)", "furosemide", "sulfa", "", "", 0},
	{"sulfa and a thiazide", "hydrochlorothiazide", "sulfonamides", "", "", 0},
	{"sulfa and a sulfonylurea", "gliclazide", "sulfa drugs", "", "", 0},
	{"sulfa and celecoxib", "celecoxib", "sulfa", "", "", 0},
	{"sulfa and trimethoprim alone", "trimethoprim", "sulfa", "", "", 0},
	{"penicillin and a macrolide", "clarithromycin", "penicillin", "", "", 0},
	{"penicillin and a quinolone", "levofloxacin", "penicillins", "", "", 0},
	{"penicillin and atorvastatin", "atorvastatin", "penicillin", "", "", 0},
	{"aspirin and paracetamol (NERD)", "paracetamol", "aspirin", "", "nsaid-paracetamol", Minor},
	{"ibuprofen and amoxicillin", "amoxicillin", "ibuprofen", "", "", 0},
	{"latex is no drug allergen", "amoxicillin", "latex", "", "", 0},
	{"peanut is no drug allergen", "amoxicillin", "Peanuts", "", "", 0},
	{"codeine and paracetamol alone", "paracetamol", "codeine", "", "", 0},
	{"clavulanate only in co-amoxiclav", "amoxicillin", "clavulanic acid", "", "", 0},
}

var interactionCases = []check{
	// Anticoagulants.
	{"warfarin and an NSAID", "ibuprofen", "", "warfarin", "anticoag-nsaid", Major},
	{"apixaban and naproxen", "naproxen", "", "Eliquis 5 mg", "anticoag-nsaid", Major},
	{"warfarin and aspirin", "aspirin", "", "warfarin 3 mg", "anticoag-antiplatelet", Major},
	{"rivaroxaban and clopidogrel", "clopidogrel", "", "rivaroxaban", "anticoag-antiplatelet", Major},
	{"warfarin and clarithromycin", "clarithromycin", "", "Coumadin", "vka-macrolide", Major},
	{"warfarin and fluconazole", "fluconazole", "", "warfarin", "vka-azole", Major},
	{"warfarin and metronidazole", "metronidazole", "", "warfarin", "vka-metronidazole", Major},
	{"warfarin and co-trimoxazole", "Septrin", "", "warfarin", "vka-cotrimoxazole", Major},
	{"dabigatran and dronedarone", "dronedarone", "", "Pradaxa", "dabigatran-pgp", Major},
	{"apixaban and rifampicin", "rifampicin", "", "apixaban", "doac-inducer", Major},
	{"clopidogrel and omeprazole", "omeprazole", "", "clopidogrel 75 mg", "clopidogrel-ppi", Major},
	{"sertraline and warfarin", "sertraline", "", "warfarin", "ssri-anticoag", Moderate},
	// Serotonergic.
	{"SSRI and tramadol", "tramadol", "", "sertraline", "serotonergic-opioid", Major},
	{"phenelzine and sertraline", "sertraline", "", "phenelzine", "maoi-serotonergic", Contraindicated},
	{"linezolid and citalopram", "linezolid", "", "citalopram", "maoi-serotonergic", Contraindicated},
	{"MAOI and pseudoephedrine", "pseudoephedrine", "", "tranylcypromine", "maoi-sympathomimetic", Contraindicated},
	{"rasagiline and sertraline", "sertraline", "", "rasagiline", "maob-serotonergic", Major},
	{"moclobemide and sumatriptan", "sumatriptan", "", "moclobemide", "maoi-triptan", Contraindicated},
	{"sertraline and St John's wort", "sertraline", "", "St. John's Wort", "serotonergic-duplicate", Moderate},
	{"fluoxetine and lithium", "fluoxetine", "", "lithium", "serotonergic-duplicate", Moderate},
	// QT.
	{"citalopram and ondansetron", "ondansetron", "", "citalopram 20 mg", "citalopram-qt", Major},
	{"haloperidol and azithromycin", "azithromycin", "", "haloperidol", "qt-duplicate", Major},
	{"domperidone and erythromycin", "domperidone", "", "erythromycin", "domperidone-qt", Contraindicated},
	// CYP3A4.
	{"simvastatin and clarithromycin", "clarithromycin", "", "simvastatin", "statin-strong", Contraindicated},
	{"lovastatin and itraconazole", "itraconazole", "", "lovastatin", "statin-strong", Contraindicated},
	{"Inegy and ritonavir", "ritonavir", "", "Inegy", "statin-strong", Contraindicated},
	{"simvastatin and amlodipine", "amlodipine", "", "simvastatin 40 mg", "simva-amlodipine", Moderate},
	{"simvastatin and diltiazem", "diltiazem", "", "Zocor", "simva-moderate", Major},
	{"atorvastatin and clarithromycin", "clarithromycin", "", "atorvastatin", "atorva-strong", Major},
	{"colchicine and clarithromycin", "colchicine", "", "clarithromycin", "cyp3a4-critical", Contraindicated},
	{"ergotamine and ritonavir", "ergotamine", "", "Norvir", "ergot-strong", Contraindicated},
	{"Paxlovid and ticagrelor", "Paxlovid", "", "ticagrelor", "ticagrelor-strong", Contraindicated},
	{"fluticasone and ritonavir", "fluticasone", "", "ritonavir", "ritonavir-steroid", Major},
	{"carbamazepine and the pill", "carbamazepine", "", "Microgynon", "inducer-contraceptive", Major},
	// Potassium, RAAS.
	{"lisinopril and spironolactone", "spironolactone", "", "lisinopril 10 mg", "k-sparing-raas", Major},
	{"losartan and potassium", "potassium chloride", "", "losartan", "k-sparing-raas", Major},
	{"ramipril and trimethoprim", "trimethoprim", "", "ramipril", "trimethoprim-raas", Moderate},
	{"ramipril and candesartan", "candesartan", "", "ramipril", "raas-dual", Major},
	{"ramipril and Entresto", "sacubitril + valsartan", "", "ramipril", "acei-sacubitril", Contraindicated},
	{"ramipril and ibuprofen", "ibuprofen", "", "ramipril", "raas-nsaid", Moderate},
	// Nitrates and PDE5.
	{"sildenafil and isosorbide", "sildenafil", "", "isosorbide mononitrate", "pde5-nitrate", Contraindicated},
	{"tadalafil and GTN", "Cialis", "", "GTN", "pde5-nitrate", Contraindicated},
	{"sildenafil and nicorandil", "sildenafil", "", "nicorandil", "pde5-nitrate", Contraindicated},
	// Methotrexate.
	{"methotrexate and trimethoprim", "trimethoprim", "", "methotrexate", "mtx-antifolate", Contraindicated},
	{"methotrexate and co-trimoxazole", "co-trimoxazole", "", "methotrexate 10 mg weekly", "mtx-antifolate", Contraindicated},
	{"methotrexate and naproxen", "naproxen", "", "methotrexate", "mtx-nsaid", Moderate},
	// Lithium.
	{"lithium and ibuprofen", "ibuprofen", "", "lithium", "lithium-nsaid", Major},
	{"lithium carbonate and bendroflumethiazide", "bendroflumethiazide", "", "Priadel 400 mg", "lithium-thiazide", Major},
	{"lithium and lisinopril", "lisinopril", "", "lithium carbonate", "lithium-raas", Major},
	{"lithium and furosemide", "furosemide", "", "lithium", "lithium-loop", Moderate},
	// Digoxin.
	{"digoxin and amiodarone", "amiodarone", "", "digoxin", "digoxin-amiodarone", Major},
	{"digoxin and verapamil", "verapamil", "", "Lanoxin", "digoxin-pgp", Major},
	// CNS depressants.
	{"oxycodone and diazepam", "oxycodone", "", "diazepam", "opioid-benzodiazepine", Major},
	{"codeine and zopiclone", "co-codamol", "", "zopiclone", "opioid-benzodiazepine", Major},
	{"morphine and pregabalin", "pregabalin", "", "morphine sulphate", "opioid-gabapentinoid", Major},
	{"tramadol and promethazine", "promethazine", "", "tramadol", "opioid-cns", Major},
	// Other ONC high-priority and common pairs.
	{"atazanavir and omeprazole", "omeprazole", "", "atazanavir", "atazanavir-ppi", Major},
	{"bosentan and glyburide", "glyburide", "", "bosentan", "bosentan-glibenclamide", Contraindicated},
	{"tizanidine and ciprofloxacin", "ciprofloxacin", "", "tizanidine", "tizanidine-cyp1a2", Contraindicated},
	{"ramelteon and fluvoxamine", "fluvoxamine", "", "ramelteon", "ramelteon-fluvoxamine", Contraindicated},
	{"cisapride and erythromycin", "erythromycin", "", "Propulsid", "cisapride-qt", Contraindicated},
	{"thioridazine and paroxetine", "paroxetine", "", "thioridazine", "thioridazine-qt", Contraindicated},
	{"irinotecan and carbamazepine", "carbamazepine", "", "irinotecan", "irinotecan-inducer", Major},
	{"azathioprine and allopurinol", "allopurinol", "", "azathioprine", "xo-thiopurine", Major},
	{"bisoprolol and verapamil", "verapamil", "", "bisoprolol", "bb-ndhp", Major},
	{"ciprofloxacin and calcium", "ciprofloxacin", "", "Adcal-D3", "chelation-fq", Moderate},
	{"levothyroxine and ferrous sulfate", "ferrous sulphate", "", "levothyroxine", "levothyroxine-cation", Moderate},
	{"tamoxifen and paroxetine", "paroxetine", "", "tamoxifen", "tamoxifen-cyp2d6", Major},
	{"co-codamol and paracetamol", "co-codamol", "", "paracetamol 1 g", RuleDuplicate, Major},
	{"iron recorded as a class", "ciprofloxacin", "", "iron tablets", "chelation-fq", Moderate},
	{"potassium citrate recorded by name", "lisinopril", "", "potassium citrate", "k-sparing-raas", Major},
	{"MMR and azathioprine", "MMR", "", "azathioprine 50 mg", "live-vaccine-immunosuppressant", Contraindicated},
	{"yellow fever vaccine and prednisolone", "Stamaril", "", "prednisolone 40 mg", "live-vaccine-immunosuppressant", Contraindicated},
	{"alteplase and warfarin", "alteplase", "", "warfarin", "thrombolytic-antithrombotic", Major},
	{"rifampicin combination and the pill", "Rifinah", "", "desogestrel", "inducer-contraceptive", Major},
	// No finding.
	{"inactivated influenza vaccine and azathioprine", "flu vaccine", "", "azathioprine", "", 0},
	{"paracetamol and warfarin", "paracetamol", "", "warfarin", "", 0},
	{"amoxicillin and metformin", "amoxicillin", "", "metformin", "", 0},
	{"azithromycin and simvastatin", "azithromycin", "", "simvastatin", "", 0},
	{"pravastatin and clarithromycin", "clarithromycin", "", "pravastatin", "", 0},
	{"pantoprazole and clopidogrel", "pantoprazole", "", "clopidogrel", "", 0},
	{"rosuvastatin and amlodipine", "amlodipine", "", "rosuvastatin", "", 0},
	{"sertraline and paracetamol", "paracetamol", "", "sertraline", "", 0},
	{"same drug", "ibuprofen", "", "ibuprofen 400 mg", "", 0},
	{"topical fusidic acid is the same row", "amoxicillin", "", "fusidic acid cream", "", 0},
	{"levothyroxine and amlodipine", "levothyroxine", "", "amlodipine", "", 0},
}

func TestChecks(t *testing.T) {
	f := mustLoad(t)
	cases := append(append([]check{}, allergyCases...), interactionCases...)
	if len(cases) < 60 {
		t.Fatalf("%d cases, want at least 60", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := mustLookup(t, f, tc.drug)
			var got []Finding
			var unchecked []string
			if tc.allergy != "" {
				got, unchecked = f.AllergyConflicts(d, []string{tc.allergy})
			} else {
				got, unchecked = f.Interactions(d, []string{tc.taking})
			}
			if len(unchecked) != 0 {
				t.Fatalf("%v not checked: the case must name formulary drugs", unchecked)
			}
			if tc.rule == "" {
				if len(got) != 0 {
					t.Fatalf("found %+v, want nothing", got)
				}
				return
			}
			if len(got) == 0 || got[0].Rule != tc.rule || got[0].Severity != tc.severity {
				t.Fatalf("found %+v, want rule %s (%s) first", got, tc.rule, tc.severity)
			}
			fd := got[0]
			if fd.Message == "" || fd.Why == "" || fd.Drug != d.Name || fd.Matched == "" {
				t.Errorf("finding %+v lacks its message, reason or names", fd)
			}
			if len(fd.Sources) == 0 || fd.Source() == "" {
				t.Errorf("finding of rule %s names no source", fd.Rule)
			}
		})
	}
}

func TestNothingSkippedInSilence(t *testing.T) {
	f := mustLoad(t)
	d := mustLookup(t, f, "ibuprofen")
	r := f.Check(d, []string{"penicillin", "grandma's herbal tea", " ", "amoxicilin"}, []string{"warfarin", "", "Zapoxiflam 20 mg"})
	want := []string{"grandma's herbal tea", "amoxicilin", "Zapoxiflam 20 mg"}
	if strings.Join(r.Unchecked, "|") != strings.Join(want, "|") {
		t.Errorf("unchecked %q, want %q", r.Unchecked, want)
	}
	if len(r.Findings) != 1 || r.Findings[0].Input != "warfarin" {
		t.Errorf("findings %+v, want the warfarin interaction only", r.Findings)
	}
	if got := NotChecked(" Zapoxiflam "); got != "not checked: Zapoxiflam is not in the formulary" {
		t.Errorf("NotChecked = %q", got)
	}
}

func TestFindingsMostSevereFirstOnePerEffect(t *testing.T) {
	f := mustLoad(t)
	d := mustLookup(t, f, "tramadol")
	got, _ := f.Interactions(d, []string{"amitriptyline", "phenelzine"})
	if len(got) == 0 || got[0].Severity != Contraindicated || got[0].Input != "phenelzine" {
		t.Fatalf("got %+v, want the MAOI first", got)
	}
	effects := map[string]bool{}
	for _, fd := range got {
		key := fd.Input + "|" + fd.Effect
		if effects[key] {
			t.Errorf("two findings for %s", key)
		}
		effects[key] = true
	}
}

// Every rule of the tables can fire: each side names at least one drug
// of the formulary, and the two sides are not only one and the same drug.
func TestNoDeadRules(t *testing.T) {
	f := mustLoad(t)
	members := func(side []string) map[string]bool {
		out := map[string]bool{}
		for _, d := range f.Drugs() {
			if matchSide(member{d.Name, d.in, d.parts}, side) != "" {
				out[d.Name] = true
			}
		}
		return out
	}
	for _, r := range append(f.Rules(), f.cross...) {
		a, b := members(r.First), members(r.Second)
		pair := false
		for x := range a {
			for y := range b {
				pair = pair || x != y
			}
		}
		if !pair {
			t.Errorf("rule %s matches no pair of drugs (%d and %d members)", r.ID, len(a), len(b))
		}
	}
}
