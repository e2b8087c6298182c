package replica

// move.go moves a workstation whose device id is random (made before
// session 17) onto an id bound to its member's key (crypto.NewDeviceID;
// session 18). A random id's chain stays under the directory-and-arrival
// rules of ownership (admission.go), which an active hostile administrator
// can still play on some workstations (ARCHITECTURE.md Known limits); a
// bound id's chain keeps only its member's events everywhere.
//
// The move is the FIRST event of the new, bound chain D, not the last of
// the old chain X: kind KindMove, in the public scope, its record id
// "moved:"+X in the clear header, its clear payload {"head": N, "pub": K}:
// the last event of X its writer keeps, and her public key, self-signed as
// a key event is (D's chain needs none of X's events, her key included).
// It is judged from D's chain and the directory alone, so whoever the directory-and-arrival rules give X to on
// some workstation (a squat of X heard first), D is counted the same way
// everywhere. (A move written as X's last event would be judged by X's
// owner here: the open attacks on random ids would cut D with it.)
//
// The rules, on every workstation, on arrival and on apply:
//
//   - A move is only seq 1 of a device bound to its author's key, from a
//     well-formed random id, with a head of at least 1 (X holds its key
//     event): else refused by the kind rule and it counts for nothing.
//   - A move is no act of membership, as a key event is not: the
//     revocation and token rules refuse the events after it on their own.
//     Only P can sign a move bound to her key.
//   - Her entry names D when it names X and D's first event is an applied
//     move of P from X (entryRefuses): the move renames the workstation
//     the administrators named. Each of her moves from X names its own
//     chain: until session 19 only the first by (Lamport, device, seq)
//     did, but the clock is hers to pick, and a second move backdated
//     below the first dropped the chain she had written in since, even
//     after her revocation (h-sec19c). One workstation, one chain is kept
//     by honest software (one move per workstation, MovedChain), not by
//     these rules, as for X (below). An entry that stops naming X stops
//     naming D; an administrator may name D directly.
//   - X is renamed, not closed: what P signs in X, before or after her
//     move, is judged as before (h-sec19a). Until session 19 her events in
//     X after the head were refused (rule "moved"), but the head is her
//     word: a head of 1 erased her own past there (h-sec18d F2, a
//     physician's signed notes), and a head past X's end closed nothing
//     (F4), so it never bound a member who meant to write on in X. The
//     copy of her profile left on X stops writing there once it hears of
//     the move (ErrMovedAway); stored verdicts of the rule "moved" are
//     judged again once (fields revision 13). The head stays in the
//     payload (at least 1) and judges nothing here; a workstation of
//     session 18 still closes X by it until it is upgraded.
//
// The workstation keeps writing: the app opens its replica on D and writes
// the move as D's first event once its entry is applied here (app/move.go).

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/store"
)

// ErrMovedAway refuses a write in a chain this member's workstation moved
// away from: another copy of the profile (the computer a backup was taken
// from) moved it onto a bound id, which the profile writes in from its
// next login (one workstation, one chain).
var ErrMovedAway = errors.New("This workstation's chain moved onto a new device id from another copy of this profile " +
	"(a backup restored on another computer): this copy writes no more, so that the two never write in one chain; " +
	"use the other computer, or restore a backup here")

const (
	// KindMove is a workstation's move from a random device id onto an id
	// bound to its member's key: the first event of the bound chain.
	KindMove = "device-move"
	// movedPrefix, then the random device id it moves from, is a move's
	// record id.
	movedPrefix = "moved:"
	// ruleMoved refused, until session 19, an event its member wrote in a
	// chain she moved away from, after her move's head: such verdicts are
	// judged again (fields.go retryFields).
	ruleMoved = "moved"
	// maxMoveBody bounds a move's payload ({"head": N, "pub": K}).
	maxMoveBody = 16 << 10
)

// MovedEntity is the record id of a move from device from.
func MovedEntity(from string) string { return movedPrefix + from }

// moveBody is a move's clear payload.
type moveBody struct {
	Head uint64 `json:"head"`
	Pub  string `json:"pub"`
}

