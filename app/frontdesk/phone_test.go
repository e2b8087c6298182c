package frontdesk

import (
	"errors"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/app"
)

func TestE164AndLocalPhone(t *testing.T) {
	de, _ := CountryOf("DE")
	us, _ := CountryOf("us")
	gb, _ := CountryOf("GB")
	tests := []struct {
		typed   string
		c       Country
		e164    string
		local   string
		invalid bool
	}{
		{"030 5550 7777", de, "+493055507777", "030 5550 7777", false},
		{"+49 (30) 5550-7777", de, "+493055507777", "030 5550 7777", false},
		{"0049 30 5550 7777", de, "+493055507777", "030 5550 7777", false},
		{"+44 20 7946 0958", de, "+442079460958", "+44 2079 460958", false},
		{"(202) 555-0123", us, "+12025550123", "(202) 555-0123", false},
		{"1 202 555 0123", us, "+12025550123", "(202) 555-0123", false},
		{"020 7946 0958", gb, "+442079460958", "020 7946 0958", false},
		{"", de, "", "", false},
		{"12", de, "", "", true},
		{"+0 123 456 789", de, "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.typed, func(t *testing.T) {
			got, err := E164(tt.typed, tt.c)
			if tt.invalid {
				if !errors.Is(err, app.ErrInvalidInput) {
					t.Fatalf("E164(%q) = %q, %v; want an invalid input", tt.typed, got, err)
				}
				return
			}
			if err != nil || got != tt.e164 {
				t.Fatalf("E164(%q) = %q, %v; want %q", tt.typed, got, err, tt.e164)
			}
			if l := LocalPhone(got, tt.c); l != tt.local {
				t.Errorf("LocalPhone(%q) = %q, want %q", got, l, tt.local)
			}
			if tt.typed != "" && NationalDigits(tt.typed, tt.c) != NationalDigits(got, tt.c) {
				t.Errorf("national digits of %q (%s) and %q (%s) differ", tt.typed, NationalDigits(tt.typed, tt.c), got, NationalDigits(got, tt.c))
			}
		})
	}
	if l := LocalPhone("030 5550 7777", de); l != "030 5550 7777" {
		t.Errorf("a number typed before the country was set is shown as %q", l)
	}
}

// FuzzE164 reads phone numbers as typed: no panic, and what it accepts is
// E.164 that reads back the same from its local form.
func FuzzE164(f *testing.F) {
	for _, s := range []string{"030 5550 7777", "+49 30 5550 7777", "0049305557777", "(202) 555-0123", "", "+", "00", "0"} {
		f.Add(s, "DE")
		f.Add(s, "US")
	}
	f.Fuzz(func(t *testing.T, typed, code string) {
		c, ok := CountryOf(code)
		if !ok {
			return
		}
		e, err := E164(typed, c)
		if err != nil || e == "" {
			return
		}
		if !strings.HasPrefix(e, "+") || len(e) < 9 || len(e) > 16 || strings.Trim(e[1:], "0123456789") != "" {
			t.Fatalf("E164(%q) = %q is not E.164", typed, e)
		}
		if again, err := E164(LocalPhone(e, c), c); err != nil || again != e {
			t.Fatalf("E164(LocalPhone(%q)) = %q, %v", e, again, err)
		}
	})
}
