package ui

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"

	"github.com/medihaven/medihaven/app"
	appadmin "github.com/medihaven/medihaven/app/admin"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/ui/kit"
)

// auditingSession is an administrator's session with the audit views
// (ui/admin.Views) and one refused event.
type auditingSession struct{ *fakeSession }

func (auditingSession) OnChange(func([]app.Changed)) func() { return func() {} }
func (auditingSession) StaffDirectory(context.Context) ([]appadmin.StaffMember, error) {
	return nil, nil
}
func (auditingSession) SearchAudit(context.Context, appadmin.AuditFilter) ([]app.AuditEntry, error) {
	return nil, nil
}
func (auditingSession) VerifyLog(context.Context) (appadmin.Verification, error) {
	return appadmin.Verification{}, nil
}
func (auditingSession) ExportAuditCSV(context.Context, io.Writer, appadmin.AuditFilter) error {
	return nil
}
func (auditingSession) ExportAuditFHIR(context.Context, io.Writer, appadmin.AuditFilter) error {
	return nil
}
func (auditingSession) Refused(context.Context, int, int) ([]replica.Refusal, int, error) {
	return []replica.Refusal{{Time: time.Now(), Name: "Dr Paul", Author: "cccc", Device: "dddd", Kind: "prescription",
		Rule: "content", Why: "dose is not an amount"}}, 1, nil
}

// TestRefusedCountOpensTheList: the status bar counts the refused events;
// for an administrator the count opens the audit log's list of them, for
// anyone else it says what they are and who sees them.
func TestRefusedCountOpensTheList(t *testing.T) {
	for _, role := range []roles.Role{roles.Administrator, roles.Physician} {
		t.Run(string(role), func(t *testing.T) {
			b := newFakeBackend()
			h := newHarness(t, b, Options{})
			var s Session = &fakeSession{name: "Alice Moreau", role: role, clinic: "Riverside"}
			if role == roles.Administrator {
				s = auditingSession{s.(*fakeSession)}
			}
			var sh *shellScreen
			kit.OnUI(func() {
				if h.ws.adopt(s) {
					h.ws.showShell(s)
					sh = h.ws.shell
				}
			})
			if sh == nil {
				t.Fatal("the shell did not open")
			}
			kit.Locked(func() { sh.setSync(SyncStatus{Connected: true}) })
			if sh.refused.Visible() {
				t.Fatal("the refused count shows while nothing was refused")
			}
			kit.Locked(func() { sh.setSync(SyncStatus{Connected: true, Refused: 3}) })
			if !sh.refused.Visible() || sh.refused.Text != "3 changes refused" {
				t.Fatalf("the status bar's count reads %q (shown %v); want \"3 changes refused\"", sh.refused.Text, sh.refused.Visible())
			}
			kit.Locked(func() { test.Tap(sh.refused) })
			if role != roles.Administrator {
				top := h.w.Canvas().Overlays().Top()
				if top == nil || !strings.Contains(renderedText(top), "administrator sees each one") {
					t.Fatal("the count does not say what refused changes are and who sees them")
				}
				return
			}
			waitUntil(t, func() bool {
				if sh.heading.Text != auditTitle || len(sh.page.Objects) != 1 {
					return false
				}
				tabs := findTabs(sh.page.Objects[0])
				return tabs != nil && tabs.Selected() != nil && strings.HasPrefix(tabs.Selected().Text, "Refused") &&
					strings.Contains(renderedText(sh.page), "dose is not an amount")
			})
		})
	}
}

// findTabs is the first AppTabs under o, through the wrappers screens use.
func findTabs(o interface{}) *container.AppTabs {
	for range 8 {
		if t, ok := o.(*container.AppTabs); ok {
			return t
		}
		w, ok := o.(interface {
			Content() fyne.CanvasObject
		})
		if !ok {
			return nil
		}
		o = w.Content()
	}
	return nil
}
