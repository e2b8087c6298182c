package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
)

// Colleagues' confirmations. An administrator admits physicians and
// receptionists, but the keys patients' data is sealed with go to a
// newcomer only once a colleague who holds them and the newcomer have
// confirmed each other in person: both open Colleagues, compare the code
// shown beside the other's name and press Confirm (replica/confirm.go says
// who counts as confirmed, and for which key). So an administrator who
// admits a stand-in of her own reads no chart and no patient's details.

// ErrColleagueCode is returned when the code typed is not the code both
// screens show for the two colleagues.
var ErrColleagueCode = errors.New("app: the code does not match")

// Colleague is another physician or receptionist as this member's
// workstation sees her.
type Colleague struct {
	Name        string
	Fingerprint string
	Role        roles.Role
	// For is the widest key this pair's confirmation counts for: the
	// clinical key (and with it the front desk's) between two physicians,
	// else the front desk's.
	For roles.Scope
	// Code is what both screens show for this pair of colleagues: the
	// two compare it before either presses Confirm.
	Code string
	// YouConfirmed: this member confirmed her (for For). ConfirmedYou: she
	// confirmed this member. Confirmed: this workstation counts her as
	// confirmed for For (by this member, or by someone this member trusts).
	YouConfirmed, ConfirmedYou, Confirmed bool
}

// ColleagueCode is the code two members' screens show for each other: the
// same on both, whoever looks, bound to both keys. Twelve digits (~40
// bits), so nobody can make a key whose code matches a colleague's.
func ColleagueCode(a, b string) string {
	if b < a {
		a, b = b, a
	}
	sum := sha256.Sum256([]byte("medihaven/colleague/v1\n" + a + "\n" + b))
	n := binary.BigEndian.Uint64(sum[:8]) % 1_000_000_000_000
	return fmt.Sprintf("%03d %03d %03d %03d", n/1_000_000_000, n/1_000_000%1000, n/1000%1000, n%1000)
}

// sameDigits compares two codes as people type them (spaces, dashes): the
// same n digits.
func sameDigits(a, b string, n int) bool {
	digits := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, s)
	}
	return len(digits(a)) == n && hmac.Equal([]byte(digits(a)), []byte(digits(b)))
}

// confirmer returns the replica when this member is an active physician
// or receptionist in the directory (not only at login: an administrator
// may have changed it).
func (s *Session) confirmer() (*replica.Replica, error) {
	r, err := s.live()
	if err != nil {
		return nil, err
	}
	m, ok := r.Member(r.Fingerprint())
	switch {
	case !ok:
		return nil, fmt.Errorf("%w: an administrator admits you first", ErrNotAdmitted)
	case !m.Active():
		return nil, fmt.Errorf("%w: speak to your clinic's administrator", ErrRevoked)
	case !m.Role.Holds(roles.FrontDesk):
		return nil, fmt.Errorf("%w: administrators do not confirm colleagues; physicians and receptionists confirm each other", roles.ErrForbidden)
	case !r.Holds(roles.Directory):
		return nil, fmt.Errorf("%w %s yet: a colleague who holds it grants it when their workstation next syncs", replica.ErrNoKey, roles.Directory)
	}
	return r, nil
}

// confirmsFor is the widest key a confirmation between members of roles
// a and b counts for.
func confirmsFor(a, b roles.Role) roles.Scope {
	if a.Holds(roles.Clinical) && b.Holds(roles.Clinical) {
		return roles.Clinical
	}
	return roles.FrontDesk
}

