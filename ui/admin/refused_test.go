package admin

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/ui/kit"
)

// TestAuditRefusedTab: the audit screen's refused events, opened by the
// part the status bar's count names: who, which workstation, the kind of
// record and why in plain words, newest first, a page at a time.
func TestAuditRefusedTab(t *testing.T) {
	d := newFakeDesk()
	now := time.Now()
	for i := range 60 {
		r := replica.Refusal{Time: now.Add(-time.Duration(i) * time.Minute), Author: "cccc1111", Device: fmt.Sprintf("dddd%04d", i),
			Kind: "prescription", Name: "Dr Paul", Rule: "content", Why: "dose is not an amount"}
		if i == 59 {
			r.Name, r.Kind, r.Rule, r.Why = "", "appointment", "revoked", "written after the member was revoked"
		}
		d.refused = append(d.refused, r)
	}
	var s fyne.CanvasObject
	newWindow(t, func(w fyne.Window) fyne.CanvasObject { s = NewAudit(d, w); return s })
	eventually(t, "the log", func() bool { return strings.Contains(texts(s), "entries") || strings.Contains(texts(s), "No entry") })
	var shown bool
	locked(func() { shown = kit.ShowPartIn(s, PartRefused) })
	if !shown {
		t.Fatal("the audit screen has no refused part")
	}
	eventually(t, "the first page", func() bool {
		all := texts(s)
		return s.(*auditView).refused.Text == "Refused (60)" && strings.Contains(all, "60 refused, newest first: 1–50") &&
			strings.Contains(all, "Dr Paul") && strings.Contains(all, "dose is not an amount") && strings.Contains(all, "prescription")
	})
	locked(func() { test.Tap(findButton(s, "Older")) })
	eventually(t, "the last page", func() bool {
		all := texts(s)
		return strings.Contains(all, "51–60") && strings.Contains(all, "written after the member was revoked") &&
			strings.Contains(all, "cccc 1111") && strings.Contains(all, "appointment")
	})
	locked(func() { test.Tap(findButton(s, "Newer")) })
	eventually(t, "the first page again", func() bool { return strings.Contains(texts(s), "1–50") })

	d.refused = nil
	var empty fyne.CanvasObject
	newWindow(t, func(w fyne.Window) fyne.CanvasObject { empty = NewAudit(d, w); return empty })
	locked(func() { kit.ShowPartIn(empty, PartRefused) })
	eventually(t, "nothing refused", func() bool { return strings.Contains(texts(empty), "Nothing was refused") })
}
