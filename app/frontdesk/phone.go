package frontdesk

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// Country is a country a clinic may be in, as its phone numbers are
// written: E.164 stores "+<calling code><national number>", and people
// dial the national number after the trunk prefix.
type Country struct {
	Code    string // ISO 3166 alpha-2
	Name    string
	Calling string // country calling code, without "+"
	Trunk   string // national trunk prefix ("0"; "1" in the NANP; "" where there is none)
}

// Countries lists the countries whose numbers the front desk writes in
// E.164, by name.
var Countries = func() []Country {
	cs := []Country{
		{"AT", "Austria", "43", "0"}, {"AU", "Australia", "61", "0"}, {"BE", "Belgium", "32", "0"},
		{"BR", "Brazil", "55", "0"}, {"CA", "Canada", "1", "1"}, {"CH", "Switzerland", "41", "0"},
		{"CZ", "Czechia", "420", ""}, {"DE", "Germany", "49", "0"}, {"DK", "Denmark", "45", ""},
		{"ES", "Spain", "34", ""}, {"FI", "Finland", "358", "0"}, {"FR", "France", "33", "0"},
		{"GB", "United Kingdom", "44", "0"}, {"GR", "Greece", "30", ""}, {"IE", "Ireland", "353", "0"},
		{"IN", "India", "91", "0"}, {"IT", "Italy", "39", ""}, {"JP", "Japan", "81", "0"},
		{"MX", "Mexico", "52", ""}, {"NL", "Netherlands", "31", "0"}, {"NO", "Norway", "47", ""},
		{"NZ", "New Zealand", "64", "0"}, {"PL", "Poland", "48", ""}, {"PT", "Portugal", "351", ""},
		{"SE", "Sweden", "46", "0"}, {"TR", "Türkiye", "90", "0"}, {"US", "United States", "1", "1"},
		{"ZA", "South Africa", "27", "0"},
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].Name < cs[j].Name })
	return cs
}()

// CountryOf is the country of an ISO code, and whether it is listed.
func CountryOf(code string) (Country, bool) {
	for _, c := range Countries {
		if strings.EqualFold(c.Code, strings.TrimSpace(code)) {
			return c, true
		}
	}
	return Country{}, false
}

// E164 writes a phone number as typed ("030 5550 7777", "+49 30 5550
// 7777", "0049 30 5550 7777") in E.164 ("+49305557777") for a clinic in
// country c: international forms keep their country, national ones get
// c's calling code in place of the trunk prefix. "" stays "".
func E164(phone string, c Country) (string, error) {
	phone = strings.TrimSpace(phone)
	if phone == "" {
		return "", nil
	}
	d := records.Digits(phone)
	switch {
	case strings.HasPrefix(phone, "+"):
	case strings.HasPrefix(d, "00"):
		d = d[2:]
	default:
		d = c.Calling + strings.TrimPrefix(d, c.Trunk)
	}
	// A national number never starts with the trunk prefix: "030" typed
	// as "+49 030" or "0 030" is a mistake, not a number. Nor with "00",
	// the international prefix: "+1 000 000 0000" would be shown as
	// "(000) 000-0000", which typed at the desk reads as an international
	// number (the fuzzer's find, session 26).
	national, home := strings.CutPrefix(d, c.Calling)
	if len(d) < 8 || len(d) > 15 || d[0] == '0' || home && c.Trunk != "" && strings.HasPrefix(national, c.Trunk) ||
		home && strings.HasPrefix(national, "00") {
		return "", fmt.Errorf("%w: phone %q cannot be dialled from %s: write it with its area code, or as +<country code> and the number",
			app.ErrInvalidInput, phone, c.Name)
	}
	return "+" + d, nil
}

