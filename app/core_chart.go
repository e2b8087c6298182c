package app

import (
	"fmt"
	"strings"
	"time"

	"github.com/medihaven/medihaven/sync/replica"
)

// What the chart (app/chart) and prescribing (app/prescribing) need of the
// core beyond Core's reads and writes: how a date a person typed is
// checked, how a staff member is named, and how a printed page writes
// dates and fingerprints (app/interop prints them too).

// checkDate accepts an empty string, YYYY, YYYY-MM or YYYY-MM-DD not in the
// future.
func checkDate(what, s string, now time.Time) error {
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

// memberName returns a staff member's name, or a short fingerprint.
func memberName(r *replica.Replica, fp string) string {
	if m, ok := r.Member(fp); ok && m.Name != "" {
		return m.Name
	}
	if len(fp) > 8 {
		return "staff " + fp[:8]
	}
	return fp
}

func printedDate(ymd string) string {
	if t, err := time.Parse("2006-01-02", ymd); err == nil {
		return t.Format("2 Jan 2006")
	}
	return ymd
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// spacedFingerprint groups a fingerprint in fours, as GnuPG shows it.
func spacedFingerprint(fp string) string {
	var b strings.Builder
	for i, c := range strings.ToUpper(fp) {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// CoreOf is the Core of s when s is a *Session or holds one embedded (as
// the GUI's synced session does): how a domain package's Of finds its
// session behind the interfaces the UI sees.
func CoreOf(s any) (Core, bool) {
	c, ok := s.(interface{ Core() Core })
	if !ok {
		return Core{}, false
	}
	return c.Core(), true
}
