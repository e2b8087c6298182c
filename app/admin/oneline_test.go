package admin

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/app/chart"
)

// TestOneLinePerAct: a problem recorded showed as two lines of the audit
// log, "saved a record: problem" (the sealed write, naming no patient)
// beside "recorded a problem" (the audit record, with the MRN). Folded,
// it is one line, the audit record's; a change with no audit record of
// its own, or one by another member or long before, stays.
func TestOneLinePerAct(t *testing.T) {
	ctx := context.Background()
	c := apptest.NewClinic(t)
	p, _ := c.Visit(t)
	c.Clock.Add(time.Hour)
	if _, err := chart.New(c.Phys.Core()).AddProblem(ctx, chart.Problem{Patient: p.ID, Name: "Asthma"}); err != nil {
		t.Fatal(err)
	}
	if err := app.SyncLocal(ctx, c.All()...); err != nil {
		t.Fatal(err)
	}
	all, err := New(c.Admin.Core()).SearchAudit(ctx, AuditFilter{Person: "paul"})
	if err != nil {
		t.Fatal(err)
	}
	lines := func(es []app.AuditEntry) []string {
		var out []string
		for _, e := range es {
			if e.Time.After(c.Clock.Now().Add(-time.Minute)) {
				out = append(out, e.Describe()+" ["+e.Record.Patient+"]")
			}
		}
		return out
	}
	before := strings.Join(lines(all), " | ")
	if !strings.Contains(before, "saved a record: problem") || !strings.Contains(before, "recorded a problem") {
		t.Fatalf("the act's lines as written: %s", before)
	}
	if got, want := strings.Join(lines(OneLinePerAct(all)), " | "), "recorded a problem ["+p.MRN+"]"; got != want {
		t.Errorf("folded: %q, want %q", got, want)
	}
	// What is not one act stays: the same change by someone else, or
	// long before the audit record.
	var change, audit app.AuditEntry
	for _, e := range all {
		switch e.Describe() {
		case "saved a record: problem":
			change = e
		case "recorded a problem":
			audit = e
		}
	}
	other := change
	other.Author, other.Device = c.Phys2.Fingerprint(), "other-device"
	early := change
	early.Time = audit.Time.Add(-time.Minute)
	// A write of another kind than the audit record names (modified
	// software's "recorded a problem" beside an allergy changed) stays.
	allergy := change
	allergy.Kind = "allergy"
	if got := OneLinePerAct([]app.AuditEntry{audit, other, early, allergy}); len(got) != 4 {
		t.Errorf("folded %d of 4 lines that are not one act", 4-len(got))
	}
}
