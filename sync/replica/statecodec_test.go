package replica

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"unicode/utf8"
)

// TestStateAtRest: the shared form round-trips, names each device once
// and the clock most fields carry once, and states kept in the first form
// (before issue 17) and the compact form still open.
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
		{"fields named l and v", State{"l": {V: json.RawMessage(`{"v":1}`), L: 4, D: dev1}, "v": {V: json.RawMessage(`"}"`), L: 4, D: dev1}}},
		{"edited by another device", State{"family": {V: json.RawMessage(`"Garcia"`), L: 7, D: dev1}, "given": {V: json.RawMessage(`"Ava"`), L: 7, D: dev1},
			"phone": {V: json.RawMessage(`"+1 555"`), L: 12, D: dev2}, "birth": {V: json.RawMessage(`null`), L: 12, D: dev1}}},
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
				t.Errorf("shared form %d bytes, first form %d", len(b), len(old))
			}
			if n := bytes.Count(b, []byte(dev1)); n > 1 {
				t.Errorf("%s names device %s %d times", b, dev1, n)
			}
		})
	}
	compact := `{"d":["x","y"],"f":{"a":[1,2,0],"b":["c",3,1]}}`
	want := State{"a": {V: json.RawMessage(`1`), L: 2, D: "x"}, "b": {V: json.RawMessage(`"c"`), L: 3, D: "y"}}
	if got, err := decodeState([]byte(compact)); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("compact form %s gives %v, %v; want %v", compact, got, err, want)
	}
	for _, bad := range []string{`[]`, `{"d":["x"],"f":{"a":[1,2]}}`, `{"d":["x"],"f":{"a":[1,2,5]}}`, `{"d":["x"],"f":{"a":[1,-1,0]}}`,
		`{"d":[],"l":1,"v":{"a":1},"f":{}}`, `{"d":["x"],"l":1,"v":{"a":1,"a":2},"f":{}}`, `{"d":["x"],"l":1,"v":{"a":1},"f":{"a":[1,2,0]}}`,
		`{"d":["x"],"l":1,"v":{"a"},"f":{}}`, `{"d":["x"],"l":1,"v":{"a":1,},"f":{}}`, `{"d":["x"],"l":-1,"v":{},"f":{}}`, `{"d":["x"],"l":1,"v":{"a":1}}`} {
		if _, err := decodeState([]byte(bad)); err == nil {
			t.Errorf("%s opened", bad)
		}
	}
}

// FuzzStateAtRest: any state round-trips through the compact form, and
// no bytes make decodeState panic.
func FuzzStateAtRest(f *testing.F) {
	f.Add("family", `"Garc\"ía"`, uint64(3), "d1", "given", `["a",{"b":[1,2]}]`, []byte(`{"d":["x"],"f":{"a":[1,2,0]}}`))
	f.Add("", `null`, uint64(0), "", "x,y]", `-1.5e3`, []byte(`{"d":[`))
	f.Add("l", `{"v":[1]}`, uint64(9), "dev", "v", `"}"`, []byte(`{"d":["x"],"l":3,"v":{"a":"}","b":[1]},"f":{"c":[null,2,0]}}`))
	f.Fuzz(func(t *testing.T, n1, v1 string, l uint64, d1, n2, v2 string, raw []byte) {
		decodeState(raw) //nolint:errcheck // must not panic
		st := State{}
		for _, c := range []struct{ name, v, d string }{{n1, v1, d1}, {n2, v2, d1 + "2"}} {
			if !json.Valid([]byte(c.v)) || !utf8.ValidString(c.name) || !utf8.ValidString(c.d) {
				continue // what json.Unmarshal gives holds valid UTF-8 only
			}
			var compact bytes.Buffer
			if json.Compact(&compact, []byte(c.v)) != nil {
				continue
			}
			st[c.name] = Cell{V: compact.Bytes(), L: l, D: c.d}
		}
		for _, q := range []string{n1, n2, d1} {
			got, err := appendQuoted(nil, q)
			want, werr := json.Marshal(q)
			if (err != nil) != (werr != nil) || !bytes.Equal(got, want) {
				t.Fatalf("appendQuoted(%q) = %s, %v; json.Marshal: %s, %v", q, got, err, want, werr)
			}
		}
		if got, want := commonClock(st), countedClock(st); got != want {
			t.Fatalf("commonClock = %+v, counted %+v", got, want)
		}
		b, err := encodeState(st)
		if err != nil {
			return // a name JSON cannot hold
		}
		got, err := decodeState(b)
		if err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if len(got) != len(st) {
			t.Fatalf("%s: %v, want %v", b, got, st)
		}
		for name, c := range st {
			g := got[name]
			if g.L != c.L || g.D != c.D || !bytes.Equal(g.V, c.V) {
				t.Fatalf("%s: field %q %+v, want %+v", b, name, g, c)
			}
		}
	})
}

// TestQuotedAsJSON: appendQuoted writes what json.Marshal writes, on the
// plain names it quotes itself and on those it hands over.
func TestQuotedAsJSON(t *testing.T) {
	for _, s := range []string{"", "family", "given_name", "0a1b2c3d4e5f", "a b", "Garc\"ía", `back\slash`, "<b>", "a&b",
		"tab\there", "\x7f", "\xff\xfe", "\u2028", "née"} {
		got, err := appendQuoted([]byte("x"), s)
		want, werr := json.Marshal(s)
		if err != nil || werr != nil || string(got) != "x"+string(want) {
			t.Errorf("appendQuoted(%q) = %s, %v; want x%s, %v", s, got, err, want, werr)
		}
	}
}

// BenchmarkEncodeState: a patient's state as one event wrote it (every
// field at one clock), as a catch-up seals each record it folds.
func BenchmarkEncodeState(b *testing.B) {
	st := State{}
	for _, name := range []string{"family", "given", "birth", "sex", "phone", "email", "address", "mrn", "insurer", "notes"} {
		st[name] = Cell{V: json.RawMessage(`"value ` + name + `"`), L: 7, D: "0123456789abcdef0123456789abcdef"}
	}
	for b.Loop() {
		if _, err := encodeState(st); err != nil {
			b.Fatal(err)
		}
	}
}
