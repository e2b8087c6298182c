package replica

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// Errors callers match with errors.Is.
var (
	ErrNoKey     = errors.New("replica: this workstation holds no key for that scope")
	ErrForbidden = errors.New("replica: not allowed")
	ErrNotFound  = errors.New("replica: not found")
	// ErrNoEpoch: a scope's key numbers are used up (65,535 generations).
	ErrNoEpoch = errors.New("replica: no new key generation is left for this scope")
)

// Term is one normalised search term of an entity, indexed under a field
// name ("name", "birth", "phone", "mrn", "day"...).
type Term struct {
	Field string
	Value string
}

// Params are what a replica is built from. Nothing here is global: the
// clock and the indexer come in from the caller.
type Params struct {
	DB        *store.DB
	Device    string           // this workstation's device id
	Identity  *crypto.Identity // the logged-in member
	DeviceKey crypto.DeviceKey // seals local state and secrets
	Clinic    string           // clinic id: the founder's fingerprint starts with it
	// Anchors are administrator fingerprints trusted before the directory can
	// be read: the issuer of the token a newcomer redeemed.
	Anchors []string
	// Index returns the search terms of an entity's state (nil: none).
	Index func(kind string, st State) []Term
	// OnChange is called after each commit with the entities that changed.
	OnChange func([]Changed)
	// OnAppend is called after this workstation appended events to its
	// chain (they wait in the outbox).
	OnAppend func()
	Now      func() time.Time
	// Seal, when set, checks the store against its seal at Open and seals
	// every write after (storeseal.go): what the keyring says of it.
	Seal *SealCheck
}

// Changed names an entity whose state changed.
type Changed struct {
	ID    string
	Kind  string
	Scope string
}

