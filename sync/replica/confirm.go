package replica

// Confirmed colleagues. An administrator admits members, so the keys of
// the directory and admin scopes follow her word; the keys patients' data
// is sealed with (the clinical and front-desk keys, roles.NeedsConfirmation)
// must not, or an administrator could admit a stand-in physician or
// receptionist of her own and read every chart or every patient's address.
// Those keys go only to members their holders confirmed in person: each
// physician and receptionist keeps a record "confirms:FINGERPRINT" (written
// by her alone, rules.go) naming each colleague she met and confirmed:
//
//   - "member/FINGERPRINT/ADMISSION": a physician confirmed a physician.
//     It counts for the clinical key and the front desk's.
//   - "desk/FINGERPRINT/ADMISSION": confirmed for the front desk only (a
//     physician confirmed a receptionist, or a receptionist anyone).
//
// ADMISSION is the hash of an event of the colleague's directory entry
// (admission.go): a confirmation counts only for the admission it names,
// so one written before an administrator admitted the key counts on no
// workstation, whatever happens to its writer or the key later (session
// 12 review, F3: a member who confirmed a key of her own making in
// advance, then left, gave the stand-in an administrator admitted later
// the scope's new epochs). For a colleague an administrator moved into a
// role holding the scope, the event named must be the change that moved
// her (entered.go: a clock is its writer's word, session 15 review V3).
// Older versions wrote the bare key
// ("member/FINGERPRINT"); such a field counts only where its writer's
// software never wrote the new form, and only when it was set after the
// colleague's admission in the clinic's order of events
// (forAdmissionLocked); the writer's own workstation carries those over
// once (CarryConfirmations).
//
// A "member/" field (and a recovery approval, "recovery/SPLIT") is written
// only in a role holding the clinical scope, a "desk/" field only in one
// holding the front desk's: on apply, on every workstation, an event of
// the record writing one in a role that does not (the role its author held
// at that event: roleAt, as authorize finds it) is refused by the role
// rule (checkRoleOfFields), and judged again whenever her history changes
// (judgeRoles), so the verdict does not depend on the order events
// arrive in; her own workstation refuses to write it (Append). Before
// session 13 (review B5) the field was judged only by the writer's role
// now, and a revoked member's "member/" fields counted whatever role she
// wrote them in: a physician moved to the front desk, or made an
// administrator, confirmed a stand-in admitted after she left the
// physicians and, once revoked, vouched for him.
// The reckoning still judges by the writer's role now too, so a physician
// moved to the front desk no longer vouches for physicians; but a revoked
// member's fields count whatever role her entry says, as she left them:
// an administrator can write any role into a revoked entry, and would
// otherwise split the physicians the leaver alone connected (session 12
// review, F2). Those are now only fields she wrote in a role holding
// their scope.
//
// Whom a workstation counts as confirmed for a scope is its own reckoning,
// from its own member outwards: itself, everyone it confirmed for the
// scope, everyone those confirmed for it, and so on; of those, the active
// members whose role holds the scope. For the clinical scope only "member/"
// fields are followed, so a receptionist the front desk confirmed whom an
// administrator then makes a physician is still nobody's confirmed
// physician.
// No administrator, and nobody nobody confirmed, can enter that set by
// writing records. A workstation grants the scope to a confirmed member
// only once she has confirmed a confirmed member in turn, so a newcomer
// holds the key only when her own reckoning already includes the
// colleagues who gave it to her (she never takes their keys for a
// stranger's and retires them, retire.go).

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/medihaven/medihaven/roles"
)

// KindConfirms is a member's record of the colleagues she confirmed in
// person: a directory record "confirms:FINGERPRINT" whose fields are
// "member/FINGERPRINT/ADMISSION", "desk/FINGERPRINT/ADMISSION" and
// "recovery/SPLIT" (see the file comment; older versions wrote
// "member/FINGERPRINT" and "desk/FINGERPRINT"). Only that member writes it.
const KindConfirms = "confirms"

const (
	confirmsEntityPrefix = roles.ConfirmsPrefix
	confirmsFieldPrefix  = "member/"   // a physician confirmed: counts for every scope
	deskFieldPrefix      = "desk/"     // a colleague confirmed for the front desk only
	approvesFieldPrefix  = "recovery/" // a recovery split approved for the scopes' shares
)

