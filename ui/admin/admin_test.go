package admin

import (
	"context"
	"fmt"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app"
	appadmin "github.com/medihaven/medihaven/app/admin"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/ui/kit"
	"github.com/medihaven/medihaven/ui/kit/kittest"
)

// fakeDesk is an in-memory administrator's session.
type fakeDesk struct {
	mu       sync.Mutex
	tokens   []app.TokenInfo
	staff    []appadmin.StaffMember
	audit    []app.AuditEntry
	filters  []appadmin.AuditFilter
	listener func([]Changed)
	n        int
	keys     []string // fingerprints whose keys were exported ("" everyone)
	// hold, when set, holds the next Tokens call, after it read the
	// tokens, until it is closed: a slow load that finishes late.
	hold chan struct{}
	// refused are the refused events, newest first.
	refused []replica.Refusal
}

func newFakeDesk() *fakeDesk {
	now := time.Now()
	return &fakeDesk{staff: []appadmin.StaffMember{
		{Fingerprint: "aaaa000000000000000000000000000000000000", Name: "Ada Admin", Role: roles.Administrator, Active: true, Joined: now.Add(-48 * time.Hour), LastSeen: now},
		{Fingerprint: "bbbb000000000000000000000000000000000000", Name: "Rita Reception", Role: roles.Receptionist, Active: true, Token: "0123456789abcdef", AdmittedBy: "Ada Admin", Joined: now.Add(-24 * time.Hour), LastSeen: now.Add(-time.Hour)},
	}}
}

func (f *fakeDesk) OnChange(fn func([]Changed)) func() {
	f.mu.Lock()
	f.listener = fn
	f.mu.Unlock()
	return func() {}
}

func (f *fakeDesk) changed(kind string) {
	f.mu.Lock()
	fn := f.listener
	f.mu.Unlock()
	if fn != nil {
		fn([]Changed{{Kind: kind}})
	}
}

func (f *fakeDesk) IssueRegistrationToken(_ context.Context, role roles.Role, ttl time.Duration) (app.IssuedToken, error) {
	f.mu.Lock()
	f.n++
	id := fmt.Sprintf("%016x", f.n)
	now := time.Now()
	f.tokens = append([]app.TokenInfo{{ID: id, Role: role, Status: app.TokenActive, Issued: now, Expires: now.Add(ttl)}}, f.tokens...)
	f.mu.Unlock()
	f.changed("token")
	return app.IssuedToken{ID: id, Role: role, Text: "MH1-" + strings.Repeat("x", 120) + id, Expires: now.Add(ttl)}, nil
}

func (f *fakeDesk) Tokens(context.Context) ([]app.TokenInfo, error) {
	f.mu.Lock()
	rows, hold := append([]app.TokenInfo(nil), f.tokens...), f.hold
	f.hold = nil
	f.mu.Unlock()
	if hold != nil {
		<-hold
	}
	return rows, nil
}

func (f *fakeDesk) RevokeToken(_ context.Context, id string) error {
	f.mu.Lock()
	for i := range f.tokens {
		if f.tokens[i].ID == id {
			f.tokens[i].Status = app.TokenRevoked
		}
	}
	f.mu.Unlock()
	f.changed("token")
	return nil
}

func (f *fakeDesk) StaffDirectory(context.Context) ([]appadmin.StaffMember, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]appadmin.StaffMember(nil), f.staff...), nil
}

func (f *fakeDesk) RevokeMember(_ context.Context, fp string) error {
	f.mu.Lock()
	for i := range f.staff {
		if f.staff[i].Fingerprint == fp {
			f.staff[i].Active, f.staff[i].Revoked, f.staff[i].RevokedBy = false, time.Now(), "Ada Admin"
		}
	}
	f.mu.Unlock()
	f.changed("member")
	return nil
}

func (f *fakeDesk) Fingerprint() string { return "aaaa000000000000000000000000000000000000" }

func (f *fakeDesk) SearchAudit(_ context.Context, flt appadmin.AuditFilter) ([]app.AuditEntry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.filters = append(f.filters, flt)
	var out []app.AuditEntry
	for _, e := range f.audit {
		if flt.Match(e) {
			out = append(out, e)
		}
	}
	return out, nil
}

