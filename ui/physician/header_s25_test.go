package physician

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/ui/kit"
)

// The chart header of a patient registered without a sex (or as
// "unknown") shows no lone "unknown" (h-ux25 saw "36 years · unknown ·
// MRN …"), and writes the birth date as the workstation writes dates,
// as the desk does.
func TestChartHeaderWithoutSex(t *testing.T) {
	test.NewTempApp(t)
	kit.SetDateFormat(kit.DayMonthYear)
	t.Cleanup(func() { kit.SetDateFormat("") })
	c := newTestClinic(t)
	w := test.NewTempWindow(t, widget.NewLabel(""))
	s := newScreen(clinicOfTest(t, c.phys), w)
	s.inline, s.now = true, func() time.Time { return c.now }
	for _, sex := range []string{"unknown", "", "female"} {
		p, err := c.recep.RegisterPatient(context.Background(), app.Patient{Family: "Nosex" + sex, Given: "Robin", Birth: "1990-05-05", Sex: sex})
		if err != nil {
			t.Fatalf("registering with sex %q: %v", sex, err)
		}
		c.sync(t)
		v := s.newChartView(p.ID, nil, "Back", func() {})
		w.SetContent(v.content)
		if !v.loaded {
			t.Fatalf("the chart did not open: %q", v.status.Text)
		}
		got := v.facts.Text
		if strings.Contains(got, "unknown") || strings.Contains(got, "·  ·") {
			t.Errorf("sex %q: the header reads %q", sex, got)
		}
		if sex == "female" && !strings.Contains(got, " · female · ") {
			t.Errorf("sex %q: the header reads %q, want the sex", sex, got)
		}
		if !strings.Contains(got, "born 05/05/1990") {
			t.Errorf("sex %q: the header reads %q, want born 05/05/1990", sex, got)
		}
	}
}
