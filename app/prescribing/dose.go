package prescribing

import (
	"fmt"
	"strings"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/internal/values"
)

// CheckDose says what is wrong with a dose typed for a drug ("lots", 0,
// -1): it must begin with an amount above nothing (values.CheckDose, the
// parser every workstation judges a signed prescription by). The
// prescription form asks it before a drug is added, so a dose that is no
// amount is not signed.
func CheckDose(dose string) error {
	dose = strings.TrimSpace(dose)
	const how = "write an amount, e.g. 1, 0.5, 1/2 or 1-2"
	switch {
	case dose == "":
		return fmt.Errorf("%w: give the dose: %s", app.ErrInvalidInput, how)
	case values.CheckDose(dose) != nil:
		return fmt.Errorf("%w: the dose %q is not an amount: %s", app.ErrInvalidInput, dose, how)
	}
	return nil
}