// ConfirmsEntity is the id of a member's confirmations record.
func ConfirmsEntity(fp string) string { return confirmsEntityPrefix + fp }

// confirmations is what a member's confirmations record says: each field
// set ("member/FINGERPRINT/ADMISSION", "desk/FINGERPRINT/ADMISSION",
// "recovery/SPLIT", and the older "member/FINGERPRINT" and
// "desk/FINGERPRINT"), with the clock of the event that set it last. None
// is ever unset: the fields rule refuses a confirms field written as
// anything but true (roles.Keyed.Set), on apply and before writing, so the
// record only grows whatever order its events are merged in.
type confirmations struct {
	set map[string]Cell
	// bound: a field names a colleague's admission. The writer's
	// software is of a version that writes them, and carried her older
	// confirmations over in that form first (CarryConfirmations): her
	// bare fields count no more (forAdmissionLocked).
	bound bool
}

func confirmationsOf(st State) confirmations {
	out := confirmations{set: map[string]Cell{}}
	for name, c := range st {
		if string(c.V) != "true" {
			continue
		}
		out.set[name] = c
		if _, _, adm, ok := colleagueField(name); ok && adm != "" {
			out.bound = true
		}
	}
	return out
}

// colleagueField splits a confirms field that names a colleague: its
// prefix ("member/" or "desk/"), her fingerprint and the hash of the
// admission it names ("" in the bare form older versions wrote). ok is
// false for any other field.
func colleagueField(name string) (prefix, fp, adm string, ok bool) {
	for _, p := range [...]string{confirmsFieldPrefix, deskFieldPrefix} {
		if rest, found := strings.CutPrefix(name, p); found {
			fp, adm, _ = strings.Cut(rest, "/")
			return p, fp, adm, true
		}
	}
	return "", "", "", false
}

// confirmsScope is the scope a confirms field vouches for, which the role
// its writer held when she wrote it must hold: the clinical scope for a
// physician confirmed ("member/") and a recovery split approved
// ("recovery/"), the front desk's for "desk/". ok is false for any other
// field (the fields rule judges those).
func confirmsScope(name string) (scope roles.Scope, ok bool) {
	switch {
	case strings.HasPrefix(name, confirmsFieldPrefix), strings.HasPrefix(name, approvesFieldPrefix):
		return roles.Clinical, true
	case strings.HasPrefix(name, deskFieldPrefix):
		return roles.FrontDesk, true
	}
	return "", false
}

// roleOfFields reports whether the fields of an event of kind are judged
// by the role its author held at the event (checkRoleOfFields).
func roleOfFields(kind string) bool {
	k, _ := roles.KindOf(kind)
	return kind == KindConfirms || k.HasHolders()
}

// checkRoleOfFields applies the role rule to the fields of an event of a
// confirmations record written in role, the role its author held at that
// event (roleAt, as authorize finds it): a field whose scope
// (confirmsScope) the role does not hold is refused (session 13 review,
// B5). Judged on apply, where the payload opens, on every workstation and
// before writing, and again whenever the author's history changes
// (judgeRoles: the verdict is ruleRole's), so it does not depend on the
// order events arrive in.
//
// And a field of kind only a role holding a scope writes (roles.Kind.Holders:
// an appointment's visit times are the physician's), written in a role
// that does not hold it (session 25 review, h-rev25a), judged alike; and
// since session 26 (h-mrn26) a value of one (an appointment's status
// "seen" or "in-visit", under the record's id entity: but in its import).
func checkRoleOfFields(kind, entity string, role roles.Role, f Fields) error {
	if k, _ := roles.KindOf(kind); k.HasHolders() {
		if err := k.CheckRole(role, entity, f); err != nil {
			return badRole{fmt.Sprintf("%v, not by a %s", err, roleName(role))}
		}
	}
	if kind != KindConfirms {
		return nil
	}
	for _, name := range slices.Sorted(maps.Keys(f)) {
		if scope, ok := confirmsScope(name); ok && !role.Holds(scope) {
			return badRole{fmt.Sprintf("a %s vouches for nobody in the %s scope: only a member whose role holds it writes %q",
				roleName(role), scope, name[:strings.IndexByte(name, '/')+1])}
		}
	}
	return nil
}

