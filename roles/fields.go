package roles

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The fields of a record. Every workstation merges a record's events field
// by field and keeps the whole record sealed as one state, so what one
// record may hold must be bounded by its kind, not by its writer: a
// member's modified software could otherwise write thousands of names into
// a record every member may change (its own key-held record, a patient,
// the front desk's settings), and every workstation would re-seal all of
// them for each later change. Each kind declares the names an event of it
// may write, and an event may write at most MaxEventFields of them. Both
// are judged for each event alone, by the writer before it signs and by
// every workstation that applies it, so the verdict does not depend on
// which events arrived first.
//
// The lists hold every name any version of Medihaven wrote for the kind,
// those no version writes any more included ("former"): a newcomer to an
// old clinic replays every old event, and each must still apply. Never
// remove a name. A name added here is refused by workstations of older
// versions until they are updated; they then judge again what they
// refused (FieldsVersion).

// MaxEventFields is the most fields one event of a record may write. No
// kind with fixed names has as many; it bounds the kinds whose names are
// keys (a member's acknowledged key epochs: a newcomer acknowledges every
// epoch it was granted at once), where a family sets no tighter bound.
const MaxEventFields = 256

// Keyed is a family of field names that are keys by design: Prefix, then a
// key that Key accepts. Key accepts a bounded set (a calendar date, an
// epoch number), so the family is bounded too. PerEvent, when set, is the
// most names of the family one event may write (else MaxEventFields).
//
// Set marks a family whose fields are only ever set: every event writes
// each of them as JSON true and never anything else, so a record of such
// fields only grows, whatever order its events are merged in (a member's
// confirmations: none is ever withdrawn, session 12 review, F4).
type Keyed struct {
	Prefix   string
	Key      func(string) bool
	PerEvent int
	Set      bool
}

// Declares reports whether an event of kind k may write the field name.
func (k Kind) Declares(name string) bool { return k.family(name) != undeclared }

const (
	undeclared = -2
	byName     = -1
)

// family is the index in k.Keyed of the family of name, byName for a
// name k.Fields lists, undeclared for any other.
func (k Kind) family(name string) int {
	for _, f := range k.Fields {
		if f == name {
			return byName
		}
	}
	for i, f := range k.Keyed {
		if key, ok := strings.CutPrefix(name, f.Prefix); ok && f.Key(key) {
			return i
		}
	}
	return undeclared
}

// CheckFields returns why one event of kind k may not write the fields
// names (nil when it may): more than MaxEventFields of them, more of a
// keyed family than it allows, or a name the kind does not declare (the
// first in order, so every workstation gives the same reason).
func (k Kind) CheckFields(names iter.Seq[string]) error {
	n, bad := 0, ""
	keyed := make([]int, len(k.Keyed))
	for name := range names {
		if n++; n > MaxEventFields {
			continue
		}
		switch i := k.family(name); {
		case i == undeclared && (bad == "" || name < bad):
			bad = name
		case i >= 0:
			keyed[i]++
		}
	}
	if n > MaxEventFields {
		return fmt.Errorf("one event writes %d fields of a %s record, more than the %d any event may write", n, k.Name, MaxEventFields)
	}
	if bad != "" {
		if len(bad) > 48 {
			bad = bad[:48] + "…"
		}
		return fmt.Errorf("%s records have no field %q", k.Name, bad)
	}
	for i, f := range k.Keyed {
		if f.PerEvent > 0 && keyed[i] > f.PerEvent {
			return fmt.Errorf("one event writes %d fields %s… of a %s record, more than the %d one event may", keyed[i], f.Prefix, k.Name, f.PerEvent)
		}
	}
	return nil
}

// CheckValues returns why one event of kind k may not write the values
// fields holds (nil when it may): a field of a Set family written as
// anything but JSON true (the first such name in order, so every
// workstation gives the same reason).
func (k Kind) CheckValues(fields map[string]json.RawMessage) error {
	bad := ""
	for name, v := range fields {
		if i := k.family(name); i >= 0 && k.Keyed[i].Set && string(v) != "true" && (bad == "" || name < bad) {
			bad = name
		}
	}
	if bad != "" {
		return fmt.Errorf("field %q of a %s record is only ever set true, never withdrawn", bad, k.Name)
	}
	return nil
}

// Held is a field of a kind only a member whose role holds Scope writes
// (Kind.Holders): any value, or only Values when set (JSON strings).
// Pinned holds it only under an id bound to the kind's Pin (IsPinned),
// and not in an event that proves the pin (the event that made the
// record: an import): records made before ids were pinned, whose making
// events wrote it freely, keep no such rule.
type Held struct {
	Field  string
	Values []string
	Scope  Scope
	Pinned bool
}

