package physician

import (
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// The trend charts of the Vitals tab.

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