// roleName names role in a reason ("newcomer" before she has one).
func roleName(role roles.Role) string {
	if role == "" {
		return "newcomer"
	}
	return string(role)
}

// Confirm records that this member confirmed the colleague with key
// fingerprint fp in person: for every scope both hold when both are
// physicians ("member/"), else for the front desk ("desk/"). Confirming
// twice writes nothing.
func (r *Replica) Confirm(ctx context.Context, fp string) error {
	r.state.RLock()
	physicians := r.members[r.fp].Role.Holds(roles.Clinical) && r.members[fp].Role.Holds(roles.Clinical)
	r.state.RUnlock()
	if physicians {
		return r.writeConfirms(ctx, confirmsFieldPrefix, fp, "confirm colleague "+short(fp))
	}
	return r.ConfirmDesk(ctx, fp)
}

// ConfirmDesk records that this member confirmed the colleague with key
// fingerprint fp for the front desk ("desk/"), whatever their roles.
func (r *Replica) ConfirmDesk(ctx context.Context, fp string) error {
	return r.writeConfirms(ctx, deskFieldPrefix, fp, "confirm colleague "+short(fp)+" for the front desk")
}

// ApproveRecovery records that this physician approved recovery split id
// to hold shares of the keys of the scopes that need confirmation (the
// clinical and front-desk keys): she knows its administrators (app/recovery
// escrows those keys only to a split a confirmed physician approved).
func (r *Replica) ApproveRecovery(ctx context.Context, id string) error {
	what := "approve recovery split " + short(id)
	r.state.RLock()
	_, done := r.confirms[r.fp].set[approvesFieldPrefix+id]
	physician := r.members[r.fp].Role.Holds(roles.Clinical)
	r.state.RUnlock()
	switch {
	case done:
		return nil
	case !physician:
		return fmt.Errorf("replica: %s: %w: only a physician approves a recovery split", what, ErrForbidden)
	}
	return r.appendConfirms(ctx, []string{approvesFieldPrefix + id}, what)
}

// appendConfirms sets fields in this member's confirmations record.
func (r *Replica) appendConfirms(ctx context.Context, fields []string, what string) error {
	f := Fields{}
	for _, name := range fields {
		f[name] = mustJSON(true)
	}
	if _, err := r.Append(ctx, Change{Entity: ConfirmsEntity(r.fp), Kind: KindConfirms, Scope: roles.Directory, Fields: f}); err != nil {
		return fmt.Errorf("replica: %s: %w", what, err)
	}
	return nil
}

// writeConfirms confirms the colleague with key fingerprint fp in this
// member's confirmations record, by a field of prefix ("member/",
// "desk/") naming an event of her directory entry: the one by which she
// last came into a role holding each scope the field counts for
// (entered.go): her admission (the hash of her entry's first event), or
// the change of role that moved her into it. It counts for that entry
// only, so a confirmation written before an administrator admitted her,
// or moved her, never counts (session 12 review, F3; session 15 review,
// V3). Where she came into the clinical and front-desk scopes by
// different events, a "member/" field is written for each. Only a
// physician writes what counts only from a physician ("member/": see
// edgeLocked): every workstation would ignore it. The colleague must be
// an admitted, active member here: nobody confirms a key nobody has seen,
// and no admission is known before. The member's confirmations of the
// older form are carried over first (CarryConfirmations): once her record
// names an admission, they count no more.
func (r *Replica) writeConfirms(ctx context.Context, prefix, fp, what string) error {
	var physician, member bool
	var m Member
	var adm string
	r.judged(func() {
		physician = r.members[r.fp].Role.Holds(roles.Clinical)
		m, member = r.members[fp]
		adm = r.admissions[fp].hash
	})
	switch {
	case prefix != deskFieldPrefix && !physician:
		return fmt.Errorf("replica: %s: %w: only a physician confirms a colleague for the clinical records", what, ErrForbidden)
	case !member || !m.Active() || adm == "":
		return fmt.Errorf("replica: %s: %w: no active member has that key here; wait until this workstation has synced her admission", what, ErrForbidden)
	}
	if _, err := r.CarryConfirmations(ctx); err != nil {
		return fmt.Errorf("replica: %s: %w", what, err)
	}
	var fields []string
	var disputed bool
	r.judged(func() { fields, disputed = r.toConfirmLocked(prefix, fp) })
	switch {
	case disputed:
		return fmt.Errorf("replica: %s: %w: %s's role history is disputed (administrators recorded different changes of it), so no confirmation of her counts; an administrator can revoke her and issue her a new token", what, ErrForbidden, m.Name)
	case len(fields) == 0:
		return nil // confirmed already, in a way that counts
	}
	return r.appendConfirms(ctx, fields, what)
}

