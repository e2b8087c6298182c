package replica

// rules.go holds the rules every workstation checks for every envelope it
// applies, and again for every event it appends: any member may run
// modified software and sign whatever it likes with its own key, so
// nothing a workstation writes is trusted because it was written.
//
// Every rule is decided from the envelope and the clinic's log alone, so
// the same set of envelopes gives the same outcome on every workstation,
// whatever order they arrived in:
//
//   - Chain: an event follows its device's previous event by hash; an event
//     after a break in the chain is refused with it.
//   - Device: a device belongs to the member whose directory entry names
//     it, else to the author of its first event (the device's public key);
//     an event of the device signed by anyone else is not kept, so the
//     genuine event can still take its place (admission.go).
//   - Key: a public key is published only as the first event of a device.
//   - Moves: a workstation's move from a random device id onto an id bound
//     to its member's key is the bound chain's first event; her entry
//     names the bound chain when it names the old id, and what she writes
//     in the old chain after the move is refused (move.go).
//   - Forks: once fork-seen events (fork.go) prove that an author signed
//     two different events for one place of a device's chain, her events
//     there from that place on are refused (rule "forked"), on every
//     branch alike.
//   - Clock: an unverified envelope never moves this workstation's Lamport
//     clock, and a verified one may run at most ClockWindow ahead of the
//     highest clock this workstation has applied (it waits until the events
//     it follows arrive); past ClockCeiling it is refused. Nor may it
//     be below the clock of the event before it in its device's chain,
//     whatever that event's fate (since session 28: chainclock.go).
//   - Directory devices: when the author's directory entry names devices,
//     an event of another device is not the author's and is not kept; a
//     device an entry names belongs to that member whoever wrote its first
//     event (admission.go).
//   - Membership: the author is an active member (or was, and wrote the
//     event before the revocation named its device's last accepted event);
//     an entry citing a registration token another entry cited first is
//     not admitted (admission.go).
//   - Kind: the kind is in the roles table, the header names the kind's
//     scope, and the author's role may create or change that kind: the
//     role she held when she wrote the event, as her directory entry's
//     record of role changes fixes it (roleheads.go).
//   - Ids: a directory or admin kind writes ids of its own shape
//     (roles.Kind.IDs: a fingerprint, a fixed id, "licence:" and a
//     fingerprint...), and no other kind's id has such a shape; an event
//     whose id breaks this is refused by the kind rule, before binding, so
//     no directory or admin record can take a patient's, an appointment's
//     or a note's id, whatever precedence its kind has (session 17).
//   - Binding: a record's kind and scope are fixed by its winning claim
//     (see claim.beats); an event of another kind or scope never touches
//     it. Ids "held:FINGERPRINT" belong to that member's key-held record,
//     "confirms:FINGERPRINT" to that member's confirmations.
//   - Confirmations: a confirms field that vouches for a scope (a
//     physician confirmed, a recovery split approved: clinical; "desk/":
//     the front desk) is written in a role holding that scope, the role
//     the author held at the event; judged where the payload opens
//     (checkRoleOfFields), refused by the role rule (ruleRole). So is a
//     field only a role holding a scope writes (roles.Kind.Holders: an
//     appointment's visit times, the physician's; h-rev25a).
//   - Fields: a change writes only field names its kind declares, at most
//     roles.MaxEventFields of them (fields.go); judged from the payload,
//     so where it opens (ruleContent).
//   - Pins: under a record id bound to a field's value when it was made
//     (roles.Kind.Pin: a patient's MRN, an appointment's import), an event
//     writes that field only with the seal that proves the id binds it
//     (checkPin, fields.go; ruleContent). An appointment's status "seen"
//     and "in-visit" under such an id are the clinical key's but in that
//     proof (roles.Held.Values: the role rule above). Under an id bound to
//     several (roles.Pin.Bound, since session 27: an appointment's
//     patient, physician and series), an event writes any of them only as
//     the event that made the record did, seal and all.
//   - Names: a directory entry's name, written since the rule began, holds
//     no character that is not shown or reorders text (names.go); judged
//     where the payload opens (ruleContent).

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

