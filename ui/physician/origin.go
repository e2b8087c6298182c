package physician

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app/chart"
)

// A record imported from another clinic is signed or written here by the
// physician who imported it; the chart says who wrote it there, so a
// transferred note never reads as the importer's own.

// origin says where an imported record came from, "" for the clinic's own:
// "Imported — written by Dr Maria Rossi (other clinic); imported by Dr
// Amara Okafor on 22 Nov 2026". verb is what the author did ("written",
// "recorded", "measured"); importer, when not "", who imported it.
func origin(o chart.Origin, verb, importer string) string {
	if !o.IsImported() {
		return ""
	}
	s := "Imported from another clinic"
	if o.Attribution != "" {
		s = fmt.Sprintf("Imported — %s by %s (other clinic)", verb, o.Attribution)
	}
	switch on := o.Imported.Local().Format("2 Jan 2006"); {
	case importer != "" && !o.Imported.IsZero():
		s += fmt.Sprintf("; imported by %s on %s", importer, on)
	case importer != "":
		s += "; imported by " + importer
	case !o.Imported.IsZero():
		s += "; imported " + on
	}
	return s
}

// caption is a small low-importance wrapped label, for notes under a record.
func caption(text string) *widget.Label {
	l := quiet(text)
	l.SizeName = theme.SizeNameCaptionText
	return l
}

// addendumText is one addendum as the chart lists it.
func addendumText(a chart.Addendum) string {
	who := a.AuthorName
	if a.IsImported() {
		by := a.Attribution
		if by == "" {
			by = "an author the transfer did not name"
		}
		who = fmt.Sprintf("%s (other clinic; imported by %s)", by, a.AuthorName)
	}
	return fmt.Sprintf("Addendum, %s, %s: %s", stamp(a.Time), who, a.Text)
}

// withOrigin puts an imported record's origin, small, close under its row;
// the clinic's own records keep their row alone.
func withOrigin(row fyne.CanvasObject, o chart.Origin, verb string) fyne.CanvasObject {
	text := origin(o, verb, "")
	if text == "" {
		return row
	}
	return container.New(layout.NewCustomPaddedVBoxLayout(-2*theme.Padding()), row, caption(text))
}
