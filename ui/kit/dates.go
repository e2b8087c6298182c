package kit

import (
	"time"

	"github.com/medihaven/medihaven/internal/dates"
)

// The screens' dates are written and read by internal/dates (no Fyne in
// it, so its fuzz target builds small); these are its names here.

// DateFormat is how this workstation writes and reads dates: a Go time
// layout (dates.DateFormat).
type DateFormat = dates.DateFormat

// The date formats offered in Settings.
const (
	DayMonthYear = dates.DayMonthYear // 15/03/1990
	MonthDayYear = dates.MonthDayYear // 03/15/1990
	YearMonthDay = dates.YearMonthDay // 1990-03-15
)

// DateFormats lists the formats offered, in the order Settings shows them.
var DateFormats = dates.DateFormats

// SetDateFormat makes f the format every screen uses from now on; an
// unknown format (or "") goes back to the system's.
func SetDateFormat(f DateFormat) { dates.SetDateFormat(f) }

// CurrentDateFormat is the format set in Settings, or the system's.
func CurrentDateFormat() DateFormat { return dates.CurrentDateFormat() }

// DateLayout is the Go time layout of the current date format.
func DateLayout() string { return dates.DateLayout() }

// FormatDate writes t's date in the current format.
func FormatDate(t time.Time) string { return dates.FormatDate(t) }

// DayText is a stored date (YYYY-MM-DD) as a person reads it, in the
// current format; a month alone (YYYY-MM, a problem's onset) is written
// "Mar 2019", in no order to misread; other text (a year, a partial date
// from an import) is kept as it is. Fields that are edited take
// FieldDate.
func DayText(ymd string) string {
	if t, err := time.Parse("2006-01", ymd); err == nil {
		return t.Format("Jan 2006")
	}
	return FieldDate(ymd)
}

// FieldDate is a stored YYYY-MM-DD date in the current format, as typed
// in a field (ParseDate reads it back); other text is kept as it is.
func FieldDate(ymd string) string {
	if t, err := time.Parse("2006-01-02", ymd); err == nil {
		return FormatDate(t)
	}
	return ymd
}

// ParseDate reads a date typed in the current format (or as 1990-03-15),
// at midnight in loc; its error says how to write the date.
func ParseDate(text string, loc *time.Location) (time.Time, error) {
	return dates.ParseDate(text, loc)
}

// ParsePartialDate reads a date typed in the current format that may be a
// month (MM/YYYY) or a year alone, as the records keep a problem's onset:
// YYYY-MM-DD, YYYY-MM or YYYY (dates.ParsePartialDate).
func ParsePartialDate(text string) (string, error) { return dates.ParsePartialDate(text) }

// SystemDateFormat is the format the system's locale writes dates in.
func SystemDateFormat() DateFormat { return dates.SystemDateFormat() }
