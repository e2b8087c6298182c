package cli

import "testing"

// TestWindowRowMedian: the table's median of the runs after the first is
// the middle one, or halfway between the middle two (--runs 3 leaves two:
// before session 24 the larger of them was shown).
func TestWindowRowMedian(t *testing.T) {
	for _, c := range []struct {
		name string
		runs []float64
		want float64
	}{
		{"one run", []float64{7}, 7},
		{"two runs: the second", []float64{100, 7}, 7},
		{"three runs: between the last two", []float64{100, 9, 7}, 8},
		{"four runs: the middle of the last three", []float64{100, 9, 3, 7}, 7},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := windowRow{name: c.name}
			for _, v := range c.runs {
				r.runs = append(r.runs, windowMeasure{goLater: v})
			}
			if got := r.median(func(m windowMeasure) float64 { return m.goLater }); got != c.want {
				t.Errorf("median of %v (the first left out) = %v, want %v", c.runs, got, c.want)
			}
		})
	}
}
