package physician

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// TestVitalsFlagged: values outside the usual range for the patient's
// age are flagged as they are typed, in the readings table (with date and
// time) and in the chart's header; a critical value asks before it is
// saved; one reading draws one date under the chart.
func TestVitalsFlagged(t *testing.T) {
	test.NewTempApp(t)
	c := newTestClinic(t)
	p, _ := c.book(t, "Oxley", c.now.Add(time.Hour)) // born 1961: 65 years
	v, _, w := openChart(t, c, p.ID)
	f := v.vf

	// A usual reading: no flag, saved at once.
	f.sys.SetText("128")
	f.dia.SetText("82")
	if f.flags.Visible() {
		t.Errorf("a usual reading is flagged: %q", f.flags.Text)
	}
	// Hypoxaemia: flagged while typed, critical, and asked about.
	f.spo2.SetText("88")
	f.pulse.SetText("112")
	if !f.flags.Visible() || f.flags.Importance != widget.DangerImportance ||
		!strings.Contains(f.flags.Text, "▼▼ SpO2 88 %: critically low (usual 95–100") || !strings.Contains(f.flags.Text, "▲ Pulse 112 /min: high") {
		t.Fatalf("flags as typed: %q", f.flags.Text)
	}
	test.Tap(f.record)
	if len(v.chart.Vitals) != 0 || !dialogSays(w, "SpO2 88 %: critically low") {
		t.Fatal("a critical value was saved without asking")
	}
	tapDialog(t, w, "Correct it")
	if len(v.chart.Vitals) != 0 {
		t.Fatal("saved after Correct it")
	}
	test.Tap(f.record)
	tapDialog(t, w, "Save the reading")
	if len(v.chart.Vitals) != 1 {
		t.Fatalf("not saved after confirming: %q", f.fb.Text)
	}
	if !hasLabel(v.vitalsTable, "88 % ▼▼") || !hasLabel(v.vitalsTable, "112 ▲") || !hasLabel(v.vitalsTable, c.now.Local().Format("2 Jan 2006 15:04")) {
		t.Error("the readings table does not flag the values or show date and time")
	}
	cell, _ := find(v.vitalsTable, func(l *widget.Label) bool { return l.Text == "88 % ▼▼" })
	if cell == nil || cell.Importance != widget.DangerImportance {
		t.Error("the critical value is not drawn as critical")
	}
	if !v.vitalsFlags.Visible() || !strings.Contains(v.vitalsFlags.Text, "SpO2 88 %: critically low") {
		t.Errorf("the chart's header does not flag the latest vitals: %q", v.vitalsFlags.Text)
	}
	tc, ok := find(v.vitalsCharts, func(tc *trendChart) bool { return tc.title == "SpO2" })
	if !ok {
		t.Fatal("no SpO2 chart")
	}
	r := test.WidgetRenderer(tc).(*trendRenderer)
	if r.xFirst.Text != c.now.Local().Format("2 Jan 2006 15:04") || r.xLast.Text != "" || !tc.series[0].points[0].flag {
		t.Errorf("one reading's axis: %q %q", r.xFirst.Text, r.xLast.Text)
	}
}