const (
	// ClockWindow is how far a verified envelope's Lamport clock may run
	// ahead of the highest clock this workstation has applied (its own
	// events, and the previous event of the envelope's device, included).
	//
	// Why relative to what this workstation applied, and why it waits
	// rather than refuses: an honest event's clock is one more than the
	// highest clock its writer had applied, so every honest event follows
	// another event of the clinic within one tick. A workstation catching
	// up on a million events may hold a device's chain before the events
	// that chain followed; those envelopes wait (pending, with the reason)
	// and apply as soon as the events they follow do, so a catch-up of
	// any size and in any order ends in the same state. An envelope that
	// jumps further ahead than any event of the clinic waits for ever and
	// moves no clock. A hostile member can still climb, but only one window
	// per event it writes: reaching ClockCeiling from zero takes 2^42 events.
	ClockWindow = 1 << 20

	// ClockCeiling is the highest Lamport clock any workstation accepts or
	// writes; an envelope above it is refused outright. It leaves honest
	// clocks room (the store holds up to 2^63-1) that no clinic will use.
	ClockCeiling = 1 << 62
)

// Rules of policy that refuse an envelope while its chain stays whole (the
// events after it are judged on their own). Kept in the store with the
// rejection (store.Envelope.Rule).
const (
	ruleKind    = "kind"    // unknown kind, wrong scope, reserved id
	ruleRole    = "role"    // the author's role may not write this
	ruleBinding = "binding" // the record is of another kind or scope
	ruleRevoked = "revoked" // written after the author's revocation
	ruleToken   = "token"   // the author's entry cites a token another entry cited first
	ruleClock   = "clock"   // Lamport clock past the ceiling
	ruleContent = "content" // payload does not open or is not a change
)

// KindKeyHeld is a member's acknowledgement of the scope keys its
// workstation holds: a directory record "held:FINGERPRINT" whose fields are
// "SCOPE/EPOCH". Only that member writes it. Other workstations count a
// member as granted a key once its acknowledgement names it (Granted), so a
// grant that does not open for its recipient stops nobody from granting
// the real key.
const KindKeyHeld = "key-held"

const heldEntityPrefix = roles.HeldPrefix

// HeldEntity is the id of a member's key-held record.
func HeldEntity(fp string) string { return heldEntityPrefix + fp }

// verdict is what try decided for one envelope.
type verdict struct {
	state  store.EnvelopeState
	rule   string // a rule of policy, for a rejection that keeps the chain whole
	reason string
	newKey keyRef // the scope key this envelope delivered
}

func pending(format string, args ...any) verdict {
	return verdict{state: store.Pending, reason: fmt.Sprintf(format, args...)}
}

func refused(rule, format string, args ...any) verdict {
	return verdict{state: store.Rejected, rule: rule, reason: fmt.Sprintf(format, args...)}
}

func broken(reason string) verdict { return verdict{state: store.Rejected, reason: reason} }

func notKept(reason string) verdict { return verdict{state: altered, reason: reason} }

// checkClock applies the clock rule to a verified envelope whose device's
// previous event had clock prev.
func (r *Replica) checkClock(h crypto.Header, prev uint64) (verdict, bool) {
	if h.Lamport > ClockCeiling {
		return refused(ruleClock, "its Lamport clock %d is past the highest any workstation accepts (%d)", h.Lamport, uint64(ClockCeiling)), false
	}
	if h.Lamport < prev {
		return refused(ruleClock, "its Lamport clock %d is below that of the event before it in its device's chain (%d): a chain's clocks never go down", h.Lamport, prev), false
	}
	base := max(prev, r.lamport)
	if h.Lamport > base+ClockWindow {
		return pending("its Lamport clock %d runs more than %d ahead of every event applied here (%d): waiting for the events it follows",
			h.Lamport, ClockWindow, base), false
	}
	return verdict{}, true
}

// clockPastTip keeps this workstation's clock at or above that of the last
// event of its own chain (r.mySeq), so its next event's clock is above it
// (the chain rule: checkClock). The clock is read from the applied and
// sealed events only; the chain's last event may have been refused since
// it was written (a role change, a revocation, a record's kind settled
// again), and read at Open, or followed after a restore, the clock could
// fall below it.
func (r *Replica) clockPastTip(ctx context.Context, tx *store.Tx) error {
	tip, err := tx.EnvelopeAt(ctx, r.p.Device, r.mySeq)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("replica: own chain's last event: %w", err)
	}
	r.lamport = max(r.lamport, tip.Lamport)
	return nil
}

