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
	confirmsFieldPrefix  = "member/"   // a colleague confirmed
	approvesFieldPrefix  = "recovery/" // a recovery split approved for the scope's shares
)

// ConfirmsEntity is the id of a physician's confirmations record.
func ConfirmsEntity(fp string) string { return confirmsEntityPrefix + fp }

// confirmedFromState is what a confirmations record says: its field
// names ("member/FINGERPRINT", "recovery/SPLIT") that are set.
func confirmedFromState(st State) map[string]bool {
	out := map[string]bool{}
	for name, c := range st {
		if string(c.V) == "true" {
			out[name] = true
		}
	}
	return out
}

// Confirm records that this member confirmed the colleague with key
// fingerprint fp in person. Confirming twice writes nothing.
func (r *Replica) Confirm(ctx context.Context, fp string) error {
	return r.writeConfirms(ctx, confirmsFieldPrefix+fp, "confirm colleague "+short(fp))
}

// ApproveRecovery records that this physician approved recovery split id
// to hold shares of the keys of the scopes that need confirmation (the
// clinical key): she knows its administrators (app/recovery escrows those
// keys only to a split a confirmed physician approved).
func (r *Replica) ApproveRecovery(ctx context.Context, id string) error {
	return r.writeConfirms(ctx, approvesFieldPrefix+id, "approve recovery split "+short(id))
}

func (r *Replica) writeConfirms(ctx context.Context, field, what string) error {
	r.state.RLock()
	done := r.confirms[r.fp][field]
	r.state.RUnlock()
	if done {
		return nil
	}
	_, err := r.Append(ctx, Change{Entity: ConfirmsEntity(r.fp), Kind: KindConfirms, Scope: roles.Directory,
		Fields: Fields{field: mustJSON(true)}})
	if err != nil {
		return fmt.Errorf("replica: %s: %w", what, err)
	}
	return nil
}

// ConfirmedBy returns the members who confirmed fp (active or not), sorted.
func (r *Replica) ConfirmedBy(fp string) []string {
	return r.whoWrote(confirmsFieldPrefix + fp)
}

// whoWrote returns the members whose confirmations record names field.
func (r *Replica) whoWrote(field string) []string {
	r.state.RLock()
	defer r.state.RUnlock()
	var out []string
	for by, set := range r.confirms {
		if set[field] {
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
	return r.confirms[by][confirmsFieldPrefix+fp]
}

// RecoveryApprovals returns every member whose confirmations record
// approves recovery split id, sorted, whoever she is (for display; what
// counts is RecoveryApprovedBy).
func (r *Replica) RecoveryApprovals(id string) []string { return r.whoWrote(approvesFieldPrefix + id) }

// RecoveryApprovedBy returns the members this workstation counts as
// confirmed for scope who approved recovery split id, sorted: for a scope
// that needs no confirmation, nil (no approval is asked).
func (r *Replica) RecoveryApprovedBy(scope roles.Scope, id string) []string {
	if !roles.NeedsConfirmation(scope) {
		return nil
	}
	all := r.whoWrote(approvesFieldPrefix + id)
	r.state.RLock()
	defer r.state.RUnlock()
	in := r.confirmedLocked(scope)
	var out []string
	for _, fp := range all {
		if in[fp] {
			out = append(out, fp)
		}
	}
	return out
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
	reached := r.reachedLocked()
	in := map[string]bool{r.fp: true}
	for fp := range reached {
		if m := r.members[fp]; m.Active() && m.Role.Holds(scope) {
			in[fp] = true
		}
	}
	return in
}

// reachedLocked is every member this workstation reaches from itself
// through confirmations (under state), whatever her status or role now:
// the colleagues whose keys it takes (keysource.go).
func (r *Replica) reachedLocked() map[string]bool {
	reached := map[string]bool{r.fp: true}
	queue := []string{r.fp}
	for len(queue) > 0 {
		by := queue[0]
		queue = queue[1:]
		for name := range r.confirms[by] {
			fp, ok := strings.CutPrefix(name, confirmsFieldPrefix)
			if !ok {
				continue
			}
			if _, ok := r.members[fp]; ok && !reached[fp] {
				reached[fp] = true
				queue = append(queue, fp)
			}
		}
	}
	return reached
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
	for name := range r.confirms[fp] {
		if other, ok := strings.CutPrefix(name, confirmsFieldPrefix); ok && other != fp && in[other] {
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