// Replica is one workstation's copy of the clinic's log.
type Replica struct {
	p   Params
	fp  string
	now func() time.Time

	mu    sync.Mutex // serialises writers
	state sync.RWMutex
	// rejudged counts the events a change of role judged again by a
	// role that differs at their place (rejudgeRows): what a change
	// costs, counted rather than timed.
	rejudged   atomic.Int64
	keys       map[string]map[uint32]crypto.ScopeKey
	index      map[string]crypto.IndexKey
	pubkeys    map[string]*crypto.PublicKey
	members    map[string]Member
	granted    map[string]map[string]map[uint32]bool // grants this device wrote: recipient -> scope -> epoch
	held       map[string]map[string]bool            // member -> "scope/epoch" it acknowledged holding
	confirms   map[string]confirmations              // member -> colleagues she confirmed in person (confirm.go)
	anchors    map[string]bool
	lamport    uint64
	mySeq      uint64
	myHash     string
	onChange   []Changed
	verified   map[string]*crypto.Envelope   // during Apply, under mu; by hash (an id may be copied)
	settled    map[chainPlace]store.Envelope // during settle, under mu
	reindex    map[string][][]byte           // during Apply: entity -> tokens to write
	revoked    map[string]bool               // during settle: members revoked, to sweep
	owners     map[string]string             // during Apply: device -> owner, as read
	claims     map[string]entryClaims        // under mu: what decides between directory entries
	loads      map[string]*deviceLoad        // during a transaction: what devices no entry names store (unnamed.go)
	capped     []arrival                     // during a transaction: envelopes past their device's bound
	admitted   map[string]*claim             // under state: each entry's token claim, as judgeTokens last read it (firstkey.go)
	admissions map[string]admission          // under state: each entry's first event, as judgeTokens last read it (confirm.go)
	dirty      map[string]bool               // under mu: directory entries changed since judged
	contests   map[string]bool               // under mu: members found contested, their pairs judged again (contest.go)
	account    string                        // under state: the device this workstation's chain moved from ("" none; move.go)
	ancestry   []string                      // under state: the chains it moved from, the nearest first (move.go ownMoves)
	chainLeft  atomic.Bool                   // this member's chain on this device moved onto another (move.go)
	chainNoted atomic.Bool                   // the store notes this device as the chain this workstation writes in (MetaChain)
	moveDirty  map[moveKey]bool              // under mu: moves whose verdict changed since judged (move.go)
	holds      map[string]hold               // under state: what holds each held member (hold.go)
	// vanishedAdmins: writers of claims with no entry whose refused
	// admission made them administrators (hold.go readVanished), under state.
	vanishedAdmins map[string]bool
	roleSeen       map[string]Member           // under mu: member -> the entry her events' roles were judged by (roleheads.go)
	roleLeft       []string                    // under mu: members judgeRoles left at its pass bound, carried to the next round (settle)
	undone         []Problem                   // during settle: applied events refused afterwards
	requeued       bool                        // during settle: an event was sent back to pending
	budget         int                         // during settle: decisions left in this transaction
	more           bool                        // settle stopped at its budget: another transaction goes on
	again          bool                        // an Apply judging every stored event again (rebuildRows): no budget
	decided        int                         // with again: decisions so far (trimAgain)
	opened         map[*crypto.Envelope]Fields // during Apply: payloads opened on arrival
	// During Apply: what the checking workers computed of an envelope
	// that is a function of its bytes alone (its hash; its record id
	// judged by its kind, roles.Kind.CheckID), so the applying goroutine
	// does not compute it again (pre.go).
	pre      pre
	keysIn   map[keyRef]bool         // during Apply: keys that arrived, whose sealed envelopes settle opens
	unseal   map[keyRef]store.Cursor // during Apply: sealed envelopes being opened, and where
	tails    map[string]uint64       // during a transaction: device -> last seq judged on arrival
	looked   bool                    // under mu: sealed envelopes a held key opens were looked for
	opening  atomic.Int64            // sealed envelopes left to open with keys that arrived (Opening)
	folds    *folds                  // during an Apply's transaction: record changes merged at its end
	awaited  atomic.Int64            // envelopes sealed for a scope this member's role holds, as stored (countAwaited; Opening)
	recount  bool                    // under mu: an Apply changed what awaited counts, beyond sealedIn
	sealedIn map[string]int64        // under mu: envelopes an Apply stored sealed, by scope (recountAwaited adds them)
	raised   bool                    // under mu: this Apply raised the collector's target (bulkgc.go)
	bulked   bool                    // under mu: this Apply readied the store for bulk writes (bulkgc.go)
	tidy     *time.Timer             // under mu: checkpoints the log a bulk left (endBulk)

	// Restored from a backup and written nothing since, at which tip
	// (written holding both mu and mark, read holding either), and why
	// its writes are held meanwhile (under mark): restored.go. The status
	// bar reads the mark (Restored) without waiting for a long Apply.
	// The store's seal (storeseal.go), and what its check at Open found
	// altered ("" nothing).
	seal      *storeSeal
	alteredMu sync.Mutex
	altered   string
	// rowsSuspect: the seal could not be believed at Open; its records,
	// events and bindings are rebuilt after login (CheckIndex, storeseal.go).
	rowsSuspect bool
	// chainSuspect: the seal at Open could not vouch for the tip of this
	// workstation's own chain (put back, altered, its own events
	// deleted): the app moves it onto a new chain (ChainSuspect).
	chainSuspect bool

	mark          sync.Mutex
	restored      bool
	restoredAt    uint64
	restoredMoved bool // its restore moved it onto this chain (KeepRestored)
	hold          error
	witnessAt     time.Time // this workstation's last witness event (witness.go)

	// Keys a former member could know (retire.go): by scope, the retired
	// epochs (under state); what RetireExposed last read the grant headers
	// for (under state); key grants applied since Open. Seen: the retired
	// epochs someone outside the scope saw whole (KeepRecovered), never
	// handed on.
	retired         map[string]map[uint32]bool
	seen            map[string]map[uint32]bool
	exposureChecked map[string]string
	// holdRead is, by envelope hash, what holdClaimOf read of a refused
	// member event (nil: no claim): a payload is opened once, not at every
	// reading of its entry (hold.go; session 16 review h-sec16a). Not by
	// id: an id is its writer's choice, and another envelope under a
	// revocation's id poisoned it (session 17 review h-sec17a).
	holdRead   map[string]*holdClaim
	grantsSeen atomic.Int64

	// Where keys of the scopes that need confirmation came from
	// (keysource.go): by scope and epoch, the member whose grant carried
	// it or this member (under state); the grants to this member whose
	// author is not reached, by key (under mu).
	source map[string]map[uint32]string
	aside  map[keyRef]map[string]bool

	// Devices no directory entry names that sent more than such a device
	// may store, each with its author (unnamed.go): netsync reads it
	// while an Apply runs.
	overMu sync.Mutex
	over   map[string]string

	// Forks proven here (fork.go), under state; and the evidence an
	// Apply met, written after it (under mu).
	forks     map[forkKey]uint64
	forkPairs []forkPair
	// What of each forked chain stands by the witnesses (witness.go),
	// under state.
	stands map[forkKey]stand
	// The standing branch carried to a workstation holding another
	// (carry.go): envelopes of forked chains fork-seen events carried,
	// under mu, carryN of them; set while the Apply of what it takes runs.
	carryIn  map[forkKey]map[uint64]map[string]carriedRef
	carryN   int
	carrying atomic.Bool
	// carrySince: when each branch (carriedKey, then the mark) was first
	// seen standing here; carryAt: when its turn comes, or when to look
	// again whether the run another workstation carried reached everyone
	// (carry.go, session 24). Used only by the one carryForks that
	// carrying lets run.
	carrySince map[string]time.Time
	carryAt    map[string]carryLook
	// carryPins: for each forked chain whose standing branch this
	// workstation lacks, the pins it last read what was carried of it by
	// (takeCarried). Used only by the one carryForks that
	// carrying lets run.
	carryPins map[forkKey]string
	// carried: the branches (carriedKey, then the mark) this workstation
	// knows were carried, so an Apply does not read their marks again;
	// used only by the one carryForks that carrying lets run.
	carried map[string]bool
	// rebuilds counts the starts and ends of the seal's rebuild
	// (rebuildRows): odd while one runs. It judges every event again in a
	// replica apart and r takes its memory at the end, so readers of r see
	// the clinic r knew meanwhile; the store's rows change at its commit,
	// before r takes the memory (Verify waits for its end).
	rebuilds atomic.Uint64
}

