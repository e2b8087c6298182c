package dates

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// DateFormat is how this workstation writes and reads dates: a Go time
// layout. The person chooses it in Settings; until then it follows the
// system's locale (SystemDateFormat).
type DateFormat string

// The date formats offered in Settings.
const (
	DayMonthYear DateFormat = "02/01/2006" // 15/03/1990
	MonthDayYear DateFormat = "01/02/2006" // 03/15/1990
	YearMonthDay DateFormat = "2006-01-02" // 1990-03-15
)

// DateFormats lists the formats offered, in the order Settings shows them.
var DateFormats = []DateFormat{DayMonthYear, MonthDayYear, YearMonthDay}

var (
	dateMu     sync.RWMutex
	dateFormat DateFormat // "" until set: the system's
)

// SetDateFormat makes f the format every screen uses from now on; an
// unknown format (or "") goes back to the system's.
func SetDateFormat(f DateFormat) {
	if !f.known() {
		f = ""
	}
	dateMu.Lock()
	dateFormat = f
	dateMu.Unlock()
}

// CurrentDateFormat is the format set in Settings, or the system's.
func CurrentDateFormat() DateFormat {
	dateMu.RLock()
	f := dateFormat
	dateMu.RUnlock()
	if f == "" {
		return SystemDateFormat()
	}
	return f
}

// DateLayout is the Go time layout of the current date format, for the
// forms: time.Parse(dates.DateLayout(), text).
func DateLayout() string { return string(CurrentDateFormat()) }

// FormatDate writes t's date in the current format.
func FormatDate(t time.Time) string { return t.Format(DateLayout()) }

// ParseDate reads a date typed in the current format (or as 1990-03-15,
// which cannot be mistaken), at midnight in loc. Its error says how to
// write the date.
func ParseDate(text string, loc *time.Location) (time.Time, error) {
	text = strings.TrimSpace(text)
	for _, layout := range []string{DateLayout(), string(YearMonthDay)} {
		if t, err := time.ParseInLocation(layout, text, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date: write it as %s", text, CurrentDateFormat().Example())
}

// ParsePartialDate reads a date that may lack its day, or its day and
// month, as a problem's onset is known: a full date as ParseDate reads it,
// a month as MM/YYYY, YYYY-MM or "Mar 2019" (as DayText shows it), or a
// year. It returns it as the records keep it: YYYY-MM-DD, YYYY-MM or
// YYYY ("" for nothing typed). Its error says how to write it in the
// current format.
func ParsePartialDate(text string) (string, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return "", nil
	}
	if t, err := ParseDate(text, time.UTC); err == nil {
		return t.Format("2006-01-02"), nil
	}
	for _, layout := range []string{"1/2006", "2006-01", "Jan 2006", "January 2006"} {
		if t, err := time.Parse(layout, text); err == nil {
			return t.Format("2006-01"), nil
		}
	}
	if t, err := time.Parse("2006", text); err == nil && len(text) == 4 {
		return t.Format("2006"), nil
	}
	f := CurrentDateFormat()
	return "", fmt.Errorf("%q is not a date: write it as %s, %s or 1990", text, f.Example(),
		time.Date(1990, 3, 1, 0, 0, 0, 0, time.UTC).Format(f.monthLayout()))
}

// monthLayout is how the format writes a month alone: 03/1990, or
// 1990-03 when it writes the year first.
func (f DateFormat) monthLayout() string {
	if f == YearMonthDay {
		return "2006-01"
	}
	return "01/2006"
}

// MonthPlaceholder is a month alone spelled out for an empty field:
// "MM/YYYY" ("YYYY-MM" in a year-first format).
func (f DateFormat) MonthPlaceholder() string {
	return strings.NewReplacer("2006", "YYYY", "01", "MM").Replace(f.monthLayout())
}

// Example is 15 March 1990 written in the format: "15/03/1990".
func (f DateFormat) Example() string {
	return time.Date(1990, 3, 15, 0, 0, 0, 0, time.UTC).Format(string(f))
}

// Placeholder is the format spelled out for an empty field: "DD/MM/YYYY".
func (f DateFormat) Placeholder() string {
	return strings.NewReplacer("2006", "YYYY", "01", "MM", "02", "DD").Replace(string(f))
}

func (f DateFormat) known() bool {
	for _, k := range DateFormats {
		if f == k {
			return true
		}
	}
	return false
}

// SystemDateFormat is the format the system's locale (LC_ALL, LC_TIME or
// LANG) writes dates in: month first for the United States and a few
// others, year first where the locale does (and for C/POSIX), day first
// elsewhere.
func SystemDateFormat() DateFormat {
	return dateFormatOf(localeName(os.Getenv))
}

func localeName(getenv func(string) string) string {
	for _, v := range []string{"LC_ALL", "LC_TIME", "LANG"} {
		if s := getenv(v); s != "" {
			return s
		}
	}
	return ""
}

// dateFormatOf maps a locale name such as "en_US.UTF-8" to its format.
func dateFormatOf(locale string) DateFormat {
	locale, _, _ = strings.Cut(locale, ".")
	locale, _, _ = strings.Cut(locale, "@")
	lang, region, _ := strings.Cut(locale, "_")
	switch {
	case locale == "" || locale == "C" || locale == "POSIX":
		return YearMonthDay
	case region == "US" || region == "PH" || region == "FM" || region == "MH" || region == "PW":
		return MonthDayYear
	case region == "CA" && lang == "en":
		return YearMonthDay
	}
	switch lang {
	case "sv", "lt", "hu", "ja", "zh", "ko", "mn", "eo":
		return YearMonthDay
	}
	return DayMonthYear
}
