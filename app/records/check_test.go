package records

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseHours(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr string
	}{
		{"", "", ""},
		{"08:00-12:00", "08:00-12:00", ""},
		{" 13:30 - 17:00 ,08:00-12:00", "08:00-12:00, 13:30-17:00", ""},
		{"8:00–12:00", "08:00-12:00", ""},
		{"00:00-24:00", "00:00-24:00", ""},
		{"12:00-08:00", "", "end before they start"},
		{"08:00-12:00, 11:00-13:00", "", "overlap"},
		{"8-12", "", "should look like"},
		{"08:60-09:00", "", "should look like"},
		{"24:30-25:00", "", "should look like"},
		{"morning", "", "should look like"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			hs, err := ParseHours(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrInvalidInput) {
					t.Fatalf("ParseHours(%q) = %v, %v; want error with %q", tt.in, hs, err, tt.wantErr)
				}
				return
			}
			if err != nil || FormatHours(hs) != tt.want {
				t.Fatalf("ParseHours(%q) = %q, %v; want %q", tt.in, FormatHours(hs), err, tt.want)
			}
		})
	}
}

func FuzzParseHours(f *testing.F) {
	for _, s := range []string{"08:00-12:00", "08:00-12:00, 13:00-17:00", "", "24:00-1:00", "a-b,c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		hs, err := ParseHours(s)
		if err != nil {
			return
		}
		again, err := ParseHours(FormatHours(hs))
		if err != nil || FormatHours(again) != FormatHours(hs) {
			t.Fatalf("%q parses to %q, which does not parse back: %v", s, FormatHours(hs), err)
		}
		for _, h := range hs {
			if h.From < 0 || h.To > 24*60 || h.To <= h.From {
				t.Fatalf("%q gives impossible hours %v", s, h)
			}
		}
	})
}

func FuzzQueryTerms(f *testing.F) {
	for _, s := range []string{"smi ol", "1984-03-27", "+1 555 123 4567", "MH0012345", "O'Brien", "  ", "ü-ß 12"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, term := range QueryTerms(s) {
			if term.Value == "" {
				t.Fatalf("%q gives an empty %s term", s, term.Field)
			}
		}
	})
}

func TestPatientCheckNamesTheField(t *testing.T) {
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	good := Patient{Family: "Okafor", Given: "Ada", Birth: "1984-03-27", Sex: "female", Phone: "+49 30 1234567", Email: "ada@example.org"}
	tests := []struct {
		name   string
		change func(*Patient)
		field  string
	}{
		{"valid", func(*Patient) {}, ""},
		{"no family name", func(p *Patient) { p.Family = " " }, "family"},
		{"no given name", func(p *Patient) { p.Given = "" }, "given"},
		{"no birth date", func(p *Patient) { p.Birth = "" }, "birth"},
		{"impossible date", func(p *Patient) { p.Birth = "1984-02-30" }, "birth"},
		{"date in another format", func(p *Patient) { p.Birth = "27.03.1984" }, "birth"},
		{"born tomorrow", func(p *Patient) { p.Birth = "2026-11-03" }, "birth"},
		{"born 200 years ago", func(p *Patient) { p.Birth = "1826-01-01" }, "birth"},
		{"unknown sex", func(p *Patient) { p.Sex = "x" }, "sex"},
		{"phone with letters", func(p *Patient) { p.Phone = "555-CALL-NOW" }, "phone"},
		{"phone too short", func(p *Patient) { p.Phone = "12 34" }, "phone"},
		{"email without domain", func(p *Patient) { p.Email = "ada@" }, "email"},
		{"email without at", func(p *Patient) { p.Email = "ada.example.org" }, "email"},
		{"insurance with symbols", func(p *Patient) { p.Insurance = "AB#12" }, "insurance"},
		{"emergency phone malformed", func(p *Patient) { p.EmergencyPhone = "call mum" }, "emergency_phone"},
		{"consent in the future", func(p *Patient) { p.Consent, p.ConsentDate = true, "2027-01-01" }, "consent_date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := good
			tt.change(&p)
			errs := p.Check(now)
			if tt.field == "" {
				if len(errs) > 0 {
					t.Fatalf("valid patient refused: %v", errs)
				}
				return
			}
			if len(errs) != 1 || errs[0].Field != tt.field {
				t.Fatalf("problems %v, want one for %s", errs, tt.field)
			}
			err := p.Validate(now)
			var fe *FieldError
			if !errors.As(err, &fe) || !errors.Is(err, ErrInvalidInput) || fe.Field != tt.field {
				t.Fatalf("Validate = %v, want a FieldError for %s", err, tt.field)
			}
		})
	}
}
