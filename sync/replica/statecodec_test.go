package replica

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestStateAtRest: the compact form round-trips, names each device once,
// and a state kept in the first form (before issue 17) still opens.
func TestStateAtRest(t *testing.T) {
	dev1, dev2 := "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"
	tests := []struct {
		name string
		st   State
	}{
		{"empty", State{}},
		{"one device", State{"family": {V: json.RawMessage(`"Garcia"`), L: 7, D: dev1}, "given": {V: json.RawMessage(`"Ava"`), L: 7, D: dev1}}},
		{"two devices, a cleared field", State{"phone": {V: json.RawMessage(`null`), L: 9, D: dev2}, "birth": {V: json.RawMessage(`"1980-02-03"`), L: 3, D: dev1}}},
		{"fields named d and f", State{"d": {V: json.RawMessage(`[1]`), L: 1, D: dev1}, "f": {V: json.RawMessage(`{}`), L: 2, D: dev2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := encodeState(tt.st)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeState(b)
			if err != nil || !reflect.DeepEqual(got, tt.st) {
				t.Errorf("compact: %s gives %v, %v; want %v", b, got, err, tt.st)
			}
			old, err := json.Marshal(tt.st)
			if err != nil {
				t.Fatal(err)
			}
			got, err = decodeState(old)
			if err != nil || !reflect.DeepEqual(got, tt.st) {
				t.Errorf("first form: %s gives %v, %v; want %v", old, got, err, tt.st)
			}
			if len(tt.st) > 1 && len(b) >= len(old) {
				t.Errorf("compact form %d bytes, first form %d", len(b), len(old))
			}
		})
	}
	for _, bad := range []string{`[]`, `{"d":["x"],"f":{"a":[1,2]}}`, `{"d":["x"],"f":{"a":[1,2,5]}}`, `{"d":["x"],"f":{"a":[1,-1,0]}}`} {
		if _, err := decodeState([]byte(bad)); err == nil {
			t.Errorf("%s opened", bad)
		}
	}
}