// policy checks what the author, acting in role, may write: the kinds
// table, the scope, and the record's binding. ok=false comes with the
// verdict to record.
func (r *Replica) policy(ctx context.Context, tx *store.Tx, h crypto.Header, role roles.Role) (verdict, bool, error) {
	switch h.Kind {
	case KindEnroll:
		if h.Scope != ScopeEnroll {
			return refused(ruleKind, "an enrollment request belongs in the %s scope, not %s", ScopeEnroll, h.Scope), false, nil
		}
		return verdict{}, true, nil
	case KindGrant:
		v, ok := roleAllows(h, role)
		return v, ok, nil
	case KindKey:
		return refused(ruleKind, "a public key is published only as the first event of a device"), false, nil
	}
	k, ok := roles.KindOf(h.Kind)
	badID := r.pre.checkID(k, h.Kind, h.Entity)
	switch {
	case !ok:
		return refused(ruleKind, "%q is no kind of record this clinic knows", h.Kind), false, nil
	case string(k.Scope) != h.Scope:
		return refused(ruleKind, "a %s record belongs in the %s scope, not %s", h.Kind, k.Scope, h.Scope), false, nil
	case h.Kind == KindKeyHeld && h.Entity != HeldEntity(h.Author):
		return refused(ruleKind, "a member acknowledges only the keys it holds itself"), false, nil
	case h.Kind != KindKeyHeld && strings.HasPrefix(h.Entity, heldEntityPrefix):
		return refused(ruleKind, "record %s is reserved for a member's acknowledged keys", h.Entity), false, nil
	case h.Kind == KindConfirms && h.Entity != ConfirmsEntity(h.Author):
		return refused(ruleKind, "a member writes only her own confirmations of colleagues"), false, nil
	case h.Kind != KindConfirms && strings.HasPrefix(h.Entity, confirmsEntityPrefix):
		return refused(ruleKind, "record %s is reserved for a member's confirmations of colleagues", h.Entity), false, nil
	case badID != nil:
		return refused(ruleKind, "%v", badID), false, nil
	case !k.MayCreate(role) && !k.MayChange(role):
		v, _ := roleAllows(h, role)
		return v, false, nil
	case k.Raw:
		return verdict{}, true, nil
	}
	return r.bind(ctx, tx, h, k, role)
}

// roleAllows is the role rule alone: whether the author, acting in role,
// may write an event of h's kind (a grant: of a scope the role holds). The
// kind rule is policy's; an unknown kind passes here.
func roleAllows(h crypto.Header, role roles.Role) (verdict, bool) {
	if h.Kind == KindGrant {
		if s := roles.Scope(h.Scope); !s.Valid() || !role.Holds(s) {
			return refused(ruleRole, "a %s cannot grant the %s key", role, h.Scope), false
		}
		return verdict{}, true
	}
	if k, ok := roles.KindOf(h.Kind); ok && !k.MayCreate(role) && !k.MayChange(role) {
		return refused(ruleRole, "a %s may not write %s records", role, h.Kind), false
	}
	return verdict{}, true
}

// claim is an event that may fix its record's kind and scope: verified,
// and its author's role may create its kind.
type claim = store.Binding

func claimOf(h crypto.Header) claim {
	return claim{Entity: h.Entity, Kind: h.Kind, Scope: h.Scope, Lamport: h.Lamport, Device: h.Device, Seq: h.Seq}
}