// Open loads a replica from its store: keys, public keys and the directory.
func Open(ctx context.Context, p Params) (*Replica, error) {
	if p.DB == nil || p.Identity == nil || p.Device == "" {
		return nil, errors.New("replica: store, identity and device are required")
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	r := newReplica(p)
	if err := p.DB.View(ctx, r.load); err != nil {
		return nil, err
	}
	r.onChange = nil // nothing changed: this is how the store was
	if p.Seal != nil {
		if err := r.checkSeal(ctx); err != nil {
			return nil, err
		}
		if r.altered != "" {
			// Opened again from what was rebuilt: the directory's
			// judgements, keys and marks are read from it afresh.
			again, err := Open(ctx, p)
			if err != nil {
				return nil, err
			}
			again.altered = r.altered + again.altered
			again.rowsSuspect = again.rowsSuspect || r.rowsSuspect
			again.chainSuspect = again.chainSuspect || r.chainSuspect
			return again, nil
		}
	}
	if err := r.indexAgain(ctx); err != nil {
		return nil, err
	}
	if err := r.mendFields(ctx); err != nil {
		return nil, err
	}
	if err := r.mendChainClocks(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// newReplica is a replica of p that knows nothing yet (load reads what it
// knows from a store).
func newReplica(p Params) *Replica {
	r := &Replica{p: p, fp: p.Identity.Fingerprint(), now: p.Now,
		keys: map[string]map[uint32]crypto.ScopeKey{}, index: map[string]crypto.IndexKey{},
		pubkeys: map[string]*crypto.PublicKey{}, members: map[string]Member{},
		granted: map[string]map[string]map[uint32]bool{}, held: map[string]map[string]bool{}, anchors: map[string]bool{},
		confirms: map[string]confirmations{},
		claims:   map[string]entryClaims{}, dirty: map[string]bool{}, holds: map[string]hold{}, retired: map[string]map[uint32]bool{}, seen: map[string]map[uint32]bool{},
		exposureChecked: map[string]string{}, holdRead: map[string]*holdClaim{}}
	for _, a := range p.Anchors {
		r.anchors[a] = true
	}
	r.pubkeys[r.fp] = p.Identity.Public()
	return r
}

func (r *Replica) load(tx *store.Tx) error {
	ctx := context.Background()
	secrets, err := tx.SecretsWithPrefix(ctx, "scope/")
	if err != nil {
		return fmt.Errorf("replica: load keys: %w", err)
	}
	for name, sealed := range secrets {
		secret, err := r.p.DeviceKey.Open(sealed, []byte(name))
		if err != nil {
			return fmt.Errorf("replica: key %s cannot be opened with this workstation's device key: %w", name, err)
		}
		var k crypto.ScopeKey
		parts := strings.Split(strings.TrimPrefix(name, "scope/"), "/")
		if len(parts) != 2 || len(secret) != len(k.Secret) {
			return fmt.Errorf("replica: malformed stored key %s", name)
		}
		var epoch uint32
		if _, err := fmt.Sscanf(parts[1], "%d", &epoch); err != nil {
			return fmt.Errorf("replica: malformed stored key %s", name)
		}
		k.Scope, k.Epoch = parts[0], epoch
		copy(k.Secret[:], secret)
		r.putKeyMem(k)
	}
	if err := r.loadIndexKeys(ctx, tx); err != nil {
		return err
	}
	if err := r.loadRetired(ctx, tx); err != nil {
		return err
	}
	if err := r.loadForks(ctx, tx); err != nil {
		return err
	}
	keys, err := tx.EntitiesOfKind(ctx, KindKey, -1, 0)
	if err != nil {
		return fmt.Errorf("replica: load public keys: %w", err)
	}
	for _, e := range keys {
		st, err := r.openState(e)
		if err != nil {
			return err
		}
		pub, err := pubFromState(st)
		if err != nil {
			return err
		}
		r.pubkeys[strings.TrimPrefix(e.ID, keyEntityPrefix)] = pub
	}
	members, err := tx.EntitiesOfKind(ctx, KindMember, -1, 0)
	if err != nil {
		return fmt.Errorf("replica: load directory: %w", err)
	}
	for _, e := range members {
		st, err := r.openState(e)
		if err != nil {
			return err
		}
		r.members[e.ID] = memberFromState(e.ID, st)
	}
	for fp, m := range r.members {
		if r.claims[fp], err = r.entryClaims(ctx, tx, m); err != nil {
			return err
		}
	}
	r.judgeTokens()
	if err := r.readVanished(ctx, tx); err != nil {
		return err
	}
	r.decideHolds() // as judged when the store was written
	r.loadRoleViews()
	for fp, m := range r.members {
		if m.TokenTakenBy != "" {
			r.dirty[fp] = true // judged again at the first write: see judgeDirectory
		}
	}
	if err := r.markBoundSquats(ctx, tx); err != nil {
		return err
	}
	// Members' own records: the keys each acknowledged holding, the
	// colleagues each physician confirmed.
	for _, own := range []struct {
		kind, prefix, what string
		into               func(string, State)
	}{
		{KindKeyHeld, heldEntityPrefix, "acknowledged keys", func(fp string, st State) { r.held[fp] = heldFromState(st) }},
		{KindConfirms, confirmsEntityPrefix, "confirmations", func(fp string, st State) { r.confirms[fp] = confirmationsOf(st) }},
	} {
		recs, err := tx.EntitiesOfKind(ctx, own.kind, -1, 0)
		if err != nil {
			return fmt.Errorf("replica: load %s: %w", own.what, err)
		}
		for _, e := range recs {
			st, err := r.openState(e)
			if err != nil {
				return err
			}
			own.into(strings.TrimPrefix(e.ID, own.prefix), st)
		}
	}
	if err := r.loadKeySources(ctx, tx); err != nil {
		return err
	}
	// The clock comes from verified envelopes only (applied or sealed).
	if r.lamport, err = tx.MaxLamport(ctx); err != nil {
		return err
	}
	// The device this workstation's chain moved from (move.go), whose
	// XMPP account it keeps.
	if r.account, err = r.ownMove(ctx, tx); err != nil {
		return err
	}
	if r.ancestry, err = r.ownMoves(ctx, tx); err != nil {
		return err
	}
	if moves, err := appliedMoves(ctx, tx, r.fp, r.p.Device); err != nil {
		return err
	} else if len(moves) > 0 {
		r.chainLeft.Store(true)
	}
	// This workstation's grants (a grant is about its recipient, a
	// member), in its chain and the one it moved from, and the tip of its
	// chain, by index: opening must not read the whole chain (a front
	// desk's is a clinic's every patient).
	for fp := range r.members {
		for _, d := range r.ownDevices() {
			grants, err := tx.AboutFrom(ctx, fp, d, KindGrant)
			if err != nil {
				return err
			}
			for _, e := range grants {
				r.markGranted(e.Entity, e.Scope, e.Epoch)
			}
		}
	}
	tip, ok, err := tx.ChainTip(ctx, r.p.Device)
	if err != nil {
		return err
	}
	if ok {
		r.mySeq, r.myHash = tip.Seq, tip.Hash
		if err := r.clockPastTip(ctx, tx); err != nil {
			return err
		}
	}
	awaited, err := r.countAwaited(ctx, tx)
	if err != nil {
		return err
	}
	r.awaited.Store(awaited)
	return r.loadRestored(ctx, tx)
}

// Fingerprint is the logged-in member's key fingerprint.
func (r *Replica) Fingerprint() string { return r.fp }

// Device is this workstation's device id.
func (r *Replica) Device() string { return r.p.Device }

// Identity is the logged-in member's unlocked identity.
func (r *Replica) Identity() *crypto.Identity { return r.p.Identity }

// DB is the replica's store, for read-only queries of the app.
func (r *Replica) DB() *store.DB { return r.p.DB }

// Member returns the directory entry of fingerprint fp.
func (r *Replica) Member(fp string) (Member, bool) {
	r.state.RLock()
	defer r.state.RUnlock()
	m, ok := r.members[fp]
	return m, ok
}

// Members returns the directory, ordered by name.
func (r *Replica) Members() []Member {
	r.state.RLock()
	defer r.state.RUnlock()
	out := make([]Member, 0, len(r.members))
	for _, m := range r.members {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Fingerprint < out[j].Fingerprint
	})
	return out
}

// PublicKey returns a member's public key, if this workstation has seen it.
func (r *Replica) PublicKey(fp string) (*crypto.PublicKey, bool) {
	r.state.RLock()
	defer r.state.RUnlock()
	p, ok := r.pubkeys[fp]
	return p, ok
}

// Holds reports whether this workstation holds any key of scope.
func (r *Replica) Holds(scope roles.Scope) bool {
	r.state.RLock()
	defer r.state.RUnlock()
	return len(r.keys[string(scope)]) > 0
}

// Key returns the newest epoch key of scope.
func (r *Replica) Key(scope roles.Scope) (crypto.ScopeKey, bool) {
	r.state.RLock()
	defer r.state.RUnlock()
	return r.newestKey(string(scope))
}

// Keys returns every epoch key this workstation holds of scope.
func (r *Replica) Keys(scope roles.Scope) []crypto.ScopeKey {
	r.state.RLock()
	defer r.state.RUnlock()
	out := make([]crypto.ScopeKey, 0, len(r.keys[string(scope)]))
	for _, k := range r.keys[string(scope)] {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Epoch < out[j].Epoch })
	return out
}

// Granted reports whether recipient holds epoch of scope as far as this
// workstation can tell: the recipient acknowledged holding it (a key-held
// record only the recipient writes), or this workstation granted it itself
// (its own grant opens for the recipient whenever it arrives, so it is not
// granted again). A grant header written by someone else proves nothing:
// it may carry a key that does not open, and must not stop this
// workstation from granting the real one.
func (r *Replica) Granted(recipient string, scope roles.Scope, epoch uint32) bool {
	r.state.RLock()
	defer r.state.RUnlock()
	return r.held[recipient][heldField(string(scope), epoch)] || r.granted[recipient][string(scope)][epoch]
}

// GrantedHere reports whether this workstation itself granted recipient
// epoch of scope (a grant in its own chain), whatever she claims.
func (r *Replica) GrantedHere(recipient string, scope roles.Scope, epoch uint32) bool {
	r.state.RLock()
	defer r.state.RUnlock()
	return r.granted[recipient][string(scope)][epoch]
}

func (r *Replica) markGranted(recipient, scope string, epoch uint32) {
	if r.granted[recipient] == nil {
		r.granted[recipient] = map[string]map[uint32]bool{}
	}
	if r.granted[recipient][scope] == nil {
		r.granted[recipient][scope] = map[uint32]bool{}
	}
	r.granted[recipient][scope][epoch] = true
}

// maxGeneration is the highest generation an epoch number holds (its top
// 16 bits).
const maxGeneration = 0xFFFF

// newestKey is the key new writes of scope use: the highest epoch this
// workstation holds that is not retired (retire.go) and, for a scope that
// needs confirmation, was made here or granted by a member it counts as
// confirmed now (keysource.go): a stranger's planted epoch, however high,
// is never it.
func (r *Replica) newestKey(scope string) (crypto.ScopeKey, bool) {
	var best crypto.ScopeKey
	found := false
	writable := r.writableLocked(scope)
	for _, k := range r.keys[scope] {
		if r.retired[scope][k.Epoch] || !writable(k.Epoch) {
			continue
		}
		if !found || k.Epoch > best.Epoch {
			best, found = k, true
		}
	}
	return best, found
}

func (r *Replica) putKeyMem(k crypto.ScopeKey) {
	if r.keys[k.Scope] == nil {
		r.keys[k.Scope] = map[uint32]crypto.ScopeKey{}
	}
	r.keys[k.Scope][k.Epoch] = k
}

// NewEpoch makes a fresh key for scope one generation after the newest this
// workstation holds for new writes (the first generation when it holds
// none, or only retired ones), keeps it, and returns it. The caller grants
// it to the scope's other members.
func (r *Replica) NewEpoch(ctx context.Context, scope roles.Scope) (crypto.ScopeKey, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.state.RLock()
	// One generation past every key held whose source new writes may use
	// or is reached (a stranger's planted key, retired or not, does not
	// push the clinic towards the last generation); past the newest unretired one
	// when that would run out of numbers (a member numbered hers last).
	gen := uint32(1)
	if k, ok := r.newestKey(string(scope)); ok {
		gen = epochGeneration(k.Epoch) + 1
	}
	held := r.keys[string(scope)]
	// Numbered past: keys new writes may use, and keys taken from a
	// colleague this workstation reaches by confirmations whatever her
	// role or status now: a physician who left the role made the key the
	// clinic held, and the epoch that replaces it must be newer than it
	// on every workstation (a stranger's key is still passed over).
	writable := r.writableLocked(string(scope))
	numbered := writable
	if roles.NeedsConfirmation(scope) {
		reached := r.reachedLocked(scope)
		numbered = func(e uint32) bool { return writable(e) || r.heldFrom(string(scope), e, reached) }
	}
	for e := range held {
		if g := epochGeneration(e) + 1; g > gen && g <= maxGeneration && numbered(e) {
			gen = g
		}
	}
	epoch := uint32(0)
	for range 8 { // a number this workstation holds no key of
		var b [2]byte
		_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+).
		if e := gen<<16 | uint32(binary.BigEndian.Uint16(b[:])); held[e].Scope == "" {
			epoch = e
			break
		}
	}
	r.state.RUnlock()
	if gen > maxGeneration || epoch == 0 {
		return crypto.ScopeKey{}, fmt.Errorf("replica: new epoch of %s after generation %d: %w", scope, gen-1, ErrNoEpoch)
	}
	k, err := crypto.NewScopeKey(string(scope), epoch)
	if err != nil {
		return crypto.ScopeKey{}, fmt.Errorf("replica: new epoch: %w", err)
	}
	err = r.p.DB.Update(ctx, func(tx *store.Tx) error { return r.keepKey(ctx, tx, k) })
	return k, err
}

