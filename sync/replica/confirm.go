package replica

// Confirmed colleagues. An administrator admits members, so the keys of
// most scopes follow her word; the clinical key must not, or an
// administrator could admit a stand-in physician of her own and read every
// chart. A scope that needs confirmation (roles.NeedsConfirmation) goes
// only to members its holders confirmed in person: each physician keeps a
// record "confirms:FINGERPRINT" (written by her alone, rules.go) naming
// "member/FINGERPRINT" for each colleague she met and confirmed.
//
// Whom a workstation counts as confirmed is its own reckoning, from its
// own member outwards: itself, everyone it confirmed, everyone those
// confirmed, and so on; of those, the active members whose role holds the
// scope.
// No administrator, and no physician nobody confirmed, can enter that set
// by writing records. A workstation grants the scope to a confirmed member
// only once she has confirmed a confirmed member in turn, so a newcomer
// holds the key only when her own reckoning already includes the
// colleagues who gave it to her (she never takes their keys for a
// stranger's and retires them, retire.go).

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/medihaven/medihaven/roles"
)

// KindConfirms is a physician's record of the colleagues she confirmed in
// person: a directory record "confirms:FINGERPRINT" whose fields are
// "member/FINGERPRINT". Only that physician writes it.
const KindConfirms = "confirms"

const (
	confirmsEntityPrefix = "confirms:"
	confirmsFieldPrefix  = "member/"
)

// ConfirmsEntity is the id of a physician's confirmations record.
func ConfirmsEntity(fp string) string { return confirmsEntityPrefix + fp }

func confirmedFromState(st State) map[string]bool {
	out := map[string]bool{}
	for name, c := range st {
		if fp, ok := strings.CutPrefix(name, confirmsFieldPrefix); ok && string(c.V) == "true" {
			out[fp] = true
		}
	}
	return out
}

// Confirm records that this member confirmed the colleague with key
// fingerprint fp in person. Confirming twice writes nothing.
func (r *Replica) Confirm(ctx context.Context, fp string) error {
	r.state.RLock()
	done := r.confirms[r.fp][fp]
	r.state.RUnlock()
	if done {
		return nil
	}
	_, err := r.Append(ctx, Change{Entity: ConfirmsEntity(r.fp), Kind: KindConfirms, Scope: roles.Directory,
		Fields: Fields{confirmsFieldPrefix + fp: mustJSON(true)}})
	if err != nil {
		return fmt.Errorf("replica: confirm colleague %s: %w", short(fp), err)
	}
	return nil
}

// ConfirmedBy returns the members who confirmed fp (active or not), sorted.
func (r *Replica) ConfirmedBy(fp string) []string {
	r.state.RLock()
	defer r.state.RUnlock()
	var out []string
	for by, set := range r.confirms {
		if set[fp] {
			out = append(out, by)
		}
	}
	sort.Strings(out)
	return out
}

// Confirms reports whether member by confirmed fp.
func (r *Replica) Confirms(by, fp string) bool {
	r.state.RLock()
	defer r.state.RUnlock()
	return r.confirms[by][fp]
}

// Confirmed reports whether this workstation counts fp as confirmed for
// scope: always for a scope that needs no confirmation, else fp is this
// member or reached from her by confirmations (see the file comment).
func (r *Replica) Confirmed(scope roles.Scope, fp string) bool {
	if !roles.NeedsConfirmation(scope) {
		return true
	}
	r.state.RLock()
	defer r.state.RUnlock()
	return r.confirmedLocked(scope)[fp]
}

// confirmedLocked is this workstation's set of confirmed members of scope
// (under state): the active members of a role holding it that it reaches
// from itself through confirmations. A confirmation stands after its
// writer is revoked or leaves the role, as everything she wrote before
// (revocation does not cascade; what she wrote after it is swept, so
// never counts): a clinic whose senior physician leaves is not split.
func (r *Replica) confirmedLocked(scope roles.Scope) map[string]bool {
	reached := map[string]bool{r.fp: true}
	queue := []string{r.fp}
	for len(queue) > 0 {
		by := queue[0]
		queue = queue[1:]
		for fp := range r.confirms[by] {
			if _, ok := r.members[fp]; ok && !reached[fp] {
				reached[fp] = true
				queue = append(queue, fp)
			}
		}
	}
	in := map[string]bool{r.fp: true}
	for fp := range reached {
		if m := r.members[fp]; m.Active() && m.Role.Holds(scope) {
			in[fp] = true
		}
	}
	return in
}

// MayGrant reports whether this workstation gives fp keys of scope: she is
// an active member whose role holds it and, where scope needs confirmation,
// is confirmed here and confirmed a confirmed colleague herself.
func (r *Replica) MayGrant(scope roles.Scope, fp string) bool {
	r.state.RLock()
	defer r.state.RUnlock()
	m, ok := r.members[fp]
	if !ok || !m.Active() || !m.Role.Holds(scope) {
		return false
	}
	if !roles.NeedsConfirmation(scope) {
		return true
	}
	in := r.confirmedLocked(scope)
	if !in[fp] {
		return false
	}
	for other := range r.confirms[fp] {
		if other != fp && in[other] {
			return true
		}
	}
	return false
}

// Unconfirmed returns the active members whose role holds scope that this
// workstation does not count as confirmed, by fingerprint (for a scope that
// needs no confirmation, none).
func (r *Replica) Unconfirmed(scope roles.Scope) []string {
	if !roles.NeedsConfirmation(scope) {
		return nil
	}
	r.state.RLock()
	defer r.state.RUnlock()
	in := r.confirmedLocked(scope)
	var out []string
	for fp, m := range r.members {
		if m.Active() && m.Role.Holds(scope) && !in[fp] {
			out = append(out, fp)
		}
	}
	slices.Sort(out)
	return out
}