// holds reports whether h holds what fields write under id of kind k.
func (h Held) holds(k Kind, id string, fields map[string]json.RawMessage) bool {
	v, ok := fields[h.Field]
	if !ok {
		return false
	}
	if len(h.Values) > 0 {
		var s string
		if json.Unmarshal(v, &s) != nil || !slices.Contains(h.Values, s) {
			return false
		}
	}
	return !h.Pinned || IsPinned(k.Name, id) && !k.provesPin(id, fields)
}

// CheckRole returns why a member in role r may not write fields in one
// event under id of a record of kind k (nil when she may): a field of
// k.Holders whose scope r does not hold (the first of k.Holders, so every
// workstation gives the same reason). The writer judges it by her role
// before she signs, every workstation by the role she held at the event
// (replica's checkRoleOfFields).
func (k Kind) CheckRole(r Role, id string, fields map[string]json.RawMessage) error {
	for _, h := range k.Holders {
		if !r.Holds(h.Scope) && h.holds(k, id, fields) {
			what := fmt.Sprintf("%q", h.Field)
			if len(h.Values) > 0 {
				what = fmt.Sprintf("%q %s", h.Field, strings.Join(h.Values, " or "))
			}
			return fmt.Errorf("%s records' %s is written only in a role that holds the %s key", k.Name, what, h.Scope)
		}
	}
	return nil
}

// HasHolders reports whether some field of k only a role holding a scope
// writes (Holders).
func (k Kind) HasHolders() bool { return len(k.Holders) > 0 }

// OnlyGrows reports whether k has a family whose fields are only ever set
// (Keyed.Set): a record of it whose state shows only set fields may still
// hold an event that wrote one otherwise, hidden under a later one.
func (k Kind) OnlyGrows() bool {
	return slices.ContainsFunc(k.Keyed, func(f Keyed) bool { return f.Set })
}

// fieldsRevision is raised when what a Keyed family's Key accepts changes
// (FieldsVersion sees the names and bounds, not the functions), or when
// the replica judges what a kind's fields say anew.
//
// Revision 2: a confirmation names the admission it counts for
// (isConfirmed). Revision 3: a member's role history (replica's
// roleheads.go, session 13 review S1-S7). Revision 4: a confirms field
// is refused when the role its writer held at the event does not hold
// the scope it vouches for (replica's checkRoleOfFields, session 13
// review B5). Revision 5: every change of role written is kept and
// judged (replica's rolecells.go, second review B2, B3, B6, B7).
// Revision 6: what every revocation let stand is kept (replica's
// revokedReach, session 15 review G1). Revision 7: an entry with no
// admission role reads no history (session 15 review, V4). Revision 8: a
// revocation refused for its writer holds its member, her confirmations,
// key-held claims and grants past it refused (replica's hold.go, session
// 15 review V2; session 16 review h-sec16a), and an entry's devices only
// grow (replica's rolecells.go devicesSeenField, h-sec16a H1). Revision
// 9: a directory or admin kind's ids have its shape, no other kind's do
// (Kind.IDs, replica's mendids.go, session 17). Revision 10: an id bound
// to a data kind (NewRecordID) is no other kind's (session 18 review
// h-sec18b F2; mendids.go refuses an older version's such claims).
// Revision 11: an id two data kinds' hashes match is neither's (session
// 18 review h-sec18e E1: the writer grinds 32 bits of salt for it).
// Revision 12: the mend judges every stored claim whose kind may not have
// its record's id, contested or not (session 19 review h-sec19b).
// Revision 13: a device move no longer refuses what its member writes in
// the chain it left (replica's move.go, h-sec19a; the rule "moved"'s
// verdicts are judged again).
// Revision 14: of two administrators' acts on each other that neither
// saw, each is judged by its writer's entry without the other (replica's
// mutual.go, h-sec21c): what a version refused for the revocation or role
// rule is judged again. Revision 15: a fork's evidence (replica's fork.go,
// kind "fork-seen", session 21), which an older version refused by the
// kind rule, is judged again. Revision 16: a witness of others' chains
// (replica's witness.go, kind "heads-seen", h-fork21b), which an older
// version refused by the kind rule, is judged again. Revision 17: an
// administrator's act on a colleague naming less of his chains than her
// own witnesses before it pinned is no mutual pair's act (replica's
// mutual.go namesLess, h-ret22): what a version let stand so is swept by
// her revocation. Revision 18: a
// fork's branch stands by the majority of the members' witnesses, a
// revoked colleague's witness written before her revocation's heads
// counting (replica's witness.go, h-fork22): the pins are taken again
// with where each was written.
// Revision 19: a device move from another id bound to the same member's
// key (a restored workstation's, replica's move.go, h-restore22), which an
// older version refused by the kind rule, is judged again.
// Revision 22: per writer the few highest pins of a chain are kept, so a
// revoked colleague's witness written below her revocation's head still
// votes when a later one of hers pins higher (replica's witness.go,
// h-fork23): the pins are taken again.
// Revision 25: a field only a role holding a scope writes (Kind.Holders:
// an appointment's visit times, the physician's), written by a member
// whose role at the event does not hold it, is refused (replica's
// checkRoleOfFields, h-rev25a): what a version applied is judged again.
// Revision 26: a record id bound to a field's value (Kind.Pin: a
// patient's MRN, an appointment's import; CheckPin, replica's checkPin)
// and the status "seen" / "in-visit" held under it (Held.Values,
// Held.Pinned), and a patient's MRN kept as first written (Once) on a
// record made before (h-mrn26): what a version applied is judged again,
// and the records of patients whose events wrote two MRNs are rebuilt.
// Revision 27: of a tight pair of two administrators' acts on each other,
// the founder's stands and the other's falls (replica's mutual.go,
// h-sec26): what a version let stand is judged again (mendRoles).
// Revision 28: of a tight pair of two administrators neither the founder,
// the act of the senior by the admission tree stands and the other's
// falls (replica's seniority.go, h-seca27): judged again (mendRoles).
// Revision 29: an appointment's id bound to what its booking writes once
// (Pin.Bound: its patient, physician, series, who booked it when; the
// mark 5ec1d01c, NewBoundID), and an older appointment's patient and
// physician kept as first written (Once) (h-secb27): the bound records
// are judged again, and the appointments changed since they were made.
// Revision 30: an administrator whose cuts cross the cuts of her by two or
// more colleagues (contested) loses every pair she is in, and the senior
// wins a pair only one of whose acts names the other's chain up to the
// other's act (replica's contest.go, h-seca28): judged again (mendRoles).
// Revision 31: value rules (Kind.Values, values.go: an appointment's
// start within reach of when it was written, a prescription's doses
// amounts), for events signed since ValuesSince (h-secb28): the records
// changed since then are judged again.
// Revision 32: an entry admitted without a device list keeps every chain
// its member signed first whatever list is written into it later
// (replica's devicesOpenField, h-seca29): every entry is folded again
// (mendRoles), so a chain an older version dropped is kept when it comes
// again.
// Revision 33: of two administrators' crossing cuts of each other, neither
// or both contested, the senior's act stands whatever the two acts name of
// each other's chains (a both-loose crossing was left to arrival order),
// and both stand where neither is the senior; a contest counts a rival
// refused only for cuts of his admitter she signed (replica's contest.go,
// h-secb29): judged again (mendRoles).
const fieldsRevision = 33

