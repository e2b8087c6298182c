package chart

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"

	"github.com/medihaven/medihaven/assets"
)

// Vital signs are judged against reference ranges by age
// (assets/vitals/ranges.tsv, sources in assets/vitals/SOURCE.md): below or
// above the usual range is flagged, at or past a critical bound is
// critical, and the physician confirms a critical value before it is
// saved. An age the table has no row for is not judged.

// Measures of the ranges table.
const (
	MeasureSystolic  = "systolic"
	MeasureDiastolic = "diastolic"
	MeasurePulse     = "pulse"
	MeasureResp      = "resp"
	MeasureTemp      = "temp"
	MeasureSpO2      = "spo2"
	MeasureBMI       = "bmi"
)

// Range is one row of the table: the usual range of a measure for ages
// [From, To) and its critical bounds (NaN: none).
type Range struct {
	Measure                   string
	From, To                  int // age in whole years
	Low, High                 float64
	CriticalLow, CriticalHigh float64
	Sources                   []string // keys of assets/vitals/SOURCE.md
}

// Levels of a flag.
const (
	Low          = "low"
	High         = "high"
	CriticalLow  = "critically low"
	CriticalHigh = "critically high"
)

// Flag is one reading outside its usual range.
type Flag struct {
	Measure string  // MeasureSystolic...
	Value   float64 //
	Level   string  // Low, High, CriticalLow or CriticalHigh
	Range   Range
}

// Critical reports whether the flag is at or past a critical bound.
func (f Flag) Critical() bool { return f.Level == CriticalLow || f.Level == CriticalHigh }

// measureNames are the measures as a physician reads them, with units.
var measureNames = map[string][2]string{MeasureSystolic: {"Systolic pressure", "mmHg"}, MeasureDiastolic: {"Diastolic pressure", "mmHg"},
	MeasurePulse: {"Pulse", "/min"}, MeasureResp: {"Respiratory rate", "/min"}, MeasureTemp: {"Temperature", "°C"},
	MeasureSpO2: {"SpO2", "%"}, MeasureBMI: {"BMI", "kg/m²"}}

// String says the flag in a line: "Systolic pressure 185 mmHg: critically
// high (usual 91–139; source: esh2018, acc2017, news2)".
func (f Flag) String() string {
	n := measureNames[f.Measure]
	return fmt.Sprintf("%s %s %s: %s (usual %s–%s; source: %s)", n[0], num(f.Value), n[1], f.Level,
		num(f.Range.Low), num(f.Range.High), strings.Join(f.Range.Sources, ", "))
}

func num(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

// ErrRanges is wrapped by ParseRanges for a malformed table.
var ErrRanges = errors.New("app: the vital-sign ranges are malformed")

// ParseRanges reads a ranges table (the format of assets/vitals/ranges.tsv).
func ParseRanges(b []byte) ([]Range, error) {
	var out []Range
	sc := bufio.NewScanner(bytes.NewReader(b))
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if strings.TrimSpace(text) == "" || strings.HasPrefix(text, "#") {
			continue
		}
		f := strings.Split(text, "\t")
		if len(f) != 8 {
			return nil, fmt.Errorf("%w: line %d has %d columns, want 8", ErrRanges, line, len(f))
		}
		r := Range{Measure: f[0], Sources: strings.Split(f[7], ";")}
		if _, ok := measureNames[r.Measure]; !ok {
			return nil, fmt.Errorf("%w: line %d: unknown measure %q", ErrRanges, line, r.Measure)
		}
		var err error
		if r.From, err = strconv.Atoi(f[1]); err == nil {
			r.To, err = strconv.Atoi(f[2])
		}
		if err != nil || r.From < 0 || r.To <= r.From {
			return nil, fmt.Errorf("%w: line %d: the ages must be whole years, from before to", ErrRanges, line)
		}
		vals := []*float64{&r.Low, &r.High, &r.CriticalLow, &r.CriticalHigh}
		for i, s := range f[3:7] {
			*vals[i] = math.NaN()
			if s == "" && i >= 2 {
				continue
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%w: line %d: %q is not a number", ErrRanges, line, s)
			}
			*vals[i] = v
		}
		if r.Low > r.High || r.CriticalLow > r.Low || r.CriticalHigh < r.High || f[7] == "" {
			return nil, fmt.Errorf("%w: line %d: bounds out of order, or no source", ErrRanges, line)
		}
		for _, o := range out {
			if o.Measure == r.Measure && r.From < o.To && o.From < r.To {
				return nil, fmt.Errorf("%w: line %d: ages overlap another row of %s", ErrRanges, line, r.Measure)
			}
		}
		out = append(out, r)
	}
	return out, sc.Err()
}

// bundledRanges parses the embedded table once: it is fixed at build time.
var bundledRanges = sync.OnceValues(func() ([]Range, error) { return ParseRanges(assets.VitalRanges) })

// RangeFor is the range of a measure at an age in whole years, if the
// table has one (age -1, unknown, has none).
func RangeFor(measure string, age int) (Range, bool) {
	rs, err := bundledRanges()
	if err != nil || age < 0 {
		return Range{}, false
	}
	for _, r := range rs {
		if r.Measure == measure && age >= r.From && age < r.To {
			return r, true
		}
	}
	return Range{}, false
}

// AssessVitals flags the readings of v outside their usual range for a
// patient of age (whole years; -1 unknown: nothing is flagged), most
// serious first.
func AssessVitals(v Vitals, age int) []Flag {
	var out []Flag
	for _, m := range []struct {
		measure string
		value   float64
	}{{MeasureSystolic, float64(v.Systolic)}, {MeasureDiastolic, float64(v.Diastolic)}, {MeasurePulse, float64(v.Pulse)},
		{MeasureResp, float64(v.Resp)}, {MeasureTemp, v.TempC}, {MeasureSpO2, float64(v.SpO2)}, {MeasureBMI, v.BMI}} {
		r, ok := RangeFor(m.measure, age)
		if m.value <= 0 || !ok {
			continue
		}
		level := ""
		switch x := m.value; {
		case x <= r.CriticalLow:
			level = CriticalLow
		case x >= r.CriticalHigh:
			level = CriticalHigh
		case x < r.Low:
			level = Low
		case x > r.High:
			level = High
		default:
			continue
		}
		out = append(out, Flag{Measure: m.measure, Value: m.value, Level: level, Range: r})
	}
	for i := range out { // critical first, keeping the order of the measures
		for j := i; j > 0 && out[j].Critical() && !out[j-1].Critical(); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
