package drugs

import "testing"

// TestSpoken: class names are kept in lower case in the tables and shown
// as people write them (the allergy check said "both in the nsaid
// family").
func TestSpoken(t *testing.T) {
	for _, tc := range []struct{ in, want, article string }{
		{"nsaid", "NSAID", "an NSAID"},
		{"strong cyp3a4 inhibitor", "strong CYP3A4 inhibitor", "a strong CYP3A4 inhibitor"},
		{"cyp3a4-critical substrate", "CYP3A4-critical substrate", "a CYP3A4-critical substrate"},
		{"qt-prolonging", "QT-prolonging", "a QT-prolonging"},
		{"ace inhibitor", "ACE inhibitor", "an ACE inhibitor"},
		{"ssri", "SSRI", "an SSRI"},
		{"dpp-4 inhibitor", "DPP-4 inhibitor", "a DPP-4 inhibitor"},
		{"5-ht3 antagonist", "5-HT3 antagonist", "a 5-HT3 antagonist"},
		{"vitamin b12", "vitamin B12", "a vitamin B12"},
		{"vitamin k antagonist", "vitamin K antagonist", "a vitamin K antagonist"},
		{"hepatitis c antiviral", "hepatitis C antiviral", "a hepatitis C antiviral"},
		{"parenteral factor xa inhibitor", "parenteral factor Xa inhibitor", "a parenteral factor Xa inhibitor"},
		{"p-gp inhibitor", "P-gp inhibitor", "a P-gp inhibitor"},
		{"sars-cov-2 antiviral", "SARS-CoV-2 antiviral", "a SARS-CoV-2 antiviral"},
		{"vitamin and mineral", "vitamin and mineral", "a vitamin and mineral"},
		{"anticoagulant", "anticoagulant", "an anticoagulant"},
		{"co-trimoxazole", "co-trimoxazole", "a co-trimoxazole"},
		{"", "", ""},
	} {
		if got := Spoken(tc.in); got != tc.want {
			t.Errorf("Spoken(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := article(tc.in); got != tc.article {
			t.Errorf("article(%q) = %q, want %q", tc.in, got, tc.article)
		}
	}
}

// TestFindingSaysClassesAsSpoken: the finding a physician reads names the
// family as written ("NSAID", not the table's "nsaid").
func TestFindingSaysClassesAsSpoken(t *testing.T) {
	f := mustLoad(t)
	got, _ := f.AllergyConflicts(mustLookup(t, f, "ibuprofen 400 mg tablet"), []string{"Aspirin"})
	if len(got) != 1 || got[0].Message != `Allergy: ibuprofen and aspirin are both in the NSAID family (recorded as "Aspirin").` {
		t.Errorf("findings %+v; want one saying the NSAID family", got)
	}
}