// Colleagues lists the clinic's other active physicians and receptionists
// (those of this member's role first) with the code to compare and who
// confirmed whom, by name.
func (s *Session) Colleagues() ([]Colleague, error) {
	r, err := s.confirmer()
	if err != nil {
		return nil, err
	}
	me := r.Fingerprint()
	mine, _ := r.Member(me)
	var same, other []Colleague
	for _, m := range r.Members() {
		if m.Fingerprint == me || !m.Active() || !m.Role.Holds(roles.FrontDesk) {
			continue
		}
		scope := confirmsFor(mine.Role, m.Role)
		c := Colleague{Name: roles.VisibleName(m.Name), Fingerprint: m.Fingerprint, Role: m.Role, For: scope, Code: ColleagueCode(me, m.Fingerprint),
			YouConfirmed: r.Confirms(scope, me, m.Fingerprint), ConfirmedYou: r.Confirms(scope, m.Fingerprint, me),
			Confirmed: r.Confirmed(scope, m.Fingerprint)}
		if m.Role == mine.Role {
			same = append(same, c)
		} else {
			other = append(other, c)
		}
	}
	return append(same, other...), nil
}

// ConfirmColleague records that this member met the physician or
// receptionist with key fingerprint fp and compared code with her: the
// keys pass between them once both have confirmed each other (the grant
// follows here at once, and on other workstations at their next upkeep).
func (s *Session) ConfirmColleague(ctx context.Context, fp, code string) error {
	r, err := s.confirmer()
	if err != nil {
		return err
	}
	m, ok := r.Member(fp)
	switch {
	case fp == r.Fingerprint():
		return fmt.Errorf("%w: you cannot confirm yourself; a colleague confirms you", ErrInvalidInput)
	case !ok || !m.Active() || !m.Role.Holds(roles.FrontDesk):
		return fmt.Errorf("%w: no active physician or receptionist with key %s", ErrInvalidInput, short(fp))
	case !sameDigits(code, ColleagueCode(r.Fingerprint(), fp), 12):
		return fmt.Errorf("%w: compare the twelve digits beside each other's name again; if they differ, do not confirm and tell your administrator", ErrColleagueCode)
	}
	// The code is ~40 bits: a key could be ground (at great cost) to show
	// a colleague's code. Two colleagues showing the same code cannot be
	// told apart by it, so neither is confirmed.
	for _, other := range r.Members() {
		if other.Fingerprint != fp && other.Fingerprint != r.Fingerprint() && other.Active() &&
			ColleagueCode(r.Fingerprint(), other.Fingerprint) == ColleagueCode(r.Fingerprint(), fp) {
			return fmt.Errorf("%w: %s shows the same code as %s, which no two honest keys do: do not confirm either, and tell your administrator",
				ErrColleagueCode, roles.VisibleName(other.Name), roles.VisibleName(m.Name))
		}
	}
	if err := r.Confirm(ctx, fp); err != nil {
		return err
	}
	if _, err := s.Maintain(ctx); err != nil {
		return fmt.Errorf("app: confirmed %s; the key goes at the next sync: %w", roles.VisibleName(m.Name), err)
	}
	return nil
}

// ConfirmEachOther has two members whose workstations run in this one
// process confirm each other as if they had compared codes in person: the
// demo clinic, tests and benchmarks, whose staff nobody meets.
func ConfirmEachOther(ctx context.Context, a, b *Session) error {
	code := ColleagueCode(a.Fingerprint(), b.Fingerprint())
	if err := a.ConfirmColleague(ctx, b.Fingerprint(), code); err != nil {
		return fmt.Errorf("app: %s confirms %s: %w", a.StaffName(), b.StaffName(), err)
	}
	if err := b.ConfirmColleague(ctx, a.Fingerprint(), code); err != nil {
		return fmt.Errorf("app: %s confirms %s: %w", b.StaffName(), a.StaffName(), err)
	}
	return nil
}

// AwaitingColleague reports whether this member waits for a colleague's
// confirmation: a key her role holds that needs one (the clinical key,
// the front desk's) is held by other members, and not by this
// workstation.
func (s *Session) AwaitingColleague() bool {
	r, err := s.confirmer()
	if err != nil {
		return false
	}
	mine, _ := r.Member(r.Fingerprint())
	for _, scope := range mine.Role.Scopes() {
		if !roles.NeedsConfirmation(scope) || r.Holds(scope) {
			continue
		}
		for _, m := range r.Members() {
			if m.Fingerprint != r.Fingerprint() && m.Active() && m.Role.Holds(scope) {
				return true
			}
		}
	}
	return false
}