// movedFrom is the device a move's header names ("" for none).
func movedFrom(entity string) string {
	from, ok := strings.CutPrefix(entity, movedPrefix)
	if !ok {
		return ""
	}
	return from
}

// checkMoveHeader checks what a move's clear header says: its place, its
// device bound to its author, and the id it moves from: a random id, or
// (session 22, a restored workstation: app/move.go) another id bound to
// the same member's key.
func checkMoveHeader(h crypto.Header) error {
	from := movedFrom(h.Entity)
	switch {
	case h.Scope != ScopePublic:
		return fmt.Errorf("a device move belongs in the %s scope, not %s", ScopePublic, h.Scope)
	case h.Seq != 1:
		return errors.New("a device move is only the first event of a device")
	case !crypto.DeviceBoundTo(h.Device, h.Author):
		return errors.New("a device moves only onto an id bound to its member's key")
	case !crypto.IsDeviceID(from):
		return fmt.Errorf("a device move names the device id it moves from as %s then 32 hex digits", movedPrefix)
	case crypto.IsBoundDeviceID(from) && (!crypto.DeviceBoundTo(from, h.Author) || from == h.Device):
		return errors.New("a device move from a bound id moves from another id bound to its own member's key")
	}
	return nil
}

// maxMoveHops bounds how many moves back a chain's naming, account and
// ancestry are followed (each restore of a workstation adds one, h-restore22).
const maxMoveHops = 32

// move is what a move says.
type move struct {
	from string            // the random device id it moves from
	head uint64            // the last event of from its member keeps
	pub  *crypto.PublicKey // its member's key, which signed it
	b64  string            // pub as the payload carries it
}

