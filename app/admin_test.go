package app

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
)

// join issues a token on admin's workstation and redeems it.
func (c *clinic) join(t *testing.T, name string, role roles.Role) *Session {
	t.Helper()
	ctx := context.Background()
	tok, err := c.admin.IssueToken(ctx, role, time.Hour)
	if err != nil {
		t.Fatalf("IssueToken: %v", err)
	}
	s, err := Redeem(ctx, c.env, Redemption{Dir: filepath.Join(c.dir, name), Token: tok.String(), Name: name, Passphrase: []byte(testPass)})
	if err != nil {
		t.Fatalf("Redeem %s: %v", name, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestRecoveryAfterEveryPhysicianKeyIsLost: three administrators split the
// recovery key two-of-three; both physicians' workstations are lost; two
// administrators together hand the clinical keys to a new physician, who
// reads the old chart again. Split, release and recovery are audited.
func TestRecoveryAfterEveryPhysicianKeyIsLost(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	admin2 := c.join(t, "Ben Admin", roles.Administrator)
	admin3 := c.join(t, "Cleo Admin", roles.Administrator)
	everyone := append(c.all(), admin2, admin3)
	if err := SyncLocal(ctx, everyone...); err != nil {
		t.Fatal(err)
	}
	p, err := c.recep.RegisterPatient(ctx, Patient{Family: "Lost", Given: "Keys", Birth: "1950-03-04"})
	if err != nil {
		t.Fatal(err)
	}
	if err := SyncLocal(ctx, everyone...); err != nil {
		t.Fatal(err)
	}
	if _, err := c.phys.WriteNote(ctx, Note{Patient: p.ID, Assessment: "words only a physician reads"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.admin.SplitRecoveryKey(ctx, 4); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("threshold 4 of 3: %v, want ErrInvalidInput", err)
	}
	if _, err := c.recep.SplitRecoveryKey(ctx, 2); !errors.Is(err, roles.ErrForbidden) {
		t.Errorf("receptionist splits: %v, want ErrForbidden", err)
	}
	st, err := c.admin.SplitRecoveryKey(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Set || st.Threshold != 2 || st.Shares != 3 {
		t.Fatalf("status after split: %+v", st)
	}
	if err := SyncLocal(ctx, everyone...); err != nil { // physicians escrow their keys
		t.Fatal(err)
	}
	// Every physician's workstation is lost.
	c.phys.Close()
	c.phys2.Close()
	alive := []*Session{c.admin, admin2, admin3, c.recep}
	newcomer := c.join(t, "Dr Nadia New", roles.Physician)
	alive = append(alive, newcomer)
	if err := SyncLocal(ctx, alive...); err != nil {
		t.Fatal(err)
	}
	if _, err := newcomer.OpenChart(ctx, p.ID); err == nil {
		t.Fatal("the new physician reads the chart before any recovery")
	}
	// One administrator alone cannot recover.
	if _, err := c.admin.RecoverScopes(ctx, newcomer.Fingerprint()); !errors.Is(err, crypto.ErrTooFewShares) {
		t.Fatalf("recover with one share: %v, want ErrTooFewShares", err)
	}
	if err := admin3.ReleaseRecoveryShare(ctx, c.admin.Fingerprint()); err != nil {
		t.Fatal(err)
	}
	if err := SyncLocal(ctx, alive...); err != nil {
		t.Fatal(err)
	}
	if st, _ := c.admin.RecoveryStatus(ctx); st.Released != 2 {
		t.Errorf("shares at hand: %d, want 2", st.Released)
	}
	if _, err := c.admin.RecoverScopes(ctx, c.recep.Fingerprint()); err != nil {
		t.Errorf("recover front-desk keys for the receptionist: %v", err)
	}
	rec, err := c.admin.RecoverScopes(ctx, newcomer.Fingerprint())
	if err != nil {
		t.Fatal(err)
	}
	if rec.Epochs == 0 || len(rec.Scopes) != 2 {
		t.Errorf("recovery: %+v", rec)
	}
	if err := SyncLocal(ctx, alive...); err != nil {
		t.Fatal(err)
	}
	chart, err := newcomer.OpenChart(ctx, p.ID)
	if err != nil {
		t.Fatalf("the new physician cannot read the chart after recovery: %v", err)
	}
	if len(chart.Notes) != 1 || chart.Notes[0].Assessment != "words only a physician reads" {
		t.Fatalf("chart after recovery: %+v", chart.Notes)
	}
	// The administrators still hold no patient key.
	for _, a := range []*Session{c.admin, admin2, admin3} {
		r, _ := a.Replica()
		if r.Holds(roles.Clinical) || r.Holds(roles.FrontDesk) {
			t.Errorf("%s holds patient keys", a.StaffName())
		}
	}
	log, err := admin2.AuditLog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range log {
		seen[e.Record.Action] = true
	}
	for _, a := range []string{"recovery.split", "recovery.release", "recovery.recover"} {
		if !seen[a] {
			t.Errorf("no %s in the audit log", a)
		}
	}
	if v, err := c.admin.VerifyLog(ctx); err != nil || !v.Intact() {
		t.Errorf("verify after recovery: %+v %v", v, err)
	}
}

func TestRecoveryKeyMustBeSignedByAnAdministrator(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	admin2 := c.join(t, "Ben Admin", roles.Administrator)
	everyone := append(c.all(), admin2)
	r, _ := c.admin.Replica()
	if _, err := readRecovery(ctx, r); !errors.Is(err, ErrNoRecovery) {
		t.Fatalf("before any split: %v", err)
	}
	if err := SyncLocal(ctx, everyone...); err != nil {
		t.Fatal(err)
	}
	if _, err := c.admin.SplitRecoveryKey(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if err := SyncLocal(ctx, everyone...); err != nil {
		t.Fatal(err)
	}
	// A receptionist's modified software names her among the shareholders.
	rr, _ := c.recep.Replica()
	k, _ := rr.Key(roles.Directory)
	f := newRecoveryForger(t, c.recep, c.admin)
	fields, _ := json.Marshal(map[string]any{"admins": []string{c.admin.Fingerprint(), c.recep.Fingerprint()}})
	f.sign(t, records.KindRecovery, string(roles.Directory), entityRecovery, k, fields)
	f.send(t, everyone...)
	if err := SyncLocal(ctx, everyone...); err != nil {
		t.Fatal(err)
	}
	for _, s := range everyone {
		rs, _ := s.Replica()
		p, err := readRecovery(ctx, rs)
		if err == nil && slices.Contains(p.admins, c.recep.Fingerprint()) || errors.Is(err, ErrNoRecovery) {
			t.Errorf("%s: a forged recovery is accepted: %v %v", s.StaffName(), p.admins, err)
		}
	}
}

func TestStaffDirectoryDetails(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	c.clock.Add(time.Hour)
	if _, err := c.phys.WriteNote(ctx, Note{Patient: "none", Plan: "x"}); err == nil {
		t.Fatal("note for an unknown patient")
	}
	if err := c.admin.RevokeMember(ctx, c.phys2.Fingerprint()); err != nil {
		t.Fatal(err)
	}
	staff, err := c.admin.StaffDirectory(ctx)
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

func TestAuditSearchAndExport(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	p, err := c.recep.RegisterPatient(ctx, Patient{Family: "Search", Given: "Me", Birth: "1990-01-01"})
	if err != nil {
		t.Fatal(err)
	}
	if err := SyncLocal(ctx, c.all()...); err != nil {
		t.Fatal(err)
	}
	c.clock.Add(24 * time.Hour)
	if _, err := c.phys2.OpenChart(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
	if err := SyncLocal(ctx, c.all()...); err != nil {
		t.Fatal(err)
	}
	day2 := time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		f    AuditFilter
		want func(AuditEntry) bool
		min  int
	}{
		{"by patient", AuditFilter{Patient: " " + strings.ToLower(p.MRN)}, func(e AuditEntry) bool { return e.Record.Patient == p.MRN }, 1},
		{"by person", AuditFilter{Person: "petra"}, func(e AuditEntry) bool { return e.Name == "Dr Petra Second" }, 1},
		{"by fingerprint", AuditFilter{Person: c.recep.Fingerprint()[:8]}, func(e AuditEntry) bool { return e.Name == "Rita Reception" }, 1},
		{"from the second day", AuditFilter{From: day2}, func(e AuditEntry) bool { return !e.Time.Before(day2) }, 1},
		{"before the second day", AuditFilter{To: day2}, func(e AuditEntry) bool { return e.Time.Before(day2) }, 5},
		{"nobody", AuditFilter{Person: "zzz"}, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.admin.SearchAudit(ctx, tt.f)
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
	if _, err := c.admin.SearchAudit(ctx, AuditFilter{From: day2, To: day2.Add(-time.Hour)}); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("reversed range: %v", err)
	}
	var buf bytes.Buffer
	if err := c.admin.ExportAuditCSV(ctx, &buf, AuditFilter{Patient: p.MRN}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(rows) != 2 || rows[1][7] != p.MRN || rows[1][1] != "Dr Petra Second" {
		t.Fatalf("CSV: %q %v", rows, err)
	}
	buf.Reset()
	if err := c.admin.ExportAuditFHIR(ctx, &buf, AuditFilter{Patient: p.MRN}); err != nil {
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
	if ev.ResourceType != "AuditEvent" || ev.Agent[0].Who.Display != "Dr Petra Second" || ev.Entity[len(ev.Entity)-1].What.Identifier.Value != p.MRN {
		t.Errorf("audit event: %+v", ev)
	}
	if _, err := c.recep.SearchAudit(ctx, AuditFilter{}); !errors.Is(err, roles.ErrForbidden) {
		t.Errorf("receptionist searches the audit: %v", err)
	}
	if got := csvSafe("=HYPERLINK()"); got != "'=HYPERLINK()" {
		t.Errorf("csvSafe = %q", got)
	}
}

func TestVerifyLogReportsPlainly(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	v, err := c.admin.VerifyLog(ctx)
	if err != nil || !v.Intact() || v.Devices != 4 || v.Events == 0 || !strings.HasPrefix(v.Summary(), "Intact") {
		t.Fatalf("VerifyLog = %+v, %v", v, err)
	}
	if _, err := c.phys.VerifyLog(ctx); !errors.Is(err, roles.ErrForbidden) {
		t.Errorf("physician verifies: %v", err)
	}
}

func TestLockoutAfterWrongPassphrases(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	if err := c.admin.SetSecuritySettings(ctx, SecuritySettings{IdleLock: 5 * time.Minute, MaxAttempts: 3}); err != nil {
		t.Fatal(err)
	}
	if err := c.recep.SetSecuritySettings(ctx, SecuritySettings{IdleLock: 5 * time.Hour, MaxAttempts: 20}); !errors.Is(err, roles.ErrForbidden) {
		t.Errorf("receptionist changes settings: %v", err)
	}
	if err := c.admin.SetSecuritySettings(ctx, SecuritySettings{IdleLock: 0, MaxAttempts: 3}); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("idle lock 0: %v", err)
	}
	if err := SyncLocal(ctx, c.all()...); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.recep.SecuritySettings(ctx); got.IdleLock != 5*time.Minute || got.MaxAttempts != 3 {
		t.Fatalf("receptionist reads settings %+v", got)
	}
	dir := c.recep.Profile().Dir
	c.recep.Lock()
	if err := c.recep.Unlock(ctx, []byte(testPass)); err != nil { // caches the clinic's limit of 3
		t.Fatal(err)
	}
	c.recep.Lock()
	steps := []struct {
		pass string
		want error
	}{
		{"wrong one!", ErrWrongPassphrase},
		{"wrong two!", ErrWrongPassphrase},
		{"wrong three", ErrLockedOut}, // third wrong: paused 30 s
		{testPass, ErrLockedOut},      // even the right one waits
	}
	for i, st := range steps {
		if _, err := Login(ctx, c.env, dir, "", []byte(st.pass)); !errors.Is(err, st.want) {
			t.Fatalf("attempt %d: %v, want %v", i+1, err, st.want)
		}
	}
	c.clock.Add(31 * time.Second)
	if _, err := Login(ctx, c.env, dir, "", []byte("wrong four")); !errors.Is(err, ErrLockedOut) || !strings.Contains(err.Error(), "1 minute") {
		t.Fatalf("fourth wrong: %v, want a 1 minute pause", err)
	}
	c.clock.Add(61 * time.Second)
	s, err := Login(ctx, c.env, dir, "", []byte(testPass))
	if err != nil {
		t.Fatalf("right passphrase after the pause: %v", err)
	}
	s.Close()
	if l := readLockout(dir); l.Failures != 0 || l.Until != 0 {
		t.Errorf("lockout not cleared: %+v", l)
	}
}

func TestLockoutDelayGrows(t *testing.T) {
	tests := []struct {
		failures int
		want     time.Duration
	}{{4, 0}, {5, 30 * time.Second}, {6, time.Minute}, {8, 4 * time.Minute}, {30, 30 * time.Minute}}
	for _, tt := range tests {
		if got := (lockout{Failures: tt.failures, MaxAttempts: 5}).delay(); got != tt.want {
			t.Errorf("delay after %d = %s, want %s", tt.failures, got, tt.want)
		}
	}
}