// toConfirmLocked returns the fields of prefix naming fp this member
// writes to confirm her (writeConfirms), none when one set already counts
// for every scope the prefix vouches for that her role holds (under
// state). disputed: for one of them, no confirmation of her counts.
func (r *Replica) toConfirmLocked(prefix, fp string) (fields []string, disputed bool) {
	scopes := []roles.Scope{roles.Clinical, roles.FrontDesk}
	if prefix == deskFieldPrefix {
		scopes = []roles.Scope{roles.FrontDesk}
	}
	set := r.namingLocked(r.fp, prefix, fp, false)
	held := false
	for _, scope := range scopes {
		if !r.members[fp].Role.Holds(scope) {
			continue
		}
		held = true
		// One set already, or about to be (a field naming her move
		// into the physicians counts for the front desk she was
		// admitted to, too).
		if slices.ContainsFunc(slices.Concat(set, fields), func(name string) bool {
			_, _, adm, _ := colleagueField(name)
			return r.namesEntryLocked(scope, r.fp, name, fp, adm)
		}) {
			continue
		}
		event, ok := r.entryEventLocked(scope, fp)
		if !ok {
			return nil, true
		}
		if name := prefix + fp + "/" + event; !slices.Contains(fields, name) {
			fields = append(fields, name)
		}
	}
	if !held && len(set) == 0 {
		// Her role holds none of its scopes (a receptionist confirms an
		// administrator for the front desk): her admission, as before.
		fields = append(fields, prefix+fp+"/"+r.admissions[fp].hash)
	}
	return fields, false
}

// CarryConfirmations writes this member's confirmations of the older form
// ("member/FINGERPRINT", "desk/FINGERPRINT") again in the form that names
// the colleague's admission, those that count now (forAdmissionLocked:
// written after it), and returns how many it wrote: once, as the upkeep
// after an upgrade runs it, and before any confirmation of the new form
// (writeConfirms), since once her record names an admission her bare
// fields count no more. A bare field that does not count (written before
// the admission of the key it names, or naming a key nobody admitted here)
// is not carried over: written again it would count.
func (r *Replica) CarryConfirmations(ctx context.Context) (int, error) {
	var carry []string
	r.judged(func() { carry = r.carryLocked() })
	slices.Sort(carry)
	for fields := range slices.Chunk(carry, roles.MaxEventFields) {
		if err := r.appendConfirms(ctx, fields, "carry confirmations over"); err != nil {
			return 0, err
		}
	}
	return len(carry), nil
}

// judged runs f under the state lock once no Apply or Append is under way:
// the directory entries an Apply merged are judged by then (their
// admissions known: admission.go), though the member shows at once.
func (r *Replica) judged(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.state.RLock()
	defer r.state.RUnlock()
	f()
}

// carryLocked returns the fields CarryConfirmations writes (under state).
func (r *Replica) carryLocked() []string {
	var carry []string
	role := r.members[r.fp].Role
	for name := range r.confirms[r.fp].set {
		// By the clock alone: once one carried field is in, the record
		// names an admission, and an interrupted carry goes on.
		prefix, fp, adm, ok := colleagueField(name)
		if !ok || adm != "" || !r.bareAfterLocked(r.fp, name, fp) {
			continue
		}
		scope, _ := confirmsScope(name)
		if !role.Holds(scope) {
			continue // her role now may not write it (checkRoleOfFields)
		}
		// Named for her admission, only where she came in by it (a
		// moved colleague is confirmed again: entered.go), and by an
		// event of it, not any event of her entry (session 16 review
		// h-sec16b, A).
		if len(r.namingLocked(r.fp, prefix, fp, false)) > 0 {
			continue
		}
		for _, scope := range []roles.Scope{scope, roles.FrontDesk} {
			events, admitted := r.entryEventsLocked(scope, fp)
			if admitted && len(events) > 0 {
				carry = append(carry, prefix+fp+"/"+slices.Min(slices.Collect(maps.Keys(events))))
				break
			}
		}
	}
	return carry
}

