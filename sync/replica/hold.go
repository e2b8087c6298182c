package replica

// Holds (session 15 review h-sec15d, V2). A revocation's heads are its
// writer's word, and so are those of the revocation, or the change of
// role, of its writer: an administrator who revokes Carl, another
// administrator, naming Carl's heads from before his revocation of Pia,
// refuses that revocation (sweepRevoked), and Pia's entry, rebuilt without
// it, read active again. Her confirmations counted, colleagues'
// workstations granted her the clinical key's new epochs, and her
// confirmation of a stand-in admitted after she left made them grant him
// the key too. Moving Carl to the front desk with the same heads did the
// same (the role rule refused his revocation then).
//
// So a revocation written by a member who was ever an administrator holds
// the member it names even when the revocation of its writer, or a change
// of his role, or another entry citing his token first, refuses it: an
// event of her directory entry that sets her status "revoked", refused by
// the revocation, role or token rule (never one refused for anything
// else: a forged or malformed event holds nobody). A held member who is an
// administrator stays active (heldBy). A held member
//   - is not active (Member.Active): no workstation grants her a key
//     again, nobody counts her confirmed, and the scopes whose keys she
//     held start new epochs (RetireExposed);
//   - has every event of her confirmations record past the hold's heads
//     refused (ruleHeld), on every workstation and before writing, so
//     nothing she confirms after it vouches for anyone; what she confirmed
//     before stands, as a revoked member's does;
//   - keeps every other event she wrote: a hold refuses none of her
//     records. A revoked administrator's modified software can write such
//     a revocation of any physician or receptionist after his own: it
//     locks that colleague out (a denial, shown in the staff directory;
//     an administrator revokes her and issues a new token), and never
//     erases her past (V1's erasure stays closed).
//
// What holds a member follows from the events stored and the directory
// alone, whatever order they arrived in: the claims are read with her
// entry (entryClaims, whenever one of its events is refused by either rule
// or let through again: setState, decide), whether their writers were ever
// administrators is read from their entries as they stand, and judgeHolds
// judges her confirmations again whenever what holds her changes.

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// ruleHeld refuses an event of a held member's confirmations record
// written past the hold's heads.
const ruleHeld = "held"

// holdClaim is one refused revocation of a member: who wrote it and the
// heads it names (device -> last sequence let stand; a device it does not
// name lets nothing stand).
type holdClaim struct {
	by    string
	heads map[string]uint64
}

// hold is what holds a member: the writers of the revocations that do
// (sorted) and what of her confirmations they let stand, the lowest head
// of each device every one of them names.
type hold struct {
	by    []string
	heads map[string]uint64
}

func (h hold) held() bool { return len(h.by) > 0 }

func (h hold) equal(o hold) bool {
	return slices.Equal(h.by, o.by) && maps.Equal(h.heads, o.heads)
}

// refusedByWriter reports whether a stored event was refused only because
// of its writer: the revocation rule (written past her revocation's heads),
// the role rule (written in a role that may not), or the token rule (her
// entry no longer stands for its token: another entry an administrator
// wrote cites it first).
func refusedByWriter(state store.EnvelopeState, rule string) bool {
	return state == store.Rejected && (rule == ruleRevoked || rule == ruleRole || rule == ruleToken)
}

// holdClaimOf reads a refused event of fp's directory entry as a claim:
// one that sets her status "revoked" (ok false for any other, and for one
// whose payload does not open: the content rule would refuse it).
//
// A revocation whose writer's entry is gone (its events refused: the
// administrator who admitted him was moved with heads from before it)
// waits pending on every workstation, as it would for a writer not heard
// of yet; it is a claim too once its signature verifies, and holds when
// his refused admission made him an administrator (vanishedAdmins; session
// 16 review h-sec16c, B).
func (r *Replica) holdClaimOf(fp string, row store.Envelope) (holdClaim, bool) {
	if row.Kind != KindMember || row.Author == fp {
		return holdClaim{}, false
	}
	r.state.RLock()
	_, member := r.members[row.Author]
	pub, known := r.pubkeys[row.Author]
	r.state.RUnlock()
	waits := row.State == store.Pending && !member
	if !refusedByWriter(row.State, row.Rule) && !waits {
		return holdClaim{}, false
	}
	if waits && !known {
		return holdClaim{}, false
	}
	// Opened (once) before it is verified: an outsider's thousands of
	// pending events that no clinic key opens are not verified again at
	// every reading of the entry (session 16 review h-sec16d C).
	c, ok := r.cachedHoldClaim(row)
	if !ok || !waits {
		return c, ok
	}
	env, err := crypto.ParseEnvelope(row.Raw)
	if err != nil || env.Verify(pub) != nil {
		return holdClaim{}, false
	}
	return c, true
}