func (f *fakeDesk) VerifyLog(context.Context) (appadmin.Verification, error) {
	return appadmin.Verification{Events: 12, Devices: 2}, nil
}

func (f *fakeDesk) ExportStaffKeys(_ context.Context, w io.Writer, fp string) (int, error) {
	f.mu.Lock()
	f.keys = append(f.keys, fp)
	n := len(f.staff)
	f.mu.Unlock()
	if fp != "" {
		n = 1
	}
	for i := 0; i < n; i++ {
		if _, err := io.WriteString(w, "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nxjMEZ\n-----END PGP PUBLIC KEY BLOCK-----\n"); err != nil {
			return i, err
		}
	}
	return n, nil
}

func (f *fakeDesk) Refused(_ context.Context, offset, limit int) ([]replica.Refusal, int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	page := f.refused[min(offset, len(f.refused)):]
	return page[:min(limit, len(page))], len(f.refused), nil
}

func (f *fakeDesk) ExportAuditCSV(context.Context, io.Writer, appadmin.AuditFilter) error { return nil }
func (f *fakeDesk) ExportAuditFHIR(context.Context, io.Writer, appadmin.AuditFilter) error {
	return nil
}

// locked runs fn as the UI goroutine would: one callback at a time.
func locked(fn func()) { kit.Locked(fn) }

func lockedWalk(o fyne.CanvasObject, fn func(fyne.CanvasObject)) { locked(func() { walk(o, fn) }) }

func lockedTexts(o fyne.CanvasObject) (s string) {
	locked(func() { s = texts(o) })
	return s
}

// eventually waits for cond, which runs on the UI goroutine.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	kittest.Eventually(t, what, cond)
}

// findButton, walk and texts look into what a screen draws (kittest).
func findButton(o fyne.CanvasObject, text string) *widget.Button { return kittest.Button(o, text) }

func walk(o fyne.CanvasObject, fn func(fyne.CanvasObject)) { kittest.Walk(o, fn) }

func texts(o fyne.CanvasObject) string { return kittest.Texts(o) }

// confirm taps the button labelled text of the dialog on top.
func confirm(t *testing.T, w fyne.Window, text string) {
	t.Helper()
	top := w.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("no dialog shown")
	}
	b := findButton(top, text)
	if b == nil {
		t.Fatalf("the dialog has no %q button: %q", text, texts(top))
	}
	test.Tap(b)
}

func newWindow(t *testing.T, content func(fyne.Window) fyne.CanvasObject) fyne.Window {
	t.Helper()
	test.NewTempApp(t)
	w := test.NewWindow(nil)
	locked(func() {
		w.Resize(fyne.NewSize(1100, 800))
		w.SetContent(container.NewVScroll(content(w)))
	})
	t.Cleanup(w.Close)
	return w
}

func TestIssueListAndRevokeTokens(t *testing.T) {
	d := newFakeDesk()
	var s fyne.CanvasObject
	w := newWindow(t, func(w fyne.Window) fyne.CanvasObject { s = NewTokens(d, w); return s })
	eventually(t, "the empty list", func() bool { return strings.Contains(texts(s), "No token issued yet.") })

	// Issue a physician token for 7 days.
	var ts *tokensScreen
	lockedWalk(s, func(o fyne.CanvasObject) {
		if sel, ok := o.(*kit.TypeSelect); ok && ts == nil && len(sel.Options) == 3 {
			sel.SetSelected(roles.Physician.Title())
		}
		if sel, ok := o.(*kit.TypeSelect); ok && len(sel.Options) == len(validities) {
			sel.SetSelected("7 days")
		}
	})
	locked(func() { test.Tap(findButton(s, "Issue token")) })
	eventually(t, "the issued token", func() bool { return strings.Contains(texts(s), "Token for a new Physician") })
	var text *widget.Entry
	lockedWalk(s, func(o fyne.CanvasObject) {
		if e, ok := kit.AsEntry(o); ok && strings.HasPrefix(e.Text, "MH1-") {
			text = e
		}
	})
	if text == nil {
		t.Fatal("the token text is not shown")
	}
	d.mu.Lock()
	tok := d.tokens[0]
	d.mu.Unlock()
	if tok.Role != roles.Physician || tok.Expires.Sub(tok.Issued) != 7*24*time.Hour {
		t.Errorf("issued %+v", tok)
	}
	qrShown := false
	lockedWalk(s, func(o fyne.CanvasObject) {
		if img, ok := o.(*canvas.Image); ok && img.Resource != nil && img.Visible() {
			qrShown = true
		}
	})
	if !qrShown {
		t.Error("no QR code shown")
	}
	locked(func() { test.Tap(findButton(s, "Copy token")) })
	if got := fyne.CurrentApp().Clipboard().Content(); got != text.Text {
		t.Errorf("clipboard holds %q", got)
	}
	eventually(t, "the token in the list", func() bool {
		return strings.Contains(texts(s), "1 token, 1 still open") && strings.Contains(texts(s), "Open")
	})

	// Revoke it, confirming in the dialog.
	locked(func() { test.Tap(findButton(s, "Revoke")) })
	locked(func() { confirm(t, w, "Revoke token") })
	eventually(t, "the revoked status", func() bool {
		return strings.Contains(texts(s), "Revoked") && strings.Contains(texts(s), "0 still open")
	})
	locked(func() {
		if b := findButton(s, "Revoke"); b != nil {
			t.Error("a revoked token still offers Revoke")
		}
	})
}

