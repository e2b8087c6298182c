package dates

import (
	"strings"
	"testing"
	"time"
)

func TestDateFormatOfLocale(t *testing.T) {
	for _, tt := range []struct {
		locale string
		want   DateFormat
	}{
		{"en_US.UTF-8", MonthDayYear},
		{"en_GB.UTF-8", DayMonthYear},
		{"de_DE.UTF-8", DayMonthYear},
		{"fr_FR@euro", DayMonthYear},
		{"en_CA.UTF-8", YearMonthDay},
		{"sv_SE.UTF-8", YearMonthDay},
		{"ja_JP.UTF-8", YearMonthDay},
		{"C", YearMonthDay},
		{"", YearMonthDay},
	} {
		if got := dateFormatOf(tt.locale); got != tt.want {
			t.Errorf("dateFormatOf(%q) = %s, want %s", tt.locale, got.Example(), tt.want.Example())
		}
	}
}

func TestDatesInEachFormat(t *testing.T) {
	t.Cleanup(func() { SetDateFormat("") })
	day := time.Date(1990, 3, 15, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		f                    DateFormat
		written, placeholder string
	}{
		{DayMonthYear, "15/03/1990", "DD/MM/YYYY"},
		{MonthDayYear, "03/15/1990", "MM/DD/YYYY"},
		{YearMonthDay, "1990-03-15", "YYYY-MM-DD"},
	} {
		SetDateFormat(tt.f)
		if got := FormatDate(day); got != tt.written {
			t.Errorf("%s: FormatDate = %q, want %q", tt.f, got, tt.written)
		}
		if got := tt.f.Placeholder(); got != tt.placeholder {
			t.Errorf("%s: Placeholder = %q, want %q", tt.f, got, tt.placeholder)
		}
		for _, text := range []string{tt.written, " 1990-03-15 "} {
			if got, err := ParseDate(text, time.UTC); err != nil || !got.Equal(day) {
				t.Errorf("%s: ParseDate(%q) = %v, %v", tt.f, text, got, err)
			}
		}
		if _, err := ParseDate("31/31/1990", time.UTC); err == nil || err.Error() != `"31/31/1990" is not a date: write it as `+tt.written {
			t.Errorf("%s: bad date error = %v", tt.f, err)
		}
	}
	SetDateFormat("nonsense")
	if CurrentDateFormat() != SystemDateFormat() {
		t.Error("an unknown format does not fall back to the system's")
	}
}

// FuzzParseDate: whatever is typed, ParseDate answers a date or an error
// without panicking, and a date it reads is written back readable.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"15/03/1990", "03/15/1990", "1990-03-15", "", "31/02/2000", "0000-00-00", "１５/03/1990"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		d, err := ParseDate(text, time.UTC)
		if err != nil {
			return
		}
		if back, err := ParseDate(FormatDate(d), time.UTC); err != nil || !back.Equal(d) {
			t.Fatalf("%q read as %v, written %q, read back %v, %v", text, d, FormatDate(d), back, err)
		}
	})
}

// TestParsePartialDate: an onset typed in the workstation's format, a
// month or a year alone, is kept as the records keep it.
func TestParsePartialDate(t *testing.T) {
	defer SetDateFormat(CurrentDateFormat())
	for _, tt := range []struct {
		format     DateFormat
		typed      string
		want, errs string
	}{
		{DayMonthYear, "03/04/2019", "2019-04-03", ""},
		{MonthDayYear, "03/04/2019", "2019-03-04", ""},
		{YearMonthDay, "2019-04-03", "2019-04-03", ""},
		{DayMonthYear, "2019-04-03", "2019-04-03", ""}, // ISO is read in every format
		{DayMonthYear, " 04/2019 ", "2019-04", ""},
		{DayMonthYear, "4/2019", "2019-04", ""},
		{YearMonthDay, "2019-04", "2019-04", ""},
		{MonthDayYear, "Apr 2019", "2019-04", ""},
		{MonthDayYear, "April 2019", "2019-04", ""},
		{DayMonthYear, "2019", "2019", ""},
		{DayMonthYear, "", "", ""},
		{DayMonthYear, "2019-13", "", "write it as 15/03/1990, 03/1990 or 1990"},
		{MonthDayYear, "31/12/2019", "", "write it as 03/15/1990, 03/1990 or 1990"},
		{YearMonthDay, "spring", "", "write it as 1990-03-15, 1990-03 or 1990"},
		{DayMonthYear, "13/2019", "", "not a date"},
		{DayMonthYear, "19", "", "not a date"},
	} {
		SetDateFormat(tt.format)
		got, err := ParsePartialDate(tt.typed)
		if got != tt.want || (err == nil) != (tt.errs == "") || err != nil && !strings.Contains(err.Error(), tt.errs) {
			t.Errorf("%s: %q read as %q, %v; want %q, %q", tt.format, tt.typed, got, err, tt.want, tt.errs)
		}
	}
	for f, want := range map[DateFormat]string{DayMonthYear: "MM/YYYY", MonthDayYear: "MM/YYYY", YearMonthDay: "YYYY-MM"} {
		if got := f.MonthPlaceholder(); got != want {
			t.Errorf("%s: month hint %q, want %q", f, got, want)
		}
	}
}

// FuzzParsePartialDate: whatever is typed, ParsePartialDate answers
// without panicking, and what it keeps is one of the records' three
// shapes.
func FuzzParsePartialDate(f *testing.F) {
	for _, s := range []string{"03/04/2019", "04/2019", "2019-04", "Apr 2019", "2019", "", "0/0000", "１/2019"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		got, err := ParsePartialDate(text)
		if err != nil || got == "" {
			return
		}
		for _, layout := range []string{"2006-01-02", "2006-01", "2006"} {
			if _, err := time.Parse(layout, got); err == nil && len(got) == len(layout) {
				return
			}
		}
		t.Fatalf("%q kept as %q, which the records do not read", text, got)
	})
}