// cachedHoldClaim is readHoldClaim, read once per event (r.holdRead).
func (r *Replica) cachedHoldClaim(row store.Envelope) (holdClaim, bool) {
	r.state.RLock()
	read, seen := r.holdRead[row.Hash]
	r.state.RUnlock()
	if seen {
		if read == nil {
			return holdClaim{}, false
		}
		return *read, true
	}
	c, ok := r.readHoldClaim(row)
	r.state.Lock()
	if ok {
		r.holdRead[row.Hash] = &c
	} else if r.hasKey(row.Scope, row.Epoch) {
		r.holdRead[row.Hash] = nil // else read again once the key comes
	}
	r.state.Unlock()
	return c, ok
}

// hasKey reports whether this workstation holds epoch of scope (under state).
func (r *Replica) hasKey(scope string, epoch uint32) bool {
	_, ok := r.keys[scope][epoch]
	return ok
}

// readHoldClaim opens a refused member event for holdClaimOf.
func (r *Replica) readHoldClaim(row store.Envelope) (holdClaim, bool) {
	_, fields, err := r.storedFields(row)
	if err != nil {
		return holdClaim{}, false
	}
	var status string
	if json.Unmarshal(fields["status"], &status) != nil || status != StatusRevoked {
		return holdClaim{}, false
	}
	var heads map[string]uint64
	json.Unmarshal(fields["revoked_heads"], &heads) //nolint:errcheck // malformed heads let nothing stand
	c := holdClaim{by: row.Author, heads: map[string]uint64{}}
	for d, seq := range heads {
		if d != RevokedChanges && !strings.HasPrefix(d, RevokedRole) {
			c.heads[d] = seq // a device, not what the revocation read (rolecells.go)
		}
	}
	return c, true
}

// everAdministrator reports whether member m's entry gives her the
// administrator's role anywhere: admitted with it, holding it, or named by
// any change of her history, agreed or past it.
func everAdministrator(m Member) bool {
	return everIn(m, func(r roles.Role) bool { return r == roles.Administrator })
}

// everIn reports whether any role m's entry names, was admitted in, or
// records a change from or to is one in.
func everIn(m Member, in func(roles.Role) bool) bool {
	if in(m.Role) || in(m.Admitted) || slices.ContainsFunc(m.admitted, in) || slices.ContainsFunc(m.fork.roles, in) {
		return true
	}
	for _, c := range m.Changes {
		if in(c.From) || in(c.To) {
			return true
		}
	}
	return false
}

// holdLocked is what holds a member now (under state): the claims on her
// entry whose writers' entries were ever administrators'.
func (r *Replica) holdLocked(claims []holdClaim) hold {
	var h hold
	for _, c := range claims {
		if a, ok := r.members[c.by]; ok && !everAdministrator(a) || !ok && !r.vanishedAdmins[c.by] {
			continue
		}
		if !h.held() {
			h.heads = maps.Clone(c.heads)
		} else {
			for d, seq := range h.heads {
				if other, named := c.heads[d]; !named {
					delete(h.heads, d)
				} else {
					h.heads[d] = min(seq, other)
				}
			}
		}
		if !slices.Contains(h.by, c.by) {
			h.by = append(h.by, c.by)
		}
	}
	slices.Sort(h.by)
	return h
}

// judgeHolds decides again what holds each member whose entry carries a
// claim, or who was held, and judges again the confirmations of those for
// whom it changed (with all, of every held member: mendRoles). It reports
// whether anything changed.
func (r *Replica) judgeHolds(ctx context.Context, tx *store.Tx, all bool) (bool, error) {
	if err := r.readVanished(ctx, tx); err != nil {
		return false, err
	}
	changed := r.decideHolds()
	if all {
		r.state.RLock()
		for fp, h := range r.holds {
			changed[fp] = h
		}
		r.state.RUnlock()
	}
	for _, fp := range slices.Sorted(maps.Keys(changed)) {
		if err := r.judgeAgain(ctx, tx, fp, ruleHeld, "what holds the author changed: judged again"); err != nil {
			return true, err
		}
		if h := changed[fp]; h.held() {
			v := refused(ruleHeld, "written after a revocation that holds its author (the revocation's own writer was revoked since)")
			if _, err := r.refuseWhere(ctx, tx, fp, h.heads, v, func(row store.Envelope) bool { return heldKind(row.Kind) }); err != nil {
				return true, err
			}
		}
	}
	return len(changed) > 0, nil
}