// FieldsVersion names the declarations of every kind: it changes whenever
// a name, a family or a bound does. A workstation that finds its store was
// judged under another version judges again what the rule decides
// (replica's mendFields): a version that declares a new field applies the
// events an older one refused for it.
func FieldsVersion() string { return fieldsVersion() }

// fieldsVersion is computed once, after init filled the kinds table.
var fieldsVersion = sync.OnceValue(declarationsHash)

func declarationsHash() string {
	h := sha256.New()
	fmt.Fprintf(h, "revision %d, at most %d\n", fieldsRevision, MaxEventFields)
	for _, k := range Kinds() {
		fmt.Fprintf(h, "%s %q", k.Name, slices.Sorted(slices.Values(k.Fields)))
		if k.Shaped() {
			fmt.Fprintf(h, " ids %s", k.IDs)
		}
		for _, held := range k.Holders {
			fmt.Fprintf(h, " %q by %s", held.Field, held.Scope)
			if len(held.Values) > 0 || held.Pinned {
				fmt.Fprintf(h, " %q pinned %v", held.Values, held.Pinned)
			}
		}
		if k.Pin.Field != "" {
			fmt.Fprintf(h, " pin %q %q %q once %q", k.Pin.Field, k.Pin.Seal, k.Pin.With, k.Once)
			if len(k.Pin.Bound) > 0 {
				fmt.Fprintf(h, " bound %q", k.Pin.Bound)
			}
		}
		if k.Values.Check != nil {
			fmt.Fprintf(h, " values %q since %d", k.Values.Name, ValuesSince)
		}
		for _, f := range k.Keyed {
			fmt.Fprintf(h, " %q/%d", f.Prefix, f.PerEvent)
			if f.Set {
				fmt.Fprint(h, "/set")
			}
		}
		fmt.Fprintln(h)
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// The field lists of the kinds table (kinds.go).
var (
	// origin: where a record imported from another system came from.
	origin = []string{"attribution", "imported"}
	// signed: the signed records (a note, an addendum, a prescription, its
	// cancellation): the signed document and its signature, beside what
	// finds them.
	signed = []string{"doc", "sig", "patient", "encounter", "of", "code", "attribution", "imported"}
	// weekdays: a physician's working hours, one field a weekday.
	weekdays = []string{"week/0", "week/1", "week/2", "week/3", "week/4", "week/5", "week/6"}
)

// fields joins lists of names.
func fields(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// isDate accepts a calendar date written YYYY-MM-DD (any year a past
// version accepted: the app checks a day off is on the calendar).
func isDate(s string) bool {
	for i, c := range []byte(s) {
		if (i == 4 || i == 7) != (c == '-') || c != '-' && (c < '0' || c > '9') {
			return false
		}
	}
	if len(s) != len("2006-01-02") {
		return false
	}
	_, err := time.Parse("2006-01-02", s)
	return err == nil
}

// isEpoch accepts an epoch number as a key-held name writes it: a uint32
// in decimal, without a sign or leading zeros.
func isEpoch(s string) bool {
	n, err := strconv.ParseUint(s, 10, 32)
	return err == nil && strconv.FormatUint(n, 10) == s
}

// daysOff: a physician's days off, "off/YYYY-MM-DD". Every version writes
// one day off an event (the working hours write none), so one event may
// write one: a record grows by a day off only for each event written to
// it.
var daysOff = []Keyed{{Prefix: "off/", Key: isDate, PerEvent: 1}}

// heldKeys: a member's key-held record names "SCOPE/EPOCH" for each key
// its workstation holds, of the four data scopes.
var heldKeys = []Keyed{
	{Prefix: string(Directory) + "/", Key: isEpoch},
	{Prefix: string(FrontDesk) + "/", Key: isEpoch},
	{Prefix: string(Clinical) + "/", Key: isEpoch},
	{Prefix: string(Admin) + "/", Key: isEpoch},
}

// MaxRoleChanges is how many changes of role one directory entry records
// (replica's roleheads.go).
const MaxRoleChanges = 64

// roleChanges: a member's directory entry records each change of her role
// in its own field "role_change/N" (N from 1, at most MaxRoleChanges),
// written once: the first written stands (replica's roleheads.go). An
// administrator's workstation writes every change it knows at once (it
// carries over the changes an older version recorded), so one event may
// write all of them. "role_change/0" is the role the entry was admitted
// with, which the replica keeps as the first "role" written; no event
// writes it.
var roleChanges = []Keyed{{Prefix: "role_change/", Key: isRoleChange, PerEvent: MaxRoleChanges + 1}}

// isRoleChange accepts the number of a change of role: 0 to MaxRoleChanges,
// in decimal without leading zeros.
func isRoleChange(s string) bool {
	n, err := strconv.ParseUint(s, 10, 8)
	return err == nil && n <= MaxRoleChanges && strconv.FormatUint(n, 10) == s
}

// confirmedColleagues: a member's confirmations record names
// "member/FINGERPRINT/ADMISSION" for each physician a physician confirmed
// in person, "desk/FINGERPRINT/ADMISSION" for each colleague confirmed for
// the front desk only (ADMISSION: the hash of the colleague's directory
// entry's first event, so a confirmation counts for that admission only;
// versions before it wrote "member/FINGERPRINT" and "desk/FINGERPRINT"),
// and "recovery/SPLIT" for each recovery split a physician approved to
// hold the shares of the keys that need confirmation.
// Each is only ever set (Keyed.Set): a confirmation or approval is never
// withdrawn, or one physician could take every edge through her out of
// everyone's reckoning at once and split the colleagues she connected.
var confirmedColleagues = []Keyed{{Prefix: "member/", Key: isConfirmed, Set: true}, {Prefix: "recovery/", Key: isSplitID, Set: true},
	{Prefix: "desk/", Key: isConfirmed, Set: true}}

// isConfirmed accepts what a confirmation names: a fingerprint and the
// hash of the admission it counts for (an event hash: 64 lowercase hex
// digits), or a fingerprint alone (the form of older versions).
func isConfirmed(s string) bool {
	fp, admission, bound := strings.Cut(s, "/")
	return isFingerprint(fp) && (!bound || len(admission) == 64 && isLowerHex(admission))
}

// isSplitID accepts a recovery split's id: 16 random bytes in lowercase hex.
func isSplitID(s string) bool { return len(s) == 32 && isLowerHex(s) }

// isFingerprint accepts a member's key fingerprint as the directory writes
// it: an OpenPGP v4 (40) or v6 (64) fingerprint in lowercase hex.
func isFingerprint(s string) bool { return (len(s) == 40 || len(s) == 64) && isLowerHex(s) }

func isLowerHex(s string) bool {
	for _, c := range []byte(s) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
