package replica

// admission.go holds the rules that decide between directory entries, and
// between the members who claim one device, the same way on every
// workstation whatever order the events arrived in (issue 13, findings 9
// and 4):
//
//   - One token, one member. Of the member entries citing one registration
//     token, the entry whose event first set that token (lowest by
//     Lamport, device, seq) stands; every other entry is not admitted
//     (Member.TokenTakenBy): every event its member signed, but public
//     keys and enrollment requests, is refused ("token T already admitted
//     F"), and Maintain grants it nothing. When an entry with a lower
//     event arrives later, the entry that stood is displaced the same way
//     and the records its member's events touched are rebuilt; when the
//     entry that stood goes (its writer's events were refused), the next
//     one stands and its member's refused events are judged again. The
//     founder's entry cites no token.
//   - Devices are the directory's. An entry may name the member's devices
//     ("devices": Admit names the device the enrollment request came from
//     and was bound to). A device an admitted entry names belongs to that
//     member (to the entry that named it first, should two name it),
//     whoever wrote the device's first event: an event of it signed by
//     anyone else is not kept, and one kept before the entry arrived
//     (someone copied a newcomer's fresh device id from the sync room and
//     published a key as its first event) is dropped, the records it
//     touched rebuilt, and its place left free for the genuine events,
//     which are asked for again. When the author's entry names devices, an
//     event of a device it does not name is not the author's and is not
//     kept either, but for an entry admitted without a list (before issue
//     13): its lists add devices, never the only ones (devicesOpenField). A device no entry names belongs to the author of its
//     first event (entries written before devices were named).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// entryClaims is, for one member's entry, the first event that set what
// the entry says now: its token, and each device it names; and the
// events of the entry, that admitted her (confirm.go).
type entryClaims struct {
	token     *claim           // nil: the entry cites no token
	devices   map[string]claim // device -> the first event that named it
	admission admission
	holds     []holdClaim // revocations of her refused by their writer's revocation or role (hold.go)
}

// admission is what a member's directory entry says of her admission: an
// administrator's signed events, which nobody can name before they are
// written. A confirmation counts when it names one of them by its hash
// (confirm.go).
type admission struct {
	// hash is the hash of the entry's first applied event (by Lamport,
	// device, seq: the same on every workstation that applied the same
	// events), at its place: what this workstation names when it confirms
	// her, and what a confirmation of the older form must come after. ""
	// for an entry none of whose events is applied.
	hash string
	at   claim
	// events are the hashes of every applied event of the entry: a
	// confirmation naming any of them was written after her admission
	// (one that names a later change of the entry, or an earlier event
	// another workstation saw first, counts the same, for a scope she
	// did not come into by a change: entered.go).
	events map[string]bool
	// changes are, per change number N, the events that wrote
	// "role_change/N"; admitted the admission-shaped events the entry
	// keeps its admission role from; role the events that wrote the
	// role it names (entered.go).
	changes        map[int]map[string]bool
	admitted, role writers
}

// storedFields opens an applied envelope of a record kind with its scope
// key: the fields it wrote.
func (r *Replica) storedFields(row store.Envelope) (*crypto.Envelope, Fields, error) {
	r.state.RLock()
	k, ok := r.keys[row.Scope][row.Epoch]
	r.state.RUnlock()
	if !ok {
		return nil, nil, fmt.Errorf("replica: envelope %s was applied without its key", row.ID)
	}
	env, fields, err := openStored(row.Raw, k)
	if err != nil {
		return nil, nil, fmt.Errorf("replica: stored envelope %s: %w", row.ID, err)
	}
	return env, fields, nil
}

// openStored parses a stored envelope and opens its payload with k: the
// fields it wrote, judged by no rule (those ran when it was applied or
// refused).
func openStored(raw []byte, k crypto.ScopeKey) (*crypto.Envelope, Fields, error) {
	env, err := crypto.ParseEnvelope(raw)
	if err != nil {
		return nil, nil, err
	}
	plain, err := env.Open(k)
	if err != nil {
		return nil, nil, err
	}
	var fields Fields
	if err := json.Unmarshal(plain, &fields); err != nil {
		return nil, nil, err
	}
	return env, fields, nil
}

