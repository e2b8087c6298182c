package app

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
)

// TestAttackAdministratorsStandIn: Attack (known limit until session 10):
// an administrator issues a physician's token and redeems it herself on a
// second workstation (or changes a receptionist's role), so the
// physicians' upkeep granted her stand-in the clinical key and she read
// every chart. Now the clinical key goes only to a physician colleagues
// confirmed in person; what the stand-in can write herself does not
// change that: she confirms the physicians (one way), forges a
// physician's confirmations record, plants a clinical epoch of her own
// and grants it to them. New notes stay out of her reach.
func TestAttackAdministratorsStandIn(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	p, err := c.recep.RegisterPatient(ctx, Patient{Family: "Quill", Given: "Xanthe", Birth: "1966-03-04"})
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, c.all()...)
	tok, err := c.admin.IssueToken(ctx, roles.Physician, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	standIn, err := Redeem(ctx, c.env, Redemption{Dir: filepath.Join(c.dir, "stand-in"), Token: tok.String(),
		Name: "Dr Paul B. Physician", Passphrase: []byte(testPass)}) // like a colleague's name (the same is refused), to mislead
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { standIn.Close() })
	everyone := append(c.all(), standIn)
	mustSync(t, everyone...)
	s := rep(t, standIn)
	if m, ok := rep(t, c.phys).Member(s.Fingerprint()); !ok || !m.Active() || m.Role != roles.Physician {
		t.Fatalf("the stand-in was not admitted: %+v", m)
	}
	if s.Holds(roles.Clinical) {
		t.Fatal("the administrator's stand-in holds the clinical key: nobody confirmed her")
	}
	if !standIn.AwaitingColleague() {
		t.Error("the stand-in's screen does not say she waits for a colleague's confirmation")
	}

	// She confirms both physicians herself: one way only.
	for _, ph := range []*Session{c.phys, c.phys2} {
		if err := standIn.ConfirmColleague(ctx, ph.Fingerprint(), ColleagueCode(s.Fingerprint(), ph.Fingerprint())); err != nil {
			t.Fatal(err)
		}
	}
	// She writes a physician's confirmations record, naming herself.
	h := hostileDevice(t, c, standIn, standIn)
	forged := h.sealed(t, key(t, standIn, roles.Directory), replica.KindConfirms, string(roles.Directory),
		replica.ConfirmsEntity(c.phys.Fingerprint()), 0, map[string]any{"member/" + s.Fingerprint(): true})
	hand(t, []*crypto.Envelope{h.first, forged}, everyone...)
	// She plants a clinical epoch of her own and grants it to both.
	planted, err := s.NewEpoch(ctx, roles.Clinical)
	if err != nil {
		t.Fatal(err)
	}
	for _, ph := range []*Session{c.phys, c.phys2} {
		if _, err := s.Grant(ctx, planted, ph.Fingerprint()); err != nil {
			t.Fatal(err)
		}
	}
	mustSync(t, everyone...)

	if st, reason, _ := envelopeStateOf(t, c.phys2, forged.Header.ID); st != store.Rejected {
		t.Errorf("a forged confirmations record of another physician is %v (%s), want rejected", st, reason)
	}
	for _, ph := range []*Session{c.phys, c.phys2} {
		r := rep(t, ph)
		if r.MayGrant(roles.Clinical, s.Fingerprint()) || r.Confirmed(roles.Clinical, s.Fingerprint()) {
			t.Errorf("%s counts the stand-in as a confirmed colleague", ph.StaffName())
		}
		if k, _ := r.Key(roles.Clinical); k.Epoch == planted.Epoch {
			t.Errorf("%s writes new clinical records with the stand-in's epoch %#x", ph.StaffName(), planted.Epoch)
		}
		// Her grant waits aside, unused: nobody here reached her.
		for _, k := range r.Keys(roles.Clinical) {
			if k.Epoch == planted.Epoch {
				t.Errorf("%s took the stand-in's planted epoch %#x", ph.StaffName(), planted.Epoch)
			}
		}
	}
	n, err := clin(c.phys).WriteNote(ctx, Note{Patient: p.ID, Plan: "nothing for the stand-in"})
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, everyone...)
	for _, k := range s.Keys(roles.Clinical) {
		if k.Epoch != planted.Epoch {
			t.Errorf("the stand-in was granted clinical epoch %#x", k.Epoch)
		}
	}
	if _, _, err := s.Entity(ctx, n.ID); !errors.Is(err, replica.ErrNotFound) {
		t.Errorf("the stand-in reads a physician's new note: %v", err)
	}
	if _, err := clin(c.phys2).OpenChart(ctx, p.ID); err != nil {
		t.Errorf("the other physician's chart: %v", err)
	}

	// The same for a receptionist an administrator makes a physician,
	// although a physician confirmed her in person for the front desk
	// (newClinic): that confirmation is not one for the clinical key.
	if !rep(t, c.phys).Confirms(roles.FrontDesk, c.phys.Fingerprint(), c.recep.Fingerprint()) {
		t.Fatal("the receptionist was not confirmed for the front desk by a physician")
	}
	if err := c.admin.ChangeRole(ctx, c.recep.Fingerprint(), roles.Physician); err != nil {
		t.Fatal(err)
	}
	mustSync(t, everyone...)
	if rep(t, c.recep).Holds(roles.Clinical) {
		t.Error("a receptionist made a physician by the administrator alone holds the clinical key")
	}
	for _, ph := range []*Session{c.phys, c.phys2} {
		if r := rep(t, ph); r.Confirmed(roles.Clinical, c.recep.Fingerprint()) || r.MayGrant(roles.Clinical, c.recep.Fingerprint()) {
			t.Errorf("%s counts the desk-confirmed receptionist made a physician as a confirmed physician", ph.StaffName())
		}
	}
}