// TestAnOlderLoadNeverDrawsOverANewerOne: a list load that started
// before a change but finishes after the load the change started must not
// put the old rows back (the screen would show a revoked token as open
// until the next change).
func TestAnOlderLoadNeverDrawsOverANewerOne(t *testing.T) {
	d := newFakeDesk()
	var s fyne.CanvasObject
	w := newWindow(t, func(w fyne.Window) fyne.CanvasObject { s = NewTokens(d, w); return s })
	if _, err := d.IssueRegistrationToken(context.Background(), roles.Receptionist, time.Hour); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the open token", func() bool { return strings.Contains(texts(s), "1 token, 1 still open") })

	hold := make(chan struct{})
	d.mu.Lock()
	d.hold = hold
	d.mu.Unlock()
	d.changed("token") // a load that reads the open token, then waits
	for {
		d.mu.Lock()
		held := d.hold == nil
		d.mu.Unlock()
		if held {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	locked(func() { test.Tap(findButton(s, "Revoke")) })
	locked(func() { confirm(t, w, "Revoke token") })
	eventually(t, "the revoked token", func() bool { return strings.Contains(texts(s), "1 token, 0 still open") })

	close(hold) // the older load finishes last
	time.Sleep(200 * time.Millisecond)
	if got := lockedTexts(s); !strings.Contains(got, "0 still open") || !strings.Contains(got, "Revoked") {
		t.Errorf("an older load drew over the newer one: %q", got)
	}
}

func TestRevokeMemberAsksFirst(t *testing.T) {
	d := newFakeDesk()
	var s fyne.CanvasObject
	w := newWindow(t, func(w fyne.Window) fyne.CanvasObject { s = NewDirectory(d, w); return s })
	eventually(t, "the directory", func() bool { return strings.Contains(texts(s), "2 staff members, 2 with access") })
	if got := lockedTexts(s); !strings.Contains(got, "Joined") || !strings.Contains(got, "admitted by Ada Admin") ||
		strings.Contains(got, "0123456789abcdef") || !strings.Contains(got, "bbbb 0000 0000 0000") {
		t.Errorf("directory rows: %q", got)
	}
	// Only Rita can be revoked (not oneself).
	locked(func() { test.Tap(findButton(s, "Revoke")) })
	locked(func() { confirm(t, w, "Cancel") })
	time.Sleep(50 * time.Millisecond)
	if st, _ := d.StaffDirectory(context.Background()); !st[1].Active {
		t.Fatal("cancel revoked the member")
	}
	locked(func() { test.Tap(findButton(s, "Revoke")) })
	locked(func() { confirm(t, w, "Revoke access") })
	eventually(t, "the revoked member", func() bool { return strings.Contains(texts(s), "2 staff members, 1 with access") })
	if st, _ := d.StaffDirectory(context.Background()); st[1].Active {
		t.Error("the member was not revoked")
	}
	if got := lockedTexts(s); !strings.Contains(got, "Revoked") {
		t.Errorf("no revoked status shown: %q", got)
	}
}

// TestHeldMemberShownAndRevocable: a member a refused revocation holds
// (replica's hold.go) reads "Held" with who holds her and what to do, and
// an administrator may still revoke her for good.
func TestHeldMemberShownAndRevocable(t *testing.T) {
	d := newFakeDesk()
	d.staff[1].Active, d.staff[1].HeldBy = false, []string{"Carl Admin"}
	var s fyne.CanvasObject
	w := newWindow(t, func(w fyne.Window) fyne.CanvasObject { s = NewDirectory(d, w); return s })
	eventually(t, "the directory", func() bool { return strings.Contains(texts(s), "2 staff members, 1 with access") })
	got := lockedTexts(s)
	for _, want := range []string{"Held\n", "Revoked by Carl Admin, who has since lost that authority", "revoke them for good, or issue them a new token"} {
		if !strings.Contains(got, want) {
			t.Errorf("the held member's row does not say %q: %q", want, got)
		}
	}
	locked(func() { test.Tap(findButton(s, "Revoke")) })
	locked(func() { confirm(t, w, "Revoke access") })
	eventually(t, "the revoked member", func() bool { return strings.Contains(texts(s), "Revoked") })
}

// TestCutMembersShown: a member whose entry does not stand because another
// entry took her token first, or whose entry was set aside because its
// writer lost his authority before he wrote it, is shown with why and
// what to do, and offers neither revocation nor a change of role.
func TestCutMembersShown(t *testing.T) {
	for _, tc := range []struct {
		name   string
		member appadmin.StaffMember
		want   []string
	}{
		{"token taken", appadmin.StaffMember{Fingerprint: "eeee000000000000000000000000000000000000", Name: "Rae Reception",
			Role: roles.Receptionist, Token: "T-7K2M", TokenTakenBy: "Sam Stand-in"},
			[]string{"Not admitted\n", "Their token T-7K2M was used first, by Sam Stand-in", "Nothing they wrote counts: issue them a new token"}},
		{"set aside", appadmin.StaffMember{Fingerprint: "ffff000000000000000000000000000000000000", Name: "Dr Nils Newcomer",
			Role: roles.Physician, SetAsideBy: "Bob Admin"},
			[]string{"Set aside\n", "Admitted by Bob Admin, whose authority was withdrawn before that", "Nothing they wrote counts: issue them a new token"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newFakeDesk()
			d.staff = append(d.staff, tc.member)
			var s fyne.CanvasObject
			newWindow(t, func(w fyne.Window) fyne.CanvasObject { s = NewDirectory(d, w); return s })
			eventually(t, "the directory", func() bool { return strings.Contains(texts(s), tc.member.Name) })
			got := lockedTexts(s)
			for _, want := range tc.want {
				if !strings.Contains(got, want) {
					t.Errorf("the row does not say %q: %q", want, got)
				}
			}
			revokes := 0
			lockedWalk(s, func(o fyne.CanvasObject) {
				if b, ok := o.(*widget.Button); ok && b.Text == "Revoke" && b.Visible() {
					revokes++
				}
			})
			if revokes != 1 { // Rita's: Ada is the one at the desk
				t.Errorf("%d Revoke buttons shown, want Rita's only", revokes)
			}
		})
	}
}

// TestForkedMemberShown: a member one of whose workstations signed two
// different events for one place of its chain (replica's fork.go) is shown
// as Forked, with the workstation and the place, and may be revoked.
func TestForkedMemberShown(t *testing.T) {
	d := newFakeDesk()
	d.staff = append(d.staff, appadmin.StaffMember{Fingerprint: "abab000000000000000000000000000000000000", Name: "Fay Forker",
		Role: roles.Receptionist, Active: true, Forked: []replica.Fork{{Device: "cdcd1234000000000000000000000000", Author: "abab", Seq: 7}}})
	var s fyne.CanvasObject
	newWindow(t, func(w fyne.Window) fyne.CanvasObject { s = NewDirectory(d, w); return s })
	eventually(t, "the directory", func() bool { return strings.Contains(texts(s), "Fay Forker") })
	got := lockedTexts(s)
	for _, want := range []string{"Conflicting\n", "Workstation cdcd 1234 0000 0000 wrote two different versions of its change no. 7",
		"its work from there is set aside. Revoke, or give them a new workstation"} {
		if !strings.Contains(got, want) {
			t.Errorf("the row does not say %q: %q", want, got)
		}
	}
	revokes := 0
	lockedWalk(s, func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && b.Text == "Revoke" && b.Visible() {
			revokes++
		}
	})
	if revokes != 2 { // Rita's and Fay's: Ada is the one at the desk
		t.Errorf("%d Revoke buttons shown, want Rita's and Fay's", revokes)
	}
}

func TestAuditFiltersAndVerify(t *testing.T) {
	d := newFakeDesk()
	now := time.Now()
	d.audit = []app.AuditEntry{
		{Time: now, Name: "Dr Paul", Author: "cccc", Device: "dddd0000", Kind: "audit", Readable: true, Record: app.AuditRecord{Action: "chart.read", Patient: "MRN-1"}},
		{Time: now.Add(-72 * time.Hour), Name: "Rita Reception", Author: "bbbb", Device: "eeee0000", Kind: "patient", Readable: true, Record: app.AuditRecord{Action: "change.patient"}},
	}
	var s fyne.CanvasObject
	newWindow(t, func(w fyne.Window) fyne.CanvasObject { s = NewAudit(d, w); return s })
	eventually(t, "the log", func() bool { return strings.Contains(texts(s), "2 entries, newest first") })
	var entries []*widget.Entry
	lockedWalk(s, func(o fyne.CanvasObject) {
		if e, ok := kit.AsEntry(o); ok {
			entries = append(entries, e)
		}
	})
	if len(entries) != 4 {
		t.Fatalf("%d filter fields, want 4", len(entries))
	}
	locked(func() { test.Type(entries[1], "mrn-1") })
	locked(func() { test.Tap(findButton(s, "Search")) })
	eventually(t, "the filtered log", func() bool {
		return strings.Contains(texts(s), "1 entries") && strings.Contains(texts(s), "opened a chart")
	})
	locked(func() { entries[2].SetText("2 Nov 2026") })
	locked(func() { test.Tap(findButton(s, "Search")) })
	eventually(t, "the date error", func() bool { return strings.Contains(texts(s), "write it as") })
	locked(func() { entries[1].SetText("") })
	locked(func() { entries[2].SetText(now.Add(-96 * time.Hour).Format("2006-01-02")) })
	locked(func() { entries[3].SetText(now.Add(-48 * time.Hour).Format("2006-01-02")) })
	locked(func() { test.Tap(findButton(s, "Search")) })
	eventually(t, "the date range", func() bool {
		return strings.Contains(texts(s), "1 entries") && strings.Contains(texts(s), "Rita Reception")
	})
	locked(func() { test.Tap(findButton(s, "Check the log is intact")) })
	eventually(t, "the verdict", func() bool { return strings.Contains(texts(s), "Intact: all 12 events from 2 workstations") })
}

// TestAuditOneLinePerAct: a chart change showed as two lines, "saved a
// record: problem" without a patient and "recorded a problem" with her
// MRN; the screen shows the act once.
func TestAuditOneLinePerAct(t *testing.T) {
	d := newFakeDesk()
	now := time.Now()
	d.audit = []app.AuditEntry{
		{Time: now, Name: "Dr Paul", Author: "cccc", Device: "dddd0000", Kind: "audit", Readable: true,
			Record: app.AuditRecord{Action: "chart.problem", Entity: "pr-1", Patient: "MRN-1", Detail: "recorded a problem"}},
		{Time: now.Add(-time.Millisecond), Name: "Dr Paul", Author: "cccc", Device: "dddd0000", Kind: "problem", Readable: true,
			Record: app.AuditRecord{Action: "change.problem", Entity: "pr-1"}},
		{Time: now.Add(-time.Hour), Name: "Rita Reception", Author: "bbbb", Device: "eeee0000", Kind: "patient", Readable: true,
			Record: app.AuditRecord{Action: "change.patient", Entity: "pa-1"}},
	}
	var s fyne.CanvasObject
	newWindow(t, func(w fyne.Window) fyne.CanvasObject { s = NewAudit(d, w); return s })
	eventually(t, "the log", func() bool { return strings.Contains(texts(s), "2 entries, newest first") })
	if txt := texts(s); !strings.Contains(txt, "recorded a problem") || strings.Contains(txt, "saved a record: problem") ||
		!strings.Contains(txt, "saved a record: patient") {
		t.Errorf("the log reads: %s", txt)
	}
}

func TestExportStaffKeys(t *testing.T) {
	d := newFakeDesk()
	var s *directoryScreen
	type file struct{ name, data string }
	saved := make(chan file, 4)
	w := newWindow(t, func(w fyne.Window) fyne.CanvasObject {
		s = newDirectory(d, d, w)
		s.files.Save = func(name string, data []byte, done func(string, error)) {
			saved <- file{name, string(data)}
			done("/home/admin/"+name, nil)
		}
		return s.content()
	})
	eventually(t, "the directory", func() bool { return strings.Contains(texts(s.list), "Rita Reception") })

	// Everyone's keys.
	locked(func() { test.Tap(s.allKeys) })
	got := <-saved
	if got.name != "staff-public-keys.asc" || strings.Count(got.data, "BEGIN PGP PUBLIC KEY BLOCK") != 2 {
		t.Errorf("saved %q: %q", got.name, got.data)
	}
	eventually(t, "the confirmation", func() bool {
		top := w.Canvas().Overlays().Top()
		return top != nil && strings.Contains(texts(top), "2 public keys exported to /home/admin/staff-public-keys.asc") &&
			strings.Contains(texts(top), "gpg --import")
	})
	eventually(t, "the button enabled again", func() bool { return !s.allKeys.Disabled() })
	locked(func() { confirm(t, w, "OK") })

	// One member's key, from the row's Key button.
	var keyBtns []*widget.Button
	lockedWalk(s.list, func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && b.Text == "Key" {
			keyBtns = append(keyBtns, b)
		}
	})
	if len(keyBtns) != 2 {
		t.Fatalf("%d Key buttons, want one per member", len(keyBtns))
	}
	locked(func() { test.Tap(keyBtns[1]) })
	got = <-saved
	if got.name != "Rita-Reception-bbbb0000.asc" || strings.Count(got.data, "BEGIN PGP") != 1 {
		t.Errorf("saved %q: %q", got.name, got.data)
	}
	d.mu.Lock()
	keys := append([]string(nil), d.keys...)
	d.mu.Unlock()
	if len(keys) != 2 || keys[0] != "" || keys[1] != "bbbb000000000000000000000000000000000000" {
		t.Errorf("exported %q", keys)
	}
	eventually(t, "the confirmation", func() bool {
		top := w.Canvas().Overlays().Top()
		return top != nil && strings.Contains(texts(top), "1 public key exported to /home/admin/Rita-Reception-bbbb0000.asc")
	})
}