// keepKey keeps a scope key made here (keepKeyFrom).
func (r *Replica) keepKey(ctx context.Context, tx *store.Tx, k crypto.ScopeKey) error {
	return r.keepKeyFrom(ctx, tx, k, r.fp)
}

// keepKeyFrom stores a scope key sealed with the device key and makes it
// usable; for a scope that needs confirmation it also keeps its source
// (keysource.go): the member whose grant carried it, or this member.
func (r *Replica) keepKeyFrom(ctx context.Context, tx *store.Tx, k crypto.ScopeKey, from string) error {
	if roles.NeedsConfirmation(roles.Scope(k.Scope)) {
		if err := tx.SetMeta(ctx, keySourceMeta(k.Scope, k.Epoch), []byte(from)); err != nil {
			return fmt.Errorf("replica: keep key: %w", err)
		}
		r.state.Lock()
		r.setSource(k.Scope, k.Epoch, from)
		r.state.Unlock()
	}
	name := fmt.Sprintf("scope/%s/%d", k.Scope, k.Epoch)
	sealed, err := r.p.DeviceKey.Seal(k.Secret[:], []byte(name))
	if err != nil {
		return fmt.Errorf("replica: keep key: %w", err)
	}
	if err := tx.PutSecret(ctx, name, sealed); err != nil {
		return fmt.Errorf("replica: keep key: %w", err)
	}
	r.state.Lock()
	_, had := r.keys[k.Scope][k.Epoch]
	r.putKeyMem(k)
	if k.Scope == string(roles.Directory) && !had {
		// A refused revocation sealed with this epoch may hold its
		// member: her claims were read without it (hold.go).
		for fp := range r.members {
			r.dirty[fp] = true
		}
	}
	r.state.Unlock()
	return r.ensureIndexKey(ctx, tx, k.Scope)
}