// decideHolds sets what holds each member from the claims on the entries
// and the directory, and returns the members for whom it changed, with
// what holds them now.
func (r *Replica) decideHolds() map[string]hold {
	r.state.Lock()
	defer r.state.Unlock()
	changed := map[string]hold{}
	fps := map[string]bool{}
	for fp, c := range r.claims {
		if len(c.holds) > 0 {
			fps[fp] = true
		}
	}
	for fp := range r.holds {
		fps[fp] = true
	}
	for fp := range fps {
		h := r.holdLocked(r.claims[fp].holds)
		if h.equal(r.holds[fp]) {
			continue
		}
		changed[fp] = h
		if h.held() {
			r.holds[fp] = h
		} else {
			delete(r.holds, fp)
		}
		if m, ok := r.members[fp]; ok {
			m.HeldBy = heldBy(m, h)
			r.members[fp] = m
			r.onChange = append(r.onChange, Changed{ID: fp, Kind: KindMember, Scope: string(roles.Directory)})
		}
	}
	return changed
}

// heldBy is whom hold h keeps member m out by (Member.HeldBy): nobody
// while her role is administrator. What she may read then follows the
// administrators' word anyway (an administrator could admit her again),
// she confirms nobody, and a revoked administrator would otherwise lock
// every other out. Her confirmations past the hold stay refused whatever
// her role (heldPast): an administrator who moved a held physician to
// the administrators and revoked her there would otherwise make what she
// confirmed after the hold stand, as a revoked member's confirmations do.
func heldBy(m Member, h hold) []string {
	if m.Role == roles.Administrator {
		return nil
	}
	return h.by
}

// heldPast reports whether event h of a member's confirmations record was
// written past the heads of what holds its author.
func (r *Replica) heldPast(author, device, kind string, seq uint64) bool {
	if !heldKind(kind) {
		return false
	}
	r.state.RLock()
	defer r.state.RUnlock()
	h, ok := r.holds[author]
	return ok && seq > h.heads[device]
}

// heldKind reports whether a hold refuses events of kind past its heads:
// her confirmations, and what a former member's word counts for
// (RetireExposed): her key-held claims and her grants. A held member is a
// former one, and a former one's claims count only because a revocation
// refuses those written after it (session 16 review h-sec16a).
func heldKind(kind string) bool {
	return kind == KindConfirms || kind == KindKeyHeld || kind == KindGrant
}

// readVanished finds, for every writer of a claim who has no entry in the
// directory, whether his entry's events, refused for their writer, ever
// admitted him as an administrator, by a writer who was ever one
// (r.vanishedAdmins, read by holdLocked): an entry made to vanish so keeps
// holding what its member revoked, and an outsider's key that signs a
// revocation holds nobody.
func (r *Replica) readVanished(ctx context.Context, tx *store.Tx) error {
	r.state.RLock()
	var gone []string
	for _, c := range r.claims {
		for _, h := range c.holds {
			if _, ok := r.members[h.by]; !ok && !slices.Contains(gone, h.by) {
				gone = append(gone, h.by)
			}
		}
	}
	r.state.RUnlock()
	vanished := map[string]bool{}
	for _, fp := range gone {
		admin, err := r.entryWrote(ctx, tx, fp, func(row store.Envelope) bool { return refusedByWriter(row.State, row.Rule) }, func(f Fields) bool {
			var role roles.Role
			return json.Unmarshal(f["role"], &role) == nil && role == roles.Administrator
		})
		if err != nil {
			return err
		}
		vanished[fp] = admin
	}
	r.state.Lock()
	r.vanishedAdmins = vanished
	r.state.Unlock()
	return nil
}

// entryWrote reports whether an event of fp's directory entry written by a
// member who was ever an administrator says what says looks for: one
// that which picks. A payload that does not open says nothing.
func (r *Replica) entryWrote(ctx context.Context, tx *store.Tx, fp string, which func(store.Envelope) bool, says func(Fields) bool) (bool, error) {
	rows, err := tx.EnvelopesForEntity(ctx, fp)
	if err != nil {
		return false, fmt.Errorf("replica: events of %s: %w", short(fp), err)
	}
	for _, row := range rows {
		if row.Kind != KindMember || !which(row) {
			continue
		}
		r.state.RLock()
		a, ok := r.members[row.Author]
		r.state.RUnlock()
		if !ok || !everAdministrator(a) {
			continue
		}
		if _, fields, err := r.storedFields(row); err == nil && says(fields) {
			return true, nil
		}
	}
	return false, nil
}
