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
	return r.FirstKeyMakerAmong(scope, func(m Member) bool { return m.Active() && m.Role.Creates(scope) }, nil)
}

// FirstKeyMakerAmong is FirstKeyMaker's rule over the members in says are
// in line, whatever their status and role (FirstKeyMaker's: the active
// ones whose role creates scope): the vouched ones if any is, the one
// admitted first. A recovery asks it who made the clinic's key, revoked
// or not, by a role she held then (app/recovery), ordering admissions by
// clocks (AdmissionClocks; nil: by the claims' own, as FirstKeyMaker).
func (r *Replica) FirstKeyMakerAmong(scope roles.Scope, in func(Member) bool, clocks AdmissionClocks) (fp string, ok bool) {
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
	return r.firstAdmittedLocked(func(m string, e Member) bool { return in(e) && (!onlyVouched || vouched[m]) }, clocks)
}

// FirstAdmitted returns, of the members in says are in line (whatever
// their status and role), the one admitted first, vouched for or not:
// FirstKeyMaker's order without its preference (app/recovery reads both),
// by clocks as FirstKeyMakerAmong.
func (r *Replica) FirstAdmitted(in func(Member) bool, clocks AdmissionClocks) (fp string, ok bool) {
	r.state.RLock()
	defer r.state.RUnlock()
	return r.firstAdmittedLocked(func(_ string, e Member) bool { return in(e) }, clocks)
}

// FirstVouched returns, of the members in says are in line and some
// other member's confirmations that count for scope reach, the one
// vouched for first: by the later of her admission's clock and the
// earliest admission's clock among those who confirm her (no confirmation
// comes before its writer's admission), then as FirstKeyMakerAmong. ok is
// false when none of them is vouched for. Where the first key was made by
// physicians who confirmed each other, a member admitted before them whom
// a puppet admitted after them vouches for comes after them here, while
// FirstKeyMaker's rule puts her first (session 21 review h-sec21a: a
// stand-in of the clinic's founding, in the open; app/recovery reads all
// three).
func (r *Replica) FirstVouched(scope roles.Scope, in func(Member) bool, clocks AdmissionClocks) (fp string, ok bool) {
	r.state.RLock()
	defer r.state.RUnlock()
	if !roles.NeedsConfirmation(scope) {
		return "", false
	}
	since := map[string]uint64{} // member -> the least clock of those who confirm her
	for by := range r.members {
		at := clockOf(clocks, by, r.admitted[by])
		for name := range r.confirms[by].set {
			if m, ok := r.edgeLocked(by, name, scope); ok && m != by {
				if v, seen := since[m]; !seen || at < v {
					since[m] = at
				}
			}
		}
	}
	var first *claim
	var at uint64
	for m, e := range r.members {
		v, vouched := since[m]
		if !vouched || !in(e) {
			continue
		}
		c, judged := r.admitted[m]
		if !judged {
			return "", false // as firstAdmittedLocked
		}
		v = max(v, clockOf(clocks, m, c))
		if !ok || v < at || v == at && admittedBeforeBy(m, c, fp, first, clocks) {
			fp, first, at, ok = m, c, v, true
		}
	}
	return fp, ok
}

func (r *Replica) firstAdmittedLocked(in func(fp string, e Member) bool, clocks AdmissionClocks) (fp string, ok bool) {
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
		if !ok || admittedBeforeBy(m, c, fp, first, clocks) {
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

// admittedBeforeBy is admittedBefore by clocks first (nil: the
// claims' own).
func admittedBeforeBy(a string, ca *claim, b string, cb *claim, clocks AdmissionClocks) bool {
	if clocks != nil {
		if x, y := clockOf(clocks, a, ca), clockOf(clocks, b, cb); x != y {
			return x < y
		}
	}
	return admittedBefore(a, ca, b, cb)
}

// clockOf is fp's admission clock, admitted by the event of claim c: the
// founder's (nil) 0, one AdmissionClocks did not read her claim's own.
func clockOf(clocks AdmissionClocks, fp string, c *claim) uint64 {
	if v, ok := clocks[fp]; ok {
		return v
	}
	if c == nil {
		return 0
	}
	return c.Lamport
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