// parseMove reads a move. Its header and payload are outside bytes; the
// key it carries is its author's (its signature is checked apart).
func parseMove(h crypto.Header, payload []byte) (move, error) {
	if err := checkMoveHeader(h); err != nil {
		return move{}, err
	}
	if len(payload) > maxMoveBody {
		return move{}, errors.New("a device move's payload is too long")
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	var body moveBody
	if err := dec.Decode(&body); err != nil || dec.More() {
		return move{}, errors.New(`a device move's payload is {"head": N, "pub": KEY}`)
	}
	if body.Head == 0 {
		return move{}, errors.New("a device move keeps at least the first event of the chain it moves from")
	}
	pub, b64, err := pubFromPayload(mustJSON(map[string]string{"pub": body.Pub}))
	if err != nil {
		return move{}, err
	}
	if pub.Fingerprint() != h.Author {
		return move{}, errors.New("the key a device move carries is not its author's")
	}
	return move{from: movedFrom(h.Entity), head: body.Head, pub: pub, b64: b64}, nil
}

// moveCounts reports whether a stored move may count (entryRefuses):
// applied.
func moveCounts(row store.Envelope) bool {
	return row.Kind == KindMove && row.Seq == 1 && row.State == store.Applied
}

// noAct reports whether events of kind are no acts of membership, which
// the rules of membership never refuse: a public key, an enrollment
// request, a workstation's move, a fork's evidence (fork.go).
func noAct(kind string) bool {
	return kind == KindKey || kind == KindEnroll || kind == KindMove || kind == KindForkSeen || kind == KindWitness
}

// moveKey names a member's move: its author and the device it is the
// first event of.
type moveKey struct{ fp, device string }

// MetaChain is the store meta key naming the chain this workstation writes
// in (a device id), noted by its writes (restored.go wrote) and read at
// login (OwnChain). A store carries it into its backups; a copy of the
// profile whose chain another copy moved (ErrMovedAway) stays on it.
const MetaChain = "replica/chain"

// OwnChain is the chain the workstation of member pub, whose profile's
// device id is device, writes in: the one its store notes (MetaChain),
// device's or one bound to her key; for a store that notes none yet (a
// new workstation, or one written before session 22) the bound id it
// moved onto from its random one, if it did (MovedChain), else device,
// noted from now on. Since session 22 a restored workstation moves again
// (app/move.go), so another copy's move from its chain may be stored
// here: the note, not the moves, says which chain is this copy's own (two
// copies following one move wrote in one chain: a fork).
//
// The note is a row of the folder (session 23, h-chain23): pointed at
// another chain bound to her key (her other computer's, restored from a
// backup), this copy wrote in that chain and forked it, and her writes
// there were set aside everywhere. So the note the store's seal holds
// (version 3; dk is the device key) is believed over the row, which is
// put back as sealed; without a seal that holds (none yet, one of before
// session 23, or the seal's check fails: the store is then rebuilt and
// moves, app/session.go) the row is believed only when it is device or a
// chain moved from it by her own signed moves (descends), never a chain
// of another computer of hers she never moved onto from here.
func OwnChain(ctx context.Context, db *store.DB, pub *crypto.PublicKey, device string, dk crypto.DeviceKey) (string, error) {
	return OwnChainKept(ctx, db, pub, device, dk, "")
}

// OwnChainKept is OwnChain when the keyring also keeps the chain this
// workstation wrote in at its last keeping of the seal (session 24,
// h-keystore24; "" when it keeps none): without a seal that holds, that
// chain is believed over the row, as the sealed note would be. Else the
// old disk of a restored profile, its seal deleted and its note pointed
// at the restored computer's chain (which descends from its own), opened
// there, was found altered and moved from there: the restored computer
// then wrote no more (a denial).
func OwnChainKept(ctx context.Context, db *store.DB, pub *crypto.PublicKey, device string, dk crypto.DeviceKey, kept string) (string, error) {
	fp := pub.Fingerprint()
	chain := device
	err := db.Update(ctx, func(tx *store.Tx) error {
		v, err := tx.Meta(ctx, MetaChain)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		noted := err == nil
		sealed, err := sealedChain(ctx, tx, dk)
		if err != nil {
			return err
		}
		if sealed == "" {
			sealed = kept
		}
		if sealed != "" && (sealed == device || crypto.DeviceBoundTo(sealed, fp)) {
			chain = sealed
			if noted && string(v) == sealed {
				return nil
			}
			return tx.SetMeta(ctx, MetaChain, []byte(chain))
		}
		if noted && (string(v) == device || crypto.DeviceBoundTo(string(v), fp)) {
			ok, err := descends(ctx, tx, pub, device, string(v))
			if err != nil || ok {
				chain = string(v)
				return err
			}
		}
		if !crypto.IsBoundDeviceID(device) {
			moves, err := appliedMoves(ctx, tx, fp, device)
			if err != nil {
				return err
			}
			if len(moves) > 0 {
				chain = moves[0].Device
			}
		}
		return tx.SetMeta(ctx, MetaChain, []byte(chain))
	})
	if err != nil {
		return "", fmt.Errorf("replica: the chain this workstation writes in: %w", err)
	}
	return chain, nil
}

// sealedChain is the chain the store's seal notes, when its MAC holds
// under the device key dk ("" else: no seal, one of before version 3, or
// one that does not hold; the seal's check at Open says the latter).
func sealedChain(ctx context.Context, tx *store.Tx, dk crypto.DeviceKey) (string, error) {
	row, err := tx.Meta(ctx, metaSeal)
	if errors.Is(err, store.ErrNotFound) || err == nil && dk.Wiped() {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	s := &storeSeal{mac: sealKey(dk, "mac")}
	defer s.wipe()
	_, p, ok, _ := s.decode(row)
	if !ok {
		return "", nil
	}
	return p.chain, nil
}

// descends reports whether chain is device or a chain moved from it by
// pub's own moves as stored here, each read from its signed bytes (a
// row's columns are the folder's), at most maxMoveHops back.
func descends(ctx context.Context, tx *store.Tx, pub *crypto.PublicKey, device, chain string) (bool, error) {
	for hops := 0; chain != device; hops++ {
		if hops >= maxMoveHops {
			return false, nil
		}
		row, err := tx.EnvelopeAt(ctx, chain, 1)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return false, nil
		case err != nil:
			return false, fmt.Errorf("replica: first event of device %s: %w", short(chain), err)
		}
		env, err := crypto.ParseEnvelope(row.Raw)
		if err != nil || env.Header.Kind != KindMove || env.Header.Device != chain || env.Header.Seq != 1 ||
			env.Header.Author != pub.Fingerprint() || env.Verify(pub) != nil {
			return false, nil
		}
		chain = movedFrom(env.Header.Entity)
	}
	return true, nil
}

// ChainSuspect reports whether the store's seal, checked at Open, could
// not vouch for the tip of this workstation's own chain: an older copy
// put back, its seal altered or deleted, its own events deleted. Its chain
// may end short of what the clinic holds, and its next event would take
// the place of one the clinic has (a fork, its writes set aside): the app
// moves it onto a new chain as a restore does (app/session.go).
func (r *Replica) ChainSuspect() bool { return r.chainSuspect }

// CarryAltered hands what the seal's check at Open found altered, and
// what is still to be rebuilt after login (CheckIndex), from the replica
// that opened the store to r, opened on the same store to replace it (a
// move: app/session.go).
func (r *Replica) CarryAltered(from *Replica) {
	from.alteredMu.Lock()
	altered, suspect := from.altered, from.rowsSuspect
	from.alteredMu.Unlock()
	r.alteredMu.Lock()
	r.altered = altered + r.altered
	r.rowsSuspect = r.rowsSuspect || suspect
	r.alteredMu.Unlock()
}

// MovedAway reports whether another copy of this profile moved this
// workstation's chain onto another (ErrMovedAway): this copy writes no
// more, and moves nowhere itself (app/move.go).
func (r *Replica) MovedAway() bool { return r.chainLeft.Load() }

// MovedChain is the device fp's workstation moved onto from device from
// (her move from it that counts), "" when she did not: the app opens its
// replica on it (app/move.go).
func MovedChain(ctx context.Context, db *store.DB, fp, from string) (string, error) {
	var moves []store.Envelope
	err := db.View(ctx, func(tx *store.Tx) error {
		var err error
		moves, err = appliedMoves(ctx, tx, fp, from)
		return err
	})
	if err != nil || len(moves) == 0 {
		return "", err
	}
	return moves[0].Device, nil
}

// appliedMoves is movesFrom read from the store.
func appliedMoves(ctx context.Context, tx *store.Tx, fp, from string) ([]store.Envelope, error) {
	rows, err := movesOf(ctx, tx, fp, from)
	if err != nil {
		return nil, err
	}
	out := slices.DeleteFunc(rows, func(row store.Envelope) bool { return !moveCounts(row) })
	slices.SortFunc(out, func(a, b store.Envelope) int {
		if before(rowClaim(a), rowClaim(b)) {
			return -1
		}
		return 1
	})
	return out, nil
}

// movesOf returns fp's stored moves from device from, without their
// bytes: the first events of the bound devices she owns here that are
// moves from it. An applied move's device is its author's (vouch), so it
// reads her few devices, not every move from the device: anyone's moves
// from one id are all kept for a member whose entry names no device, or
// one not admitted (no act of membership), and reading them all made
// every Apply of a chain moved from there cost what thousands of them do
// (h-sec19a).
func movesOf(ctx context.Context, tx *store.Tx, fp, from string) ([]store.Envelope, error) {
	devices, err := tx.DevicesOf(ctx, fp)
	if err != nil {
		return nil, fmt.Errorf("replica: devices of %s: %w", short(fp), err)
	}
	var out []store.Envelope
	for _, d := range devices {
		if !crypto.DeviceBoundTo(d, fp) {
			continue
		}
		row, err := tx.EnvelopeAt(ctx, d, 1)
		switch {
		case errors.Is(err, store.ErrNotFound):
			continue
		case err != nil:
			return nil, fmt.Errorf("replica: first event of device %s: %w", short(d), err)
		}
		if row.Kind == KindMove && row.Author == fp && row.Entity == MovedEntity(from) {
			row.Raw = nil
			out = append(out, row)
		}
	}
	return out, nil
}

// rowClaim is the place of a stored event in the order of events.
func rowClaim(row store.Envelope) claim {
	return claim{Entity: row.Entity, Kind: row.Kind, Scope: row.Scope, Lamport: row.Lamport, Device: row.Device, Seq: row.Seq}
}

// movedChanged notes that fp's move, the first event of device, may
// count otherwise: judgeMoves settles what it decides, the naming of
// device alone (each move names its own chain).
func (r *Replica) movedChanged(fp, device string) {
	if r.moveDirty == nil {
		r.moveDirty = map[moveKey]bool{}
	}
	r.moveDirty[moveKey{fp, device}] = true
}

// namedByMove reports whether device, bound to m's key, is named by m's
// entry through her move (see the rules above): its first event is an
// applied move of hers from a device her entry names. h is the event
// judged: the move itself when it is device's first event (not stored yet
// on arrival). Every such move names its chain, whatever her other moves
// from there: until session 19 only the first by (Lamport, device, seq)
// did, and a move's clock is hers to pick (seq 1, nothing below it), so a
// second move signed with a lower clock, even after her revocation,
// dropped the chain her workstation had moved onto, with all she wrote
// there (h-sec19c).
func (r *Replica) namedByMove(ctx context.Context, tx *store.Tx, m Member, h crypto.Header) (bool, error) {
	var from string
	if h.Kind == KindMove && h.Seq == 1 {
		from = movedFrom(h.Entity)
	} else {
		first, err := tx.EnvelopeAt(ctx, h.Device, 1)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return false, nil
		case err != nil:
			return false, fmt.Errorf("replica: first event of device %s: %w", short(h.Device), err)
		}
		if first.Author != m.Fingerprint || !moveCounts(first) {
			return false, nil
		}
		from = movedFrom(first.Entity)
	}
	// A chain moved from a chain moved onto before (a restored
	// workstation moves again: app/move.go) is named as the first one
	// is: the moves are followed back to a device her entry names.
	for hops := 0; from != ""; hops++ {
		if _, named := m.namesDevice(from); named {
			return true, nil
		}
		if hops >= maxMoveHops || !crypto.DeviceBoundTo(from, m.Fingerprint) {
			return false, nil
		}
		first, err := tx.EnvelopeAt(ctx, from, 1)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return false, nil
		case err != nil:
			return false, fmt.Errorf("replica: first event of device %s: %w", short(from), err)
		}
		if first.Author != m.Fingerprint || !moveCounts(first) {
			return false, nil
		}
		from = movedFrom(first.Entity)
	}
	return false, nil
}

