package prescribing

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/medihaven/medihaven/app"
)

// reDose is a dose as prescribers write it: an amount (1, 0.5, 0,5, 1/2,
// ½), or two (1-2, 1 to 2, 1 or 2), then words if any (500 mg, 2 puffs).
var reDose = regexp.MustCompile(`^(\d+(?:[.,]\d+)?|\d+\s*/\s*[1-9]\d*|[½¼¾⅓⅔⅛])(?:\s*(?:-|–|to|or)\s*(?:\d+(?:[.,]\d+)?|\d+\s*/\s*[1-9]\d*|[½¼¾⅓⅔⅛]))?(?:\s*[^\d\s.,/-].*)?$`)

// CheckDose says what is wrong with a dose typed for a drug ("lots", 0,
// -1): it must begin with an amount above nothing. The prescription form
// asks it before a drug is added, so a dose that is no amount is not
// signed.
func CheckDose(dose string) error {
	dose = strings.TrimSpace(dose)
	const how = "write an amount, e.g. 1, 0.5, 1/2 or 1-2"
	if dose == "" {
		return fmt.Errorf("%w: give the dose: %s", app.ErrInvalidInput, how)
	}
	m := reDose.FindStringSubmatch(dose)
	if m == nil || zero(m[1]) {
		return fmt.Errorf("%w: the dose %q is not an amount: %s", app.ErrInvalidInput, dose, how)
	}
	return nil
}

// zero reports whether an amount reDose matched is nothing (0, 0.0, 0/2).
func zero(amount string) bool {
	num, _, _ := strings.Cut(amount, "/")
	v, err := strconv.ParseFloat(strings.ReplaceAll(strings.TrimSpace(num), ",", "."), 64)
	return err == nil && v == 0
}
