package frontdesk

import (
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/ui/kit"
)

// Dates are typed and shown in the workstation's date format (kit, chosen
// in Settings: 15/03/1990, 03/15/1990 or 1990-03-15) and picked from a
// calendar; the records keep YYYY-MM-DD.

// newDateField is an entry for a date in the workstation's format, with a
// calendar button that picks one. hint follows the format's placeholder.
// The button is no Tab stop (Fyne's button in an ActionItem was one: Tab
// from the day stopped on it before the start time); the keyboard types
// the date, and a day picked with the pointer gives the focus back to the
// entry, so Tab goes on to the next field.
func newDateField(hint string) *kit.Entry {
	en := kit.NewEntry()
	en.SetPlaceHolder(strings.TrimSpace(kit.CurrentDateFormat().Placeholder() + " " + hint))
	en.ActionItem = newCalendarButton(en)
	return en
}

// newCalendarButton is a date field's calendar icon (kit.FieldIcon, no
// Tab stop): a tap opens a calendar under the field, on the date typed if
// there is one.
func newCalendarButton(en *kit.Entry) *kit.FieldIcon {
	var pop *widget.PopUp
	return kit.NewFieldIcon(en, theme.CalendarIcon, func() {
		c := fyne.CurrentApp().Driver().CanvasForObject(en)
		if c == nil {
			return
		}
		shown := time.Now()
		if t, err := kit.ParseDate(en.Text, time.Local); err == nil {
			shown = t
		}
		cal := widget.NewCalendar(shown, func(t time.Time) {
			en.SetText(kit.FormatDate(t))
			if pop != nil {
				pop.Hide()
			}
			c.Focus(en)
		})
		pop = widget.NewPopUp(cal, c)
		pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(en)
		pop.ShowAtPosition(pos.Add(fyne.NewPos(0, en.Size().Height)))
	})
}

// dayText is a date as the desk reads it, in the workstation's format.
func dayText(t time.Time) string { return kit.FormatDate(t) }

// parseDay reads a date typed in the workstation's format (or as
// YYYY-MM-DD), at midnight in zone.
func parseDay(s string, zone *time.Location) (time.Time, bool) {
	t, err := kit.ParseDate(s, zone)
	return t, err == nil
}

// howToWrite says how to write a date: "as DD/MM/YYYY, e.g. 15/03/1990".
func howToWrite() string {
	f := kit.CurrentDateFormat()
	return "as " + f.Placeholder() + ", e.g. " + f.Example()
}