// TestDirectorySaysWhoConfirmedPhysicians: a physician's or
// receptionist's row says who confirmed them in person, or that they wait
// for it; administrators' rows say nothing of it.
func TestDirectorySaysWhoConfirmedPhysicians(t *testing.T) {
	d := newFakeDesk()
	now := time.Now()
	d.staff[1].ConfirmedBy, d.staff[1].Confirms = []string{"Dr Nora New"}, []string{"Dr Nora New"}
	d.staff = append(d.staff,
		appadmin.StaffMember{Fingerprint: "cccc000000000000000000000000000000000000", Name: "Dr Paul Physician", Role: roles.Physician, Active: true,
			Joined: now, LastSeen: now, ConfirmedBy: []string{"Dr Petra Second", "Dr Quinn Third"}, Confirms: []string{"Dr Quinn Third"}},
		appadmin.StaffMember{Fingerprint: "dddd000000000000000000000000000000000000", Name: "Dr Nora New", Role: roles.Physician, Active: true,
			Joined: now, LastSeen: now},
		appadmin.StaffMember{Fingerprint: "eeee000000000000000000000000000000000000", Name: "Dr Otto Half", Role: roles.Physician, Active: true,
			Joined: now, LastSeen: now, ConfirmedBy: []string{"Dr Paul Physician"}})
	var s fyne.CanvasObject
	newWindow(t, func(w fyne.Window) fyne.CanvasObject { s = NewDirectory(d, w); return s })
	eventually(t, "the directory", func() bool { return strings.Contains(texts(s), "5 staff members") })
	got := lockedTexts(s)
	for _, want := range []string{"Confirmed by Dr Petra Second and Dr Quinn Third\n", "Waiting for a physician to confirm them in person",
		"Confirmed by Dr Paul Physician; they have yet to confirm that colleague in turn", "Confirmed by Dr Nora New\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("the directory does not say %q: %q", want, got)
		}
	}
	if n := strings.Count(got, "Confirmed by") + strings.Count(got, "Waiting for"); n != 4 {
		t.Errorf("%d lines speak of confirmation, want the 3 physicians' and the receptionist's: %q", n, got)
	}

	// Dr Nora New is the only physician left: nobody to wait for.
	d.mu.Lock()
	d.staff = append(d.staff[:2], d.staff[3])
	d.mu.Unlock()
	d.changed("member")
	eventually(t, "the only physician", func() bool {
		return strings.Contains(texts(s), "The clinic's only physician") && !strings.Contains(texts(s), "Waiting for a physician")
	})
	// A receptionist nobody confirmed waits for a receptionist or a
	// physician.
	d.mu.Lock()
	d.staff[1].ConfirmedBy, d.staff[1].Confirms = nil, nil
	d.mu.Unlock()
	d.changed("member")
	eventually(t, "the receptionist waiting", func() bool {
		return strings.Contains(texts(s), "Waiting for a receptionist or physician to confirm them in person")
	})
	// A disputed role history is said first, on the member's row.
	d.mu.Lock()
	d.staff[1].HistoryDisputed = true
	d.mu.Unlock()
	d.changed("member")
	eventually(t, "the disputed history", func() bool {
		t := texts(s)
		return strings.Contains(t, "Role history disputed: administrators recorded different changes of this role") &&
			!strings.Contains(t, "Waiting for a receptionist or physician")
	})
	d.mu.Lock()
	d.staff[1].HistoryDisputed, d.staff[1].RoleRewritten = false, true
	d.mu.Unlock()
	d.changed("member")
	eventually(t, "the role written outside the history", func() bool {
		return strings.Contains(texts(s), "Role written without a recorded change: colleagues who confirmed them before confirm them again")
	})
}

