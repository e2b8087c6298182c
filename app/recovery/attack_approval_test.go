package recovery

// Attacks on the physicians' approval of a split (session 11 review,
// findings 1, 3, 9 and 10): what a physician approves, what she is shown
// before she does, and what the administrators are told came of it.

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app"
	appadmin "github.com/medihaven/medihaven/app/admin"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// signSplit has administrator s sign and record split p as the one in
// force, as her own (modified) software would, whatever its id.
func signSplit(t *testing.T, s *app.Session, p recoveryPolicy) {
	t.Helper()
	r := rep(t, s)
	sig, err := r.Identity().Sign(p.signed())
	if err != nil {
		t.Fatal(err)
	}
	fields, err := records.Recovery{ID: p.id, Threshold: p.threshold, Admins: p.admins, SetBy: p.setBy, SetAt: p.setAt, Sig: sig}.Fields()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Append(context.Background(), replica.Change{Entity: entityRecovery, Kind: records.KindRecovery, Scope: roles.Directory, Fields: fields}); err != nil {
		t.Fatal(err)
	}
}

// rebuiltOpens reports whether the keys administrator s's workstation
// rebuilds from the escrows and releases it holds open env.
func rebuiltOpens(t *testing.T, s *app.Session, env *crypto.Envelope) bool {
	t.Helper()
	keys, _, err := rebuildKeys(context.Background(), rep(t, s))
	if err != nil {
		t.Logf("rebuild: %v", err)
	}
	var whole []crypto.ScopeKey
	for _, k := range keys {
		whole = append(whole, k.key)
	}
	return opens(whole, env)
}

// TestAttackApprovedSplitIDReusedForAPuppetSplit (finding 1): a physician
// approves the split {Ada, Ben}. Ada later admits a puppet administrator
// of her own and, with her own key, signs a new split that keeps the
// approved split's id but names {Ada, puppet}, 2 of 2. The approval names
// the split's content, so no workstation escrows a clinical key to the
// puppet split, and what Ada and her puppet rebuild opens no new note.
func TestAttackApprovedSplitIDReusedForAPuppetSplit(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	ben := c.Join(t, "Ben Admin", roles.Administrator)
	everyone := append(c.All(), ben)
	mustSync(t, everyone...)
	pat, err := c.Recep.RegisterPatient(ctx, app.Patient{Family: "Private", Given: "Patient", Birth: "1970-01-02"})
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, everyone...)
	st, err := New(c.Admin.Core()).Split(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, everyone...)
	approveSplit(t, c.Phys, everyone...) // Paul knows Ada and Ben: he approves
	mustSync(t, everyone...)

	// Ada's puppet, and a split under the approved split's id naming Ada
	// and it.
	puppet := c.Join(t, "Ada Admin Two", roles.Administrator)
	everyone = append(everyone, puppet)
	mustSync(t, everyone...)
	ra := rep(t, c.Admin)
	admins := []string{ra.Fingerprint(), rep(t, puppet).Fingerprint()}
	slices.Sort(admins)
	signSplit(t, c.Admin, recoveryPolicy{id: st.ID, threshold: 2, admins: admins, setBy: ra.Fingerprint(),
		setAt: time.UnixMilli(c.Admin.Core().Now().UnixMilli() + 1)})
	mustSync(t, everyone...)
	if a, _ := New(c.Phys.Core()).ClinicalApproval(ctx); !a.Set || len(a.ApprovedBy) != 0 || a.You {
		t.Errorf("Paul's workstation counts his approval of {Ada, Ben} for the puppet split under its id: %+v", a)
	}
	// Something rotates the clinical key (here: Paul's workstation starts
	// a new epoch, as after a colleague's revocation): the new epoch must
	// not go to the puppet split.
	if _, err := rep(t, c.Phys).NewEpoch(ctx, roles.Clinical); err != nil {
		t.Fatal(err)
	}
	mustSync(t, everyone...)
	after := note(t, c.Phys, pat.ID, "written after the puppet split")
	mustSync(t, everyone...)

	if err := New(puppet.Core()).Release(ctx, ra.Fingerprint()); err != nil {
		t.Logf("puppet release: %v", err)
	}
	mustSync(t, everyone...)
	if rebuiltOpens(t, c.Admin, after) {
		t.Errorf("Ada and her puppet rebuilt the clinical key through a split the physicians never approved (id %s reused) and open a note", st.ID)
	}
}

