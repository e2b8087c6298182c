package physician

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/app/interop"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/ui/kit"
)

// The chart's Results tab: what other systems measured and did, as it was
// imported (results with their value, unit, reference range, flag and
// date; procedures; immunizations), newest first.

const tabResults = "Results"

// maxResultRows is how many rows of each list the tab draws.
const maxResultRows = 200

// resultsTab is the Results tab's content, filled by showResults.
func (v *chartView) resultsTab() fyne.CanvasObject {
	v.results = container.NewVBox()
	return v.results
}

// showResults reads the patient's imported records and draws them.
func (v *chartView) showResults() {
	if v.results == nil {
		return
	}
	var o interop.Outside
	var err error
	id := v.patientID
	v.do(func(ctx context.Context) { o, err = v.c.OutsideRecords(ctx, id) }, func() {
		if err != nil {
			v.results.Objects = []fyne.CanvasObject{wrapped("The results cannot be read: " + kit.ErrorText(err))}
			v.results.Refresh()
			return
		}
		v.results.Objects = resultsContent(o)
		v.results.Refresh()
	})
}

// resultsContent draws imported records as cards.
func resultsContent(o interop.Outside) []fyne.CanvasObject {
	if o.Empty() {
		note := wrapped("No results, procedures or immunizations from other clinics. They appear here when a transfer (FHIR) brings them.")
		note.Importance = widget.LowImportance
		return []fyne.CanvasObject{note}
	}
	var out []fyne.CanvasObject
	if len(o.Results) > 0 {
		rows := [][]fyne.CanvasObject{{head("Date"), head("Test"), head("Value"), head("Reference range"), head("Flag")}}
		for i, r := range o.Results {
			if i == maxResultRows {
				break
			}
			name := r.Code.Name()
			if len(r.Components) > 0 && r.Value.IsZero() {
				rows = append(rows, resultRow(r, name, componentsText(r.Components)))
				continue
			}
			rows = append(rows, resultRow(r, name, r.Value.String()))
		}
		var origins []chart.Origin
		for _, r := range o.Results {
			origins = append(origins, r.Origin)
		}
		out = append(out, listCard(fmt.Sprintf("Results (%d)", len(o.Results)), "Vital signs and laboratory results as the other clinic recorded them.",
			rows, len(o.Results), origins, "measured"))
	}
	if len(o.Procedures) > 0 {
		rows := [][]fyne.CanvasObject{{head("Date"), head("Procedure"), head("Status"), head("By"), head("")}}
		for i, p := range o.Procedures {
			if i == maxResultRows {
				break
			}
			rows = append(rows, []fyne.CanvasObject{cell(fhirDay(p.Start)), cell(p.Code.Name()), cell(p.Status), cell(p.Attribution), cell("")})
		}
		out = append(out, listCard(fmt.Sprintf("Procedures (%d)", len(o.Procedures)), "", rows, len(o.Procedures), nil, ""))
	}
	if len(o.Immunizations) > 0 {
		rows := [][]fyne.CanvasObject{{head("Date"), head("Vaccine"), head("Status"), head("Lot"), head("")}}
		for i, im := range o.Immunizations {
			if i == maxResultRows {
				break
			}
			rows = append(rows, []fyne.CanvasObject{cell(fhirDay(im.Date)), cell(im.Vaccine.Name()), cell(im.Status), cell(orDash(im.Lot)), cell("")})
		}
		var origins []chart.Origin
		for _, im := range o.Immunizations {
			origins = append(origins, im.Origin)
		}
		out = append(out, listCard(fmt.Sprintf("Immunizations (%d)", len(o.Immunizations)), "", rows, len(o.Immunizations), origins, "given"))
	}
	if len(o.Coded) > 0 {
		rows := [][]fyne.CanvasObject{{head("Record"), head("Name"), head("Codes"), head("Prescribing checks"), head("")}}
		for _, c := range o.Coded {
			checks := cell("")
			switch {
			case c.Unchecked:
				checks.SetText("not checked")
				checks.Importance = widget.DangerImportance
			case c.Formulary != "":
				checks.SetText("checked as " + c.Formulary)
			}
			rows = append(rows, []fyne.CanvasObject{cell(c.Kind), cell(c.Name), cell(codesText(c.Codes)), checks, cell("")})
		}
		out = append(out, listCard(fmt.Sprintf("Coded records (%d)", len(o.Coded)),
			"Problems, allergies and medications with the codes they came with. A medication the formulary does not know is not checked for interactions or allergies.",
			rows, len(o.Coded), nil, "", 110, 0, 210, 260, 10))
	}
	if n := len(o.Reports); n > 0 {
		var lines []string
		for i, r := range o.Reports {
			if i == 12 {
				lines = append(lines, fmt.Sprintf("… and %d more", n-i))
				break
			}
			what := r.Code.Name()
			if len(r.Results) > 0 {
				what += " — " + kit.Count(len(r.Results), "result", "results")
			}
			lines = append(lines, fhirDay(r.Effective)+"  "+what)
		}
		out = append(out, widget.NewCard(fmt.Sprintf("Reports (%d)", n), "", wrapped(strings.Join(lines, "\n"))))
	}
	return out
}

