package frontdesk

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"

	desk "github.com/medihaven/medihaven/app/frontdesk"
	"github.com/medihaven/medihaven/ui/kit"
)

// ask puts a yes-or-no question to the desk; yes runs on "Book anyway".
// back, the form's Book, gets the keyboard when it closes (unless a field
// had it: Enter there asked). Tests replace env.confirm to answer it
// themselves.
func (e env) ask(title, question string, back fyne.Focusable, yes func()) {
	if e.confirm != nil {
		e.confirm(title, question, yes)
		return
	}
	kit.Confirm{Title: title, Message: question, Yes: "Book anyway", No: "Go back", Back: back,
		Answer: func(ok bool) {
			if ok {
				yes()
			}
		}}.Show(e.win)
}

// beforeBooking asks what the desk confirms before a booking of a (for
// patient, with the physicians' names by fingerprint) is saved: a time
// that has begun or passed, and the same patient booked that day or at an
// overlapping time (PatientClashes). book runs once each is answered yes;
// back, the form's Book, gets the keyboard when a question closes.
func beforeBooking(e env, a desk.Appointment, patient string, names map[string]string, back fyne.Focusable, book func()) {
	clashes := func() {
		do(e, func(ctx context.Context) ([]desk.Appointment, error) {
			return e.d.PatientClashes(ctx, a)
		}, func(cs []desk.Appointment, err error) {
			if err != nil || len(cs) == 0 {
				book() // the booking itself says what is wrong
				return
			}
			e.ask("Same patient twice?", clashText(a, patient, cs, names), back, book)
		})
	}
	if now := e.now(); a.Start.Before(now) {
		e.ask("Book in the past?", fmt.Sprintf("%s is in the past (it is now %s, %s). Book it anyway, e.g. to record a visit that took place?",
			a.Start.Format("Monday 2 January at 15:04"), now.In(a.Start.Location()).Format("15:04"), now.In(a.Start.Location()).Format("Mon 2 Jan")), back, clashes)
		return
	}
	clashes()
}

// clashText says which of the patient's appointments the booking of a
// sits beside.
func clashText(a desk.Appointment, patient string, cs []desk.Appointment, names map[string]string) string {
	overlap := false
	lines := make([]string, 0, len(cs))
	for _, c := range cs {
		line := fmt.Sprintf("• %s, %s–%s with %s", c.Start.Format("Mon 2 Jan"), c.Start.Format("15:04"), c.End().In(c.Start.Location()).Format("15:04"),
			orText(names[c.Physician], "another physician"))
		if c.Start.Before(a.End()) && a.Start.Before(c.End()) {
			line += " (at the same time)"
			overlap = true
		}
		lines = append(lines, line)
	}
	what := "on the same day"
	if overlap {
		what = "at an overlapping time"
	}
	return fmt.Sprintf("%s is already booked %s:\n%s\n\nBook this appointment as well?", patient, what, strings.Join(lines, "\n"))
}