// TestAttackAdministratorsStandInReceptionist: Attack (known limit until
// session 11): an administrator issues a receptionist's token and redeems
// it herself, and the front desk's upkeep granted her stand-in the
// front-desk key: every patient's demographics and appointments. Now the
// front-desk key goes only to a member colleagues confirmed in person:
// her one-way confirmations and a front-desk epoch of her own change
// nothing, and a receptionist's workstation does not write a physician's
// kind of confirmation ("member/") for a stand-in physician (every
// workstation refuses one her modified software writes). A receptionist who met
// her and confirmed her in person hands her the key.
func TestAttackAdministratorsStandInReceptionist(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	standIn := c.join(t, "Rita B. Reception", roles.Receptionist)
	standInPhys := c.join(t, "Dr Sam Stand-in", roles.Physician)
	everyone := append(c.all(), standIn, standInPhys)
	mustSync(t, everyone...)
	s, sp := rep(t, standIn), rep(t, standInPhys)
	if m, ok := rep(t, c.phys).Member(s.Fingerprint()); !ok || !m.Active() || m.Role != roles.Receptionist {
		t.Fatalf("the stand-in was not admitted: %+v", m)
	}
	if s.Holds(roles.FrontDesk) || sp.Holds(roles.FrontDesk) {
		t.Fatal("an administrator's stand-in holds the front-desk key: nobody confirmed her")
	}
	if !standIn.AwaitingColleague() {
		t.Error("the stand-in's screen does not say she waits for a colleague's confirmation")
	}

	// She confirms the receptionist and a physician herself: one way only.
	for _, o := range []*Session{c.recep, c.phys} {
		if err := standIn.ConfirmColleague(ctx, o.Fingerprint(), ColleagueCode(s.Fingerprint(), o.Fingerprint())); err != nil {
			t.Fatal(err)
		}
	}
	// She plants a front-desk epoch of her own and grants it to them.
	planted, err := s.NewEpoch(ctx, roles.FrontDesk)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []*Session{c.recep, c.phys} {
		if _, err := s.Grant(ctx, planted, o.Fingerprint()); err != nil {
			t.Fatal(err)
		}
	}
	// The receptionist's workstation refuses to confirm the stand-in
	// physician the way only a physician may ("member/"); modified
	// software that writes it anyway is refused on every workstation by
	// the role she writes in (replica's TestConfirmsJudgedByTheRoleAtTheEvent,
	// session 13 review B5). He confirms her.
	if _, err := rep(t, c.recep).Append(ctx, replica.Change{Entity: replica.ConfirmsEntity(c.recep.Fingerprint()),
		Kind: replica.KindConfirms, Scope: roles.Directory, Fields: replica.Fields{"member/" + sp.Fingerprint(): []byte("true")}}); !errors.Is(err, replica.ErrForbidden) {
		t.Fatalf("a receptionist's workstation writes a member/ field: %v; want ErrForbidden", err)
	}
	if err := standInPhys.ConfirmColleague(ctx, c.recep.Fingerprint(), ColleagueCode(sp.Fingerprint(), c.recep.Fingerprint())); err != nil {
		t.Fatal(err)
	}
	mustSync(t, everyone...)

	for _, o := range []*Session{c.recep, c.phys, c.phys2} {
		r := rep(t, o)
		if r.MayGrant(roles.FrontDesk, s.Fingerprint()) || r.Confirmed(roles.FrontDesk, s.Fingerprint()) {
			t.Errorf("%s counts the stand-in receptionist as a confirmed colleague", o.StaffName())
		}
		if r.MayGrant(roles.FrontDesk, sp.Fingerprint()) || r.Confirmed(roles.FrontDesk, sp.Fingerprint()) || r.Confirmed(roles.Clinical, sp.Fingerprint()) {
			t.Errorf("%s counts the stand-in physician a receptionist's member/ field names as confirmed", o.StaffName())
		}
		if k, _ := r.Key(roles.FrontDesk); k.Epoch == planted.Epoch {
			t.Errorf("%s writes new front-desk records with the stand-in's epoch %#x", o.StaffName(), planted.Epoch)
		}
		for _, k := range r.Keys(roles.FrontDesk) { // her grant waits aside, unused
			if k.Epoch == planted.Epoch {
				t.Errorf("%s took the stand-in's planted front-desk epoch %#x", o.StaffName(), planted.Epoch)
			}
		}
	}
	if sp.Holds(roles.Clinical) || sp.Holds(roles.FrontDesk) {
		t.Error("the stand-in physician holds a key of patients' records")
	}
	p, err := c.recep.RegisterPatient(ctx, Patient{Family: "Quill", Given: "Yusuf", Birth: "1971-05-06", Phone: "+44 20 7946 0001"})
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, everyone...)
	for _, k := range s.Keys(roles.FrontDesk) {
		if k.Epoch != planted.Epoch {
			t.Errorf("the stand-in was granted front-desk epoch %#x", k.Epoch)
		}
	}
	if _, err := standIn.Patient(ctx, p.ID); err == nil {
		t.Error("the stand-in reads a patient's demographics")
	}
	if _, _, err := s.Entity(ctx, p.ID); !errors.Is(err, replica.ErrNotFound) {
		t.Errorf("the stand-in holds a patient's record: %v", err)
	}

	// A receptionist met her in person and confirmed her, and she the
	// receptionist: now she works at the front desk.
	code := ColleagueCode(c.recep.Fingerprint(), s.Fingerprint())
	if err := c.recep.ConfirmColleague(ctx, s.Fingerprint(), code); err != nil {
		t.Fatal(err)
	}
	mustSync(t, everyone...)
	if got, err := standIn.Patient(ctx, p.ID); err != nil || got.Given != "Yusuf" {
		t.Errorf("the receptionist confirmed in person does not read the patient: %+v %v", got, err)
	}
	if standIn.AwaitingColleague() {
		t.Error("the confirmed receptionist's screen still says she waits")
	}
	// Her own reckoning includes whoever gave her the key: she retires
	// none of the clinic's epochs.
	if k, _ := rep(t, c.recep).Key(roles.FrontDesk); !s.Holds(roles.FrontDesk) || s.Retired(roles.FrontDesk, k.Epoch) {
		t.Errorf("the newcomer retired the clinic's front-desk epoch %#x", k.Epoch)
	}
}