// entryClaims reads the applied events of m's entry for the first that set
// its token and the first that named each of its devices, and its
// revocations refused for their writer that may hold her (hold.go).
func (r *Replica) entryClaims(ctx context.Context, tx *store.Tx, m Member) (entryClaims, error) {
	out := entryClaims{devices: map[string]claim{}, admission: admission{events: map[string]bool{}}}
	rows, err := tx.EnvelopesForEntity(ctx, m.Fingerprint)
	if err != nil {
		return out, fmt.Errorf("replica: events of %s: %w", short(m.Fingerprint), err)
	}
	for _, row := range rows {
		if c, ok := r.holdClaimOf(m.Fingerprint, row); ok {
			out.holds = append(out.holds, c) // hold.go
			continue
		}
		if row.Kind != KindMember || row.State != store.Applied {
			continue
		}
		env, fields, err := r.storedFields(row)
		if err != nil {
			return out, err
		}
		c := claimOf(env.Header)
		out.admission.events[row.Hash] = true
		out.admission.note(row.Hash, env.Header, fields)
		if out.admission.hash == "" || before(c, out.admission.at) {
			out.admission.hash, out.admission.at = row.Hash, c
		}
		var token string
		if json.Unmarshal(fields["token"], &token) == nil && token != "" && token == m.Token && (out.token == nil || before(c, *out.token)) {
			out.token = &c
		}
		var devices []string
		json.Unmarshal(fields["devices"], &devices) //nolint:errcheck // anything but a list names no device
		for _, d := range devices {
			if _, named := m.namesDevice(d); !named {
				continue
			}
			if old, ok := out.devices[d]; !ok || before(c, old) {
				out.devices[d] = c
			}
		}
	}
	return out, nil
}

// judgeTokens decides, for every entry citing a token, whether it stands
// (Member.TokenTakenBy). It returns the members whose admission changed:
// true for one no longer admitted, false for one admitted again.
func (r *Replica) judgeTokens() map[string]bool {
	r.state.Lock()
	defer r.state.Unlock()
	first := map[string]string{} // token -> the member whose entry cited it first
	r.admitted = make(map[string]*claim, len(r.members))
	r.admissions = make(map[string]admission, len(r.members))
	for fp, m := range r.members {
		c := r.claims[fp].token
		r.admitted[fp] = c
		r.admissions[fp] = r.claims[fp].admission
		if c == nil {
			continue
		}
		if w, ok := first[m.Token]; !ok || before(*c, *r.claims[w].token) {
			first[m.Token] = fp
		}
	}
	flipped := map[string]bool{}
	for fp, m := range r.members {
		taken := ""
		if w := first[m.Token]; r.claims[fp].token != nil && w != fp {
			taken = w
		}
		if taken == m.TokenTakenBy {
			continue
		}
		if (taken == "") != (m.TokenTakenBy == "") {
			flipped[fp] = taken != ""
		}
		m.TokenTakenBy = taken
		r.members[fp] = m
		r.onChange = append(r.onChange, Changed{ID: fp, Kind: KindMember, Scope: string(roles.Directory)})
	}
	return flipped
}

// judgeDirectory applies the rules of admission.go after directory entries
// changed (r.dirty): it reads their claims again, decides which entries
// stand for their token and who owns the devices they name or named,
// refuses the events of a member no longer admitted, sends those of one
// admitted again back to pending, and gives each device to its owner. It
// reports whether it changed anything settle must go round again for.
func (r *Replica) judgeDirectory(ctx context.Context, tx *store.Tx) (bool, error) {
	if len(r.dirty) == 0 {
		return false, nil
	}
	dirty := r.dirty
	r.dirty = map[string]bool{}
	devices := map[string]bool{} // devices whose owner may have changed
	for fp := range dirty {
		for d := range r.claims[fp].devices {
			devices[d] = true
		}
		bound, err := tx.DevicesOf(ctx, fp)
		if err != nil {
			return false, fmt.Errorf("replica: devices of %s: %w", short(fp), err)
		}
		for _, d := range bound {
			devices[d] = true
		}
		r.state.RLock()
		m, ok := r.members[fp]
		r.state.RUnlock()
		if !ok {
			delete(r.claims, fp)
			continue
		}
		c, err := r.entryClaims(ctx, tx, m)
		if err != nil {
			return false, err
		}
		r.claims[fp] = c
		for d := range c.devices {
			devices[d] = true
		}
	}
	progress := false
	flipped := r.judgeTokens()
	for fp := range dirty {
		if _, ok := flipped[fp]; ok {
			continue
		}
		// Displaced already, and its entry changed (or this workstation
		// opened a profile that may have applied its events before this
		// rule existed): refused again, which changes nothing when nothing
		// of theirs is applied.
		swept, err := r.refuseNotAdmitted(ctx, tx, fp)
		if err != nil {
			return progress, err
		}
		progress = progress || swept
	}
	for fp, displaced := range flipped {
		progress = true
		for d := range r.claims[fp].devices {
			devices[d] = true
		}
		var err error
		if displaced {
			_, err = r.refuseNotAdmitted(ctx, tx, fp)
		} else {
			err = r.judgeAgain(ctx, tx, fp, ruleToken, "the member's entry stands for its token again: judged again")
		}
		if err != nil {
			return progress, err
		}
	}
	held, err := r.judgeHolds(ctx, tx, false)
	if err != nil {
		return progress, err
	}
	progress = progress || held
	for d := range devices {
		changed, err := r.settleDevice(ctx, tx, d)
		if err != nil {
			return progress, err
		}
		progress = progress || changed
	}
	return progress, nil
}

