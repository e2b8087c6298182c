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

// Colleagues' confirmations. An administrator admits physicians, but the
// clinical key goes to a new physician only once a physician who holds it
// and the newcomer have confirmed each other in person: both open
// Colleagues, compare the code shown beside the other's name and press
// Confirm (replica/confirm.go says who counts as confirmed). So an
// administrator who admits a stand-in of her own still reads no chart.

// ErrColleagueCode is returned when the code typed is not the code both
// screens show for the two colleagues.
var ErrColleagueCode = errors.New("app: the code does not match")

// Colleague is another physician as this physician's workstation sees her.
type Colleague struct {
	Name        string
	Fingerprint string
	// Code is what both screens show for this pair of colleagues: the
	// two compare it before either presses Confirm.
	Code string
	// YouConfirmed: this physician confirmed her. ConfirmedYou: she
	// confirmed this physician. Confirmed: this workstation counts her as
	// confirmed (by this physician, or by someone this physician trusts).
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

// physician returns the replica when this member is an active physician in
// the directory (not only at login: an administrator may have changed it).
func (s *Session) physician() (*replica.Replica, error) {
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
	case !m.Role.Holds(roles.Clinical):
		return nil, fmt.Errorf("%w: only physicians confirm colleagues", roles.ErrForbidden)
	case !r.Holds(roles.Directory):
		return nil, fmt.Errorf("%w %s yet: a colleague who holds it grants it when their workstation next syncs", replica.ErrNoKey, roles.Directory)
	}
	return r, nil
}

// Colleagues lists the clinic's other active physicians with the code to
// compare and who confirmed whom, by name.
func (s *Session) Colleagues() ([]Colleague, error) {
	r, err := s.physician()
	if err != nil {
		return nil, err
	}
	me := r.Fingerprint()
	var out []Colleague
	for _, m := range r.Members() {
		if m.Fingerprint == me || !m.Active() || !m.Role.Holds(roles.Clinical) {
			continue
		}
		out = append(out, Colleague{Name: m.Name, Fingerprint: m.Fingerprint, Code: ColleagueCode(me, m.Fingerprint),
			YouConfirmed: r.Confirms(me, m.Fingerprint), ConfirmedYou: r.Confirms(m.Fingerprint, me),
			Confirmed: r.Confirmed(roles.Clinical, m.Fingerprint)})
	}
	return out, nil
}

// ConfirmColleague records that this physician met the physician with key
// fingerprint fp and compared code with her: the clinical key passes
// between them once both have confirmed each other (the grant follows
// here at once, and on other workstations at their next upkeep).
func (s *Session) ConfirmColleague(ctx context.Context, fp, code string) error {
	r, err := s.physician()
	if err != nil {
		return err
	}
	m, ok := r.Member(fp)
	switch {
	case fp == r.Fingerprint():
		return fmt.Errorf("%w: you cannot confirm yourself; a colleague confirms you", ErrInvalidInput)
	case !ok || !m.Active() || !m.Role.Holds(roles.Clinical):
		return fmt.Errorf("%w: no active physician with key %s", ErrInvalidInput, short(fp))
	case !sameDigits(code, ColleagueCode(r.Fingerprint(), fp), 12):
		return fmt.Errorf("%w: compare the twelve digits beside each other's name again; if they differ, do not confirm and tell your administrator", ErrColleagueCode)
	}
	if err := r.Confirm(ctx, fp); err != nil {
		return err
	}
	if _, err := s.Maintain(ctx); err != nil {
		return fmt.Errorf("app: confirmed %s; the key goes at the next sync: %w", m.Name, err)
	}
	return nil
}

// AwaitingColleague reports whether this physician waits for a colleague's
// confirmation: the clinic has clinical records or other physicians, and
// this workstation holds no clinical key.
func (s *Session) AwaitingColleague() bool {
	r, err := s.physician()
	if err != nil || r.Holds(roles.Clinical) {
		return false
	}
	for _, m := range r.Members() {
		if m.Fingerprint != r.Fingerprint() && m.Active() && m.Role.Holds(roles.Clinical) {
			return true
		}
	}
	return false
}

// colleaguesMeta marks a profile whose physician's confirmations are set:
// written at the first upkeep of every profile. A profile that held the
// clinical key before confirmations existed confirms, that once, every
// colleague who acknowledged holding it or was granted it from here (they
// were trusted with it then);
// a profile new since confirms nobody on its own.
const colleaguesMeta = "colleagues-confirmed"

func (s *Session) confirmFormerColleagues(ctx context.Context, r *replica.Replica, role roles.Role) (int, error) {
	var done bool
	err := r.DB().View(ctx, func(tx *store.Tx) error {
		_, err := tx.Meta(ctx, colleaguesMeta)
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
	if role.Holds(roles.Clinical) && r.Holds(roles.Clinical) {
		keys := r.Keys(roles.Clinical)
		for _, m := range r.Members() {
			if m.Fingerprint == r.Fingerprint() || !m.Active() || !m.Role.Holds(roles.Clinical) {
				continue
			}
			for _, k := range keys {
				if r.Granted(m.Fingerprint, roles.Clinical, k.Epoch) { // she acknowledged it, or this workstation granted it
					if err := r.Confirm(ctx, m.Fingerprint); err != nil {
						return n, err
					}
					n++
					break
				}
			}
		}
	}
	return n, r.DB().Update(ctx, func(tx *store.Tx) error {
		return tx.SetMeta(ctx, colleaguesMeta, []byte("1"))
	})
}