// TestConfirmColleagueRefuses: wrong codes, oneself, non-physicians.
func TestConfirmColleagueRefuses(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	good := ColleagueCode(c.phys.Fingerprint(), c.phys2.Fingerprint())
	if good != ColleagueCode(c.phys2.Fingerprint(), c.phys.Fingerprint()) {
		t.Fatal("the two screens show different codes")
	}
	wrong := []byte(good)
	if wrong[0] == '9' {
		wrong[0] = '1'
	} else {
		wrong[0]++
	}
	tests := []struct {
		name string
		s    *Session
		fp   string
		code string
		want error
	}{
		{"wrong code", c.phys, c.phys2.Fingerprint(), string(wrong), ErrColleagueCode},
		{"too short", c.phys, c.phys2.Fingerprint(), good[:7], ErrColleagueCode},
		{"oneself", c.phys, c.phys.Fingerprint(), good, ErrInvalidInput},
		{"an administrator", c.phys, c.admin.Fingerprint(), ColleagueCode(c.phys.Fingerprint(), c.admin.Fingerprint()), ErrInvalidInput},
		{"by a receptionist, a wrong code", c.recep, c.phys.Fingerprint(), string(wrong), ErrColleagueCode},
		{"by an administrator", c.admin, c.phys.Fingerprint(), ColleagueCode(c.admin.Fingerprint(), c.phys.Fingerprint()), roles.ErrForbidden},
		{"no such member", c.phys, "00112233445566778899aabbccddeeff00112233", good, ErrInvalidInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.s.ConfirmColleague(ctx, tt.fp, tt.code)
			if !errors.Is(err, tt.want) {
				t.Fatalf("ConfirmColleague: %v, want %v", err, tt.want)
			}
		})
	}
	// Typed with dashes instead of spaces, it is the same code.
	if err := c.phys.ConfirmColleague(ctx, c.phys2.Fingerprint(), "-"+good[:3]+"-"+good[4:]); err != nil {
		t.Fatalf("the code typed with dashes: %v", err)
	}
	list, err := c.phys.Colleagues()
	if err != nil || len(list) != 2 || list[0].Fingerprint != c.phys2.Fingerprint() || !list[0].YouConfirmed ||
		!list[0].ConfirmedYou || !list[0].Confirmed || list[0].Code != good || list[0].For != roles.Clinical {
		t.Errorf("Colleagues: %+v, %v", list, err)
	}
	// Then the receptionists, whose confirmation counts for the front desk.
	if len(list) == 2 && (list[1].Fingerprint != c.recep.Fingerprint() || list[1].For != roles.FrontDesk || !list[1].Confirmed) {
		t.Errorf("Colleagues, the receptionist: %+v", list[1])
	}
	// A receptionist's list: receptionists first (none), then physicians.
	if list, err := c.recep.Colleagues(); err != nil || len(list) != 2 || list[0].Role != roles.Physician || list[0].For != roles.FrontDesk {
		t.Errorf("a receptionist's Colleagues: %+v, %v", list, err)
	}
	if _, err := c.admin.Colleagues(); !errors.Is(err, roles.ErrForbidden) || !strings.Contains(err.Error(), "administrators do not confirm colleagues") {
		t.Errorf("an administrator's Colleagues: %v", err)
	}
}