// notAdmitted is the reason the events of a member whose entry does not
// stand are refused.
func notAdmitted(m Member) string {
	return fmt.Sprintf("token %s already admitted %s", short(m.Token), short(m.TokenTakenBy))
}

// refuseNotAdmitted refuses every event of fp that this workstation applied
// or sealed (public keys and enrollment requests aside, which no member
// entry is needed for), when their entry does not stand.
func (r *Replica) refuseNotAdmitted(ctx context.Context, tx *store.Tx, fp string) (bool, error) {
	r.state.RLock()
	m, ok := r.members[fp]
	r.state.RUnlock()
	if !ok || m.TokenTakenBy == "" {
		return false, nil
	}
	return r.refuseFrom(ctx, tx, fp, nil, refused(ruleToken, "%s", notAdmitted(m)))
}

// refuseFrom refuses, on each device of fp, the events after heads[device]
// (every event for a device heads does not name) that this workstation
// applied or sealed, with verdict v, and rebuilds the records they
// touched. Public keys and enrollment requests are no acts of membership
// and stay: a key still verifies what its owner signed before.
func (r *Replica) refuseFrom(ctx context.Context, tx *store.Tx, fp string, heads map[string]uint64, v verdict) (bool, error) {
	return r.refuseWhere(ctx, tx, fp, heads, v, func(store.Envelope) bool { return true })
}

// refuseWhere is refuseFrom for the events of fp that which picks.
func (r *Replica) refuseWhere(ctx context.Context, tx *store.Tx, fp string, heads map[string]uint64, v verdict,
	which func(store.Envelope) bool) (bool, error) {
	devices, err := tx.DevicesOf(ctx, fp)
	if err != nil {
		return false, err
	}
	swept := false
	touched := map[string]bool{}
	for _, d := range devices {
		rows, err := tx.EnvelopesAfter(ctx, d, heads[d], -1)
		if err != nil {
			return swept, err
		}
		for _, row := range rows {
			if row.Author != fp || noAct(row.Kind) || (row.State != store.Applied && row.State != store.Sealed) ||
				!which(row) {
				continue
			}
			if err := r.setState(ctx, tx, row, v); err != nil {
				return swept, err
			}
			swept = true
			if isRecordKind(row.Kind) {
				touched[row.Entity] = true
			}
		}
	}
	for id := range touched {
		if err := r.rebind(ctx, tx, id, nil); err != nil {
			return swept, err
		}
	}
	return swept, nil
}