// TestRoleLine: the directory shows a member's former roles after her
// role.
func TestRoleLine(t *testing.T) {
	for _, tc := range []struct {
		m    appadmin.StaffMember
		want string
	}{
		{appadmin.StaffMember{Role: roles.Physician}, "Physician"},
		{appadmin.StaffMember{Role: roles.Physician, FormerRoles: []roles.Role{roles.Receptionist, roles.Administrator}},
			"Physician (was Receptionist, then Administrator)"},
	} {
		if got := roleLine(tc.m); got != tc.want {
			t.Errorf("roleLine(%+v) = %q, want %q", tc.m, got, tc.want)
		}
	}
}

// TestDirectoryRowsAreNotCutOff: at the width the directory has in a
// 1280-wide window, no line of a row is cut off with an ellipsis, so what
// to do about a held, cut or conflicting member is read whole (it ended
// in "Revoke for good, or issue a …" and "Issue them a new t…").
func TestDirectoryRowsAreNotCutOff(t *testing.T) {
	d := newFakeDesk()
	now := time.Now()
	d.staff = append(d.staff,
		appadmin.StaffMember{Fingerprint: "dddd000000000000000000000000000000000000", Name: "Dr Pia Held", Role: roles.Physician,
			Joined: now, LastSeen: now, HeldBy: []string{"Carl Admin"}},
		appadmin.StaffMember{Fingerprint: "eeee000000000000000000000000000000000000", Name: "Rae Reception", Role: roles.Receptionist,
			Joined: now, Token: "T-7K2M", TokenTakenBy: "Sam Stand-in"},
		appadmin.StaffMember{Fingerprint: "ffff000000000000000000000000000000000000", Name: "Dr Nils Newcomer", Role: roles.Physician,
			SetAsideBy: "Bob Admin"},
		appadmin.StaffMember{Fingerprint: "abab000000000000000000000000000000000000", Name: "Fay Forker", Role: roles.Receptionist,
			Active: true, Joined: now, LastSeen: now, Forked: []replica.Fork{{Device: "cdcd1234000000000000000000000000", Author: "abab", Seq: 7}}})
	var s fyne.CanvasObject
	w := newWindow(t, func(w fyne.Window) fyne.CanvasObject { s = NewDirectory(d, w); return s })
	eventually(t, "the directory", func() bool { return strings.Contains(texts(s), "Fay Forker") })
	locked(func() { w.Resize(fyne.NewSize(1000, 1200)) })
	eventually(t, "the last row", func() bool { return strings.Contains(texts(s), "Fay Forker") })
	checked := 0
	lockedWalk(s, func(o fyne.CanvasObject) {
		l, ok := o.(*widget.Label)
		if !ok || !l.Visible() || l.Text == "" || l.Truncation == fyne.TextTruncateOff {
			return
		}
		checked++
		need := fyne.MeasureText(l.Text, theme.TextSize(), l.TextStyle).Width + 2*theme.InnerPadding()
		if need > l.Size().Width+1 {
			t.Errorf("%q is cut off: %.0f wide, needs %.0f", l.Text, l.Size().Width, need)
		}
	})
	if checked < 10 {
		t.Errorf("only %d lines looked at", checked)
	}
}

