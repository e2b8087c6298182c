package interop

import (
	"fmt"
	"sort"
	"strings"
)

// summarize adds up what is left out and says it in one sentence.
func (x *fhirImporter) summarize() {
	x.sum.LeftOutTotal = 0
	for _, n := range x.sum.LeftOut {
		x.sum.LeftOutTotal += n
	}
	if x.sum.LeftOutTotal > 0 {
		x.skipped = append(x.skipped, fmt.Sprintf("Left out, as Medihaven does not keep them: %s.", countList(x.sum.LeftOut)))
	}
	if n := x.sum.Resources["Medication"]; n > 0 {
		x.skipped = append(x.skipped, fmt.Sprintf("%d Medication resources were read into the medications that name them.", n))
	}
}

// countList is "49 Claim, 37 ExplanationOfBenefit and 1 Provenance": the
// largest counts first, then by name.
func countList(m map[string]int) string {
	type kv struct {
		k string
		n int
	}
	var all []kv
	for k, n := range m {
		if n > 0 {
			all = append(all, kv{k, n})
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].n != all[j].n {
			return all[i].n > all[j].n
		}
		return all[i].k < all[j].k
	})
	var parts []string
	for _, e := range all {
		parts = append(parts, fmt.Sprintf("%d %s", e.n, e.k))
	}
	switch len(parts) {
	case 0:
		return "nothing"
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// Summary says in one sentence what the bundle holds for Medihaven: "This
// bundle holds 1 patient, 35 records Medihaven keeps and 81 it leaves
// out: 49 Claim, 37 ExplanationOfBenefit…"
func (f FHIRImport) Summary() string {
	patients := f.Resources["Patient"]
	kept := f.Total - patients
	s := fmt.Sprintf("This bundle holds %s, %s Medihaven keeps", plural(patients, "patient"), plural(kept, "record"))
	if f.LeftOutTotal == 0 {
		return s + " and nothing it leaves out."
	}
	return fmt.Sprintf("%s and %d it leaves out: %s.", s, f.LeftOutTotal, countList(f.LeftOut))
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