// The blind-index key of a scope is derived from the first epoch key this
// workstation held of it, and that choice is kept, so the local index stays
// valid when later epochs arrive. The index never leaves the workstation.
func (r *Replica) ensureIndexKey(ctx context.Context, tx *store.Tx, scope string) error {
	r.state.Lock()
	defer r.state.Unlock()
	if _, ok := r.index[scope]; ok {
		return nil
	}
	var k crypto.ScopeKey
	ok := false
	for _, o := range r.keys[scope] { // the first epoch held, retired or not
		if !ok || o.Epoch < k.Epoch {
			k, ok = o, true
		}
	}
	if !ok {
		return nil
	}
	if err := tx.SetMeta(ctx, "index-epoch/"+scope, []byte(fmt.Sprint(k.Epoch))); err != nil {
		return fmt.Errorf("replica: index key: %w", err)
	}
	r.index[scope] = crypto.DeriveIndexKey(k)
	return nil
}

func (r *Replica) loadIndexKeys(ctx context.Context, tx *store.Tx) error {
	for scope, ks := range r.keys {
		v, err := tx.Meta(ctx, "index-epoch/"+scope)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("replica: index key: %w", err)
		}
		var epoch uint32
		if _, err := fmt.Sscanf(string(v), "%d", &epoch); err != nil {
			return fmt.Errorf("replica: index key of %s: %w", scope, err)
		}
		if k, ok := ks[epoch]; ok {
			r.index[scope] = crypto.DeriveIndexKey(k)
		}
	}
	return nil
}