// TestColleaguesOfAnOlderClinic: physicians who shared the clinical key
// before confirmations existed confirm each other at their first upkeep
// after the upgrade, so nobody starts a new epoch or loses a colleague;
// a physician who never held it is not confirmed that way.
func TestColleaguesOfAnOlderClinic(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	late, err := c.admin.IssueToken(ctx, roles.Physician, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	phys3, err := Redeem(ctx, c.env, Redemption{Dir: filepath.Join(c.dir, "phys3"), Token: late.String(), Name: "Dr Tess Third",
		Passphrase: []byte(testPass)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { phys3.Close() })
	everyone := append(c.all(), phys3)
	mustSync(t, everyone...)
	// Older profiles: no confirmations written, the mark not set. (The
	// clinic above confirmed its two physicians; a third physician shows
	// what an older clinic looks like: Paul's old software granted her.)
	r1, r3 := rep(t, c.phys), rep(t, phys3)
	before := olderSoftwareGranted(t, roles.Clinical, colleaguesMeta, c.phys, phys3, everyone)
	if !r3.Holds(roles.Clinical) {
		t.Fatal("the older software's grant did not reach the third physician")
	}
	if !r1.Confirms(roles.Clinical, c.phys.Fingerprint(), phys3.Fingerprint()) || !r1.Confirms(roles.Clinical, phys3.Fingerprint(), c.phys.Fingerprint()) {
		t.Error("two physicians who shared the key did not confirm each other at the upgrade")
	}
	if after, _ := r1.Key(roles.Clinical); after.Epoch != before.Epoch {
		t.Errorf("the upgrade started a new clinical epoch: %#x -> %#x", before.Epoch, after.Epoch)
	}
	for _, s := range []*Session{c.phys, c.phys2, phys3} {
		if u := rep(t, s).Unconfirmed(roles.Clinical); len(u) != 0 {
			t.Errorf("%s counts %v as unconfirmed after the upgrade", s.StaffName(), u)
		}
	}
	// A physician admitted after the upgrade is not confirmed by it.
	tok, err := c.admin.IssueToken(ctx, roles.Physician, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	phys4, err := Redeem(ctx, c.env, Redemption{Dir: filepath.Join(c.dir, "phys4"), Token: tok.String(), Name: "Dr Fay Fourth",
		Passphrase: []byte(testPass)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { phys4.Close() })
	everyone = append(everyone, phys4)
	mustSync(t, everyone...)
	if rep(t, phys4).Holds(roles.Clinical) || len(rep(t, phys4).ConfirmedBy(roles.Clinical, phys4.Fingerprint())) != 0 {
		t.Error("a physician admitted after the upgrade holds the clinical key without a colleague's confirmation")
	}
	confirmEachOther(t, phys3, phys4)
	mustSync(t, everyone...)
	if !rep(t, phys4).Holds(roles.Clinical) {
		t.Error("confirmed by one physician, the newcomer was not granted the clinical key")
	}
	if !r1.MayGrant(roles.Clinical, phys4.Fingerprint()) {
		t.Error("a colleague of a colleague is not confirmed on the first physician's workstation")
	}
}

// TestDeskColleaguesOfAnOlderClinic: members who shared the front-desk key
// before it needed confirmation confirm each other for the front desk at
// their first upkeep after the upgrade, so nobody starts a new epoch or
// loses a colleague; a receptionist admitted after it is not confirmed
// that way.
func TestDeskColleaguesOfAnOlderClinic(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	rosa := c.join(t, "Rosa Older", roles.Receptionist)
	everyone := append(c.all(), rosa)
	// An older clinic's founders each made a front-desk key of their own
	// (versions before session 12 did at the first upkeep) and granted it
	// to the others: every one of them was granted a key by a colleague.
	for _, s := range []*Session{c.recep, c.phys, c.phys2} {
		if _, err := rep(t, s).NewEpoch(ctx, roles.FrontDesk); err != nil {
			t.Fatal(err)
		}
	}
	mustSync(t, everyone...)
	// An older clinic: the physician's older software granted Rosa the
	// front desk's keys without anyone confirming her.
	r1, rr := rep(t, c.phys), rep(t, rosa)
	before := olderSoftwareGranted(t, roles.FrontDesk, deskColleaguesMeta, c.phys, rosa, everyone)
	if !rr.Holds(roles.FrontDesk) {
		t.Fatal("the older software's grant did not reach the receptionist")
	}
	for _, s := range []*Session{c.recep, c.phys, c.phys2} {
		if !r1.Confirms(roles.FrontDesk, s.Fingerprint(), rosa.Fingerprint()) || !r1.Confirms(roles.FrontDesk, rosa.Fingerprint(), s.Fingerprint()) {
			t.Errorf("%s and the receptionist who shared the key did not confirm each other at the upgrade", s.StaffName())
		}
	}
	if after, _ := r1.Key(roles.FrontDesk); after.Epoch != before.Epoch {
		t.Errorf("the upgrade started a new front-desk epoch: %#x -> %#x", before.Epoch, after.Epoch)
	}
	for _, s := range everyone[1:] {
		if u := rep(t, s).Unconfirmed(roles.FrontDesk); len(u) != 0 {
			t.Errorf("%s counts %v as unconfirmed at the front desk after the upgrade", s.StaffName(), u)
		}
	}
	p, err := rosa.RegisterPatient(ctx, Patient{Family: "Older", Given: "Olive", Birth: "1944-01-02"})
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, everyone...)
	if _, err := c.recep.Patient(ctx, p.ID); err != nil {
		t.Errorf("a colleague does not read the patient the older receptionist registered: %v", err)
	}
	// A receptionist admitted after the upgrade is not confirmed by it.
	late := c.join(t, "Lara Later", roles.Receptionist)
	mustSync(t, append(everyone, late)...)
	if rep(t, late).Holds(roles.FrontDesk) || len(r1.ConfirmedBy(roles.FrontDesk, late.Fingerprint())) != 0 {
		t.Error("a receptionist admitted after the upgrade was confirmed by it")
	}
}

// olderSoftwareGranted makes an older clinic and upgrades it: granter's
// older software granted newcomer every key of scope it holds, her older
// software took them and acknowledged them and every workstation heard;
// then no profile has the mark meta set, as none had before the version
// that sets it, and every workstation syncs (its first upkeep since). It
// returns the newest key of scope granter held before the upgrade.
func olderSoftwareGranted(t *testing.T, scope roles.Scope, meta string, granter, newcomer *Session, everyone []*Session) crypto.ScopeKey {
	t.Helper()
	ctx := context.Background()
	rg, rn := rep(t, granter), rep(t, newcomer)
	for _, k := range rg.Keys(scope) {
		if _, err := rg.Grant(ctx, k, newcomer.Fingerprint()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pull(ctx, newcomer, granter); err != nil {
		t.Fatal(err)
	}
	// Her older software took it. (Today's takes no key from a member it
	// does not reach by confirmations: her older software's taking it is
	// played by her granting it to herself.)
	for _, k := range rg.Keys(scope) {
		if _, err := rn.Grant(ctx, k, newcomer.Fingerprint()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := rn.AcknowledgeKeys(ctx); err != nil {
		t.Fatal(err)
	}
	for _, s := range everyone {
		if s == newcomer {
			continue
		}
		if _, err := pull(ctx, s, newcomer); err != nil {
			t.Fatal(err)
		}
	}
	before, _ := rg.Key(scope)
	for _, s := range everyone {
		err := rep(t, s).DB().Update(ctx, func(tx *store.Tx) error { return tx.DeleteMeta(ctx, meta) })
		if err != nil {
			t.Fatal(err)
		}
	}
	mustSync(t, everyone...)
	return before
}
