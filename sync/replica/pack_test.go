package replica

import (
	"errors"
	"strings"
	"testing"
)

const testDevice = "0123456789abcdef0123456789abcdef"

func TestPackRoundTrip(t *testing.T) {
	p := Pack{Device: testDevice, From: 3, To: 4, Prev: "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy", Envelopes: [][]byte{[]byte("a"), []byte("b")}}
	b, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	q, err := ParsePack(b)
	if err != nil || q.Device != p.Device || q.From != 3 || q.To != 4 || string(q.Envelopes[1]) != "b" {
		t.Fatalf("%+v %v", q, err)
	}
}

func TestParsePackRejects(t *testing.T) {
	tests := []struct{ name, in string }{
		{"empty", ""},
		{"not json", "hello"},
		{"bad device", `{"device":"x","from":1,"to":1,"prev":"","envelopes":["YQ=="]}`},
		{"zero from", `{"device":"` + testDevice + `","from":0,"to":0,"prev":"","envelopes":["YQ=="]}`},
		{"count mismatch", `{"device":"` + testDevice + `","from":1,"to":2,"prev":"","envelopes":["YQ=="]}`},
		{"unknown field", `{"device":"` + testDevice + `","from":1,"to":1,"prev":"","envelopes":["YQ=="],"x":1}`},
		{"trailing", `{"device":"` + testDevice + `","from":1,"to":1,"prev":"","envelopes":["YQ=="]} {}`},
		{"bad prev", `{"device":"` + testDevice + `","from":1,"to":1,"prev":"../etc","envelopes":["YQ=="]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParsePack([]byte(tt.in)); !errors.Is(err, ErrMalformedPack) {
				t.Errorf("ParsePack(%q) = %v, want ErrMalformedPack", tt.in, err)
			}
		})
	}
}

func TestAnnouncement(t *testing.T) {
	a := Announcement{Device: testDevice, Seq: 42, Hash: strings.Repeat("ab", 32), CID: "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"}
	got, ok := ParseAnnouncement(a.String())
	if !ok || got != a {
		t.Fatalf("round trip: %+v %v", got, ok)
	}
	for _, bad := range []string{"", "hello", "mh1 head x 1 y z", announcePrefix + testDevice + " 0 " + a.Hash + " " + a.CID,
		announcePrefix + testDevice + " -1 " + a.Hash + " " + a.CID, a.String() + " extra"} {
		if _, ok := ParseAnnouncement(bad); ok {
			t.Errorf("ParseAnnouncement(%q) accepted", bad)
		}
	}
}

func FuzzParsePack(f *testing.F) {
	p := Pack{Device: testDevice, From: 1, To: 1, Envelopes: [][]byte{[]byte("x")}}
	b, _ := p.Encode()
	f.Add(b)
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePack(b)
		if err != nil {
			return
		}
		if _, err := p.Encode(); err != nil {
			t.Fatalf("a parsed pack does not encode: %v", err)
		}
	})
}

func FuzzParseAnnouncement(f *testing.F) {
	f.Add(Announcement{Device: testDevice, Seq: 1, Hash: strings.Repeat("0", 64), CID: "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"}.String())
	f.Add("mh1 head ")
	f.Fuzz(func(t *testing.T, s string) {
		a, ok := ParseAnnouncement(s)
		if !ok {
			return
		}
		if b, ok := ParseAnnouncement(a.String()); !ok || b != a {
			t.Fatalf("round trip of %q failed", s)
		}
	})
}

func TestParseWant(t *testing.T) {
	tests := []struct {
		in   string
		want Want
		ok   bool
	}{
		{"mh1 want " + testDevice + " 7", Want{testDevice, 7}, true},
		{"mh1 want " + testDevice + " 0", Want{}, false},
		{"mh1 want " + testDevice + " -1", Want{}, false},
		{"mh1 want " + testDevice, Want{}, false},
		{"mh1 want NOTADEVICE 3", Want{}, false},
		{"mh1 head " + testDevice + " 3", Want{}, false},
		{"hello", Want{}, false},
	}
	for _, tt := range tests {
		got, ok := ParseWant(tt.in)
		if ok != tt.ok || got != tt.want {
			t.Errorf("ParseWant(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzParseWant(f *testing.F) {
	f.Add(Want{Device: testDevice, Seq: 3}.String())
	f.Add("mh1 want ")
	f.Fuzz(func(t *testing.T, s string) {
		w, ok := ParseWant(s)
		if !ok {
			return
		}
		if b, ok := ParseWant(w.String()); !ok || b != w {
			t.Fatalf("round trip of %q failed", s)
		}
	})
}
