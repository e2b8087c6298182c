package admin

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/roles"
)

func TestStaffDirectoryDetails(t *testing.T) {
	ctx := context.Background()
	c := apptest.NewClinic(t)
	c.Clock.Add(time.Hour)
	if err := c.Admin.RevokeMember(ctx, c.Phys2.Fingerprint()); err != nil {
		t.Fatal(err)
	}
	staff, err := New(c.Admin.Core()).StaffDirectory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(staff) != 4 {
		t.Fatalf("%d members, want 4", len(staff))
	}
	for _, m := range staff {
		switch m.Name {
		case "Ada Admin":
			if m.Token != "" || !m.Active || m.LastSeen.IsZero() {
				t.Errorf("founder: %+v", m)
			}
		case "Dr Petra Second":
			if m.Active || m.Revoked.IsZero() || m.RevokedBy != "Ada Admin" {
				t.Errorf("revoked member: %+v", m)
			}
		default:
			if m.Token == "" || m.AdmittedBy != "Ada Admin" || m.Joined.IsZero() || m.LastSeen.IsZero() {
				t.Errorf("%s: %+v", m.Name, m)
			}
		}
	}
	if got := ShortFingerprint("0123456789abcdef0123"); got != "0123 4567 89ab cdef" {
		t.Errorf("ShortFingerprint = %q", got)
	}
}

