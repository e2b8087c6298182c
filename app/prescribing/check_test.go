package prescribing

import (
	"strings"
	"testing"

	"github.com/medihaven/medihaven/app/chart"
)

func mustDrug(t *testing.T, f *Formulary, label string) Drug {
	t.Helper()
	d, ok := f.Find(label)
	if !ok {
		t.Fatalf("%q is not in the formulary", label)
	}
	return d
}

// TestCheck is prescribing's side of the checks (the formulary's own
// table of cases is beside it, in app/prescribing/drugs): findings become
// warnings that need a reason, and what the formulary does not know
// becomes a "not checked" warning, never silence.
func TestCheck(t *testing.T) {
	f, err := BundledFormulary()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		drug      string
		allergies []chart.Allergy
		taking    []string
		want      []string // kind and a word of the message, in order
	}{
		{"penicillin allergy", "amoxicillin 500 mg", []chart.Allergy{{Substance: "Penicillins", Reaction: "rash"}}, nil,
			[]string{WarnAllergy + " penicillin"}},
		{"entered in error", "amoxicillin 500 mg", []chart.Allergy{{Substance: "amoxicillin", Status: chart.AllergyEnteredInError}}, nil, nil},
		{"warfarin and an NSAID", "ibuprofen", nil, []string{"warfarin"}, []string{WarnInteraction + " bleeding"}},
		{"a brand is known", "ibuprofen", nil, []string{"Coumadin 5 mg"}, []string{WarnInteraction + " bleeding"}},
		{"unknown medication", "ibuprofen", nil, []string{"grandma's herbal tea"},
			[]string{WarnNotChecked + " grandma's herbal tea is not in the formulary"}},
		{"unknown allergy", "paracetamol", []chart.Allergy{{Substance: "Zyxolon"}}, nil,
			[]string{WarnNotChecked + " Zyxolon is not in the formulary"}},
		{"unrelated", "atorvastatin", []chart.Allergy{{Substance: "penicillin"}}, []string{"metformin"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var taking []Taking
			for _, n := range tt.taking {
				taking = append(taking, Taking{Name: n, Source: "current medication"})
			}
			got := f.Check(mustDrug(t, f, tt.drug), tt.allergies, taking)
			if len(got) != len(tt.want) {
				t.Fatalf("got %+v, want %v", got, tt.want)
			}
			for i, w := range tt.want {
				kind, word, _ := strings.Cut(w, " ")
				if got[i].Kind != kind || !strings.Contains(strings.ToLower(got[i].Message), strings.ToLower(word)) {
					t.Errorf("warning %d: %+v, want %s mentioning %q", i, got[i], kind, word)
				}
			}
		})
	}
}

func TestFormularySearchAndFind(t *testing.T) {
	f, err := BundledFormulary()
	if err != nil {
		t.Fatal(err)
	}
	got := f.Search("amoxi", 0)
	if len(got) < 2 || got[0].Generic != "amoxicillin" {
		t.Errorf("search amoxi: %v", got)
	}
	for _, d := range f.Search("amoxicillin 500", 0) {
		if !strings.HasPrefix(d.Label(), "amoxicillin 500") {
			t.Errorf("search amoxicillin 500 offers %s", d.Label())
		}
	}
	if got := f.Search("", 10); len(got) != 0 {
		t.Errorf("an empty search offers %v", got)
	}
	d := mustDrug(t, f, "amoxicillin 500 mg capsule")
	if back, ok := f.Drug(d.ID); !ok || back.Label() != d.Label() {
		t.Errorf("Drug(%q) = %v %v", d.ID, back, ok)
	}
	if _, ok := f.Find("unobtainium 5 mg"); ok {
		t.Error("found a drug that does not exist")
	}
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

// Two findings of one pair (pimozide with clarithromycin: QT prolongation
// and CYP3A4 inhibition) share one override, and both are on screen:
// the second joins the first rather than being dropped.
func TestSecondFindingOfAPairIsShown(t *testing.T) {
	f, err := BundledFormulary()
	if err != nil {
		t.Fatal(err)
	}
	d := mustDrug(t, f, "pimozide")
	c := chart.Chart{Medications: []chart.Medication{{Name: "clarithromycin"}}}
	separate := f.Check(d, nil, []Taking{{Name: "clarithromycin", Source: "current medication"}})
	if len(separate) < 2 {
		t.Fatalf("the formulary gives %d findings for pimozide with clarithromycin, want 2 or more", len(separate))
	}
	ws := checkItems(f, []RxItem{{DrugID: d.ID, Generic: d.Generic}}, c, "", nil)
	if len(ws) != 1 {
		t.Fatalf("got %d warnings, want the pair's findings as one (one override): %+v", len(ws), ws)
	}
	for _, s := range separate {
		if !strings.Contains(ws[0].Message, s.Message) {
			t.Errorf("the warning does not say %q; it says %q", s.Message, ws[0].Message)
		}
	}
}

// The warning's "Source: …" sentence ends with a full stop, like the
// sentences before it (h-ux25 saw it end without one).
func TestWarningSourceEndsWithFullStop(t *testing.T) {
	f, err := BundledFormulary()
	if err != nil {
		t.Fatal(err)
	}
	ws := f.Check(mustDrug(t, f, "amoxicillin 500 mg"), []chart.Allergy{{Substance: "Penicillins", Reaction: "rash"}}, nil)
	if len(ws) != 1 || !strings.Contains(ws[0].Message, " Source: ") {
		t.Fatalf("got %+v, want one allergy warning with its source", ws)
	}
	if !strings.HasSuffix(ws[0].Message, ".") || strings.HasSuffix(ws[0].Message, "..") {
		t.Errorf("the warning ends %q, want one full stop", ws[0].Message[len(ws[0].Message)-20:])
	}
}
