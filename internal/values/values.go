package values

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// MaxStartYears bounds how far from when it is written a booking's start
// may be: ten years either way (a recall years ahead and a booking entered
// after the fact fit; an honest weekly series spans two years).
const MaxStartYears = 10

// StartInRange reports whether start is within MaxStartYears of at.
func StartInRange(start, at time.Time) bool {
	return !start.Before(at.AddDate(-MaxStartYears, 0, 0)) && !start.After(at.AddDate(MaxStartYears, 0, 0))
}

// ErrNoAmount is wrapped by the error CheckDose returns.
var ErrNoAmount = errors.New("the dose is not an amount")

// reDose is a dose as prescribers write it: an amount (1, 0.5, 0,5, 1/2,
// ½), or two (1-2, 1 to 2, 1 or 2), then words if any (500 mg, 2 puffs).
var reDose = regexp.MustCompile(`^(\d+(?:[.,]\d+)?|\d+\s*/\s*[1-9]\d*|[½¼¾⅓⅔⅛])(?:\s*(?:-|–|to|or)\s*(?:\d+(?:[.,]\d+)?|\d+\s*/\s*[1-9]\d*|[½¼¾⅓⅔⅛]))?(?:\s*[^\d\s.,/-].*)?$`)

// CheckDose says what is wrong with a dose ("lots", 0, -1, nothing): it
// must begin with an amount above nothing. The error wraps ErrNoAmount and
// quotes the dose (at most 40 characters of it).
func CheckDose(dose string) error {
	dose = strings.TrimSpace(dose)
	if dose == "" {
		return fmt.Errorf("%w: none is given", ErrNoAmount)
	}
	if m := reDose.FindStringSubmatch(dose); m == nil || zero(m[1]) {
		if r := []rune(dose); len(r) > 40 {
			dose = string(r[:40]) + "…"
		}
		return fmt.Errorf("%w: %q", ErrNoAmount, dose)
	}
	return nil
}

// zero reports whether an amount reDose matched is nothing (0, 0.0, 0/2).
func zero(amount string) bool {
	num, _, _ := strings.Cut(amount, "/")
	v, err := strconv.ParseFloat(strings.ReplaceAll(strings.TrimSpace(num), ",", "."), 64)
	return err == nil && v == 0
}
