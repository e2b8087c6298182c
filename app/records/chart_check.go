package records

import (
	"fmt"
	"math"
)

// vitalRanges are the plausible ranges a measurement must fall in: a value
// outside is a typing error, not a reading.
var vitalRanges = []struct {
	name     string
	get      func(Vitals) float64
	min, max float64
	unit     string
}{
	{"systolic blood pressure", func(v Vitals) float64 { return float64(v.Systolic) }, 50, 260, "mmHg"},
	{"diastolic blood pressure", func(v Vitals) float64 { return float64(v.Diastolic) }, 30, 160, "mmHg"},
	{"pulse", func(v Vitals) float64 { return float64(v.Pulse) }, 20, 250, "/min"},
	{"temperature", func(v Vitals) float64 { return v.TempC }, 30, 45, "°C"},
	{"respiratory rate", func(v Vitals) float64 { return float64(v.Resp) }, 4, 80, "/min"},
	{"SpO2", func(v Vitals) float64 { return float64(v.SpO2) }, 50, 100, "%"},
	{"weight", func(v Vitals) float64 { return v.WeightKg }, 0.3, 400, "kg"},
	{"height", func(v Vitals) float64 { return v.HeightCm }, 25, 250, "cm"},
}

// Validate checks that at least one measurement is given and each is
// plausible, naming the first that is not.
func (v Vitals) Validate() error {
	any := false
	for _, r := range vitalRanges {
		x := r.get(v)
		if x == 0 {
			continue
		}
		any = true
		if math.IsNaN(x) || x < r.min || x > r.max {
			return fmt.Errorf("%w: %s %g %s is outside %g–%g %s; check the reading", ErrInvalidInput, r.name, x, r.unit, r.min, r.max, r.unit)
		}
	}
	if !any {
		return fmt.Errorf("%w: enter at least one measurement", ErrInvalidInput)
	}
	if (v.Systolic == 0) != (v.Diastolic == 0) {
		return fmt.Errorf("%w: a blood pressure needs both systolic and diastolic values", ErrInvalidInput)
	}
	if v.Systolic != 0 && v.Diastolic >= v.Systolic {
		return fmt.Errorf("%w: the diastolic pressure must be lower than the systolic", ErrInvalidInput)
	}
	return nil
}