// LocalPhone shows a phone number stored in E.164 as people in country c
// dial it: in the NANP "(202) 555-0123", elsewhere the trunk prefix and
// the national number in groups ("030 5550 7777"); a number of another
// country stays international, grouped ("+44 207 946 0958"). Numbers not
// in E.164 are shown as they are.
func LocalPhone(phone string, c Country) string {
	if !strings.HasPrefix(phone, "+") || c.Calling == "" || strings.ContainsAny(phone, " -()") {
		return phone
	}
	d := phone[1:]
	national, ok := strings.CutPrefix(d, c.Calling)
	switch {
	case !ok:
		return "+" + group(d, 2)
	case c.Calling == "1" && len(national) == 10:
		return "(" + national[:3] + ") " + national[3:6] + "-" + national[6:]
	}
	return group(c.Trunk+national, len(c.Trunk)+2)
}

// group writes digits as a first group of first digits, then fours (the
// last group may have up to six): "03055507777", 3 → "030 5550 7777".
func group(d string, first int) string {
	if len(d) <= first+4 {
		return d
	}
	parts := []string{d[:first]}
	for d = d[first:]; len(d) > 6; d = d[4:] {
		parts = append(parts, d[:4])
	}
	return strings.Join(append(parts, d), " ")
}

// NationalDigits are the digits of a phone number people of country c
// dial after the trunk prefix (its national significant number, for
// comparing numbers written either way); without a country, its digits.
func NationalDigits(phone string, c Country) string {
	d := records.Digits(phone)
	if c.Calling == "" {
		return d
	}
	switch {
	case strings.HasPrefix(strings.TrimSpace(phone), "+"):
		return strings.TrimPrefix(d, c.Calling)
	case strings.HasPrefix(d, "00"+c.Calling):
		return d[2+len(c.Calling):]
	}
	return strings.TrimPrefix(d, c.Trunk)
}

// clinicCountry is the clinic's country as the front desk set it, and
// whether it is set.
func clinicCountry(ctx context.Context, r *replica.Replica) (Country, bool) {
	kind, st, err := r.Entity(ctx, app.DeskSettingsEntity)
	if err != nil || kind != records.KindDeskSettings {
		return Country{}, false
	}
	return CountryOf(records.DeskSettingsFromState(st).Country)
}

// ClinicCountry is the country the clinic's phone numbers are written
// for, or false until the front desk sets one.
func (s *Service) ClinicCountry(ctx context.Context) (Country, bool, error) {
	r, err := s.c.ReplicaFor(roles.ReadCalendar)
	if err != nil {
		return Country{}, false, err
	}
	c, ok := clinicCountry(ctx, r)
	return c, ok, nil
}

// SetClinicCountry sets the clinic's country by its ISO code ("DE"): from
// then on phone numbers are kept in E.164 and shown as the country dials
// them. Numbers already stored stay as they were typed until edited.
func (s *Service) SetClinicCountry(ctx context.Context, code string) error {
	r, err := s.c.ReplicaFor(roles.EditAvailability)
	if err != nil {
		return err
	}
	c, ok := CountryOf(code)
	if !ok {
		return fmt.Errorf("%w: %q is not a country the front desk knows: choose one from the list", app.ErrInvalidInput, code)
	}
	fields, err := records.Some(records.DeskSettings{Country: c.Code}, records.DeskCountry)
	if err != nil {
		return err
	}
	if _, err := r.Append(ctx, replica.Change{Entity: app.DeskSettingsEntity, Kind: records.KindDeskSettings, Scope: roles.FrontDesk, Fields: fields}); err != nil {
		return fmt.Errorf("frontdesk: set the clinic's country: %w", err)
	}
	return nil
}

// withE164 writes p's phone numbers in E.164 when the clinic's country is
// set; a number that cannot be is a *FieldError of its field.
func withE164(ctx context.Context, r *replica.Replica, p Patient) (Patient, error) {
	c, ok := clinicCountry(ctx, r)
	if !ok {
		return p, nil
	}
	for _, f := range []struct {
		field string
		v     *string
	}{{records.PatientPhone, &p.Phone}, {records.PatientEmergencyPhone, &p.EmergencyPhone}} {
		e, err := E164(*f.v, c)
		if err != nil {
			return p, &records.FieldError{Field: f.field, Problem: strings.TrimPrefix(err.Error(), app.ErrInvalidInput.Error()+": ")}
		}
		*f.v = e
	}
	return p, nil
}
