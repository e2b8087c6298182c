package physician

import (
	"context"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app/chart"
)

// vitalsForm records one set of measurements.
type vitalsForm struct {
	sys, dia, pulse, temp, resp, spo2, weight, height *widget.Entry
	bmi                                               *widget.Label
	flags                                             *widget.Label // the values as entered outside their usual range
	record                                            *widget.Button
	fb                                                feedback
	critical                                          *dialog.ConfirmDialog // the confirmation of a critical value last shown
	box                                               *fyne.Container       // the form, laid out again when the flags change
}

func numEntry(placeholder string) *widget.Entry {
	e := widget.NewEntry()
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
		f.critical = dialog.NewConfirm("Critical value: check before saving",
			strings.Join(critical, "\n")+"\n\nIs this what you measured? Act on it now if it is.", func(ok bool) {
				if ok {
					save()
				}
			}, v.win)
		f.critical.SetConfirmText("Save the reading")
		f.critical.SetDismissText("Correct it")
		f.critical.Show()
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

func (f *vitalsForm) entries() []*widget.Entry {
	return []*widget.Entry{f.sys, f.dia, f.pulse, f.temp, f.resp, f.spo2, f.weight, f.height}
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
		e    *widget.Entry
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
		e    *widget.Entry
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
	field := func(label string, e *widget.Entry) fyne.CanvasObject { return captioned(label, e) }
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

// trendPoint is one measurement in time.
type trendPoint struct {
	t    time.Time
	v    float64
	flag bool // outside the usual range for the patient's age
}

// trendSeries is one line of a trend chart; tone 0 is the theme's primary
// colour, 1 an orange that stands apart from it.
type trendSeries struct {
	name   string
	tone   int
	points []trendPoint
}

// trendChart draws measurements over time as a picture: a line per
// series with a dot per reading, the usual range shaded, the range of
// values and dates on the axes, and the latest value in the title.
type trendChart struct {
	widget.BaseWidget
	title, unit string
	band        [2]float64 // usual range; zero for none
	series      []trendSeries
}

func newTrendChart(title, unit string, band [2]float64, series ...trendSeries) *trendChart {
	c := &trendChart{title: title, unit: unit, band: band, series: series}
	c.ExtendBaseWidget(c)
	return c
}

// CreateRenderer is part of fyne.Widget.
func (c *trendChart) CreateRenderer() fyne.WidgetRenderer {
	r := &trendRenderer{c: c}
	r.build()
	return r
}

type trendRenderer struct {
	c        *trendChart
	bg, band *canvas.Rectangle
	title    *canvas.Text
	yMax     *canvas.Text
	yMin     *canvas.Text
	xFirst   *canvas.Text
	xLast    *canvas.Text
	legend   []*canvas.Text
	axis     *canvas.Line
	lines    [][]*canvas.Line
	dots     [][]*canvas.Circle
	objects  []fyne.CanvasObject
	lo, hi   float64
	t0, t1   time.Time
}

func (r *trendRenderer) color(tone int) color.Color {
	if tone == 1 {
		return color.NRGBA{R: 0xE0, G: 0x7A, B: 0x1F, A: 0xFF}
	}
	return theme.Color(theme.ColorNamePrimary)
}

func (r *trendRenderer) build() {
	c := r.c
	r.bg = canvas.NewRectangle(theme.Color(theme.ColorNameInputBackground))
	r.bg.CornerRadius = 6
	r.band = canvas.NewRectangle(color.NRGBA{R: 0x2E, G: 0x9E, B: 0x6B, A: 0x22})
	r.title = canvas.NewText("", theme.Color(theme.ColorNameForeground))
	r.title.TextStyle.Bold = true
	small := theme.TextSize() * 0.8
	mk := func() *canvas.Text {
		t := canvas.NewText("", theme.Color(theme.ColorNamePlaceHolder))
		t.TextSize = small
		return t
	}
	r.yMax, r.yMin, r.xFirst, r.xLast = mk(), mk(), mk(), mk()
	r.axis = canvas.NewLine(theme.Color(theme.ColorNameSeparator))
	r.objects = []fyne.CanvasObject{r.bg}
	if c.band != [2]float64{} {
		r.objects = append(r.objects, r.band)
	}
	r.objects = append(r.objects, r.axis, r.title, r.yMax, r.yMin, r.xFirst, r.xLast)
	if len(c.series) > 1 {
		for _, s := range c.series {
			t := canvas.NewText("— "+s.name, r.color(s.tone))
			t.TextSize = small
			r.legend = append(r.legend, t)
			r.objects = append(r.objects, t)
		}
	}

	first := true
	var latest []string
	for _, s := range c.series {
		var ls []*canvas.Line
		var ds []*canvas.Circle
		for i, p := range s.points {
			if first || p.v < r.lo {
				r.lo = p.v
			}
			if first || p.v > r.hi {
				r.hi = p.v
			}
			if first || p.t.Before(r.t0) {
				r.t0 = p.t
			}
			if first || p.t.After(r.t1) {
				r.t1 = p.t
			}
			first = false
			if i > 0 {
				l := canvas.NewLine(r.color(s.tone))
				l.StrokeWidth = 2
				ls = append(ls, l)
			}
			d := canvas.NewCircle(r.color(s.tone))
			if p.flag {
				d.FillColor = theme.Color(theme.ColorNameError)
			}
			ds = append(ds, d)
		}
		r.lines, r.dots = append(r.lines, ls), append(r.dots, ds)
		for _, l := range ls {
			r.objects = append(r.objects, l)
		}
		for _, d := range ds {
			r.objects = append(r.objects, d)
		}
		if n := len(s.points); n > 0 {
			latest = append(latest, trimFloat(s.points[n-1].v))
		}
	}
	if c.band != [2]float64{} && !first {
		r.lo, r.hi = math.Min(r.lo, c.band[0]), math.Max(r.hi, c.band[1])
	}
	pad := (r.hi - r.lo) * 0.1
	if pad == 0 {
		pad = math.Max(1, math.Abs(r.hi)*0.05)
	}
	r.lo, r.hi = r.lo-pad, r.hi+pad
	title := c.title
	if len(latest) > 0 {
		title = fmt.Sprintf("%s  %s %s", c.title, strings.Join(latest, "/"), c.unit)
	} else {
		title += "  no readings"
	}
	r.title.Text = title
	r.yMax.Text, r.yMin.Text = trimFloat(r.hi-pad), trimFloat(r.lo+pad)
	if r.yMax.Text == r.yMin.Text { // one value: one label
		r.yMin.Text = ""
	}
	switch {
	case first:
	case r.t0.Equal(r.t1): // one reading: its date and time, under it
		r.xFirst.Text = r.t0.Local().Format("2 Jan 2006 15:04")
	default:
		r.xFirst.Text, r.xLast.Text = r.t0.Local().Format("2 Jan 2006"), r.t1.Local().Format("2 Jan 2006")
	}
}

func trimFloat(x float64) string {
	if x == math.Trunc(x) {
		return strconv.FormatFloat(x, 'f', 0, 64)
	}
	return strconv.FormatFloat(x, 'f', 1, 64)
}

func (r *trendRenderer) Layout(size fyne.Size) {
	r.bg.Resize(size)
	r.bg.Move(fyne.NewPos(0, 0))
	pad := float32(8)
	r.title.Move(fyne.NewPos(pad, pad/2))
	right := size.Width - pad
	for i := len(r.legend) - 1; i >= 0; i-- {
		w := r.legend[i].MinSize().Width
		right -= w
		r.legend[i].Move(fyne.NewPos(right, pad/2+2))
		right -= pad
	}
	left, top := float32(44), float32(30)
	plotW, plotH := size.Width-left-pad*2, size.Height-top-24
	if plotW < 10 || plotH < 10 {
		return
	}
	y := func(v float64) float32 {
		return top + plotH - float32((v-r.lo)/(r.hi-r.lo))*plotH
	}
	x := func(t time.Time) float32 {
		span := r.t1.Sub(r.t0)
		if span <= 0 {
			return left + plotW/2
		}
		return left + float32(float64(t.Sub(r.t0))/float64(span))*plotW
	}
	if r.c.band != [2]float64{} {
		r.band.Move(fyne.NewPos(left, y(r.c.band[1])))
		r.band.Resize(fyne.NewSize(plotW, y(r.c.band[0])-y(r.c.band[1])))
	}
	r.axis.Position1, r.axis.Position2 = fyne.NewPos(left, top+plotH), fyne.NewPos(left+plotW, top+plotH)
	r.yMax.Move(fyne.NewPos(pad, y(r.hi-(r.hi-r.lo)/11)-6))
	r.yMin.Move(fyne.NewPos(pad, y(r.lo+(r.hi-r.lo)/11)-6))
	r.xFirst.Move(fyne.NewPos(left, top+plotH+4))
	if r.t0.Equal(r.t1) {
		r.xFirst.Move(fyne.NewPos(left+plotW/2-r.xFirst.MinSize().Width/2, top+plotH+4))
	}
	r.xLast.Move(fyne.NewPos(left+plotW-r.xLast.MinSize().Width, top+plotH+4))
	for si, s := range r.c.series {
		for i, p := range s.points {
			d := r.dots[si][i]
			size := float32(6)
			if p.flag {
				size = 9
			}
			d.Resize(fyne.NewSize(size, size))
			d.Move(fyne.NewPos(x(p.t)-size/2, y(p.v)-size/2))
			if i > 0 {
				l := r.lines[si][i-1]
				l.Position1 = fyne.NewPos(x(s.points[i-1].t), y(s.points[i-1].v))
				l.Position2 = fyne.NewPos(x(p.t), y(p.v))
			}
		}
	}
}

func (r *trendRenderer) MinSize() fyne.Size           { return fyne.NewSize(300, 170) }
func (r *trendRenderer) Refresh()                     { r.Layout(r.c.Size()); canvas.Refresh(r.c) }
func (r *trendRenderer) Objects() []fyne.CanvasObject { return r.objects }
func (r *trendRenderer) Destroy()                     {}