// TestDirectoryScreenshots writes the staff directory with a held member,
// light and dark, at 1280x800, to MEDIHAVEN_ADMIN_SHOTS (skipped without).
func TestDirectoryScreenshots(t *testing.T) {
	out := os.Getenv("MEDIHAVEN_ADMIN_SHOTS")
	if out == "" {
		t.Skip("set MEDIHAVEN_ADMIN_SHOTS to a folder to write the screenshots")
	}
	for _, variant := range []string{"light", "dark"} {
		d := newFakeDesk()
		now := time.Now()
		d.staff = append(d.staff,
			appadmin.StaffMember{Fingerprint: "cccc000000000000000000000000000000000000", Name: "Dr Paul Physician", Role: roles.Physician, Active: true,
				Joined: now, LastSeen: now, ConfirmedBy: []string{"Dr Pia Held"}, Confirms: []string{"Dr Pia Held"}},
			appadmin.StaffMember{Fingerprint: "dddd000000000000000000000000000000000000", Name: "Dr Pia Held", Role: roles.Physician,
				Joined: now, LastSeen: now, HeldBy: []string{"Carl Admin"}},
			appadmin.StaffMember{Fingerprint: "eeee000000000000000000000000000000000000", Name: "Rae Reception", Role: roles.Receptionist,
				Joined: now, Token: "T-7K2M", TokenTakenBy: "Sam Stand-in"},
			appadmin.StaffMember{Fingerprint: "ffff000000000000000000000000000000000000", Name: "Dr Nils Newcomer", Role: roles.Physician,
				SetAsideBy: "Bob Admin"},
			appadmin.StaffMember{Fingerprint: "abab000000000000000000000000000000000000", Name: "Fay Forker", Role: roles.Receptionist,
				Active: true, Joined: now, LastSeen: now, Forked: []replica.Fork{{Device: "cdcd1234000000000000000000000000", Author: "abab", Seq: 7}}})
		var s fyne.CanvasObject
		w := newWindow(t, func(w fyne.Window) fyne.CanvasObject { s = NewDirectory(d, w); return s })
		fyne.CurrentApp().Settings().SetTheme(map[string]fyne.Theme{"light": theme.LightTheme(), "dark": theme.DarkTheme()}[variant])
		eventually(t, "the directory", func() bool { return strings.Contains(texts(s), "Carl Admin") })
		locked(func() {
			// The directory's width in a 1280-wide window, beside the navigation.
			w.Resize(fyne.NewSize(999, 800))
			w.Resize(fyne.NewSize(1000, 800))
			file, err := os.Create(filepath.Join(out, "admin-directory-held-"+variant+".png"))
			if err != nil {
				t.Fatal(err)
			}
			defer file.Close()
			if err := png.Encode(file, w.Canvas().Capture()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestVerifyProblemsInTheLogsWords: a problem the log check finds names
// the workstation and the change as the log does, not "device … seq …
// (event …)".
func TestVerifyProblemsInTheLogsWords(t *testing.T) {
	got := problemLine(replica.Problem{Event: "e1e1e1e1e1e1", Device: "abcd1234ef567890", Seq: 5, Reason: "removed"})
	if got != "Workstation abcd 1234, change no. 5: removed" {
		t.Errorf("problem line %q", got)
	}
}