// movedKey keeps again the key every applied move of fp's carries, as
// her key record (rebuildKey), and returns it (nil for none): the record
// is then what it is on a workstation that never kept a move of hers
// since dropped (h-sec19a: a move's chain dropped by settleDevice left its
// cell in her key record, so two workstations that heard two of her moves
// in either order disagreed for good).
func (r *Replica) movedKey(ctx context.Context, tx *store.Tx, fp string) (*crypto.PublicKey, error) {
	devices, err := tx.DevicesOf(ctx, fp)
	if err != nil {
		return nil, fmt.Errorf("replica: devices of %s: %w", short(fp), err)
	}
	var pub *crypto.PublicKey
	for _, d := range devices {
		row, err := tx.EnvelopeAt(ctx, d, 1)
		if errors.Is(err, store.ErrNotFound) || err == nil && (row.Kind != KindMove || row.State != store.Applied || row.Author != fp) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("replica: first event of device %s: %w", short(d), err)
		}
		env, err := crypto.ParseEnvelope(row.Raw)
		if err != nil {
			return nil, fmt.Errorf("replica: stored move %s: %w", row.ID, err)
		}
		m, err := parseMove(env.Header, env.Ciphertext)
		if err != nil {
			return nil, fmt.Errorf("replica: stored move %s: %w", row.ID, err)
		}
		if err := r.publishMoved(ctx, tx, env.Header, m); err != nil {
			return nil, err
		}
		pub = m.pub
	}
	return pub, nil
}