// beats reports whether claim a wins over b: the kind of higher precedence
// (roles.Kind.Precedence), then the earlier event by (Lamport, device,
// seq). A total order on claims, so every workstation settles a contested
// record the same way whatever order the claims arrived in.
//
// A member's directory entry wins its id over every other kind (session
// 16 review h-sec16a): else an administrator's record of another
// directory kind, clocked below the admission, erases the entry, and the
// events its member wrote are read differently by the workstations that
// applied them before and those that come after (a revocation he wrote
// stands on the first, waits on the second).
func beats(a, b claim) bool {
	if (a.Kind == KindMember) != (b.Kind == KindMember) {
		return a.Kind == KindMember
	}
	ka, _ := roles.KindOf(a.Kind)
	kb, _ := roles.KindOf(b.Kind)
	if pa, pb := ka.Precedence(), kb.Precedence(); pa != pb {
		return pa > pb
	}
	return before(a, b)
}

// before reports whether the event of claim a comes before that of b by
// (Lamport, device, seq): a total order on events, the same on every
// workstation.
func before(a, b claim) bool {
	if a.Lamport != b.Lamport {
		return a.Lamport < b.Lamport
	}
	if a.Device != b.Device {
		return a.Device < b.Device
	}
	return a.Seq < b.Seq
}

// bind applies the binding rule to an event of a record kind.
func (r *Replica) bind(ctx context.Context, tx *store.Tx, h crypto.Header, k roles.Kind, role roles.Role) (verdict, bool, error) {
	c := claimOf(h)
	b, err := tx.Binding(ctx, h.Entity)
	// (policy checked h's own kind: an update of the record needs no second look.)
	if k, ok := roles.KindOf(b.Kind); err == nil && ok && b.Kind != h.Kind && k.CheckID(h.Entity) != nil {
		// A claim a version before the ids rule kept, on a record nothing
		// else claimed then (mendIDs did not see it): refused now.
		if err := r.mendID(ctx, tx, h.Entity); err != nil {
			return verdict{}, false, err
		}
		b, err = tx.Binding(ctx, h.Entity)
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		if !k.MayCreate(role) {
			return pending("waiting for the first event of record %s", short(h.Entity)), false, nil
		}
		return verdict{}, true, tx.PutBinding(ctx, c)
	case err != nil:
		return verdict{}, false, fmt.Errorf("replica: binding of %s: %w", h.Entity, err)
	case b.Kind == h.Kind && b.Scope == h.Scope:
		if k.MayCreate(role) && beats(c, b) {
			return verdict{}, true, tx.PutBinding(ctx, c)
		}
		return verdict{}, true, nil
	case k.MayCreate(role) && beats(c, b):
		// An earlier or stronger claim arrived after a weaker one: every
		// workstation ends with this kind, so the weaker kind's events give
		// way here too.
		return verdict{}, true, r.rebind(ctx, tx, h.Entity, &c)
	}
	return refused(ruleBinding, "record %s is a %s record in the %s scope: a %s event in the %s scope may not change it",
		short(h.Entity), b.Kind, b.Scope, h.Kind, h.Scope), false, nil
}

// isRecordKind reports whether events of kind merge into a record of the
// roles table (not the replica's own kinds, not raw ones).
func isRecordKind(kind string) bool {
	k, ok := roles.KindOf(kind)
	return ok && !k.Raw
}

// checkKind is Batch's early check of a change it is asked to append: the
// kind must be in the roles table with this scope.
func checkKind(kind, scope string, raw bool) error {
	k, ok := roles.KindOf(kind)
	switch {
	case !ok:
		return fmt.Errorf("%w: %q is no kind of record in the roles table: every workstation would refuse it", ErrForbidden, kind)
	case string(k.Scope) != scope:
		return fmt.Errorf("%w: a %s record belongs in the %s scope, not %s", ErrForbidden, kind, k.Scope, scope)
	case k.Raw && !raw:
		return fmt.Errorf("%w: a %s record is sealed by its writer: write it with Batch.Raw", ErrForbidden, kind)
	case !k.Raw && raw:
		return fmt.Errorf("%w: a %s record is sealed with its scope key: write it with Batch.Append", ErrForbidden, kind)
	}
	return nil
}

// checkID is Batch's early check of the id of a change it is asked to
// append (the kind rule's: roles.Kind.CheckID).
func checkID(kind, entity string) error {
	if k, ok := roles.KindOf(kind); ok {
		if err := k.CheckID(entity); err != nil {
			return fmt.Errorf("%w: %v: every workstation would refuse it", ErrForbidden, err)
		}
	}
	return nil
}