// TestAttackApprovalShowsAdministratorsKeys (finding 3): the physician
// approves a split on what his screen shows of its administrators. Ada
// admits a puppet whose name reads like Ben's ("Ben Adrnin": admission
// refuses mixed alphabets and folds Cyrillic look-alikes, not every
// look-alike) and signs a split {Ada, puppet}. Names are her word, so the
// screen shows each administrator's key fingerprint beside her name: the
// puppet's is not Ben's, which Paul compares with Ben's own screen.
func TestAttackApprovalShowsAdministratorsKeys(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	ben := c.Join(t, "Ben Admin", roles.Administrator)
	puppet := c.Join(t, "Ben Adrnin", roles.Administrator) // admitted by Ada's unmodified software
	everyone := append(c.All(), ben, puppet)
	mustSync(t, everyone...)
	ra := rep(t, c.Admin)
	admins := []string{ra.Fingerprint(), rep(t, puppet).Fingerprint()}
	slices.Sort(admins)
	signSplit(t, c.Admin, recoveryPolicy{id: app.NewID(16), threshold: 2, admins: admins, setBy: ra.Fingerprint(),
		setAt: time.UnixMilli(c.Admin.Core().Now().UnixMilli())})
	mustSync(t, everyone...)
	a, err := New(c.Phys.Core()).ClinicalApproval(ctx)
	if err != nil || !a.Set || len(a.Admins) != len(admins) {
		t.Fatalf("Paul sees no split: %+v %v", a, err)
	}
	t.Logf("Paul's screen: %q", a.Admins)
	for i, fp := range admins {
		if !strings.Contains(a.Admins[i], appadmin.ShortFingerprint(fp)) {
			t.Errorf("Paul's screen names an administrator of the split as %q, without her key %s: a look-alike name passes for a colleague's",
				a.Admins[i], appadmin.ShortFingerprint(fp))
		}
		if strings.Contains(a.Admins[i], appadmin.ShortFingerprint(ben.Fingerprint())) {
			t.Errorf("Ben's key is shown for %q, who is not Ben", a.Admins[i])
		}
	}
}

// TestAttackApprovalShowsBackdatedHiddenNames (finding 9, the recovery
// part): an administrator's entry signed as written before the name rule
// (its header time is the writer's word) keeps a hidden character in her
// name; the approval shows it written out, as Members does.
func TestAttackApprovalShowsBackdatedHiddenNames(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	ben := c.Join(t, "Ben Admin", roles.Administrator)
	everyone := append(c.All(), ben)
	mustSync(t, everyone...)
	now := c.Clock.Now()
	c.Clock.Set(time.UnixMilli(1_796_342_400_000 - 60_000)) // Ada's software signs a time before the rule
	if _, err := rep(t, c.Admin).Append(ctx, replica.Change{Entity: ben.Fingerprint(), Kind: replica.KindMember,
		Scope: roles.Directory, Fields: replica.Fields{"name": []byte(`"Ben Admin\u200b"`)}}); err != nil {
		t.Fatal(err)
	}
	c.Clock.Set(now)
	mustSync(t, everyone...)
	if _, err := New(c.Admin.Core()).Split(ctx, 2); err != nil {
		t.Fatal(err)
	}
	mustSync(t, everyone...)
	a, err := New(c.Phys.Core()).ClinicalApproval(ctx)
	if err != nil || !a.Set {
		t.Fatalf("Paul sees no split: %+v %v", a, err)
	}
	for _, name := range a.Admins {
		if strings.Contains(name, "\u200b") {
			t.Errorf("the approval shows the backdated name with its hidden character as is: %q (Members shows %q)", name, roles.VisibleName("Ben Admin\u200b"))
		}
	}
}

// TestAttackSecurityScreenCountsStrangersApproval (finding 10): two
// physicians nobody confirmed (an administrator's stand-ins, or a hostile
// pair) confirm each other and one approves the split. No confirmed
// physician's workstation escrows a clinical key to it, so the
// administrators' Security screen must not say it is approved, and says
// the clinical records cannot be recovered with it.
func TestAttackSecurityScreenCountsStrangersApproval(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	ben := c.Join(t, "Ben Admin", roles.Administrator)
	s1 := c.Join(t, "Dr Sam One", roles.Physician)
	s2 := c.Join(t, "Dr Sam Two", roles.Physician)
	everyone := append(c.All(), ben, s1, s2)
	mustSync(t, everyone...)
	code := app.ColleagueCode(s1.Fingerprint(), s2.Fingerprint())
	if err := s1.ConfirmColleague(ctx, s2.Fingerprint(), code); err != nil {
		t.Fatal(err)
	}
	if err := s2.ConfirmColleague(ctx, s1.Fingerprint(), code); err != nil {
		t.Fatal(err)
	}
	mustSync(t, everyone...)
	if _, err := New(c.Admin.Core()).Split(ctx, 2); err != nil {
		t.Fatal(err)
	}
	mustSync(t, everyone...)
	a, err := New(s1.Core()).ClinicalApproval(ctx)
	if err != nil || !a.Set {
		t.Fatalf("%+v %v", a, err)
	}
	if err := New(s1.Core()).ApproveClinical(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	mustSync(t, everyone...)
	mustSync(t, everyone...)
	st, err := New(ben.Core()).Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if pa, _ := New(c.Phys.Core()).ClinicalApproval(ctx); len(pa.ApprovedBy) == 0 && len(st.ClinicalApprovedBy) > 0 {
		t.Errorf("Ben's Security screen says the clinical key's recovery was approved by %v (reason %q), but no confirmed physician approved and nothing clinical is escrowed",
			st.ClinicalApprovedBy, st.Reason)
	}
	if !strings.Contains(st.Reason, "cannot be recovered") {
		t.Errorf("Ben's Security screen does not say the clinical records cannot be recovered with this split: %q", st.Reason)
	}
}
