package replica

import (
	"github.com/medihaven/medihaven/roles"
)

// Who makes a scope's first key (session 12). A workstation that holds no
// key of a scope cannot tell from its own log alone whether the clinic has
// one: a newcomer who has not caught up has seen none of the grants and
// records sealed with it, and a key she made then would seal what she
// writes for nobody else to read, and compete with the clinic's. So the
// first key is made by one member the directory names the same way on
// every workstation: of the active members whose role creates the scope
// (roles.Role.Creates), the one admitted first. Everyone else waits for a
// grant. A member's admission is the event that first set her entry's
// registration token (admission.go's claim, the earliest by Lamport,
// device, seq: an administrator who admits a newcomer has applied the
// admissions she saw before, so a clinic's first receptionist comes before
// the receptionists admitted after her, on every workstation); the
// founder's entry cites no token and comes first. A member revoked before
// she made it hands the turn to the next; one who made it leaves grants
// and records of the scope, which the app's upkeep reads too
// (app/grants.go). For a scope that needs confirmation, once any of those
// members is vouched for (a colleague's confirmations that count for the
// scope reach her), only the vouched ones are in line: an administrator's
// stand-in admitted before the clinic's physicians, whom nobody confirms,
// does not keep the clinic waiting for her key for ever (session 12
// review, F5), while a clinic's lone first physician, whom nobody could
// confirm yet, still makes it.

// FirstKeyMaker returns the fingerprint of the member whose workstation
// makes the first key of scope when the clinic has none: of the active
// members whose role creates it, the one admitted first. ok is false when
// no active member's role creates scope, and while a directory entry an
// Apply merged is not judged yet.
func (r *Replica) FirstKeyMaker(scope roles.Scope) (fp string, ok bool) {
	return r.FirstKeyMakerAmong(scope, func(m Member) bool { return m.Active() && m.Role.Creates(scope) })
}

// FirstKeyMakerAmong is FirstKeyMaker's rule over the members in says are
// in line, whatever their status and role (FirstKeyMaker's: the active
// ones whose role creates scope): the vouched ones if any is, the one
// admitted first. A recovery asks it who made the clinic's key, revoked
// or not, by a role she held then (app/recovery).
func (r *Replica) FirstKeyMakerAmong(scope roles.Scope, in func(Member) bool) (fp string, ok bool) {
	// Under the state lock only (the copy judgeTokens keeps of the
	// claims): a write refused for want of a key asks this, and the
	// change feed's listeners may write while an Apply holds mu.
	r.state.RLock()
	defer r.state.RUnlock()
	vouched := r.vouchedLocked(scope)
	onlyVouched := false
	for m, e := range r.members {
		if vouched[m] && in(e) {
			onlyVouched = true
			break
		}
	}
	return r.firstAdmittedLocked(func(m string, e Member) bool { return in(e) && (!onlyVouched || vouched[m]) })
}

// FirstAdmitted returns, of the members in says are in line (whatever
// their status and role), the one admitted first, vouched for or not:
// FirstKeyMaker's order without its preference (app/recovery reads both).
func (r *Replica) FirstAdmitted(in func(Member) bool) (fp string, ok bool) {
	r.state.RLock()
	defer r.state.RUnlock()
	return r.firstAdmittedLocked(func(_ string, e Member) bool { return in(e) })
}

func (r *Replica) firstAdmittedLocked(in func(fp string, e Member) bool) (fp string, ok bool) {
	var first *claim
	for m, e := range r.members {
		if !in(m, e) {
			continue
		}
		c, judged := r.admitted[m]
		if !judged {
			// An entry merged in the transaction that runs, not judged
			// yet: nobody is named until it is (making no key is the
			// safe way to be wrong).
			return "", false
		}
		if !ok || admittedBefore(m, c, fp, first) {
			fp, first, ok = m, c, true
		}
	}
	return fp, ok
}

// Vouched returns the members some other member's confirmations that
// count for scope reach (nil for a scope that needs none): the same on
// every workstation that read the same directory.
func (r *Replica) Vouched(scope roles.Scope) map[string]bool {
	r.state.RLock()
	defer r.state.RUnlock()
	return r.vouchedLocked(scope)
}

func (r *Replica) vouchedLocked(scope roles.Scope) map[string]bool {
	if !roles.NeedsConfirmation(scope) {
		return nil
	}
	out := map[string]bool{}
	for m := range r.members {
		for fp := range r.reachLocked(scope, m) {
			if fp != m {
				out[fp] = true
			}
		}
	}
	return out
}

// admittedBefore reports whether member a, admitted by the event of claim
// ca, came before member b, admitted by cb (nil: an entry that cites no
// token, the founder's): a total order, the fingerprint deciding between
// entries without one.
func admittedBefore(a string, ca *claim, b string, cb *claim) bool {
	switch {
	case (ca == nil) != (cb == nil):
		return ca == nil
	case ca != nil && before(*ca, *cb):
		return true
	case ca != nil && before(*cb, *ca):
		return false
	}
	return a < b
}
