package recovery

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
)

// TestRecoveryAfterEveryPhysicianKeyIsLost: three administrators split the
// recovery key two-of-three; both physicians' workstations are lost; two
// administrators together hand the clinical keys to a new physician, who
// reads the old chart again. Split, release and recovery are audited.
func TestRecoveryAfterEveryPhysicianKeyIsLost(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	admin2 := c.Join(t, "Ben Admin", roles.Administrator)
	admin3 := c.Join(t, "Cleo Admin", roles.Administrator)
	everyone := append(c.All(), admin2, admin3)
	if err := app.SyncLocal(ctx, everyone...); err != nil {
		t.Fatal(err)
	}
	p, err := c.Recep.RegisterPatient(ctx, app.Patient{Family: "Lost", Given: "Keys", Birth: "1950-03-04"})
	if err != nil {
		t.Fatal(err)
	}
	if err := app.SyncLocal(ctx, everyone...); err != nil {
		t.Fatal(err)
	}
	if _, err := chart.New(c.Phys.Core()).WriteNote(ctx, chart.Note{Patient: p.ID, Assessment: "words only a physician reads"}); err != nil {
		t.Fatal(err)
	}
	if _, err := New(c.Admin.Core()).Split(ctx, 4); !errors.Is(err, app.ErrInvalidInput) {
		t.Errorf("threshold 4 of 3: %v, want app.ErrInvalidInput", err)
	}
	if _, err := New(c.Recep.Core()).Split(ctx, 2); !errors.Is(err, roles.ErrForbidden) {
		t.Errorf("receptionist splits: %v, want ErrForbidden", err)
	}
	st, err := New(c.Admin.Core()).Split(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Set || st.Threshold != 2 || st.Shares != 3 {
		t.Fatalf("status after split: %+v", st)
	}
	if err := app.SyncLocal(ctx, everyone...); err != nil {
		t.Fatal(err)
	}
	if st, err := New(c.Admin.Core()).Status(ctx); err != nil || len(st.ClinicalApprovedBy) != 0 || len(st.ClinicalEscrowedBy) != 0 ||
		!strings.Contains(st.Reason, "cannot be recovered") {
		t.Errorf("before a physician approves, the status says %+v (%v)", st, err)
	}
	approveSplit(t, c.Phys, everyone...) // physicians escrow their keys
	// Every physician's workstation is lost.
	c.Phys.Close()
	c.Phys2.Close()
	alive := []*app.Session{c.Admin, admin2, admin3, c.Recep}
	newcomer := c.Join(t, "Dr Nadia New", roles.Physician)
	alive = append(alive, newcomer)
	if err := app.SyncLocal(ctx, alive...); err != nil {
		t.Fatal(err)
	}
	if _, err := chart.New(newcomer.Core()).OpenChart(ctx, p.ID); err == nil {
		t.Fatal("the new physician reads the chart before any recovery")
	}
	// One administrator alone cannot recover.
	if _, err := New(c.Admin.Core()).Recover(ctx, newcomer.Fingerprint()); !errors.Is(err, crypto.ErrTooFewShares) {
		t.Fatalf("recover with one share: %v, want ErrTooFewShares", err)
	}
	if err := New(admin3.Core()).Release(ctx, c.Admin.Fingerprint()); err != nil {
		t.Fatal(err)
	}
	if err := app.SyncLocal(ctx, alive...); err != nil {
		t.Fatal(err)
	}
	if st, _ := New(c.Admin.Core()).Status(ctx); st.Released != 2 {
		t.Errorf("shares at hand: %d, want 2", st.Released)
	}
	if _, err := New(c.Admin.Core()).Recover(ctx, c.Recep.Fingerprint()); err != nil {
		t.Errorf("recover front-desk keys for the receptionist: %v", err)
	}
	rec, err := New(c.Admin.Core()).Recover(ctx, newcomer.Fingerprint())
	if err != nil {
		t.Fatal(err)
	}
	if rec.Epochs == 0 || len(rec.Scopes) != 2 {
		t.Errorf("recovery: %+v", rec)
	}
	if err := app.SyncLocal(ctx, alive...); err != nil {
		t.Fatal(err)
	}
	ch, err := chart.New(newcomer.Core()).OpenChart(ctx, p.ID)
	if err != nil {
		t.Fatalf("the new physician cannot read the chart after recovery: %v", err)
	}
	if len(ch.Notes) != 1 || ch.Notes[0].Assessment != "words only a physician reads" {
		t.Fatalf("chart after recovery: %+v", ch.Notes)
	}
	// The coordinating administrator saw the recovered keys whole: they
	// are retired, and new writes go under an epoch made after them.
	rn, _ := newcomer.Replica()
	if err := app.SyncLocal(ctx, alive...); err != nil {
		t.Fatal(err)
	}
	retired := 0
	for _, k := range rn.Keys(roles.Clinical) {
		if rn.Retired(roles.Clinical, k.Epoch) {
			retired++
		}
	}
	if k, ok := rn.Key(roles.Clinical); !ok || retired == 0 || rn.Retired(roles.Clinical, k.Epoch) {
		t.Errorf("after recovery new clinical writes use %#x (%d recovered keys retired)", k.Epoch, retired)
	}
	// The administrators still hold no patient key.
	for _, a := range []*app.Session{c.Admin, admin2, admin3} {
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
	ra, _ := c.Admin.Replica()
	if ps, err := ra.Verify(ctx); err != nil || len(ps) > 0 {
		t.Errorf("verify after recovery: %v %v", ps, err)
	}
}

func TestRecoveryKeyMustBeSignedByAnAdministrator(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	admin2 := c.Join(t, "Ben Admin", roles.Administrator)
	everyone := append(c.All(), admin2)
	r, _ := c.Admin.Replica()
	if _, err := readRecovery(ctx, r); !errors.Is(err, ErrNoRecovery) {
		t.Fatalf("before any split: %v", err)
	}
	if err := app.SyncLocal(ctx, everyone...); err != nil {
		t.Fatal(err)
	}
	if _, err := New(c.Admin.Core()).Split(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if err := app.SyncLocal(ctx, everyone...); err != nil {
		t.Fatal(err)
	}
	// A receptionist's modified software names her among the shareholders.
	rr, _ := c.Recep.Replica()
	k, _ := rr.Key(roles.Directory)
	f := newRecoveryForger(t, c.Recep, c.Admin)
	fields, _ := json.Marshal(map[string]any{"admins": []string{c.Admin.Fingerprint(), c.Recep.Fingerprint()}})
	f.sign(t, records.KindRecovery, string(roles.Directory), entityRecovery, k, fields)
	f.send(t, everyone...)
	if err := app.SyncLocal(ctx, everyone...); err != nil {
		t.Fatal(err)
	}
	for _, s := range everyone {
		rs, _ := s.Replica()
		p, err := readRecovery(ctx, rs)
		if err == nil && slices.Contains(p.admins, c.Recep.Fingerprint()) || errors.Is(err, ErrNoRecovery) {
			t.Errorf("%s: a forged recovery is accepted: %v %v", s.StaffName(), p.admins, err)
		}
	}
}

// approveSplit has physician ph approve the split in force to hold the
// clinical key's shares, as in Colleagues, and syncs: the physicians'
// workstations escrow their clinical keys to it.
func approveSplit(t *testing.T, ph *app.Session, sync ...*app.Session) {
	t.Helper()
	ctx := context.Background()
	a, err := New(ph.Core()).ClinicalApproval(ctx)
	if err != nil || !a.Set {
		t.Fatalf("%s sees no split to approve: %+v %v", ph.StaffName(), a, err)
	}
	if err := New(ph.Core()).ApproveClinical(ctx, a.ID); err != nil {
		t.Fatalf("%s approves the split: %v", ph.StaffName(), err)
	}
	if err := app.SyncLocal(ctx, sync...); err != nil {
		t.Fatal(err)
	}
}

// TestApproveClinicalRefuses: only physicians approve, only the split in
// force.
func TestApproveClinicalRefuses(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	admin2 := c.Join(t, "Bea Admin", roles.Administrator)
	everyone := append(c.All(), admin2)
	mustSync(t, everyone...)
	if a, err := New(c.Phys.Core()).ClinicalApproval(ctx); err != nil || a.Set {
		t.Fatalf("before any split: %+v %v", a, err)
	}
	if err := New(c.Phys.Core()).ApproveClinical(ctx, strings.Repeat("a", 32)); !errors.Is(err, app.ErrInvalidInput) {
		t.Errorf("approving with no split: %v, want ErrInvalidInput", err)
	}
	if _, err := New(c.Admin.Core()).Split(ctx, 2); err != nil {
		t.Fatal(err)
	}
	mustSync(t, everyone...)
	a, err := New(c.Phys.Core()).ClinicalApproval(ctx)
	if err != nil || !a.Set || len(a.Admins) != 2 || a.SetBy != "Ada Admin" || a.You {
		t.Fatalf("the split as a physician sees it: %+v %v", a, err)
	}
	tests := []struct {
		name string
		s    *app.Session
		id   string
		want error
	}{
		{"a receptionist", c.Recep, a.ID, roles.ErrForbidden},
		{"an administrator", c.Admin, a.ID, roles.ErrForbidden},
		{"another split", c.Phys, strings.Repeat("b", 32), ErrSplitChanged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := New(tt.s.Core()).ApproveClinical(ctx, tt.id); !errors.Is(err, tt.want) {
				t.Errorf("ApproveClinical: %v, want %v", err, tt.want)
			}
		})
	}
	approveSplit(t, c.Phys, everyone...)
	if a, _ := New(c.Phys2.Core()).ClinicalApproval(ctx); len(a.ApprovedBy) != 1 || a.ApprovedBy[0] != c.Phys.StaffName() || a.You {
		t.Errorf("the other physician sees %+v", a)
	}
	if st, _ := New(c.Admin.Core()).Status(ctx); len(st.ClinicalApprovedBy) != 1 || len(st.ClinicalEscrowedBy) != 2 ||
		len(st.ClinicalNotEscrowedBy) != 0 || strings.Contains(st.Reason, "No physician") {
		t.Errorf("the administrators' status after approval: %+v", st)
	}
}

// TestApprovalByIDIsAskedAgain: an approval of the older form names the
// split's id only, which an administrator can sign again over other
// administrators; it no longer counts, no clinical key is escrowed for it,
// and the physician is asked again (Again) until she approves the split's
// content.
func TestApprovalByIDIsAskedAgain(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	admin2 := c.Join(t, "Bea Admin", roles.Administrator)
	everyone := append(c.All(), admin2)
	mustSync(t, everyone...)
	st, err := New(c.Admin.Core()).Split(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, everyone...)
	if err := rep(t, c.Phys).ApproveRecovery(ctx, st.ID); err != nil { // as the older software did
		t.Fatal(err)
	}
	mustSync(t, everyone...)
	mustSync(t, everyone...)
	a, err := New(c.Phys.Core()).ClinicalApproval(ctx)
	if err != nil || !a.Set || a.You || !a.Again || len(a.ApprovedBy) != 0 || a.ID == st.ID {
		t.Fatalf("after an approval by id: %+v %v", a, err)
	}
	if st, _ := New(c.Admin.Core()).Status(ctx); len(st.ClinicalEscrowedBy) != 0 {
		t.Errorf("a clinical key is escrowed to a split approved by id only: %+v", st)
	}
	if other, _ := New(c.Phys2.Core()).ClinicalApproval(ctx); other.Again {
		t.Errorf("a physician who never approved is told she did: %+v", other)
	}
	approveSplit(t, c.Phys, everyone...)
	mustSync(t, everyone...)
	if a, _ := New(c.Phys.Core()).ClinicalApproval(ctx); !a.You || a.Again {
		t.Errorf("after approving again: %+v", a)
	}
	if st, _ := New(c.Admin.Core()).Status(ctx); len(st.ClinicalEscrowedBy) != 2 || len(st.ClinicalApprovedBy) != 1 {
		t.Errorf("after approving again, the administrators' status: %+v", st)
	}
}