// Tokens returns the blind-index tokens of terms in scope; false when this
// workstation holds no key of the scope and so cannot search it.
func (r *Replica) Tokens(scope roles.Scope, terms ...Term) ([][]byte, bool) {
	return r.tokens(nil, scope, terms...)
}

// tokens returns the tokens of terms as Tokens does, with keys' Tokener of
// scope (made at its first use; nil keys: one made for these terms alone).
func (r *Replica) tokens(keys *foldKeys, scope roles.Scope, terms ...Term) ([][]byte, bool) {
	var tk *crypto.Tokener
	if keys != nil {
		tk = keys.tokens[string(scope)]
	}
	if tk == nil {
		r.state.RLock()
		ik, ok := r.index[string(scope)]
		r.state.RUnlock()
		if !ok {
			return nil, false
		}
		tk = ik.Tokener()
		if keys != nil {
			if keys.tokens == nil {
				keys.tokens = map[string]*crypto.Tokener{}
			}
			keys.tokens[string(scope)] = tk
		}
	}
	out := make([][]byte, len(terms))
	for i, t := range terms {
		out[i] = tk.Token(string(scope)+"/"+t.Field, t.Value)
	}
	return out, true
}

// Entity returns an entity's kind and decrypted current state.
func (r *Replica) Entity(ctx context.Context, id string) (string, State, error) {
	var e store.Entity
	err := r.p.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		e, err = tx.Entity(ctx, id)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return "", nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return "", nil, err
	}
	st, err := r.openState(e)
	return e.Kind, st, err
}

