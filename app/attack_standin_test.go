package app

import (
	"context"
	"errors"
	"path/filepath"
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
	grantTo(t, s, planted, c.phys, c.phys2)
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

	// The same for a receptionist an administrator makes a physician.
	if err := c.admin.ChangeRole(ctx, c.recep.Fingerprint(), roles.Physician); err != nil {
		t.Fatal(err)
	}
	mustSync(t, everyone...)
	if rep(t, c.recep).Holds(roles.Clinical) {
		t.Error("a receptionist made a physician by the administrator alone holds the clinical key")
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
		{"a receptionist", c.phys, c.recep.Fingerprint(), ColleagueCode(c.phys.Fingerprint(), c.recep.Fingerprint()), ErrInvalidInput},
		{"by a receptionist", c.recep, c.phys.Fingerprint(), ColleagueCode(c.recep.Fingerprint(), c.phys.Fingerprint()), roles.ErrForbidden},
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
	if err != nil || len(list) != 1 || list[0].Fingerprint != c.phys2.Fingerprint() || !list[0].YouConfirmed ||
		!list[0].ConfirmedYou || !list[0].Confirmed || list[0].Code != good {
		t.Errorf("Colleagues: %+v, %v", list, err)
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
	for _, k := range r1.Keys(roles.Clinical) {
		if _, err := r1.Grant(ctx, k, phys3.Fingerprint()); err != nil {
			t.Fatal(err)
		}
	}
	// Her older software took it and acknowledged it, and everyone heard.
	// (Today's takes no key from a physician it does not reach by
	// confirmations: her older software's taking it is played by her
	// granting it to herself.)
	if _, err := pull(ctx, phys3, c.phys); err != nil {
		t.Fatal(err)
	}
	for _, k := range r1.Keys(roles.Clinical) {
		if _, err := r3.Grant(ctx, k, phys3.Fingerprint()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r3.AcknowledgeKeys(ctx); err != nil {
		t.Fatal(err)
	}
	for _, s := range everyone[:4] {
		if _, err := pull(ctx, s, phys3); err != nil {
			t.Fatal(err)
		}
	}
	before, _ := r1.Key(roles.Clinical)
	for _, s := range everyone {
		err := rep(t, s).DB().Update(ctx, func(tx *store.Tx) error { return tx.DeleteMeta(ctx, colleaguesMeta) })
		if err != nil {
			t.Fatal(err)
		}
	}
	mustSync(t, everyone...)
	if !r3.Holds(roles.Clinical) {
		t.Fatal("the older software's grant did not reach the third physician")
	}
	if !r1.Confirms(c.phys.Fingerprint(), phys3.Fingerprint()) || !r1.Confirms(phys3.Fingerprint(), c.phys.Fingerprint()) {
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
	if rep(t, phys4).Holds(roles.Clinical) || len(rep(t, phys4).ConfirmedBy(phys4.Fingerprint())) != 0 {
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