// tryMove judges a move whose chain place is settled (try): the kind rule
// on what it says, its signature by the key it carries, and its clock.
// Like a key event it is no act of membership (it renames a workstation;
// the rules of membership judge every event after it in its chain), so
// the rules of membership do not refuse it (refuseWhere): a revocation
// written in the new chain by a member whose entry is gone still holds
// whom it names (hold.go), as on a bound id. Applied, it publishes her
// key as a key event does.
func (r *Replica) tryMove(ctx context.Context, tx *store.Tx, env *crypto.Envelope, checked bool, prevLamport uint64) (verdict, error) {
	h := env.Header
	r.movedChanged(h.Author, h.Device)
	m, err := parseMove(h, env.Ciphertext)
	if err != nil {
		return refused(ruleKind, "%v", err), nil
	}
	if !checked {
		if err := env.Verify(m.pub); err != nil {
			return notKept("signature does not verify: " + err.Error()), nil
		}
	}
	if v, ok := r.checkClock(h, prevLamport); !ok {
		return v, nil
	}
	if h.Author == r.fp && m.from == r.p.Device {
		// Another copy of this profile (the computer a backup was taken
		// from) moved this chain: it writes in the new one (ErrMovedAway).
		r.chainLeft.Store(true)
	}
	return verdict{state: store.Applied}, r.publishMoved(ctx, tx, h, m)
}

