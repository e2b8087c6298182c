package xmpp_test

import (
	"testing"

	"github.com/medihaven/medihaven/sync/xmpp"
)

func TestPreauthToken(t *testing.T) {
	for _, tc := range []struct {
		uri, want string
	}{
		{"xmpp:clinic.example?register;preauth=abc-DEF_123", "abc-DEF_123"},
		{"xmpp:clinic.example?register;preauth=abc;ibr=y", "abc"},
		{"xmpp:clinic.example?roster;preauth=x%2Dy", "x-y"},
		{"xmpp:clinic.example?register", ""},
		{"https://clinic.example/invite?preauth=abc", ""},
		{"xmpp:clinic.example?register;preauth=", ""},
		{"xmpp:clinic.example?register;preauth=a b", ""},
		{"xmpp:clinic.example?register;preauth=a%00b", ""},
		{"xmpp:@?register;preauth=abc", ""},
		{"", ""},
	} {
		got, err := xmpp.PreauthToken(tc.uri)
		if got != tc.want || (err == nil) != (tc.want != "") {
			t.Errorf("PreauthToken(%q) = %q, %v; want %q", tc.uri, got, err, tc.want)
		}
	}
}

func FuzzPreauthToken(f *testing.F) {
	f.Add("xmpp:clinic.example?register;preauth=abc-DEF_123")
	f.Add("xmpp:a.b?;;preauth=%zz")
	f.Fuzz(func(t *testing.T, uri string) {
		token, err := xmpp.PreauthToken(uri)
		if err != nil {
			return
		}
		if token == "" || len(token) > 255 {
			t.Fatalf("PreauthToken(%q) = %q", uri, token)
		}
		for _, r := range token {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				t.Fatalf("PreauthToken(%q) = %q", uri, token)
			}
		}
	})
}