// EntityState is one entity with its decrypted state.
type EntityState struct {
	ID      string
	Kind    string
	Scope   string
	Lamport uint64
	State   State
}

// Entities returns every entity of kind with its state.
func (r *Replica) Entities(ctx context.Context, kind string) ([]EntityState, error) {
	var rows []store.Entity
	err := r.p.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		rows, err = tx.EntitiesOfKind(ctx, kind, -1, 0)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]EntityState, 0, len(rows))
	for _, e := range rows {
		st, err := r.openState(e)
		if err != nil {
			return nil, err
		}
		out = append(out, EntityState{ID: e.ID, Kind: e.Kind, Scope: e.Scope, Lamport: e.Lamport, State: st})
	}
	return out, nil
}

// EntitiesByID returns the states of the given entities, skipping unknown ids.
func (r *Replica) EntitiesByID(ctx context.Context, ids []string) ([]EntityState, error) {
	out := make([]EntityState, 0, len(ids))
	err := r.p.DB.View(ctx, func(tx *store.Tx) error {
		for _, id := range ids {
			e, ok, err := r.openIn(ctx, tx, id)
			if err != nil {
				return err
			}
			if ok {
				out = append(out, e)
			}
		}
		return nil
	})
	return out, err
}

// openIn reads and opens one entity in tx; false when it is unknown.
func (r *Replica) openIn(ctx context.Context, tx *store.Tx, id string) (EntityState, bool, error) {
	e, err := tx.Entity(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return EntityState{}, false, nil
	}
	if err != nil {
		return EntityState{}, false, err
	}
	st, err := r.openState(e)
	if err != nil {
		return EntityState{}, false, err
	}
	return EntityState{ID: e.ID, Kind: e.Kind, Scope: e.Scope, Lamport: e.Lamport, State: st}, true, nil
}

