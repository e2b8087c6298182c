package admin

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/sync/replica"
)

func TestGroupKeyBookkeeping(t *testing.T) {
	at := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	e := func(min int, kind, author string) app.AuditEntry {
		return app.AuditEntry{Time: at.Add(-time.Duration(min) * time.Minute), Kind: kind, Author: author, Name: author,
			Record: app.AuditRecord{Action: "change." + kind}}
	}
	in := []app.AuditEntry{ // newest first
		e(0, "note", "paul"),
		e(1, replica.KindKeyHeld, "rita"), e(1, replica.KindKeyHeld, "petra"), e(2, replica.KindGrant, "ada"), e(2, replica.KindGrant, "ada"),
		e(3, "member", "ada"),
		e(30, replica.KindGrant, "ada"), e(55, replica.KindKeyHeld, "paul"), // 25 minutes apart: two bursts
	}
	got := GroupKeyBookkeeping(in)
	var lines []string
	for _, g := range got {
		lines = append(lines, g.Record.Action+" "+g.Record.Detail)
	}
	want := []string{"change.note ",
		"keys.bookkeeping key bookkeeping: 2 key grant(s) and 2 acknowledgement(s) by 3 member(s), from 09:58",
		"change.member ",
		"keys.bookkeeping key bookkeeping: 1 key grant(s) and 0 acknowledgement(s) by 1 member(s), from 09:30",
		"keys.bookkeeping key bookkeeping: 0 key grant(s) and 1 acknowledgement(s) by 1 member(s), from 09:05"}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if got[1].Name != "rita and 2 other(s)" {
		t.Errorf("a burst by several is named %q", got[1].Name)
	}
}

// TestRevocationIsOneLine: revoking a member makes new keys for every
// scope, a grant to each remaining member and their acknowledgements; the
// audit log shows each burst as one line, not a flood.
func TestRevocationIsOneLine(t *testing.T) {
	ctx := context.Background()
	c := apptest.NewClinic(t)
	if err := c.Admin.RevokeMember(ctx, c.Phys2.Fingerprint()); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := app.SyncLocal(ctx, c.Admin, c.Recep, c.Phys); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := c.Admin.AuditLog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	grants := 0
	for _, e := range raw {
		if bookkeeping(e) {
			grants++
		}
	}
	got, err := New(c.Admin.Core()).SearchAudit(ctx, AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	lines := 0
	for _, e := range got {
		if bookkeeping(e) && e.Record.Action != ActionKeyBookkeeping {
			t.Fatalf("a key grant shows on its own: %+v", e)
		}
		if e.Record.Action == ActionKeyBookkeeping {
			lines++
		}
	}
	if grants < 4 || lines == 0 || lines*3 > grants {
		t.Errorf("%d grants and acknowledgements show as %d lines", grants, lines)
	}
	t.Logf("%d key grants and acknowledgements in %d lines", grants, lines)
}
