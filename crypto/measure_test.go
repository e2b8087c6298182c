package crypto

import "testing"

// TestMeasureEnvelopes: each round seals, then verifies and opens, once.
func TestMeasureEnvelopes(t *testing.T) {
	seal, open, err := MeasureEnvelopes(3)
	if err != nil || len(seal) != 3 || len(open) != 3 {
		t.Fatalf("MeasureEnvelopes(3) = %d seals, %d opens, %v", len(seal), len(open), err)
	}
}
