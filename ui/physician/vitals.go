package physician

import (
	"context"
	"fmt"
	"github.com/medihaven/medihaven/ui/kit"
	"math"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app/chart"
)

// vitalsForm records one set of measurements.
type vitalsForm struct {
	sys, dia, pulse, temp, resp, spo2, weight, height *kit.Entry
	bmi                                               *widget.Label
	flags                                             *widget.Label // the values as entered outside their usual range
	record                                            *widget.Button
	fb                                                feedback
	critical                                          *kit.ConfirmDialog // the confirmation of a critical value last shown
	box                                               *fyne.Container    // the form, laid out again when the flags change
}

func numEntry(placeholder string) *kit.Entry {
	e := kit.NewEntry()
	e.SetPlaceHolder(placeholder)
	return e
}

func (v *chartView) newVitalsForm() *vitalsForm {
	f := &vitalsForm{sys: numEntry("Systolic"), dia: numEntry("Diastolic"), pulse: numEntry("/min"), temp: numEntry("°C"),
		resp: numEntry("/min"), spo2: numEntry("%"), weight: numEntry("kg"), height: numEntry("cm"),
		bmi: widget.NewLabel("BMI —"), flags: wrapped(""), fb: newFeedback()}
	f.flags.Hide()
	for _, e := range f.entries() {
		e.OnChanged = func(string) { f.showBMI(v.lastHeight()); f.showFlags(v) }
	}
	f.record = widget.NewButtonWithIcon("Record vitals", theme.ConfirmIcon(), func() {
		vs, err := f.read()
		if err != nil {
			f.fb.fail(err)
			return
		}
		vs.Patient = v.patientID
		if v.encounter != nil {
			vs.Encounter = v.encounter.ID
		}
		save := func() {
			v.act(func(ctx context.Context) error { _, err := v.c.RecordVitals(ctx, vs); return err }, "Vitals recorded.", f.fb, f.clear)
		}
		var critical []string
		for _, fl := range f.assess(v, vs) {
			if fl.Critical() {
				critical = append(critical, "• "+fl.String())
			}
		}
		if len(critical) == 0 {
			save()
			return
		}
		f.critical = kit.Confirm{Title: "Critical value: check before saving",
			Message: strings.Join(critical, "\n") + "\n\nIs this what you measured? Act on it now if it is.",
			Yes:     "Save the reading", No: "Correct it", Back: f.record,
			Answer: func(ok bool) {
				if ok {
					save()
				}
			}}.Show(v.win)
	})
	f.record.Importance = widget.HighImportance
	return f
}

// assess flags a reading for the patient on screen (its BMI from the last
// height when none was measured).
func (f *vitalsForm) assess(v *chartView, vs chart.Vitals) []chart.Flag {
	h := vs.HeightCm
	if h == 0 {
		h = v.lastHeight()
	}
	vs.BMI = chart.BMIOf(vs.WeightKg, h)
	return chart.AssessVitals(vs, v.chart.Age)
}

// showFlags says, as the values are typed, which are outside their usual
// range for the patient's age, and which are critical.
func (f *vitalsForm) showFlags(v *chartView) {
	vs, err := f.read()
	var lines []string
	critical := false
	if err == nil {
		for _, fl := range f.assess(v, vs) {
			lines = append(lines, flagMark(fl)+" "+fl.String())
			critical = critical || fl.Critical()
		}
	}
	defer func() {
		if f.box != nil {
			f.box.Refresh()
		}
		if v.vitalsScroll != nil {
			v.vitalsScroll.Refresh()
		}
	}()
	if len(lines) == 0 {
		f.flags.Hide()
		return
	}
	f.flags.Importance = widget.WarningImportance
	if critical {
		f.flags.Importance = widget.DangerImportance
	}
	f.flags.SetText(strings.Join(lines, "\n"))
	f.flags.Show()
}

// flagMark is the sign of a flag: ▲ above, ▼ below, doubled when critical.
func flagMark(f chart.Flag) string {
	switch f.Level {
	case chart.CriticalHigh:
		return "▲▲"
	case chart.CriticalLow:
		return "▼▼"
	case chart.High:
		return "▲"
	}
	return "▼"
}

func (f *vitalsForm) entries() []*kit.Entry {
	return []*kit.Entry{f.sys, f.dia, f.pulse, f.temp, f.resp, f.spo2, f.weight, f.height}
}

func (f *vitalsForm) clear() {
	for _, e := range f.entries() {
		e.SetText("")
	}
}

