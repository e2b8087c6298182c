package drugs

import (
	"sort"
	"testing"
	"time"
)

// prefixes are what a physician types, letter by letter, while choosing.
var prefixes = func() []string {
	var out []string
	for _, w := range []string{"amoxicillin", "warfarin", "augmentin", "sertraline", "co-amoxiclav", "salbutamol", "metformin", "lithium carbonate", "paracetamol", "zz"} {
		for i := 1; i <= len(w); i++ {
			out = append(out, w[:i])
		}
	}
	return out
}()

// BenchmarkSearch types names letter by letter and reports the 99th
// percentile of one call (the goal is below 1 ms).
func BenchmarkSearch(b *testing.B) {
	f := mustLoad(b)
	var times []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := prefixes[i%len(prefixes)]
		start := time.Now()
		f.Search(p, 10)
		times = append(times, time.Since(start))
	}
	b.StopTimer()
	reportP99(b, times)
}

// BenchmarkLookup resolves recorded medications of the kinds people write.
func BenchmarkLookup(b *testing.B) {
	f := mustLoad(b)
	texts := []string{"Lithium carbonate 400 mg MR tablets, one at night", "Augmentin 625mg", "amoxycillin", "penicillins",
		"grandma's herbal tea", "J01CA04", "sulfa drugs"}
	var times []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		f.Resolve(texts[i%len(texts)])
		times = append(times, time.Since(start))
	}
	b.StopTimer()
	reportP99(b, times)
}

// BenchmarkCheck runs every check for one drug against a busy patient:
// five allergies and twelve current medications.
func BenchmarkCheck(b *testing.B) {
	f := mustLoad(b)
	d := mustLookup(b, f, "clarithromycin")
	allergies := []string{"penicillins", "sulfa", "latex", "codeine", "NSAIDs"}
	current := []string{"warfarin 3 mg", "simvastatin 40 mg", "amlodipine 5 mg", "ramipril 10 mg", "metformin 1 g",
		"omeprazole 20 mg", "sertraline 50 mg", "digoxin 125 micrograms", "levothyroxine 100 micrograms", "lithium",
		"colchicine", "zopiclone 7.5 mg"}
	var times []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		f.Check(d, allergies, current)
		times = append(times, time.Since(start))
	}
	b.StopTimer()
	reportP99(b, times)
}

func reportP99(b *testing.B, times []time.Duration) {
	if len(times) == 0 {
		return
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	p99 := times[len(times)*99/100]
	b.ReportMetric(float64(p99.Microseconds()), "p99-µs")
}
