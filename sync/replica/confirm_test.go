package replica

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// TestConfirmationsRules: who may write a confirmations record, judged on
// every workstation that applies it.
func TestConfirmationsRules(t *testing.T) {
	c := newClinic(t)
	tests := []struct {
		name   string
		by     *station
		entity string
		field  string
		want   store.EnvelopeState
	}{
		{"a physician, her own record", c.sPh2, ConfirmsEntity(c.phys2.fp()), "member/", store.Applied},
		{"a physician, her own record, for the front desk", c.sPh2, ConfirmsEntity(c.phys2.fp()), "desk/", store.Applied},
		{"a physician, a colleague's record", c.sPh2, ConfirmsEntity(c.phys.fp()), "member/", store.Rejected},
		{"a physician, any other id", c.sPh2, "confirms-not", "member/", store.Rejected},
		{"a receptionist, her own record", c.sRecep, ConfirmsEntity(c.recep.fp()), "desk/", store.Applied},
		{"a receptionist, a physician's record", c.sRecep, ConfirmsEntity(c.phys.fp()), "desk/", store.Rejected},
		{"an administrator, a physician's record", c.sAdmin, ConfirmsEntity(c.phys.fp()), "member/", store.Rejected},
		{"an administrator, her own record", c.sAdmin, ConfirmsEntity(c.admin.fp()), "desk/", store.Rejected},
		{"an unknown field", c.sPh2, ConfirmsEntity(c.phys2.fp()), "friend/", store.Rejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := tt.by.forge(forged{Entity: tt.entity, Kind: KindConfirms, Scope: string(roles.Directory),
				Fields: fields(t, map[string]any{tt.field + c.admin.fp(): true})})
			c.sPhys.apply(env.Raw)
			if st, reason := c.sPhys.state(env.Header.ID); st != tt.want {
				t.Errorf("%s (%s), want %s", st, reason, tt.want)
			}
		})
	}
	// Another kind may not take a physician's confirmations id.
	env := c.sPh2.forge(forged{Entity: ConfirmsEntity(c.phys2.fp()) + "x", Kind: KindKeyHeld, Scope: string(roles.Directory),
		Fields: fields(t, map[string]any{"clinical/1": true})})
	c.sPhys.apply(env.Raw)
	if st, _ := c.sPhys.state(env.Header.ID); st != store.Rejected {
		t.Errorf("a key-held record under a confirmations id: %s, want rejected", st)
	}
}

// TestConfirmedReckoning: each workstation counts as confirmed itself and
// whom confirmed colleagues confirmed, among active physicians; a grant
// needs the newcomer's own confirmation of a confirmed colleague.
func TestConfirmedReckoning(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	p3, s3 := c.admitted(t, "Tom Third", roles.Physician)
	p4, s4 := c.admitted(t, "Una Fourth", roles.Physician)
	all := append(c.stations(), s3, s4)
	exchange(t, all...)
	r1 := c.sPhys.r
	check := func(step string, fp string, confirmed, grant bool) {
		t.Helper()
		if got := r1.Confirmed(roles.Clinical, fp); got != confirmed {
			t.Errorf("%s: confirmed %v, want %v", step, got, confirmed)
		}
		if got := r1.MayGrant(roles.Clinical, fp); got != grant {
			t.Errorf("%s: may grant %v, want %v", step, got, grant)
		}
	}
	check("admitted only", p3.fp(), false, false)
	if r1.MayGrant(roles.FrontDesk, p3.fp()) {
		t.Error("the front-desk key goes to a physician nobody confirmed")
	}
	// The third physician confirms the first: one way, nothing.
	if err := s3.r.Confirm(ctx, c.phys.fp()); err != nil {
		t.Fatal(err)
	}
	exchange(t, all...)
	check("she confirmed him", p3.fp(), false, false)
	// The second physician (confirmed by the first) confirms her: now
	// confirmed here, and she confirmed a confirmed colleague.
	if err := c.sPh2.r.Confirm(ctx, p3.fp()); err != nil {
		t.Fatal(err)
	}
	exchange(t, all...)
	check("a colleague confirmed her", p3.fp(), true, true)
	// The fourth: confirmed by the third, no confirmation of her own.
	if err := s3.r.Confirm(ctx, p4.fp()); err != nil {
		t.Fatal(err)
	}
	exchange(t, all...)
	check("confirmed, confirms nobody", p4.fp(), true, false)
	// The second physician is revoked: what she confirmed before stands
	// (revocation does not cascade), so the clinic is not split; she is
	// no longer confirmed herself, and what she confirms after her
	// revocation counts for nothing.
	c.revoke(c.phys2)
	exchange(t, all...)
	check("her confirmer revoked", p3.fp(), true, true)
	check("two steps from a revoked confirmer", p4.fp(), true, false)
	check("revoked", c.phys2.fp(), false, false)
	p5, s5 := c.admitted(t, "Val Fifth", roles.Physician)
	all = append(all, s5)
	exchange(t, all...)
	c.sPh2.forge(forged{Entity: ConfirmsEntity(c.phys2.fp()), Kind: KindConfirms, Scope: string(roles.Directory),
		Fields: fields(t, map[string]any{"member/" + p5.fp(): true})})
	exchange(t, all...)
	check("confirmed by a revoked physician after her revocation", p5.fp(), false, false)
	if u := r1.Unconfirmed(roles.Clinical); len(u) != 1 || u[0] != p5.fp() {
		t.Errorf("unconfirmed %v, want the fifth", u)
	}
	if by := r1.ConfirmedBy(roles.Clinical, p3.fp()); len(by) != 1 || by[0] != c.phys2.fp() {
		t.Errorf("ConfirmedBy %v", by)
	}
}