// judgeAgain sends every event of fp refused by rule back to pending, to
// be judged again now that the rule may let it through.
func (r *Replica) judgeAgain(ctx context.Context, tx *store.Tx, fp, rule, reason string) error {
	devices, err := tx.DevicesOf(ctx, fp)
	if err != nil {
		return err
	}
	for _, d := range devices {
		rows, err := tx.EnvelopesAfter(ctx, d, 0, -1)
		if err != nil {
			return err
		}
		for _, row := range rows {
			if row.Author == fp && row.State == store.Rejected && row.Rule == rule {
				if err := r.setState(ctx, tx, row, verdict{state: store.Pending, reason: reason}); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// rightfulOwner is the member device belongs to by the directory: its
// present owner cur when cur signed its first event here (signed) and
// cur's admitted entry names it, whatever entry named it earlier (clocks
// are their writers' word: an administrator's entry for a puppet naming a
// colleague's workstation below his admission took every event he signed,
// session 16 review h-sec16c); else the admitted member whose entry named
// it first; failing that, cur, unless cur's entry names other devices
// only; failing that, nobody yet.
func (r *Replica) rightfulOwner(device, cur string, signed bool) string {
	r.state.RLock()
	defer r.state.RUnlock()
	if m, ok := r.members[cur]; signed && ok && m.TokenTakenBy == "" {
		if _, named := m.namesDevice(device); named {
			return cur
		}
	}
	owner := ""
	var at claim
	for fp, c := range r.claims {
		named, ok := c.devices[device]
		if !ok || r.members[fp].TokenTakenBy != "" {
			continue
		}
		if owner == "" || before(named, at) {
			owner, at = fp, named
		}
	}
	if owner != "" || cur == "" {
		return owner
	}
	if names, named := r.members[cur].namesDevice(device); names && !named {
		return ""
	}
	return cur
}

// DeviceAuthor is the member whose events device carries on this
// workstation, "" when it carries none.
func (r *Replica) DeviceAuthor(ctx context.Context, device string) (string, error) {
	var fp string
	err := r.p.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		if fp, err = tx.DeviceOwner(ctx, device); errors.Is(err, store.ErrNotFound) {
			fp, err = "", nil
		}
		return err
	})
	if err != nil {
		return "", fmt.Errorf("replica: whose events device %s carries: %w", short(device), err)
	}
	return fp, nil
}

// settleDevice gives device to its rightful owner: every event of it
// signed by someone else is dropped (what the applied ones changed is
// rebuilt, and they are reported as not kept, so the genuine events are
// asked for again). This workstation's own device is never given away.
func (r *Replica) settleDevice(ctx context.Context, tx *store.Tx, device string) (bool, error) {
	if device == r.p.Device {
		return false, nil
	}
	cur, err := r.ownerOf(ctx, tx, device)
	if err != nil {
		return false, err
	}
	want, keep, err := r.settledOwner(ctx, tx, device, cur)
	if err != nil || keep {
		return false, err
	}
	rows, err := tx.EnvelopesAfter(ctx, device, 0, -1)
	if err != nil {
		return false, fmt.Errorf("replica: events of device %s: %w", short(device), err)
	}
	touched, keys := map[string]bool{}, map[string]bool{}
	for _, row := range rows {
		if row.Author == want {
			continue
		}
		if err := tx.DropEnvelope(ctx, row.ID); err != nil {
			return false, fmt.Errorf("replica: drop a squat: %w", err)
		}
		delete(r.settled, chainPlace{row.Device, row.Seq})
		if row.State == store.Sealed {
			r.recount = true // no longer awaits a key (countAwaited)
		}
		if row.Kind == KindMember {
			r.dirty[row.Entity] = true // a claim that held its member may be gone (hold.go)
		}
		if row.Kind == KindMove {
			r.movedChanged(row.Author, row.Device) // move.go
		}
		if row.State != store.Applied && row.State != store.Sealed {
			continue
		}
		reason := fmt.Sprintf("signed by %s, but the directory gives device %s to %s: not kept", short(row.Author), short(device), short(want))
		if want == "" {
			reason = fmt.Sprintf("signed by %s, whose directory entry does not name device %s: not kept", short(row.Author), short(device))
		}
		r.undone = append(r.undone, Problem{Event: row.ID, Device: device, Seq: row.Seq, Reason: reason, Altered: true})
		switch {
		case row.Kind == KindKey || row.Kind == KindMove: // a move carries her key (move.go)
			keys[row.Author] = true
		case isRecordKind(row.Kind):
			touched[row.Entity] = true
		}
	}
	if err := tx.DeleteDevice(ctx, device); err != nil {
		return false, err
	}
	if want != "" {
		if err := tx.PutDevice(ctx, device, want); err != nil {
			return false, fmt.Errorf("replica: device %s: %w", short(device), err)
		}
	}
	if r.owners != nil {
		r.owners[device] = want
	}
	for fp := range keys {
		if err := r.rebuildKey(ctx, tx, fp); err != nil {
			return true, err
		}
	}
	for id := range touched {
		if err := r.rebind(ctx, tx, id, nil); err != nil {
			return true, err
		}
	}
	return true, nil
}

// settledOwner is whom settleDevice gives device to, its present owner
// being cur; keep when it stays with cur. A bound device (crypto.NewDeviceID)
// is its key's whatever other entries name: only its member's events were
// kept (deviceRefuses), and they are dropped only when his own entry names
// other devices only, as for a random id (or, in a store written before
// bound ids were checked, when they are not his).
func (r *Replica) settledOwner(ctx context.Context, tx *store.Tx, device, cur string) (want string, keep bool, err error) {
	if crypto.IsBoundDeviceID(device) {
		if cur == "" {
			return cur, true, nil
		}
		if !crypto.DeviceBoundTo(device, cur) {
			return "", false, nil
		}
		why, err := r.entryRefuses(ctx, tx, crypto.Header{Author: cur, Device: device})
		if err != nil || why != "" {
			return "", false, err
		}
		return cur, true, nil
	}
	signed, err := r.signedFirst(ctx, tx, device, cur)
	if err != nil {
		return "", false, err
	}
	want = r.rightfulOwner(device, cur, signed)
	if want == cur {
		return cur, true, nil
	}
	if signed {
		// Its signer keeps it while an applied event of his own entry,
		// written by an administrator, names it, standing or not:
		// displaced by a rival citing his token, what he signed there may
		// still hold whom he revoked (hold.go; session 16 review h-sec16d
		// B). An entry gone (its events refused for their writer) keeps
		// nothing (namedByOwnEntry; session 17 review h-sec17a).
		named, err := r.namedByOwnEntry(ctx, tx, device, cur)
		if err != nil || named {
			return cur, named, err
		}
	}
	return want, false, nil
}

// markBoundSquats marks, in a store being opened, the members who own a
// device id bound to another member's key (crypto.NewDeviceID): a version
// before bound ids judged such an id by the first-come rule and may have
// given it to a colleague who signed its first event first (session 18
// review h-sec18b). Their entries are judged again at the first Apply, which
// settles the device (settledOwner) as a workstation of this version would
// have, whatever entry changes later.
func (r *Replica) markBoundSquats(ctx context.Context, tx *store.Tx) error {
	for fp := range r.members {
		devices, err := tx.DevicesOf(ctx, fp)
		if err != nil {
			return fmt.Errorf("replica: devices of %s: %w", short(fp), err)
		}
		for _, d := range devices {
			if crypto.IsBoundDeviceID(d) && !crypto.DeviceBoundTo(d, fp) {
				r.dirty[fp] = true // judgeDirectory settles d
				break
			}
		}
	}
	return nil
}

// rebuildKey rebuilds a member's public-key record from the key events
// and moves that remain applied, after one was dropped. With none left the key is
// forgotten (as on a workstation that never saw it), unless it is this
// workstation's own.
func (r *Replica) rebuildKey(ctx context.Context, tx *store.Tx, fp string) error {
	rows, err := tx.EnvelopesForEntity(ctx, fp)
	if err != nil {
		return fmt.Errorf("replica: events of %s: %w", short(fp), err)
	}
	if err := tx.DeleteEntity(ctx, keyEntityPrefix+fp); err != nil {
		return fmt.Errorf("replica: rebuild key of %s: %w", short(fp), err)
	}
	var pub *crypto.PublicKey
	for _, row := range rows {
		if row.Kind != KindKey || row.State != store.Applied {
			continue
		}
		env, err := crypto.ParseEnvelope(row.Raw)
		if err != nil {
			return fmt.Errorf("replica: stored envelope %s: %w", row.ID, err)
		}
		p, b64, err := pubFromPayload(env.Ciphertext)
		if err != nil {
			return fmt.Errorf("replica: stored envelope %s: %w", row.ID, err)
		}
		if err := r.mergeEntity(ctx, tx, env.Header, Fields{"pub": mustJSON(b64)}); err != nil {
			return err
		}
		pub = p
	}
	// Her key as her moves onto bound ids carry it (move.go), each kept
	// as when it was applied.
	moved, err := r.movedKey(ctx, tx, fp)
	if err != nil {
		return err
	}
	if pub == nil {
		pub = moved
	}
	r.state.Lock()
	if pub == nil && fp != r.fp {
		delete(r.pubkeys, fp)
	}
	r.state.Unlock()
	return nil
}

// namedByOwnEntry reports whether an applied event of fp's own directory
// entry, written by a member who was ever an administrator, names device.
// An event refused for its writer does not count: a revoked or demoted
// administrator writes as many as he likes, and one naming a newcomer's
// workstation kept his squat of it where the squat came first (session 17
// review h-sec17a).
func (r *Replica) namedByOwnEntry(ctx context.Context, tx *store.Tx, device, fp string) (bool, error) {
	return r.entryWrote(ctx, tx, fp, func(row store.Envelope) bool { return row.State == store.Applied }, func(f Fields) bool {
		var devices []string
		return json.Unmarshal(f["devices"], &devices) == nil && slices.Contains(devices, device)
	})
}

// selfSigned reports whether a key event is signed by the key it carries,
// its author's: only then may it take back a device (deviceRefuses; an
// unsigned one cleared the device's owner: session 16 review h-sec16d).
func (r *Replica) selfSigned(env *crypto.Envelope) bool {
	_, ok := r.checkKey(env)
	return ok
}

// signedFirst reports whether fp signed the first event of device's chain
// this workstation keeps.
func (r *Replica) signedFirst(ctx context.Context, tx *store.Tx, device, fp string) (bool, error) {
	if fp == "" {
		return false, nil
	}
	first, err := tx.EnvelopeAt(ctx, device, 1)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("replica: first event of device %s: %w", short(device), err)
	}
	return first.Author == fp, nil
}

// deviceRefuses says why an event is not its author's to write in its
// device's chain ("" when it is): the device belongs to another member, or
// the author's directory entry names other devices only. The first event
// of a device the directory gave a member who signed none of it yet is
// its author's when his admitted entry names the device too
// (rightfulOwner: he then keeps it). A device id bound to its member's key
// follows boundRefuses instead: none of these directory rules of
// ownership apply to it.
func (r *Replica) deviceRefuses(ctx context.Context, tx *store.Tx, env *crypto.Envelope) (string, error) {
	h := env.Header
	if crypto.IsBoundDeviceID(h.Device) {
		return r.boundRefuses(ctx, tx, h)
	}
	owner, err := r.ownerOf(ctx, tx, h.Device)
	if err != nil {
		return "", err
	}
	if owner != "" && owner != h.Author && h.Seq == 1 && h.Kind == KindKey && r.selfSigned(env) {
		r.state.RLock()
		m, ok := r.members[h.Author]
		r.state.RUnlock()
		_, named := m.namesDevice(h.Device)
		takes := ok && named && m.TokenTakenBy == ""
		if !takes {
			// As settleDevice keeps it with its signer: else a workstation
			// that heard of a rival entry first refused his chain (session
			// 17 review h-sec17a).
			if takes, err = r.namedByOwnEntry(ctx, tx, h.Device, h.Author); err != nil {
				return "", err
			}
		}
		if takes {
			signed, err := r.signedFirst(ctx, tx, h.Device, owner)
			if err != nil {
				return "", err
			}
			if !signed {
				if err := tx.DeleteDevice(ctx, h.Device); err != nil { // vouch gives it to him
					return "", err
				}
				if r.owners != nil {
					delete(r.owners, h.Device)
				}
				return "", nil
			}
		}
	}
	if owner != "" && owner != h.Author {
		return fmt.Sprintf("signed by %s, but device %s belongs to %s: not kept", short(h.Author), short(h.Device), short(owner)), nil
	}
	return r.entryRefuses(ctx, tx, h)
}

// entryRefuses refuses an event whose author's directory entry names
// other devices only ("" when it names this one, or none). A device bound
// to her key is named too when her move from a device her entry names
// counts for it (move.go).
func (r *Replica) entryRefuses(ctx context.Context, tx *store.Tx, h crypto.Header) (string, error) {
	r.state.RLock()
	m, ok := r.members[h.Author]
	r.state.RUnlock()
	if names, named := m.namesDevice(h.Device); !ok || !names || named {
		return "", nil
	}
	if crypto.DeviceBoundTo(h.Device, h.Author) {
		if moved, err := r.namedByMove(ctx, tx, m, h); err != nil || moved {
			return "", err
		}
	}
	return fmt.Sprintf("signed by %s, whose directory entry does not name device %s: not kept", short(h.Author), short(h.Device)), nil
}

// boundRefuses is deviceRefuses for a device id bound to its member's key
// (crypto.NewDeviceID): an event of it signed by anyone else is not kept,
// whatever the directory says and whichever arrived first, so every
// workstation judges it alike from the event alone. Its member's own entry
// naming other devices only still refuses it, as for a random id.
func (r *Replica) boundRefuses(ctx context.Context, tx *store.Tx, h crypto.Header) (string, error) {
	if !crypto.DeviceBoundTo(h.Device, h.Author) {
		return fmt.Sprintf("signed by %s, but device %s is bound to another member's key: not kept", short(h.Author), short(h.Device)), nil
	}
	return r.entryRefuses(ctx, tx, h)
}