// publishMoved keeps the key an applied move carries, as a key event's.
func (r *Replica) publishMoved(ctx context.Context, tx *store.Tx, h crypto.Header, m move) error {
	r.state.Lock()
	r.pubkeys[h.Author] = m.pub
	r.state.Unlock()
	return r.mergeEntity(ctx, tx, crypto.Header{ID: h.ID, Entity: h.Author, Kind: KindKey, Scope: ScopePublic, Author: h.Author,
		Device: h.Device, Seq: h.Seq, Lamport: h.Lamport, Time: h.Time}, Fields{"pub": mustJSON(m.b64)})
}

// judgeMoves settles what the moves that changed decide: whether the
// bound chain each is the first event of is named (settleDevice). Each
// move names its own chain (namedByMove), so no other chain is read: a
// member with many moves from one device cost n settles a move, n² in all
// (h-sec19a for an entry naming no device; h-sec19c once every move of
// hers counted). A move names a chain only for a member whose entry names
// devices (entryRefuses): for one whose entry names none, or who has none
// here, nothing is settled (a change of her entry settles her devices,
// judgeDirectory). It reports whether it changed anything settle must go
// round again for.
func (r *Replica) judgeMoves(ctx context.Context, tx *store.Tx) (bool, error) {
	progress := false
	seen := map[moveKey]bool{}
	for len(r.moveDirty) > 0 {
		var k moveKey
		for k = range r.moveDirty {
			break
		}
		delete(r.moveDirty, k)
		if seen[k] {
			continue
		}
		seen[k] = true
		// A chain moved from this one is named through it (namedByMove
		// follows the moves back): settled again too, once a round. Read
		// by the moves' record id (not movesOf: her every device, for
		// each of thousands of moves, h-sec19a).
		if crypto.DeviceBoundTo(k.device, k.fp) {
			next, err := tx.EnvelopesForEntity(ctx, MovedEntity(k.device))
			if err != nil {
				return progress, fmt.Errorf("replica: moves from device %s: %w", short(k.device), err)
			}
			for _, row := range next {
				if row.Kind == KindMove && row.Seq == 1 && row.Author == k.fp && !seen[moveKey{k.fp, row.Device}] {
					r.movedChanged(k.fp, row.Device)
				}
			}
		}
		r.state.RLock()
		m, ok := r.members[k.fp]
		r.state.RUnlock()
		if names, _ := m.namesDevice(""); !ok || !names || !crypto.DeviceBoundTo(k.device, k.fp) {
			continue
		}
		changed, err := r.settleDevice(ctx, tx, k.device)
		if err != nil {
			return progress, err
		}
		progress = progress || changed
	}
	return progress, nil
}