// TestStrangersClaimsRetireNothing: a physician nobody confirmed may name
// any epoch in her key-held record or in a grant she writes; that makes no
// workstation retire a key (she would make them start new epochs at will:
// session 11 review, finding 4). An epoch of her own making, granted to a
// colleague, waits aside there, unused (keysource.go); a grant of the
// clinic's key addressed to her by a confirmed colleague does retire it.
func TestStrangersClaimsRetireNothing(t *testing.T) {
	ctx := context.Background()
	c, s3, all := clinicWithStranger(t)
	k, _ := c.sPhys.r.Key(roles.Clinical)
	s3.forge(forged{Entity: HeldEntity(s3.p.fp()), Kind: KindKeyHeld, Scope: string(roles.Directory),
		Fields: fields(t, map[string]any{heldField(string(roles.Clinical), k.Epoch): true})})
	exchange(t, all...)
	fresh, err := c.sPhys.r.RetireExposed(ctx, roles.Clinical)
	if err != nil || !fresh || c.sPhys.r.Retired(roles.Clinical, k.Epoch) {
		t.Fatalf("a stranger's claim retired %#x (fresh %v, %v)", k.Epoch, fresh, err)
	}
	// Her own epoch, granted to him, and a made-up key under the clinic's
	// epoch, granted to his colleague: neither is taken, nothing retires.
	mine, err := s3.r.NewEpoch(ctx, roles.Clinical)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s3.r.Grant(ctx, mine, c.phys.fp()); err != nil {
		t.Fatal(err)
	}
	fake := s3.grantMadeUp(roles.Clinical, k.Epoch, c.phys2)
	exchange(t, all...)
	for _, s := range []*station{c.sPhys, c.sPh2} {
		fresh, err := s.r.RetireExposed(ctx, roles.Clinical)
		if err != nil || !fresh || s.r.Retired(roles.Clinical, k.Epoch) {
			t.Errorf("%s: a stranger's grant header retired %#x (fresh %v, %v)", s.p.name, k.Epoch, fresh, err)
		}
		for _, held := range s.r.Keys(roles.Clinical) {
			if held.Epoch == mine.Epoch || held.Secret == fake.Secret {
				t.Errorf("%s took the stranger's key of epoch %#x", s.p.name, held.Epoch)
			}
		}
		if now, _ := s.r.Key(roles.Clinical); now.Epoch != k.Epoch {
			t.Errorf("%s writes with %#x, want the clinic's %#x", s.p.name, now.Epoch, k.Epoch)
		}
	}
	// A confirmed colleague's grant of the clinic's key to her: she knows
	// it now, so it retires.
	if _, err := c.sPhys.r.Grant(ctx, k, s3.p.fp()); err != nil {
		t.Fatal(err)
	}
	exchange(t, all...)
	if fresh, err := c.sPh2.r.RetireExposed(ctx, roles.Clinical); err != nil || fresh || !c.sPh2.r.Retired(roles.Clinical, k.Epoch) {
		t.Errorf("the clinic's key granted to a stranger is not retired (fresh %v, %v)", fresh, err)
	}
}