// componentsText is a result's components in one value: "136/49 mm[Hg]"
// for a blood pressure (systolic first), else each value after the other.
func componentsText(cs []records.Component) string {
	cs = append([]records.Component(nil), cs...)
	sort.SliceStable(cs, func(i, j int) bool {
		return cs[i].Code.Code("http://loinc.org") == "8480-6" && cs[j].Code.Code("http://loinc.org") != "8480-6"
	})
	unit, same := "", true
	var vals, parts []string
	for i, c := range cs {
		q := c.Value.Quantity
		if q == nil || (i > 0 && q.Unit != unit) {
			same = false
		} else {
			unit = q.Unit
			vals = append(vals, q.Comparator+string(q.Value))
		}
		parts = append(parts, c.Value.String())
	}
	if same && len(vals) > 0 {
		return strings.Join(vals, "/") + " " + unit
	}
	return strings.Join(parts, " / ")
}

// resultRow is one result: its date, test, value, range and flag (an
// abnormal flag in red).
func resultRow(r records.Result, name, value string) []fyne.CanvasObject {
	var ranges []string
	for _, rg := range r.Ranges {
		if s := rg.String(); s != "" {
			ranges = append(ranges, s)
		}
	}
	flag := cell(r.Abnormal())
	if flag.Text != "" {
		flag.Importance = widget.DangerImportance
		flag.TextStyle.Bold = true
	}
	return []fyne.CanvasObject{cell(fhirDay(r.Effective)), cell(name), cell(value), cell(orDash(strings.Join(ranges, "; "))), flag}
}

// listCard lays rows out in a five-column grid under a title, with the
// origins of the records under it (each different one once, at most 3).
func listCard(title, sub string, rows [][]fyne.CanvasObject, total int, origins []chart.Origin, verb string, widths ...float32) fyne.CanvasObject {
	var cells []fyne.CanvasObject
	for _, r := range rows {
		cells = append(cells, r...)
	}
	if len(widths) == 0 {
		widths = []float32{110, 0, 230, 170, 50}
	}
	grid := container.New(&resultColumns{widths: widths}, cells...)
	body := []fyne.CanvasObject{grid}
	seen := map[string]bool{}
	for _, o := range origins {
		if text := origin(o, verb, ""); text != "" && !seen[text] && len(seen) < 3 {
			seen[text] = true
			body = append(body, caption(text))
		}
	}
	if total > maxResultRows {
		more := wrapped(fmt.Sprintf("The %d most recent of %d are shown.", maxResultRows, total))
		more.Importance = widget.LowImportance
		body = append(body, more)
	}
	return widget.NewCard(title, sub, container.NewVBox(body...))
}

func head(s string) *widget.Label {
	return widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

func cell(s string) *widget.Label {
	l := widget.NewLabel(s)
	l.Truncation = fyne.TextTruncateEllipsis
	return l
}

// fhirDay shows a FHIR date or dateTime as a day ("26 Oct 2009").
func fhirDay(s string) string {
	t, ok := records.FHIRTime(s)
	switch {
	case !ok:
		return orDash(s)
	case len(s) == 4:
		return s
	case len(s) == 7:
		return t.Format("Jan 2006")
	}
	return t.Format("2 Jan 2006")
}

// resultColumns lays its objects out as rows of len(widths) columns; a
// width of 0 takes what the others leave.
type resultColumns struct{ widths []float32 }

func (l *resultColumns) MinSize(objs []fyne.CanvasObject) fyne.Size {
	n := len(l.widths)
	var w, h float32
	for _, x := range l.widths {
		w += x
	}
	w += 200 // the flexible column's least
	for i := 0; i < len(objs); i += n {
		var rh float32
		for j := i; j < i+n && j < len(objs); j++ {
			rh = max(rh, objs[j].MinSize().Height)
		}
		h += rh
	}
	return fyne.NewSize(w, h)
}

func (l *resultColumns) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	n := len(l.widths)
	var fixed float32
	for _, x := range l.widths {
		fixed += x
	}
	flex := max(size.Width-fixed, 200)
	var y float32
	for i := 0; i < len(objs); i += n {
		var rh float32
		for j := i; j < i+n && j < len(objs); j++ {
			rh = max(rh, objs[j].MinSize().Height)
		}
		var x float32
		for j := i; j < i+n && j < len(objs); j++ {
			w := l.widths[j-i]
			if w == 0 {
				w = flex
			}
			objs[j].Move(fyne.NewPos(x, y))
			objs[j].Resize(fyne.NewSize(w, rh))
			x += w
		}
		y += rh
	}
}

// codeSystems names the code systems a physician knows.
var codeSystems = map[string]string{
	"http://snomed.info/sct": "SNOMED CT", "http://hl7.org/fhir/sid/icd-10": "ICD-10", "http://hl7.org/fhir/sid/icd-10-cm": "ICD-10-CM",
	"http://www.nlm.nih.gov/research/umls/rxnorm": "RxNorm", "http://loinc.org": "LOINC", "http://hl7.org/fhir/sid/cvx": "CVX",
}

// codesText is "SNOMED CT 15777000, ICD-10 R73.03".
func codesText(cs []records.Coding) string {
	var parts []string
	for _, c := range cs {
		sys := codeSystems[c.System]
		if sys == "" {
			sys = c.System
		}
		parts = append(parts, strings.TrimSpace(sys+" "+c.Code))
	}
	return orDash(strings.Join(parts, ", "))
}