// colleaguesMeta marks a profile whose physician's confirmations are set:
// written at the first upkeep of every profile. A profile that held the
// clinical key before confirmations existed confirms, that once, every
// colleague who acknowledged holding it or was granted it from here (they
// were trusted with it then); a profile new since confirms nobody on its
// own. deskColleaguesMeta is the same for the front-desk key, which
// needs confirmation since a later version: a profile that held it then
// confirms, for the front desk, every active holder it shared it with.
const (
	colleaguesMeta     = "colleagues-confirmed"
	deskColleaguesMeta = "desk-colleagues-confirmed"
)

// confirmFormerColleagues confirms, once per key that needs confirmation,
// the colleagues this profile shared the key with before it did, and
// carries over the confirmations an older version wrote (a bare key) in
// the form that names the colleague's admission (replica.CarryConfirmations;
// a write of the new form would carry them first anyway); it returns how
// many confirmations it wrote.
func (s *Session) confirmFormerColleagues(ctx context.Context, r *replica.Replica, role roles.Role) (int, error) {
	n := 0
	if role.Holds(roles.FrontDesk) {
		carried, err := r.CarryConfirmations(ctx)
		if err != nil {
			return 0, fmt.Errorf("app: carry your confirmations of colleagues over: %w", err)
		}
		n += carried
	}
	for _, pass := range []struct {
		meta    string
		scope   roles.Scope
		confirm func(context.Context, string) error
	}{
		{colleaguesMeta, roles.Clinical, r.Confirm},
		{deskColleaguesMeta, roles.FrontDesk, r.ConfirmDesk},
	} {
		wrote, err := s.confirmFormerHolders(ctx, r, role, pass.meta, pass.scope, pass.confirm)
		n += wrote
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// confirmFormerHolders is one pass of confirmFormerColleagues: unless meta
// is set, confirm every active member of a role holding scope to whom this
// workstation granted a key of it, who granted this workstation the very
// key it holds (replica.GaveKeys), or whom a colleague of those two kinds
// or one it reaches by confirmations granted it, and set meta. A member's own
// claim to hold a key counts for nothing here (session 11 review, finding
// 5): a stand-in admitted before a profile's late upgrade (or its restore
// from an older backup) could write one naming any epoch.
func (s *Session) confirmFormerHolders(ctx context.Context, r *replica.Replica, role roles.Role, meta string, scope roles.Scope,
	confirm func(context.Context, string) error) (int, error) {
	var done bool
	err := r.DB().View(ctx, func(tx *store.Tx) error {
		_, err := tx.Meta(ctx, meta)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		done = err == nil
		return err
	})
	if err != nil || done {
		return 0, err
	}
	n := 0
	if role.Holds(scope) && r.Holds(scope) {
		keys := r.Keys(scope)
		gave, err := r.GaveKeys(ctx, scope)
		if err != nil {
			return 0, err
		}
		reached := r.Reaches(scope, r.Fingerprint())
		for _, m := range r.Members() {
			if m.Fingerprint == r.Fingerprint() || !m.Active() || !m.Role.Holds(scope) || r.Confirms(scope, r.Fingerprint(), m.Fingerprint) {
				continue
			}
			trusted := gave[m.Fingerprint]
			for _, k := range keys {
				trusted = trusted || r.GrantedHere(m.Fingerprint, scope, k.Epoch)
			}
			if !trusted { // a colleague trusted here granted her the key
				by, err := r.GrantAuthors(ctx, m.Fingerprint, scope)
				if err != nil {
					return n, err
				}
				for a := range by {
					trusted = trusted || gave[a] || reached[a]
				}
			}
			if trusted {
				if err := confirm(ctx, m.Fingerprint); err != nil {
					return n, err
				}
				n++
			}
		}
	}
	return n, r.DB().Update(ctx, func(tx *store.Tx) error {
		return tx.SetMeta(ctx, meta, []byte("1"))
	})
}
