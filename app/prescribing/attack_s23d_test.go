package prescribing

import (
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app/chart"
)

// TestAttackS23dSecondAllergyAfterAReaction: an allergy or medication
// field naming two things, the first followed by words the formulary does
// not know ("penicillin (hives), ibuprofen (wheeze)", as a physician
// types it or an imported record's text reads), lost the second silently:
// ResolveAll stopped at the first unknown word after a name, so ibuprofen
// was prescribed to a patient whose chart lists an ibuprofen allergy with
// no warning at all, not even "not checked" (h-rev23, session 23).
// Each case must warn (an allergy or interaction finding naming the
// second entry, or a "not checked" warning for it): never silence.
func TestAttackS23dSecondAllergyAfterAReaction(t *testing.T) {
	f, err := BundledFormulary()
	if err != nil {
		t.Fatal(err)
	}
	ibuprofen := mustDrug(t, f, "ibuprofen")
	items := []RxItem{{DrugID: ibuprofen.ID, Generic: ibuprofen.Generic}}
	tests := []struct {
		name      string
		allergies []string
		taking    []string
		want      string // the kind of warning that must come
	}{
		{"reaction in brackets", []string{"penicillin (hives), ibuprofen (wheeze)"}, nil, WarnAllergy},
		{"reaction after a name", []string{"penicillin anaphylaxis, NSAIDs"}, nil, WarnAllergy},
		{"reaction after a dash", []string{"codeine - vomiting; ibuprofen"}, nil, WarnAllergy},
		{"reaction in brackets with a comma", []string{"penicillin (hives, swelling), ibuprofen"}, nil, WarnAllergy},
		{"no separator", []string{"penicillin rash ibuprofen wheeze"}, nil, WarnAllergy},
		{"unknown after a reaction", []string{"penicillin rash, zapoxiflam"}, nil, WarnNotChecked},
		{"medication with a note", nil, []string{"metoprolol 50 mg (for BP), warfarin 5 mg"}, WarnInteraction},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c chart.Chart
			for _, a := range tt.allergies {
				c.Allergies = append(c.Allergies, chart.Allergy{Substance: a})
			}
			for _, m := range tt.taking {
				c.Medications = append(c.Medications, chart.Medication{Name: m})
			}
			ws := checkItems(f, items, c, "", nil)
			for _, w := range ws {
				if w.Kind == tt.want {
					return
				}
			}
			t.Errorf("prescribing ibuprofen to a patient with allergies %q, medications %q: warnings %+v, want a %s warning",
				tt.allergies, tt.taking, ws, tt.want)
		})
	}
}

// TestAttackS23dLongAllergyHangsTheCheck: an allergy's substance has no
// length bound but the envelope's (1 MiB), and the formulary's matcher
// tried every run of words from each place (strings joined for each:
// cubic in the words), so one allergy of 1,500 repeated words (16 kB,
// typed, pasted, or brought by an outside FHIR bundle an honest physician
// imports) held every prescription check for that patient for about a
// minute of CPU (about 20 minutes at 4,000 words): no prescription for
// her can be signed. The check of an allergy list of 1,500 words must
// take well under a second; 5 s is given for a loaded machine.
func TestAttackS23dLongAllergyHangsTheCheck(t *testing.T) {
	f, err := BundledFormulary()
	if err != nil {
		t.Fatal(err)
	}
	ibuprofen := mustDrug(t, f, "ibuprofen")
	items := []RxItem{{DrugID: ibuprofen.ID, Generic: ibuprofen.Generic}}
	for _, shape := range []string{"penicillin ", "zapoxiflam, ", "tab "} {
		var c chart.Chart
		c.Allergies = []chart.Allergy{{Substance: strings.TrimSpace(strings.Repeat(shape, 1500))}}
		c.Medications = []chart.Medication{{Name: strings.TrimSpace(strings.Repeat(shape, 1500))}}
		done := make(chan time.Duration, 1)
		go func() {
			start := time.Now()
			checkItems(f, items, c, "", nil)
			done <- time.Since(start)
		}()
		select {
		case took := <-done:
			t.Logf("1,500 × %q: %v", shape, took)
		case <-time.After(5 * time.Second):
			t.Errorf("the check of an allergy and a medication of 1,500 × %q takes more than 5 s (still running)", shape)
		}
	}
}
