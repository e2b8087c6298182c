package dates

import (
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