func (r *Replica) openState(e store.Entity) (State, error) {
	// Under the state lock: Wipe zeroes the device key under it, and a
	// reader (Entity, Entities) holds no writer's lock.
	r.state.RLock()
	plain, err := r.p.DeviceKey.Open(e.State, []byte(e.ID))
	r.state.RUnlock()
	if err != nil {
		return nil, fmt.Errorf("replica: entity %s cannot be opened with this workstation's device key: %w", e.ID, err)
	}
	st, err := decodeState(plain)
	if err != nil {
		return nil, fmt.Errorf("replica: entity %s: %w", e.ID, err)
	}
	return st, nil
}

func (r *Replica) sealState(id string, st State) ([]byte, error) {
	return r.sealStateWith(nil, id, st)
}

// sealStateWith seals st as sealState does, with keys' sealer (set up at
// its first use; nil keys: the device key set up for this state alone).
func (r *Replica) sealStateWith(keys *foldKeys, id string, st State) ([]byte, error) {
	plain, err := encodeState(st)
	if err != nil {
		return nil, fmt.Errorf("replica: entity %s: %w", id, err)
	}
	if keys == nil {
		r.state.RLock()
		defer r.state.RUnlock()
		return r.p.DeviceKey.Seal(plain, []byte(id))
	}
	if keys.sealer == nil {
		r.state.RLock()
		keys.sealer, err = r.p.DeviceKey.Sealer()
		r.state.RUnlock()
		if err != nil {
			return nil, fmt.Errorf("replica: entity %s: %w", id, err)
		}
	}
	return keys.sealer.Seal(plain, []byte(id)), nil
}

// Heads returns the highest stored event of every device.
func (r *Replica) Heads(ctx context.Context) ([]store.Head, error) {
	var heads []store.Head
	err := r.p.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		heads, err = tx.Heads(ctx)
		return err
	})
	return heads, err
}

// EnvelopesAfter returns the raw envelopes of device after seq, in order:
// what another workstation asks for when it has seen up to seq.
func (r *Replica) EnvelopesAfter(ctx context.Context, device string, seq uint64, limit int) ([][]byte, error) {
	var out [][]byte
	err := r.p.DB.View(ctx, func(tx *store.Tx) error {
		rows, err := tx.EnvelopesAfter(ctx, device, seq, limit)
		for _, e := range rows {
			out = append(out, e.Raw)
		}
		return err
	})
	return out, err
}

// Everything returns every raw envelope this workstation stores, device by
// device in chain order.
func (r *Replica) Everything(ctx context.Context) ([][]byte, error) {
	var out [][]byte
	err := r.p.DB.View(ctx, func(tx *store.Tx) error {
		return tx.EachEnvelope(ctx, func(e store.Envelope) error {
			out = append(out, e.Raw)
			return nil
		})
	})
	return out, err
}