// read parses the form; an empty field is "not measured".
func (f *vitalsForm) read() (chart.Vitals, error) {
	var v chart.Vitals
	ints := []struct {
		name string
		e    *kit.Entry
		to   *int
	}{{"systolic", f.sys, &v.Systolic}, {"diastolic", f.dia, &v.Diastolic}, {"pulse", f.pulse, &v.Pulse},
		{"respiratory rate", f.resp, &v.Resp}, {"SpO2", f.spo2, &v.SpO2}}
	for _, x := range ints {
		if t := strings.TrimSpace(x.e.Text); t != "" {
			n, err := strconv.Atoi(t)
			if err != nil {
				return v, fmt.Errorf("the %s %q is not a whole number", x.name, t)
			}
			*x.to = n
		}
	}
	floats := []struct {
		name string
		e    *kit.Entry
		to   *float64
	}{{"temperature", f.temp, &v.TempC}, {"weight", f.weight, &v.WeightKg}, {"height", f.height, &v.HeightCm}}
	for _, x := range floats {
		if t := strings.TrimSpace(strings.ReplaceAll(x.e.Text, ",", ".")); t != "" {
			n, err := strconv.ParseFloat(t, 64)
			if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
				return v, fmt.Errorf("the %s %q is not a number", x.name, t)
			}
			*x.to = n
		}
	}
	return v, nil
}

func (f *vitalsForm) showBMI(lastHeight float64) {
	w, _ := strconv.ParseFloat(strings.ReplaceAll(strings.TrimSpace(f.weight.Text), ",", "."), 64)
	h, _ := strconv.ParseFloat(strings.ReplaceAll(strings.TrimSpace(f.height.Text), ",", "."), 64)
	note := ""
	if h == 0 && lastHeight > 0 {
		h, note = lastHeight, fmt.Sprintf(" (last height %g cm)", lastHeight)
	}
	if b := chart.BMIOf(w, h); b > 0 && b < 200 {
		f.bmi.SetText(fmt.Sprintf("BMI %.1f%s", b, note))
		return
	}
	f.bmi.SetText("BMI —")
}

// lastHeight is the latest height measured, for the BMI.
func (v *chartView) lastHeight() float64 {
	h := 0.0
	for _, x := range v.chart.Vitals {
		if x.HeightCm > 0 {
			h = x.HeightCm
		}
	}
	return h
}

func (v *chartView) vitalsTab() fyne.CanvasObject {
	f := v.vf
	field := func(label string, e *kit.Entry) fyne.CanvasObject { return captioned(label, e) }
	form := container.NewVBox(
		bold("Record vitals — leave a field empty when it was not measured"),
		container.NewGridWithColumns(8,
			field("Systolic mmHg", f.sys), field("Diastolic mmHg", f.dia), field("Pulse /min", f.pulse),
			field("Temp °C", f.temp), field("Resp. /min", f.resp), field("SpO2 %", f.spo2),
			field("Weight kg", f.weight), field("Height cm", f.height)),
		f.flags,
		container.NewBorder(nil, nil, f.bmi, f.record, f.fb.Label))
	f.box = form
	return container.NewVBox(widget.NewCard("", "", form), bold("Trends (shaded: the usual range for the patient's age; red: outside it)"),
		v.vitalsCharts, bold("Latest readings (▲ above, ▼ below the usual range; doubled: critical)"), v.vitalsTable)
}

// captioned puts a small caption above a field, which stays readable once
// the field is filled (a placeholder would vanish).
func captioned(label string, o fyne.CanvasObject) fyne.CanvasObject {
	l := widget.NewLabel(label)
	l.SizeName = theme.SizeNameCaptionText
	return container.NewBorder(l, nil, nil, nil, o)
}

// latestFlags says, for the chart's header, which values of the latest
// reading are outside their usual range ("" when none).
func (v *chartView) latestFlags() (string, widget.Importance) {
	vs := v.chart.Vitals
	if len(vs) == 0 {
		return "", widget.MediumImportance
	}
	last := vs[len(vs)-1]
	var parts []string
	imp := widget.WarningImportance
	for _, f := range chart.AssessVitals(last, v.chart.Age) {
		n := f.String()
		if i := strings.Index(n, " (usual"); i > 0 {
			n = n[:i]
		}
		parts = append(parts, flagMark(f)+" "+n)
		if f.Critical() {
			imp = widget.DangerImportance
		}
	}
	if len(parts) == 0 {
		return "", imp
	}
	return fmt.Sprintf("Latest vitals, %s: %s", last.Time.Local().Format("2 Jan 2006 15:04"), strings.Join(parts, "; ")), imp
}