// TestStaffDirectoryConfirmations: the directory names who confirmed each
// physician in person (apptest's Paul and Petra confirmed each other), and
// each receptionist for the front desk (Rita and Paul), and nobody for a
// newcomer until a colleague does; administrators have none.
func TestStaffDirectoryConfirmations(t *testing.T) {
	ctx := context.Background()
	c := apptest.NewClinic(t)
	nora := c.Join(t, "Dr Nora New", roles.Physician)
	if err := app.SyncLocal(ctx, append(c.All(), nora)...); err != nil {
		t.Fatal(err)
	}
	// confirmations is "confirmed by / confirms" by member name.
	confirmations := func() map[string]string {
		t.Helper()
		staff, err := New(c.Admin.Core()).StaffDirectory(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, m := range staff {
			out[m.Name] = strings.Join(m.ConfirmedBy, ",") + "/" + strings.Join(m.Confirms, ",")
		}
		return out
	}
	want := map[string]string{"Dr Paul Physician": "Dr Petra Second/Dr Petra Second", "Dr Petra Second": "Dr Paul Physician/Dr Paul Physician",
		"Dr Nora New": "/", "Rita Reception": "Dr Paul Physician/Dr Paul Physician", "Ada Admin": "/"}
	if got := confirmations(); !maps.Equal(got, want) {
		t.Errorf("before Nora met anyone: %q, want %q", got, want)
	}
	c.Confirm(t, c.Phys, nora)
	if err := app.SyncLocal(ctx, append(c.All(), nora)...); err != nil {
		t.Fatal(err)
	}
	if got := confirmations()["Dr Nora New"]; got != "Dr Paul Physician/Dr Paul Physician" {
		t.Errorf("after Paul and Nora confirmed each other: %q", got)
	}
}

func TestAuditSearchAndExport(t *testing.T) {
	ctx := context.Background()
	c := apptest.NewClinic(t)
	const mrn = "MH0012345"
	c.Clock.Add(24 * time.Hour)
	// A chart read as the chart writes it (the audit drop box of the core).
	if err := c.Phys2.Audit(ctx, app.AuditRecord{Action: "chart.read", Entity: "patient-1", Patient: mrn}); err != nil {
		t.Fatal(err)
	}
	if err := app.SyncLocal(ctx, c.All()...); err != nil {
		t.Fatal(err)
	}
	admin := New(c.Admin.Core())
	day2 := time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		f    AuditFilter
		want func(app.AuditEntry) bool
		min  int
	}{
		{"by patient", AuditFilter{Patient: " " + strings.ToLower(mrn)}, func(e app.AuditEntry) bool { return e.Record.Patient == mrn }, 1},
		{"by person", AuditFilter{Person: "petra"}, func(e app.AuditEntry) bool { return e.Name == "Dr Petra Second" }, 1},
		{"by fingerprint", AuditFilter{Person: c.Recep.Fingerprint()[:8]}, func(e app.AuditEntry) bool { return e.Name == "Rita Reception" }, 1},
		{"from the second day", AuditFilter{From: day2}, func(e app.AuditEntry) bool { return !e.Time.Before(day2) }, 1},
		{"before the second day", AuditFilter{To: day2}, func(e app.AuditEntry) bool { return e.Time.Before(day2) }, 5},
		{"nobody", AuditFilter{Person: "zzz"}, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := admin.SearchAudit(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) < tt.min || tt.want == nil && len(got) != 0 {
				t.Fatalf("%d entries, want at least %d", len(got), tt.min)
			}
			for _, e := range got {
				if !tt.want(e) {
					t.Errorf("entry does not match: %+v", e)
				}
			}
		})
	}
	if _, err := admin.SearchAudit(ctx, AuditFilter{From: day2, To: day2.Add(-time.Hour)}); !errors.Is(err, app.ErrInvalidInput) {
		t.Errorf("reversed range: %v", err)
	}
	var buf bytes.Buffer
	if err := admin.ExportAuditCSV(ctx, &buf, AuditFilter{Patient: mrn}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(rows) != 2 || rows[1][7] != mrn || rows[1][1] != "Dr Petra Second" || rows[1][5] != "opened a chart" {
		t.Fatalf("CSV: %q %v", rows, err)
	}
	buf.Reset()
	if err := admin.ExportAuditFHIR(ctx, &buf, AuditFilter{Patient: mrn}); err != nil {
		t.Fatal(err)
	}
	var bundle struct {
		ResourceType string
		Type         string
		Total        *int // absent: only search results and history carry it
		Entry        []struct {
			Resource struct {
				ResourceType string
				Recorded     string
				Agent        []struct{ Who struct{ Display string } }
				Entity       []struct {
					What struct{ Identifier struct{ Value string } }
				}
			}
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &bundle); err != nil {
		t.Fatal(err)
	}
	if bundle.ResourceType != "Bundle" || bundle.Type != "collection" || bundle.Total != nil || len(bundle.Entry) != 1 {
		t.Fatalf("bundle: %s", buf.String())
	}
	ev := bundle.Entry[0].Resource
	if ev.ResourceType != "AuditEvent" || ev.Agent[0].Who.Display != "Dr Petra Second" || ev.Entity[len(ev.Entity)-1].What.Identifier.Value != mrn {
		t.Errorf("audit event: %+v", ev)
	}
	if _, err := New(c.Recep.Core()).SearchAudit(ctx, AuditFilter{}); !errors.Is(err, roles.ErrForbidden) {
		t.Errorf("receptionist searches the audit: %v", err)
	}
	for in, want := range map[string]string{
		"=HYPERLINK()":           "'=HYPERLINK()",
		"x;=HYPERLINK(\"evil\")": "x;'=HYPERLINK(\"evil\")",
		"a\t+1":                  "a\t'+1",
		"-5 units":               "'-5 units",
		"plain; text":            "plain; text",
		"":                       "",
	} {
		if got := csvSafe(in); got != want {
			t.Errorf("csvSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestVerifyLogReportsPlainly(t *testing.T) {
	ctx := context.Background()
	c := apptest.NewClinic(t)
	v, err := New(c.Admin.Core()).VerifyLog(ctx)
	if err != nil || !v.Intact() || v.Devices != 4 || v.Events == 0 || !strings.HasPrefix(v.Summary(), "Intact") {
		t.Fatalf("VerifyLog = %+v, %v", v, err)
	}
	if _, err := New(c.Phys.Core()).VerifyLog(ctx); !errors.Is(err, roles.ErrForbidden) {
		t.Errorf("physician verifies: %v", err)
	}
}

// TestLockedAdminRefuses: the views of a locked session answer ErrLocked
// (issue 13, finding 11).
func TestLockedAdminRefuses(t *testing.T) {
	ctx := context.Background()
	c := apptest.NewClinic(t)
	admin := New(c.Admin.Core())
	c.Admin.Lock()
	for name, call := range map[string]func() error{
		"StaffDirectory":  func() error { _, err := admin.StaffDirectory(ctx); return err },
		"SearchAudit":     func() error { _, err := admin.SearchAudit(ctx, AuditFilter{}); return err },
		"VerifyLog":       func() error { _, err := admin.VerifyLog(ctx); return err },
		"ExportAuditCSV":  func() error { return admin.ExportAuditCSV(ctx, &bytes.Buffer{}, AuditFilter{}) },
		"ExportAuditFHIR": func() error { return admin.ExportAuditFHIR(ctx, &bytes.Buffer{}, AuditFilter{}) },
	} {
		if err := call(); !errors.Is(err, app.ErrLocked) {
			t.Errorf("%s while locked: %v, want ErrLocked", name, err)
		}
	}
}

// TestAttackAuditTextIsShownAsWritten: an audit record's texts are its
// writer's words; modified software that hides or reorders text with
// invisible runes, or writes pages of it, gets them written out and cut
// in the administrator's log.
func TestAttackAuditTextIsShownAsWritten(t *testing.T) {
	ctx := context.Background()
	c := apptest.NewClinic(t)
	detail := "opened nothing \u202Edaer trahc" + strings.Repeat("x", 5000)
	if err := c.Phys2.Audit(ctx, app.AuditRecord{Action: "custom\u200B", Entity: "e", Patient: "MH\u2066001", Detail: detail}); err != nil {
		t.Fatal(err)
	}
	if err := app.SyncLocal(ctx, c.All()...); err != nil {
		t.Fatal(err)
	}
	log, err := c.Admin.AuditLog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range log {
		if !strings.HasPrefix(e.Record.Action, "custom") {
			continue
		}
		found = true
		for _, text := range []string{e.Record.Action, e.Record.Patient, e.Describe()} {
			if strings.ContainsAny(text, "\u202E\u200B\u2066") {
				t.Errorf("a hidden rune is shown as it is: %.80q", text)
			}
		}
		if !strings.Contains(e.Describe(), "⟨U+202E⟩") || len([]rune(e.Describe())) > 400 {
			t.Errorf("described as %.80q (%d runes)", e.Describe(), len([]rune(e.Describe())))
		}
	}
	if !found {
		t.Fatal("the record is not in the log")
	}
}
