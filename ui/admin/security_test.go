package admin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/app/recovery"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/ui/kit"
)

// TestSecurityScreenRecovery drives the security screen on a real
// clinic's administrator (app/recovery found through recovery.Of): the
// screen says no recovery is set up, refuses a threshold above the
// administrators in plain words, then sets recovery up two of two and
// says so, and that the clinical records cannot be recovered with it until
// a physician approves; after one did and the physicians' workstations
// escrowed their keys, it says whose, and Ada releases her shares to Ben,
// whose screen counts two at hand.
func TestSecurityScreenRecovery(t *testing.T) {
	ctx := context.Background()
	c := apptest.NewClinicWith(t, recovery.Upkeep)
	ben := c.Join(t, "Ben Admin", roles.Administrator)
	everyone := append(c.All(), ben)
	if err := app.SyncLocal(ctx, everyone...); err != nil {
		t.Fatal(err)
	}
	var ada fyne.CanvasObject
	w := newWindow(t, func(w fyne.Window) fyne.CanvasObject { ada = NewSecurity(c.Admin, w); return ada })
	if ada == nil {
		t.Fatal("the security screen does not take an *app.Session")
	}
	eventually(t, "no recovery yet", func() bool { return strings.Contains(texts(ada), "No recovery yet") })
	locked(func() {
		if !findButton(ada, "Release my share").Disabled() || !findButton(ada, "Recover keys").Disabled() {
			t.Error("with no recovery set up, Release my share and Recover keys can be pressed (to say only 'Choose the physician…')")
		}
	})

	steps := []struct {
		threshold, want string
	}{
		{"3", "must be between 2 and 2"},
		{"2", "Recovery is set up."},
	}
	for _, st := range steps {
		locked(func() {
			entryNear(ada, "Administrators needed").SetText(st.threshold)
			test.Tap(findButton(ada, "Set up recovery"))
		})
		eventually(t, "the answer to "+st.threshold, func() bool {
			top := w.Canvas().Overlays().Top()
			return top != nil && strings.Contains(texts(top), st.want)
		})
		locked(func() {
			if msg := texts(w.Canvas().Overlays().Top()); strings.Contains(msg, "recovery: ") || strings.Contains(msg, "app: ") {
				t.Errorf("the dialog shows a package prefix: %q", msg)
			}
			w.Canvas().Overlays().Top().Hide()
			w.Canvas().Overlays().Remove(w.Canvas().Overlays().Top())
		})
	}
	eventually(t, "the split", func() bool {
		return strings.Contains(texts(ada), "by Ada Admin: 2 of 2 administrators needed. Shares at hand on this workstation: 1.")
	})
	eventually(t, "Release my share and Recover keys open", func() bool {
		return !findButton(ada, "Release my share").Disabled() && !findButton(ada, "Recover keys").Disabled()
	})

	eventually(t, "the clinical key not escrowed", func() bool {
		return strings.Contains(texts(ada), "the patients' clinical records cannot be recovered with it")
	})
	// Paul approves the split: the physicians' workstations escrow their
	// clinical keys to it, and the screen says whose did.
	if err := app.SyncLocal(ctx, everyone...); err != nil {
		t.Fatal(err)
	}
	a, err := recovery.New(c.Phys.Core()).ClinicalApproval(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := recovery.New(c.Phys.Core()).ApproveClinical(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := app.SyncLocal(ctx, everyone...); err != nil {
			t.Fatal(err)
		}
	}
	// The escrows are raw events, which the change feed does not name: a
	// screen drawn now says them.
	var again fyne.CanvasObject
	newWindow(t, func(w fyne.Window) fyne.CanvasObject { again = NewSecurity(c.Admin, w); return again })
	eventually(t, "the clinical key escrowed", func() bool {
		return strings.Contains(texts(again), "The clinical key is escrowed to it by the workstations of") &&
			strings.Contains(texts(again), "(approved by "+c.Phys.StaffName()+")") && !strings.Contains(texts(again), "cannot be recovered")
	})
	locked(func() {
		sel := selectAfter(t, ada, "Release my share to")
		for _, o := range sel.Options {
			if strings.HasPrefix(o, "Ben Admin") {
				sel.SetSelected(o)
			}
		}
		test.Tap(findButton(ada, "Release my share"))
	})
	eventually(t, "the release", func() bool {
		top := w.Canvas().Overlays().Top()
		return top != nil && strings.Contains(texts(top), "Your shares were released.")
	})
	if err := app.SyncLocal(ctx, everyone...); err != nil {
		t.Fatal(err)
	}
	var bens fyne.CanvasObject
	newWindow(t, func(w fyne.Window) fyne.CanvasObject { bens = NewSecurity(ben, w); return bens })
	eventually(t, "Ben's shares at hand", func() bool {
		return strings.Contains(texts(bens), "Shares at hand on this workstation: 2.")
	})
}

// selectAfter is the drop-down that follows the label text in its row.
func selectAfter(t *testing.T, o fyne.CanvasObject, text string) *kit.TypeSelect {
	t.Helper()
	var s *kit.TypeSelect
	afterLabel(o, text, func(x fyne.CanvasObject) bool { s, _ = x.(*kit.TypeSelect); return s != nil })
	if s == nil {
		t.Fatalf("no drop-down after %q", text)
	}
	return s
}

// afterLabel walks o from the label text on, until found says it found
// what it looks for.
func afterLabel(o fyne.CanvasObject, text string, found func(fyne.CanvasObject) bool) {
	seen, done := false, false
	walk(o, func(x fyne.CanvasObject) {
		if l, ok := x.(*widget.Label); ok && l.Text == text {
			seen = true
		}
		if seen && !done {
			done = found(x)
		}
	})
}

// TestRecoveryOutcome: a recovery that handed keys over but left an epoch
// disputed, or took a key on unvouched word, reads as keys handed over
// with a warning to read, not as a failure; one that handed nothing over
// is a failure, whatever the reason.
func TestRecoveryOutcome(t *testing.T) {
	some := recovery.Handover{To: "Dr New", Epochs: 2}
	for _, tt := range []struct {
		name       string
		h          recovery.Handover
		err        error
		failed     bool
		title, has string
	}{
		{"all handed over", some, nil, false, "Done", "handed over"},
		{"some epochs disputed", some, fmt.Errorf("recovered the clinical keys (2 epochs) for Dr New, but not all: %w: the escrows of clinical/3 …", recovery.ErrDisputed),
			false, "Keys handed over: read this", "clinical/3"},
		{"unvouched word", some, fmt.Errorf("recovered …, but the records of clinical/1 were written only by Pat: %w", recovery.ErrUnconfirmed),
			false, "Keys handed over: read this", "written only by Pat"},
		{"nothing handed over, disputed", recovery.Handover{}, fmt.Errorf("%w: the escrows of clinical/1 …", recovery.ErrDisputed), true, "", "clinical/1"},
		{"not enough shares", recovery.Handover{}, errors.New("recovery: only 1 of 2 shares"), true, "", "Only 1 of 2 shares"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			title, text, failed := recoveryOutcome(tt.h, tt.err)
			if failed != tt.failed || title != tt.title || !strings.Contains(text, tt.has) {
				t.Errorf("recoveryOutcome = %q, %q, failed %v; want %q with %q, failed %v", title, text, failed, tt.title, tt.has, tt.failed)
			}
		})
	}
}

// TestAuditFilterDaysAsTheWorkstationWritesThem: the audit log's From and
// To read days as the workstation writes dates (Settings) or YYYY-MM-DD,
// the To day included; an unreadable one says how to write it.
func TestAuditFilterDaysAsTheWorkstationWritesThem(t *testing.T) {
	kit.SetDateFormat(kit.DayMonthYear)
	t.Cleanup(func() { kit.SetDateFormat("") })
	s := &auditScreen{person: kit.NewEntry(), patient: kit.NewEntry(), from: kit.NewEntry(), to: kit.NewEntry()}
	s.from.SetText("02/11/2026")
	s.to.SetText("2026-11-30")
	f, err := s.filter()
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 11, 2, 0, 0, 0, 0, time.Local); !f.From.Equal(want) {
		t.Errorf("From %v, want %v", f.From, want)
	}
	if want := time.Date(2026, 12, 1, 0, 0, 0, 0, time.Local); !f.To.Equal(want) {
		t.Errorf("To %v, want the day after the 30th, %v", f.To, want)
	}
	s.from.SetText("2 Nov")
	if _, err := s.filter(); err == nil || !strings.Contains(err.Error(), "write it as") {
		t.Errorf("an unreadable day: %v", err)
	}
}