// MoveFrom writes this workstation's move from device from (its random
// id, or, restored from a backup, the chain it wrote in: app/move.go)
// onto the device this replica was opened on, which must be bound to
// its member's key and hold no event yet: the move is its first event,
// keeping from's chain up to its last event here. From then on this
// profile writes in the new chain (a copy left on from stops once it
// hears of the move: ErrMovedAway).
func (r *Replica) MoveFrom(ctx context.Context, from string) (*crypto.Envelope, error) {
	if !crypto.DeviceBoundTo(r.p.Device, r.fp) {
		return nil, fmt.Errorf("%w: device %s is not bound to this member's key: nothing to move onto", ErrForbidden, short(r.p.Device))
	}
	var tip store.Tip
	err := r.p.DB.View(ctx, func(tx *store.Tx) error {
		var ok bool
		var err error
		tip, ok, err = tx.ChainTip(ctx, from)
		if err == nil && !ok {
			err = fmt.Errorf("%w: device %s has no chain here to move from", ErrNotFound, short(from))
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("replica: move from device %s: %w", short(from), err)
	}
	pub := base64.StdEncoding.EncodeToString(r.p.Identity.Public().Bytes())
	payload, err := json.Marshal(moveBody{Head: tip.Seq, Pub: pub})
	if err != nil {
		return nil, err
	}
	b := r.Batch()
	b.add(KindMove, ScopePublic, 0, MovedEntity(from), func(h crypto.Header) (*crypto.Envelope, error) {
		return crypto.SealRaw(h, payload, r.p.Identity)
	})
	env, err := b.commitOne(ctx)
	if err != nil {
		return nil, err
	}
	var ancestry []string
	err = r.p.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		ancestry, err = r.ownMoves(ctx, tx)
		return err
	})
	if err != nil {
		return nil, err
	}
	r.state.Lock()
	r.account, r.ancestry = from, ancestry
	r.state.Unlock()
	return env, nil
}

// ownMove reads the device this workstation's own chain moved from: its
// first event's, when that is this member's move ("" else).
func (r *Replica) ownMove(ctx context.Context, tx *store.Tx) (string, error) {
	first, err := tx.EnvelopeAt(ctx, r.p.Device, 1)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("replica: first event of this workstation: %w", err)
	case first.Kind != KindMove || first.Author != r.fp:
		return "", nil
	}
	return movedFrom(first.Entity), nil
}

// ownMoves are the chains this workstation's chain moved from, the
// nearest first: its own moves followed back (a restored workstation
// moves again from the chain it had moved onto: app/move.go).
func (r *Replica) ownMoves(ctx context.Context, tx *store.Tx) ([]string, error) {
	var out []string
	device := r.p.Device
	for len(out) < maxMoveHops {
		first, err := tx.EnvelopeAt(ctx, device, 1)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return out, nil
		case err != nil:
			return nil, fmt.Errorf("replica: first event of device %s: %w", short(device), err)
		case first.Kind != KindMove || first.Author != r.fp || slices.Contains(out, movedFrom(first.Entity)):
			return out, nil
		}
		device = movedFrom(first.Entity)
		out = append(out, device)
	}
	return out, nil
}

// movedFromOwn is the device this workstation's chain moved from, "" when
// it did not move.
func (r *Replica) movedFromOwn() string {
	r.state.RLock()
	defer r.state.RUnlock()
	return r.account
}

// MovedFrom is the chain this workstation's chain moved from ("" when it
// did not move), whose last pack its sync still announces (netsync).
func (r *Replica) MovedFrom() string { return r.movedFromOwn() }

// ownedChain reports whether device is this workstation's chain or one it
// moved from (its own moves followed back).
func (r *Replica) ownedChain(device string) bool {
	if device == r.p.Device {
		return true
	}
	r.state.RLock()
	defer r.state.RUnlock()
	return slices.Contains(r.ancestry, device)
}

// ownDevices are this workstation's chain and the ones it moved from.
func (r *Replica) ownDevices() []string {
	return append([]string{r.p.Device}, r.ancestry...)
}

