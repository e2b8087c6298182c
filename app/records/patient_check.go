package records

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/medihaven/medihaven/crypto"
)

// Sexes lists the values Patient.Sex accepts.
var Sexes = []string{"female", "male", "other", "unknown"}

// MRNPattern matches a medical record number as typed: MH and 7 digits,
// in either case.
var MRNPattern = regexp.MustCompile(`^(?i)MH\d{7}$`)

var (
	reDate  = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	rePhone = regexp.MustCompile(`^\+?[0-9 ()./-]+$`)
	reEmail = regexp.MustCompile(`^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$`)
	reInsur = regexp.MustCompile(`^[\p{L}0-9 ./-]+$`)
)

// FieldError is one problem with one field of a form, for a message shown
// beside that field. It wraps ErrInvalidInput.
type FieldError struct {
	Field   string // "family", "given", "birth", "sex", "phone", "email", "insurance", "emergency_phone", "consent_date"...
	Problem string // in plain words, naming the field
}

func (e *FieldError) Error() string { return ErrInvalidInput.Error() + ": " + e.Problem }

// Unwrap makes errors.Is(err, ErrInvalidInput) true.
func (e *FieldError) Unwrap() error { return ErrInvalidInput }

// Digits are the digits of s (a phone number as typed), in order.
func Digits(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// CheckDay says what is wrong with a YYYY-MM-DD date typed into field
// (label names it in the message); nil when it is a date.
func CheckDay(field, label, v string) *FieldError {
	if _, err := time.Parse("2006-01-02", v); err != nil || !reDate.MatchString(v) {
		if reDate.MatchString(v) {
			return &FieldError{field, fmt.Sprintf("%s %s does not exist on the calendar", label, v)}
		}
		return &FieldError{field, fmt.Sprintf("%s %q is not a date: write it as YYYY-MM-DD, e.g. 1984-03-27", label, v)}
	}
	return nil
}

func checkPhone(field, label, v string) *FieldError {
	if v == "" {
		return nil
	}
	n := len(Digits(v))
	if !rePhone.MatchString(v) || n < 6 || n > 15 {
		return &FieldError{field, fmt.Sprintf("%s %q should be 6 to 15 digits (spaces, +, - and brackets are fine)", label, v)}
	}
	return nil
}

// MinBirthYear is the earliest year a birth date may be in.
const MinBirthYear = 1900

// Check lists every problem of a patient's demographics, one per field,
// in the order a form shows the fields.
func (p Patient) Check(now time.Time) []FieldError {
	var out []FieldError
	add := func(e *FieldError) {
		if e != nil {
			out = append(out, *e)
		}
	}
	// Messages name the field as the form labels it, with the verb agreeing.
	for _, f := range []struct{ key, label, is, v string }{{PatientFamily, "Family name", "is", p.Family}, {PatientGiven, "Given names", "are", p.Given}} {
		switch v := strings.TrimSpace(f.v); {
		case v == "":
			add(&FieldError{f.key, fmt.Sprintf("%s %s required", f.label, f.is)})
		case len(v) > 100:
			add(&FieldError{f.key, fmt.Sprintf("%s %s longer than 100 characters", f.label, f.is)})
		case crypto.Normalize(v) == "":
			add(&FieldError{f.key, fmt.Sprintf("%s %s no letter", f.label, map[string]string{"is": "has", "are": "have"}[f.is])})
		}
	}
	birth := strings.TrimSpace(p.Birth)
	switch {
	case birth == "":
		add(&FieldError{PatientBirth, "Birth date is required"})
	default:
		if e := CheckDay(PatientBirth, "birth date", birth); e != nil {
			add(e)
		} else if b, _ := time.Parse("2006-01-02", birth); b.After(now) {
			add(&FieldError{PatientBirth, fmt.Sprintf("Birth date %s is in the future: check the year", birth)})
		} else if b.Year() < MinBirthYear {
			add(&FieldError{PatientBirth, fmt.Sprintf("Birth date %s is before %d: check the year", birth, MinBirthYear)})
		}
	}
	if s := strings.ToLower(strings.TrimSpace(p.Sex)); s != "" {
		ok := false
		for _, v := range Sexes {
			ok = ok || s == v
		}
		if !ok {
			add(&FieldError{PatientSex, fmt.Sprintf("sex %q is not one of female, male, other or unknown", p.Sex)})
		}
	}
	add(checkPhone(PatientPhone, "phone", strings.TrimSpace(p.Phone)))
	if e := strings.TrimSpace(p.Email); e != "" && (!reEmail.MatchString(e) || len(e) > 254) {
		add(&FieldError{PatientEmail, fmt.Sprintf("email %q is not an address like name@example.org", e)})
	}
	if len(p.Address) > 300 {
		add(&FieldError{PatientAddress, "the address is longer than 300 characters"})
	}
	if v := strings.TrimSpace(p.Insurance); v != "" && (!reInsur.MatchString(v) || len(v) > 40) {
		add(&FieldError{PatientInsurance, fmt.Sprintf("insurance id %q should be letters, digits, spaces, dots or dashes (at most 40)", v)})
	}
	if len(p.EmergencyName) > 120 {
		add(&FieldError{PatientEmergencyName, "the emergency contact's name is longer than 120 characters"})
	}
	add(checkPhone(PatientEmergencyPhone, "emergency contact's phone", strings.TrimSpace(p.EmergencyPhone)))
	if c := strings.TrimSpace(p.ConsentDate); c != "" {
		if e := CheckDay(PatientConsentDate, "consent date", c); e != nil {
			add(e)
		} else if d, _ := time.Parse("2006-01-02", c); d.After(now) {
			add(&FieldError{PatientConsentDate, fmt.Sprintf("consent date %s is in the future", c)})
		}
	}
	return out
}

// Validate checks a patient's demographics, naming the first problem (a
// *FieldError).
func (p Patient) Validate(now time.Time) error {
	if errs := p.Check(now); len(errs) > 0 {
		return &errs[0]
	}
	return nil
}