// TestDeskConfirmedReckoning: the front desk's reckoning follows "member/"
// and "desk/" confirmations, the clinical one "member/" only; a
// "member/" field or a recovery approval counts only from a physician.
func TestDeskConfirmedReckoning(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	r2, s2 := c.admitted(t, "Rosa Second", roles.Receptionist)
	r3, s3 := c.admitted(t, "Rhea Third", roles.Receptionist)
	p5, s5 := c.admitted(t, "Sly Stand-in", roles.Physician)
	all := append(c.stations(), s2, s3, s5)
	exchange(t, all...)
	r1 := c.sPhys.r
	type want struct {
		scope           roles.Scope
		fp              string
		confirmed, give bool
	}
	check := func(step string, wants ...want) {
		t.Helper()
		for _, w := range wants {
			if got := r1.Confirmed(w.scope, w.fp); got != w.confirmed {
				t.Errorf("%s: %s %s confirmed %v, want %v", step, w.scope, short(w.fp), got, w.confirmed)
			}
			if got := r1.MayGrant(w.scope, w.fp); got != w.give {
				t.Errorf("%s: %s %s may grant %v, want %v", step, w.scope, short(w.fp), got, w.give)
			}
		}
	}
	check("the clinic as it began",
		want{roles.FrontDesk, c.recep.fp(), true, true}, want{roles.FrontDesk, c.phys2.fp(), true, true},
		want{roles.Clinical, c.phys2.fp(), true, true}, want{roles.Clinical, c.recep.fp(), false, false},
		want{roles.FrontDesk, r2.fp(), false, false})
	if c.sRecep.r.Confirms(roles.Clinical, c.recep.fp(), c.phys.fp()) || !c.sRecep.r.Confirms(roles.FrontDesk, c.recep.fp(), c.phys.fp()) {
		t.Error("a receptionist's confirmation of a physician counts for other than the front desk")
	}
	// A receptionist confirmed by a confirmed receptionist, both ways.
	confirmEachOther(t, c.sRecep, s2)
	exchange(t, all...)
	check("confirmed by the front desk", want{roles.FrontDesk, r2.fp(), true, true}, want{roles.Clinical, r2.fp(), false, false})
	// The third: a physician confirmed her for the front desk, and she him;
	// then an administrator makes her a physician. Desk confirmations are
	// not followed for the clinical key.
	confirmEachOther(t, c.sPhys, s3)
	exchange(t, all...)
	check("a desk-confirmed receptionist", want{roles.FrontDesk, r3.fp(), true, true})
	// (A recorded change, as ChangeRole writes it: a role written without
	// one may have gone out of the front desk and back, so it voids her
	// desk confirmations: entered.go.)
	honestChange(t, c.sAdmin, r3, 1, roles.Physician)
	exchange(t, all...)
	check("the administrator made her a physician",
		want{roles.FrontDesk, r3.fp(), true, true}, want{roles.Clinical, r3.fp(), false, false})
	// A physician the front desk alone confirmed: the front desk's key,
	// never the clinical key.
	confirmEachOther(t, c.sRecep, s5)
	exchange(t, all...)
	check("a physician the front desk confirmed",
		want{roles.FrontDesk, p5.fp(), true, true}, want{roles.Clinical, p5.fp(), false, false})
	// A receptionist's software writes what only counts from a physician:
	// it counts for nothing, for either key, and her own workstation
	// refuses to write it.
	p6, s6 := c.admitted(t, "Sid Stand-in", roles.Physician)
	all = append(all, s6)
	exchange(t, all...)
	split := strings.Repeat("ab", 16)
	s2.forge(forged{Entity: ConfirmsEntity(r2.fp()), Kind: KindConfirms, Scope: string(roles.Directory),
		Fields: fields(t, map[string]any{"member/" + p6.fp(): true, approvesFieldPrefix + split: true})})
	s6.forge(forged{Entity: ConfirmsEntity(p6.fp()), Kind: KindConfirms, Scope: string(roles.Directory),
		Fields: fields(t, map[string]any{"member/" + r2.fp(): true})})
	exchange(t, all...)
	check("a receptionist's member/ field",
		want{roles.FrontDesk, p6.fp(), false, false}, want{roles.Clinical, p6.fp(), false, false})
	if by := r1.RecoveryApprovedBy(roles.FrontDesk, split); len(by) != 0 {
		t.Errorf("a receptionist's approval of a recovery split counts: %v", by)
	}
	if err := s2.r.ApproveRecovery(ctx, split); !errors.Is(err, ErrForbidden) {
		t.Errorf("a receptionist approves a recovery split: %v, want ErrForbidden", err)
	}
	if u := r1.Unconfirmed(roles.FrontDesk); !slices.Equal(u, []string{p6.fp()}) {
		t.Errorf("unconfirmed at the front desk: %v, want the second stand-in", u)
	}
}