// showVitals draws the trend charts and the latest readings.
func (v *chartView) showVitals() {
	if text, imp := v.latestFlags(); text != "" {
		v.vitalsFlags.Importance = imp
		v.vitalsFlags.SetText(text)
		v.vitalsFlags.Show()
	} else {
		v.vitalsFlags.Hide()
	}
	vs := v.chart.Vitals
	v.vf.showBMI(v.lastHeight())
	v.vitalsCharts.Objects = nil
	v.vitalsTable.Objects = nil
	if len(vs) == 0 {
		v.vitalsCharts.Add(quiet("No vitals recorded yet: the trends appear here."))
		v.vitalsCharts.Refresh()
		v.vitalsTable.Refresh()
		return
	}
	age := v.chart.Age
	flagged := make([]map[string]chart.Flag, len(vs)) // by measure, per reading
	for i, x := range vs {
		flagged[i] = map[string]chart.Flag{}
		for _, f := range chart.AssessVitals(x, age) {
			flagged[i][f.Measure] = f
		}
	}
	pick := func(measure string, f func(chart.Vitals) float64) []trendPoint {
		var out []trendPoint
		for i, x := range vs {
			if y := f(x); y > 0 {
				_, flag := flagged[i][measure]
				out = append(out, trendPoint{x.Time, y, flag})
			}
		}
		return out
	}
	band := func(measure string) [2]float64 {
		if r, ok := chart.RangeFor(measure, age); ok {
			return [2]float64{r.Low, r.High}
		}
		return [2]float64{}
	}
	charts := []*trendChart{
		newTrendChart("Blood pressure", "mmHg", band(chart.MeasureSystolic),
			trendSeries{"systolic", 0, pick(chart.MeasureSystolic, func(x chart.Vitals) float64 { return float64(x.Systolic) })},
			trendSeries{"diastolic", 1, pick(chart.MeasureDiastolic, func(x chart.Vitals) float64 { return float64(x.Diastolic) })}),
		newTrendChart("Pulse", "/min", band(chart.MeasurePulse), trendSeries{"pulse", 0,
			pick(chart.MeasurePulse, func(x chart.Vitals) float64 { return float64(x.Pulse) })}),
		newTrendChart("Weight", "kg", [2]float64{}, trendSeries{"weight", 0, pick("", func(x chart.Vitals) float64 { return x.WeightKg })}),
		newTrendChart("BMI", "kg/m²", band(chart.MeasureBMI), trendSeries{"BMI", 0, pick(chart.MeasureBMI, func(x chart.Vitals) float64 { return x.BMI })}),
		newTrendChart("Temperature", "°C", band(chart.MeasureTemp), trendSeries{"temperature", 0,
			pick(chart.MeasureTemp, func(x chart.Vitals) float64 { return x.TempC })}),
		newTrendChart("SpO2", "%", band(chart.MeasureSpO2), trendSeries{"SpO2", 0,
			pick(chart.MeasureSpO2, func(x chart.Vitals) float64 { return float64(x.SpO2) })}),
	}
	for _, c := range charts {
		v.vitalsCharts.Add(c)
	}
	v.vitalsCharts.Refresh()

	grid := container.NewGridWithColumns(8)
	for _, h := range []string{"Date and time", "BP", "Pulse", "Temp", "RR", "SpO2", "Weight", "BMI"} {
		grid.Add(bold(h))
	}
	var imported []string // origin of the readings marked *, each once
	for i := len(vs) - 1; i >= 0 && i >= len(vs)-8; i-- {
		x, fl := vs[i], flagged[i]
		cell := func(text string, measures ...string) *widget.Label {
			l := widget.NewLabel(text)
			for _, m := range measures {
				if f, ok := fl[m]; ok {
					l.SetText(l.Text + " " + flagMark(f))
					if l.Importance != widget.DangerImportance {
						l.Importance = widget.WarningImportance
					}
					if f.Critical() {
						l.Importance = widget.DangerImportance
					}
				}
			}
			return l
		}
		num := func(x float64, f string) string {
			if x <= 0 {
				return "—"
			}
			return fmt.Sprintf(f, x)
		}
		bp := "—"
		if x.Systolic > 0 {
			bp = fmt.Sprintf("%d/%d", x.Systolic, x.Diastolic)
		}
		date := x.Time.Local().Format("2 Jan 2006 15:04")
		if o := origin(x.Origin, "measured", ""); o != "" {
			date += " *"
			if !slices.Contains(imported, o) {
				imported = append(imported, o)
			}
		}
		grid.Add(widget.NewLabel(date))
		grid.Add(cell(bp, chart.MeasureSystolic, chart.MeasureDiastolic))
		grid.Add(cell(num(float64(x.Pulse), "%.0f"), chart.MeasurePulse))
		grid.Add(cell(num(x.TempC, "%.1f °C"), chart.MeasureTemp))
		grid.Add(cell(num(float64(x.Resp), "%.0f"), chart.MeasureResp))
		grid.Add(cell(num(float64(x.SpO2), "%.0f %%"), chart.MeasureSpO2))
		grid.Add(cell(num(x.WeightKg, "%.1f kg")))
		grid.Add(cell(num(x.BMI, "%.1f"), chart.MeasureBMI))
	}
	v.vitalsTable.Add(grid)
	for _, o := range imported {
		v.vitalsTable.Add(caption("* " + o))
	}
	v.vitalsTable.Refresh()
}