// edgeLocked reports whom field name of by's confirmations record confirms
// for scope (under state): "desk/" fields count for the front desk,
// "member/" fields for every scope, but only in the record of a member
// whose role holds the clinical scope (a physician moved to the desk
// vouches for physicians no more) or who is revoked (her confirmations
// stand as she left them, each written in a role holding its scope:
// checkRoleOfFields; her later writes are swept); and only if it names
// the event by which the colleague last came into a role holding scope
// (namesEntryLocked, entered.go: her admission, checked by
// forAdmissionLocked, or the change that moved her into it). Any other
// field confirms nobody.
func (r *Replica) edgeLocked(by, name string, scope roles.Scope) (string, bool) {
	prefix, fp, adm, ok := colleagueField(name)
	if !ok {
		return "", false
	}
	m := r.members[by]
	if prefix == confirmsFieldPrefix && !m.Revoked() && !m.Role.Holds(roles.Clinical) {
		return fp, false
	}
	// Like member/ above, a desk/ field counts while its writer's role
	// holds the front desk, or once she is revoked (her confirmations
	// stand then, so her leaving splits no one): a receptionist made an
	// administrator vouches for nobody any more, or she could admit a
	// stand-in she confirmed while she worked at the desk (session 12
	// review, F3).
	if prefix == deskFieldPrefix && (scope != roles.FrontDesk || !m.Revoked() && !m.Role.Holds(roles.FrontDesk)) {
		return fp, false
	}
	return fp, r.namesEntryLocked(scope, by, name, fp, adm)
}

// forAdmissionLocked reports whether by's field name, naming fp and the
// admission adm, counts for fp's admission here (under state). A field
// naming an admission counts when it is hers: the hash of an event of her
// directory entry, which nobody could name before an administrator signed
// it.
// A bare field (older versions) counts only in a record that names no
// admission yet (its writer's software never carried it over), and only
// when the event that set it comes after her admission in the clinic's
// order (its Lamport clock is higher): an honest workstation confirms only
// a member whose entry it applied, so its clock is past the entry's; a
// confirmation written before the admission is below it, unless the
// administrator who wrote the admission had not applied it (see Known
// limits).
func (r *Replica) forAdmissionLocked(by, name, fp, adm string) bool {
	if adm != "" {
		return r.admissions[fp].events[adm]
	}
	return !r.confirms[by].bound && r.bareAfterLocked(by, name, fp)
}

// bareAfterLocked reports whether by's bare field name, naming fp, was set
// after fp's admission by Lamport clock (under state).
func (r *Replica) bareAfterLocked(by, name, fp string) bool {
	a := r.admissions[fp]
	return a.hash != "" && r.confirms[by].set[name].L > a.at.Lamport
}

// confirmsLocked reports whether by confirmed fp for scope (under state).
func (r *Replica) confirmsLocked(scope roles.Scope, by, fp string) bool {
	for _, prefix := range [...]string{confirmsFieldPrefix, deskFieldPrefix} {
		for _, name := range r.namingLocked(by, prefix, fp, true) {
			if _, ok := r.edgeLocked(by, name, scope); ok {
				return true
			}
		}
	}
	return false
}

// namingLocked returns the fields of prefix set in by's confirmations
// record that name fp and an event of her directory entry, and with bare
// the field of the older form too (under state).
func (r *Replica) namingLocked(by, prefix, fp string, bare bool) []string {
	set := r.confirms[by].set
	var out []string
	if _, ok := set[prefix+fp]; ok && bare {
		out = append(out, prefix+fp)
	}
	for adm := range r.admissions[fp].events {
		if _, ok := set[prefix+fp+"/"+adm]; ok {
			out = append(out, prefix+fp+"/"+adm)
		}
	}
	return out
}

