package app

import (
	"fmt"
	"strings"
	"time"

	"github.com/medihaven/medihaven/sync/replica"
)

// How the clinic writes dates, names and fingerprints, the same on every
// screen, page and export (app/chart, app/prescribing and app/interop
// print them too).

// CheckDate accepts "", YYYY, YYYY-MM or YYYY-MM-DD not after now; what
// names the date in the error.
func CheckDate(what, s string, now time.Time) error {
	if s == "" {
		return nil
	}
	for _, layout := range []string{"2006-01-02", "2006-01", "2006"} {
		if t, err := time.Parse(layout, s); err == nil && len(s) == len(layout) {
			if t.After(now) {
				return fmt.Errorf("%w: the %s %s is in the future", ErrInvalidInput, what, s)
			}
			return nil
		}
	}
	return fmt.Errorf("%w: the %s %q is not a date (write YYYY-MM-DD, YYYY-MM or YYYY)", ErrInvalidInput, what, s)
}

// MemberName is a staff member's name, or "staff" and the start of their
// fingerprint when the directory does not know them.
func MemberName(r *replica.Replica, fp string) string {
	if m, ok := r.Member(fp); ok && m.Name != "" {
		return m.Name
	}
	if len(fp) > 8 {
		return "staff " + fp[:8]
	}
	return fp
}

// PrintedDate writes a YYYY-MM-DD date as a printed page does ("2 Jan
// 2006"); other text is kept as it is.
func PrintedDate(ymd string) string {
	if t, err := time.Parse("2006-01-02", ymd); err == nil {
		return t.Format("2 Jan 2006")
	}
	return ymd
}

// Capitalise upper-cases the first letter.
func Capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// SpacedFingerprint groups a fingerprint in fours, as GnuPG shows it.
func SpacedFingerprint(fp string) string {
	var b strings.Builder
	for i, c := range strings.ToUpper(fp) {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// str points to a copy of v, for the optional fields of the FHIR models
// (the audit's FHIR export).
func str(v string) *string { return &v }
