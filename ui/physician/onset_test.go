package physician

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/ui/kit"
)

// TestOnsetInTheClinicsFormat: the problem list's onset and a
// medication's start are asked for, and read, in the workstation's date
// format (Settings), a month as MM/YYYY; they were asked for as
// "YYYY-MM-DD, YYYY-MM or YYYY" beside fields that take 14/03/2019, so
// a physician of a day-first clinic typed 03/04/2019 and was refused
// ("not a date (write YYYY-MM-DD…)"). What is stored stays YYYY-MM-DD,
// YYYY-MM or YYYY.
func TestOnsetInTheClinicsFormat(t *testing.T) {
	defer kit.SetDateFormat(kit.CurrentDateFormat())
	test.NewTempApp(t)
	c := newTestClinic(t)
	p, _ := c.book(t, "Onset", c.now.Add(-24*time.Hour))
	for _, tc := range []struct {
		format                 kit.DateFormat
		onset, since           string // placeholders
		typed, stored, shownAs string
		medTyped, medStored    string
		wrong, wrongSays       string
	}{
		{kit.DayMonthYear, "Onset DD/MM/YYYY, MM/YYYY or YYYY", "Since MM/YYYY or DD/MM/YYYY",
			"03/04/2019", "2019-04-03", "since 03/04/2019", "04/2019", "2019-04", "2019-13", "write it as 15/03/1990, 03/1990 or 1990"},
		{kit.MonthDayYear, "Onset MM/DD/YYYY, MM/YYYY or YYYY", "Since MM/YYYY or MM/DD/YYYY",
			"03/04/2019", "2019-03-04", "since 03/04/2019", "Mar 2019", "2019-03", "31/12/2019", "write it as 03/15/1990, 03/1990 or 1990"},
		{kit.YearMonthDay, "Onset YYYY-MM-DD, YYYY-MM or YYYY", "Since YYYY-MM or YYYY-MM-DD",
			"2019-04", "2019-04", "since Apr 2019", "2018", "2018", "2019-13", "write it as 1990-03-15, 1990-03 or 1990"},
	} {
		t.Run(string(tc.format), func(t *testing.T) {
			kit.SetDateFormat(tc.format)
			v, _, _ := openChart(t, c, p.ID)
			field := func(prefix string) *kit.Entry { return hinted(t, v, prefix) }
			onset, since := field("Onset"), field("Since")
			if onset.PlaceHolder != tc.onset || since.PlaceHolder != tc.since {
				t.Errorf("hints %q and %q, want %q and %q", onset.PlaceHolder, since.PlaceHolder, tc.onset, tc.since)
			}
			name, _ := find(v.content, func(e *kit.Entry) bool { return strings.HasPrefix(e.PlaceHolder, "Problem") })
			med, _ := find(v.content, func(e *kit.Entry) bool { return strings.HasPrefix(e.PlaceHolder, "Medication") })

			// Nonsense is refused in the clinic's words, and nothing added.
			test.Type(name, "Asthma "+string(tc.format))
			test.Type(onset, tc.wrong)
			test.Tap(button(t, v.content, "Add problem"))
			if !hasLabel(v.content, tc.wrongSays) {
				t.Errorf("onset %q: no message %q", tc.wrong, tc.wrongSays)
			}
			onset.SetText("")
			test.Type(onset, tc.typed)
			test.Tap(button(t, v.content, "Add problem"))
			test.Type(med, "Salbutamol "+string(tc.format))
			test.Type(since, tc.medTyped)
			test.Tap(button(t, v.content, "Add medication"))

			ch, err := chart.New(c.phys.Core()).OpenChart(context.Background(), p.ID)
			if err != nil {
				t.Fatal(err)
			}
			var onsets, starts []string
			for _, pr := range ch.Problems {
				if pr.Name == "Asthma "+string(tc.format) {
					onsets = append(onsets, pr.Onset)
				}
			}
			for _, m := range ch.Medications {
				if m.Name == "Salbutamol "+string(tc.format) {
					starts = append(starts, m.Since)
				}
			}
			if len(onsets) != 1 || onsets[0] != tc.stored || len(starts) != 1 || starts[0] != tc.medStored {
				t.Errorf("stored onsets %q and starts %q, want [%s] and [%s]", onsets, starts, tc.stored, tc.medStored)
			}
			if !hasLabel(v.problems, tc.shownAs) {
				t.Errorf("the problem does not read %q", tc.shownAs)
			}
		})
	}
}

// TestEnterAddsAChartLine: Enter in a field of the problem, allergy or
// medication line adds it, as Enter saves in the desk's forms; it did
// nothing, and Add problem was a Tab and a Space away (seen under Xvfb).
func TestEnterAddsAChartLine(t *testing.T) {
	test.NewTempApp(t)
	c := newTestClinic(t)
	p, _ := c.book(t, "Entered", c.now.Add(time.Hour))
	v, _, _ := openChart(t, c, p.ID)
	field := func(prefix string) *kit.Entry { return hinted(t, v, prefix) }
	enter := func(e *kit.Entry) { e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) }
	test.Type(field("Problem"), "Asthma")
	test.Type(field("Onset"), "2019")
	enter(field("Onset"))
	test.Type(field("Medication"), "Salbutamol inhaler")
	enter(field("Medication"))
	test.Type(field("Substance"), "Latex")
	test.Type(field("Reaction"), "rash")
	sev, _ := find(v.content, func(s *kit.TypeSelect) bool { return s.PlaceHolder == "Severity" })
	sev.SetSelected(sev.Options[0])
	enter(field("Reaction"))
	ch := v.chart
	if len(ch.Problems) != 1 || ch.Problems[0].Onset != "2019" || len(ch.Allergies) != 1 || ch.Allergies[0].Substance != "Latex" {
		t.Errorf("after Enter: problems %+v, allergies %+v", ch.Problems, ch.Allergies)
	}
	found := false
	for _, m := range ch.Medications {
		found = found || m.Name == "Salbutamol inhaler"
	}
	if !found {
		t.Errorf("Enter in the medication did not add it: %+v", ch.Medications)
	}
}

// hinted is the chart's field whose hint starts with prefix.
func hinted(t *testing.T, v *chartView, prefix string) *kit.Entry {
	t.Helper()
	e, ok := find(v.content, func(e *kit.Entry) bool { return strings.HasPrefix(e.PlaceHolder, prefix) })
	if !ok {
		t.Fatalf("no field whose hint starts %q", prefix)
	}
	return e
}