// Account is the name this workstation's XMPP account and room nickname
// have: its device id, or, once its chain moved onto a bound id, the
// first id it moved from (the account the clinic's server knows; the app
// keeps the profile's device id for it), its moves followed back.
func (r *Replica) Account() string {
	r.state.RLock()
	defer r.state.RUnlock()
	if n := len(r.ancestry); n > 0 {
		return r.ancestry[n-1]
	}
	return r.p.Device
}

// AccountOf is the XMPP account device's workstation speaks under: the
// random id its chain moved from when its first event is an applied move
// and that id's chain is the move's author's here (Account), else device
// itself. (A move "from" another's id is applied for a member whose entry
// names no device; it gives her no other's account: h-sec18d F6.)
func (r *Replica) AccountOf(ctx context.Context, device string) (string, error) {
	// A chain moved from a chain moved onto before (a restored
	// workstation: app/move.go) speaks under the first one's account.
	for hops := 0; hops < maxMoveHops && crypto.IsBoundDeviceID(device); hops++ {
		var first store.Envelope
		owner := ""
		err := r.p.DB.View(ctx, func(tx *store.Tx) error {
			var err error
			if first, err = tx.EnvelopeAt(ctx, device, 1); err != nil || first.Kind != KindMove {
				return err
			}
			owner, err = tx.DeviceOwner(ctx, movedFrom(first.Entity))
			if errors.Is(err, store.ErrNotFound) {
				err = nil
			}
			return err
		})
		switch {
		case errors.Is(err, store.ErrNotFound):
			return device, nil
		case err != nil:
			return "", fmt.Errorf("replica: first event of device %s: %w", short(device), err)
		case first.Kind == KindMove && first.State == store.Applied && owner == first.Author:
			device = movedFrom(first.Entity)
		default:
			return device, nil
		}
	}
	return device, nil
}

// SpeaksFor reports whether a workstation whose XMPP account is account
// may announce device's chain in the sync room: its own, or a device
// bound to the key of a member whose directory entry names account, or
// of a member who owns account's chain here (a workstation moved onto a
// bound id keeps its account: move.go). Only that member's events are kept in such
// a chain whoever announces it. A revoked member's account speaks only for
// her bound chains her revocation read a head of (revokedKeeps).
func (r *Replica) SpeaksFor(ctx context.Context, account, device string) bool {
	if account == device {
		return true
	}
	if !crypto.IsBoundDeviceID(device) {
		return false
	}
	r.state.RLock()
	for fp, m := range r.members {
		if _, named := m.namesDevice(account); named && crypto.DeviceBoundTo(device, fp) && revokedKeeps(m, device) {
			r.state.RUnlock()
			return true
		}
	}
	r.state.RUnlock()
	owner, err := r.DeviceAuthor(ctx, account)
	if err != nil || owner == "" || !crypto.DeviceBoundTo(device, owner) {
		return false
	}
	// Only a member's (an entry, standing or not) or an anchor's, as the
	// bound on unnamed devices names them (unnamed.go): a workstation
	// moves only once its entry is applied (app/move.go), and an
	// outsider's account speaking for every id bound to his key had every
	// workstation store 16 events on each (h-sec19a). A workstation not
	// admitted yet cannot read the directory and tells nobody apart.
	r.state.RLock()
	m, member := r.members[owner]
	_, admitted := r.members[r.fp]
	r.state.RUnlock()
	return member && revokedKeeps(m, device) || r.anchors[owner] || !admitted
}

// revokedKeeps reports whether member m's device, bound to her key, is
// still one an account of hers speaks for: any while she is not revoked;
// once revoked, only a chain her revocation read a head of (her moved
// chain, which a newcomer fetches up to that head). Every event she
// writes after it is refused everywhere, and each chain she starts then
// stores within the bound on unnamed devices (unnamed.go): an account the
// upkeep did not end (one her entry does not name; all of them until an
// administrator's workstation is online) made every workstation fetch and
// store 16 events on each of as many bound ids as she signs (h-sec19c).
func revokedKeeps(m Member, device string) bool {
	return !m.Revoked() || m.RevokedHeads[device] > 0
}