// Confirms reports whether member by confirmed fp in a way that counts for
// scope.
func (r *Replica) Confirms(scope roles.Scope, by, fp string) bool {
	r.state.RLock()
	defer r.state.RUnlock()
	return r.confirmsLocked(scope, by, fp)
}

// ConfirmedBy returns the members who confirmed fp in a way that counts
// for scope (active or not), sorted.
func (r *Replica) ConfirmedBy(scope roles.Scope, fp string) []string {
	r.state.RLock()
	defer r.state.RUnlock()
	var out []string
	for by := range r.confirms {
		if r.confirmsLocked(scope, by, fp) {
			out = append(out, by)
		}
	}
	sort.Strings(out)
	return out
}

// RecoveryApprovals returns every member whose confirmations record
// approves recovery split id, sorted, whoever she is (for display; what
// counts is RecoveryApprovedBy).
func (r *Replica) RecoveryApprovals(id string) []string {
	r.state.RLock()
	defer r.state.RUnlock()
	var out []string
	for by, c := range r.confirms {
		if _, set := c.set[approvesFieldPrefix+id]; set {
			out = append(out, by)
		}
	}
	sort.Strings(out)
	return out
}

// RecoveryApprovedBy returns the physicians this workstation counts as
// confirmed for scope who approved recovery split id, sorted: for a scope
// that needs no confirmation, nil (no approval is asked). An approval in
// the record of a member whose role does not hold the clinical scope
// counts for nothing (edgeLocked).
func (r *Replica) RecoveryApprovedBy(scope roles.Scope, id string) []string {
	if !roles.NeedsConfirmation(scope) {
		return nil
	}
	all := r.RecoveryApprovals(id)
	r.state.RLock()
	defer r.state.RUnlock()
	in := r.confirmedLocked(scope)
	var out []string
	for _, fp := range all {
		if in[fp] && r.members[fp].Role.Holds(roles.Clinical) {
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
// from itself through confirmations that count for scope (edgeLocked). A
// confirmation stands after its writer is revoked, as everything she wrote
// before (revocation does not cascade; what she wrote after it is swept,
// so never counts): a clinic whose senior physician leaves is not split.
func (r *Replica) confirmedLocked(scope roles.Scope) map[string]bool {
	reached := r.reachedLocked(scope)
	in := map[string]bool{r.fp: true}
	for fp := range reached {
		if m := r.members[fp]; m.Active() && m.Role.Holds(scope) {
			in[fp] = true
		}
	}
	return in
}

// reachedLocked is every member this workstation reaches from itself
// through the confirmations that count for scope (under state), whatever
// her status or role now: the colleagues whose keys of scope it takes
// (keysource.go).
func (r *Replica) reachedLocked(scope roles.Scope) map[string]bool {
	return r.reachLocked(scope, r.fp)
}

// Reaches returns every member that member from reaches through the
// confirmations that count for scope, herself included: whom her
// workstation may count as confirmed (it counts those whose role holds
// scope and who are active). Every workstation reads the same
// confirmations records, so any of them can tell.
func (r *Replica) Reaches(scope roles.Scope, from string) map[string]bool {
	r.state.RLock()
	defer r.state.RUnlock()
	return r.reachLocked(scope, from)
}

func (r *Replica) reachLocked(scope roles.Scope, from string) map[string]bool {
	reached := map[string]bool{from: true}
	queue := []string{from}
	for len(queue) > 0 {
		by := queue[0]
		queue = queue[1:]
		for name := range r.confirms[by].set {
			fp, ok := r.edgeLocked(by, name, scope)
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
// is confirmed here and reaches this member by confirmations herself.
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
	// Her own reckoning must reach this member, or her workstation would
	// count the key's giver a stranger, retire it and start an epoch the
	// rest never get (session 11 review, finding 6: one-way confirmations
	// split the clinic). Every workstation reads the same records, so it
	// can tell what hers will count.
	return in[fp] && r.reachLocked(scope, fp)[r.fp]
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
