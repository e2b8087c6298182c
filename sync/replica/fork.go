package replica

// fork.go: a device that signs two different events for one place of its
// chain (a fork: a member's modified software) must not split the clinic
// (session 15 review h-sec15c H1, open until session 21).
//
// Before, each workstation kept the branch it got first and refused the
// other's continuation (store.ErrFork), so honest workstations disagreed
// for good, and only as events not kept. Now:
//
//   - A workstation that holds one signed event of a place and receives
//     another, signed by the same author, whose signed bytes differ (not
//     only its signature's encoding: anyone may re-encode a signature,
//     nobody but the author may sign other bytes), writes both, each as
//     an event of kind KindForkSeen in its own chain (public scope, record
//     id "fork:" then the device, the clear payload the envelope's exact
//     bytes). Its own chain reaches every workstation as any honest chain
//     does, whichever branch the forker sent where (F4 needs one
//     workstation that met both; see ARCHITECTURE.md Known limits).
//   - A fork-seen event is judged by itself alone: its writer's signature
//     and clock, its header, and the carried envelope's signature by its
//     author's key (pending until that key is known here). It is no act
//     of membership (noAct): no revocation or role undoes what it proves.
//   - Once a workstation holds applied fork-seen events that carry two
//     envelopes of one author for one place (device D, seq S) with
//     different signed bytes, D is forked from S for that author: every
//     event she signed in D at S or above is refused by the rule "forked"
//     (a rule of policy: the chain stays whole, nothing is dropped), on
//     both branches, whatever arrived first; applied ones are refused
//     and their records rebuilt (sweepFork). Her events below S stand,
//     her other devices stand, and colleagues' events stand. The lowest S
//     proven wins. Her key event and a move (seq 1, no acts) stand.
//   - But for the branch the clinic witnessed (witness.go, h-fork21b):
//     when other members' witness events pinned her chain at S or above
//     and more than half of them name one branch (h-fork22: a majority of
//     members' votes), her events on it up to the place more than half
//     pinned stand; only the other branch and what lies above are
//     refused. So forking at an old place no longer erases her past (an
//     allergy she charted, an admission she wrote), and a newcomer served
//     the other branch first, or one colluder, is outvoted. A tie leaves
//     it set aside from S.
//   - The staff directory lists forked devices (Forks) for administrators,
//     who may revoke her.
//
// The verdict depends only on the set of envelopes: which fork-seen
// events are applied, never which branch a workstation stored.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/store"
)

const (
	// KindForkSeen carries one envelope of a place of a device's chain
	// that holds two different signed events: the evidence of a fork.
	KindForkSeen = "fork-seen"
	// forkPrefix, then the device id, is a fork-seen event's record id.
	forkPrefix = "fork:"
	// ruleForked refuses an event its author signed in a device she
	// forked, at the fork's place or after it.
	ruleForked = "forked"
	// metaForks holds the forks proven here: JSON of []Fork.
	metaForks = "replica/forks"
	// metaForkSeen, then device/author/seq, holds the signed-bytes hashes
	// the fork-seen events carried for that place.
	metaForkSeen = "replica/fork-seen/"
	// maxForkPairs bounds the evidence waiting to be written.
	maxForkPairs = 64
)

// ErrForked refuses a write in this workstation's own chain once a fork of
// it is proven: every workstation refuses what it writes there.
var ErrForked = errors.New("This workstation's chain was signed twice for one place (a copy of this profile, " +
	"or one restored from a backup, wrote too): every workstation sets aside what it writes from there. " +
	"Tell an administrator; write from a new workstation")

// Fork is a device whose author signed two different events for one place
// of its chain: her events there from Seq on are refused everywhere.
type Fork struct {
	Device string `json:"device"`
	Author string `json:"author"`
	Seq    uint64 `json:"seq"`
}

type forkKey struct{ device, author string }

// ForkEntity is the record id of the fork-seen events about device.
func ForkEntity(device string) string { return forkPrefix + device }

// signedHash hashes what env's author signed: its bytes up to the
// signature (crypto's frame: the signature last, after its u16 length).
func signedHash(env *crypto.Envelope) string {
	n := len(env.Raw) - 2 - len(env.Signature)
	if n < 0 {
		n = 0
	}
	sum := sha256.Sum256(env.Raw[:n])
	return hex.EncodeToString(sum[:])
}

// forkedFrom reports the seq from which author's events in device are
// refused (ok=false: no fork proven).
func (r *Replica) forkedFrom(device, author string) (uint64, bool) {
	r.state.RLock()
	defer r.state.RUnlock()
	s, ok := r.forks[forkKey{device, author}]
	return s, ok
}

// Forks lists the forks proven on this workstation, by device.
func (r *Replica) Forks() []Fork {
	r.state.RLock()
	out := make([]Fork, 0, len(r.forks))
	for k, s := range r.forks {
		out = append(out, Fork{Device: k.device, Author: k.author, Seq: s})
	}
	r.state.RUnlock()
	slices.SortFunc(out, func(a, b Fork) int {
		if c := strings.Compare(a.Device, b.Device); c != 0 {
			return c
		}
		return strings.Compare(a.Author, b.Author)
	})
	return out
}

// OwnForked reports whether a fork of this workstation's own chain by its
// member is proven: it writes no more there (ErrForked).
func (r *Replica) OwnForked() bool {
	_, ok := r.forkedFrom(r.p.Device, r.fp)
	return ok
}

// loadForks reads the forks proven here (Open).
func (r *Replica) loadForks(ctx context.Context, tx *store.Tx) error {
	r.forks, r.stands = map[forkKey]uint64{}, map[forkKey]stand{}
	v, err := tx.Meta(ctx, metaForks)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("replica: forks: %w", err)
	}
	var fs []Fork
	if err := json.Unmarshal(v, &fs); err != nil {
		return fmt.Errorf("replica: forks: %w", err)
	}
	for _, f := range fs {
		r.forks[forkKey{f.Device, f.Author}] = f.Seq
	}
	return nil
}

// parseForkSeen reads what a fork-seen event carries: the envelope, of the
// device its record id names. Its header and payload are outside bytes.
func parseForkSeen(h crypto.Header, payload []byte) (*crypto.Envelope, error) {
	if err := checkForkSeenHeader(h); err != nil {
		return nil, err
	}
	device := strings.TrimPrefix(h.Entity, forkPrefix)
	env, err := crypto.ParseEnvelope(payload)
	if err != nil {
		return nil, fmt.Errorf("a fork-seen event carries no envelope: %v", err)
	}
	if env.Header.Device != device {
		return nil, errors.New("a fork-seen event carries an envelope of another device than its record id names")
	}
	return env, nil
}

// checkForkSeenHeader checks a fork-seen event's clear header.
func checkForkSeenHeader(h crypto.Header) error {
	device, ok := strings.CutPrefix(h.Entity, forkPrefix)
	switch {
	case h.Scope != ScopePublic:
		return fmt.Errorf("a fork-seen event belongs in the %s scope, not %s", ScopePublic, h.Scope)
	case !ok || !crypto.IsDeviceID(device):
		return fmt.Errorf("a fork-seen event's record id is %s then a device id", forkPrefix)
	}
	return nil
}

// tryForkSeen judges a fork-seen event of another workstation, its chain
// whole up to it (try), and records what it carries.
func (r *Replica) tryForkSeen(ctx context.Context, tx *store.Tx, env *crypto.Envelope, checked bool, prevLamport uint64) (verdict, error) {
	h := env.Header
	if v, ok, err := r.authentic(ctx, tx, env, checked, prevLamport); !ok {
		return v, err
	}
	carried, err := parseForkSeen(h, env.Ciphertext)
	if err != nil {
		return refused(ruleContent, "%s", err.Error()), nil
	}
	r.state.RLock()
	cpub, known := r.pubkeys[carried.Header.Author]
	r.state.RUnlock()
	if !known {
		return pending("the key of the author of the event it carries is not known yet"), nil
	}
	if err := carried.Verify(cpub); err != nil {
		return refused(ruleContent, "the event a fork-seen event carries is not signed by its author: %v", err), nil
	}
	if err := r.forkSeen(ctx, tx, carried); err != nil {
		return verdict{}, err
	}
	r.noteCarried(h, carried) // the standing branch, carried to a holder of another (carry.go)
	return verdict{state: store.Applied}, nil
}

// forkSeenKey is the meta key of the signed hashes seen for a place.
func forkSeenKey(h crypto.Header) string {
	return fmt.Sprintf("%s%s/%s/%d", metaForkSeen, h.Device, h.Author, h.Seq)
}

// forkSeen records that an applied fork-seen event carried env (verified):
// a second signed content for its place proves the fork.
func (r *Replica) forkSeen(ctx context.Context, tx *store.Tx, env *crypto.Envelope) error {
	h := env.Header
	key := forkSeenKey(h)
	var seen []string
	v, err := tx.Meta(ctx, key)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return fmt.Errorf("replica: fork evidence: %w", err)
	default:
		if err := json.Unmarshal(v, &seen); err != nil {
			return fmt.Errorf("replica: fork evidence: %w", err)
		}
	}
	sh := signedHash(env)
	if slices.Contains(seen, sh) || len(seen) >= 2 {
		return nil // two prove it: more add nothing
	}
	seen = append(seen, sh)
	slices.Sort(seen)
	if err := tx.SetMeta(ctx, key, mustJSON(seen)); err != nil {
		return fmt.Errorf("replica: fork evidence: %w", err)
	}
	if len(seen) < 2 {
		return nil
	}
	return r.setFork(ctx, tx, h.Device, h.Author, h.Seq)
}

// setFork records that author forked device at seq, unless a fork at or
// below it is known, and refuses what she signed there from seq on.
func (r *Replica) setFork(ctx context.Context, tx *store.Tx, device, author string, seq uint64) error {
	k := forkKey{device, author}
	r.state.Lock()
	if s, ok := r.forks[k]; ok && s <= seq {
		r.state.Unlock()
		return nil
	}
	r.forks[k] = seq
	delete(r.stands, k)
	fs := make([]Fork, 0, len(r.forks))
	for k, s := range r.forks {
		fs = append(fs, Fork{Device: k.device, Author: k.author, Seq: s})
	}
	r.state.Unlock()
	slices.SortFunc(fs, func(a, b Fork) int {
		return strings.Compare(a.Device+"/"+a.Author, b.Device+"/"+b.Author)
	})
	if err := tx.SetMeta(ctx, metaForks, mustJSON(fs)); err != nil {
		return fmt.Errorf("replica: forks: %w", err)
	}
	if _, err := r.sweepFork(ctx, tx, device, author, seq); err != nil {
		return err
	}
	return r.scanCarried(ctx, tx, k, seq) // the standing branch carried before its proof (carry.go)
}

// sweepFork judges again every event author signed in device from seq on
// (this workstation's own chain included: it would otherwise disagree
// with every other) by the fork rule and the witnesses held now
// (witness.go): applied or sealed ones it refuses are refused and the
// records they touched rebuilt; ones it refused that now stand or wait go
// back to pending. Reports whether any changed.
func (r *Replica) sweepFork(ctx context.Context, tx *store.Tx, device, author string, seq uint64) (bool, error) {
	rows, err := tx.EnvelopesAfter(ctx, device, seq-1, -1)
	if err != nil {
		return false, fmt.Errorf("replica: forked chain: %w", err)
	}
	touched := map[string]bool{}
	changed := false
	for _, row := range rows {
		if row.Author != author || noAct(row.Kind) {
			continue
		}
		h := crypto.Header{Kind: row.Kind, Device: row.Device, Author: row.Author, Seq: row.Seq}
		v, ok, err := r.forkVerdict(ctx, tx, h, row.Hash)
		if err != nil {
			return false, err
		}
		switch {
		case (row.State == store.Applied || row.State == store.Sealed) && ok:
			// Refused, or waits for the branch the witnesses name (this
			// workstation may hold the other: it keeps neither).
		case row.State == store.Rejected && row.Rule == ruleForked && !(ok && v.state == store.Rejected):
			v = pending("judged again: the witnesses of its author's fork changed")
		default:
			continue
		}
		if err := r.setState(ctx, tx, row, v); err != nil {
			return false, err
		}
		changed = true
		if isRecordKind(row.Kind) {
			touched[row.Entity] = true
		}
	}
	for _, id := range slices.Sorted(maps.Keys(touched)) {
		if err := r.rebind(ctx, tx, id, nil); err != nil {
			return false, err
		}
	}
	return changed, nil
}

// forkPair is two envelopes of one place this workstation met, to write
// as evidence once the Apply that met them is done.
type forkPair struct{ held, got []byte }

// metFork notes, on arrival, an envelope env (verified) whose place in its
// device's chain another envelope holds here: when that one is verified
// too, by the same author, and its signed bytes differ, both are written
// as evidence after the Apply (writeForks).
func (r *Replica) metFork(ctx context.Context, tx *store.Tx, env *crypto.Envelope) error {
	h := env.Header
	if h.Device == r.p.Device || noAct(h.Kind) && h.Seq == 1 {
		return nil
	}
	if s, ok := r.forkedFrom(h.Device, h.Author); ok && s <= h.Seq {
		return nil // proven already
	}
	row, err := tx.EnvelopeAt(ctx, h.Device, h.Seq)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("replica: chain: %w", err)
	}
	if row.Author != h.Author || row.State == store.Pending || row.Raw == nil || bytes.Equal(row.Raw, env.Raw) {
		return nil
	}
	held, err := crypto.ParseEnvelope(row.Raw)
	if err != nil || signedHash(held) == signedHash(env) {
		return nil
	}
	r.state.RLock()
	_, member := r.members[h.Author]
	r.state.RUnlock()
	if !member || len(r.forkPairs) >= maxForkPairs {
		return nil // only a member's key is known everywhere, so her evidence applies everywhere
	}
	r.forkPairs = append(r.forkPairs, forkPair{held: bytes.Clone(row.Raw), got: bytes.Clone(env.Raw)})
	return nil
}

// writeForks writes the fork evidence an Apply met, each envelope as a
// fork-seen event of this workstation's chain, unless what they prove is
// known here already. Called without r.mu (Apply's first defer). A write
// refused (a restored workstation's, held until it caught up) keeps them
// for the next Apply.
func (r *Replica) writeForks(ctx context.Context) {
	r.mu.Lock()
	pairs := r.forkPairs
	r.forkPairs = nil
	r.mu.Unlock()
	var left []forkPair
	for _, p := range pairs {
		a, errA := crypto.ParseEnvelope(p.held)
		b, errB := crypto.ParseEnvelope(p.got)
		if errA != nil || errB != nil {
			continue
		}
		if s, ok := r.forkedFrom(a.Header.Device, a.Header.Author); ok && s <= a.Header.Seq {
			continue
		}
		batch := r.Batch()
		for _, e := range []*crypto.Envelope{a, b} {
			raw := e.Raw
			batch.add(KindForkSeen, ScopePublic, 0, ForkEntity(e.Header.Device), func(h crypto.Header) (*crypto.Envelope, error) {
				return crypto.SealRaw(h, raw, r.p.Identity)
			})
		}
		if _, err := batch.Commit(ctx); err != nil {
			if errors.Is(err, ErrRestoredFetching) || errors.Is(err, r.holdErr()) {
				left = append(left, p)
			}
		}
	}
	if len(left) > 0 {
		r.mu.Lock()
		r.forkPairs = append(left, r.forkPairs...)
		r.mu.Unlock()
	}
}

// holdErr is why this workstation's writes are held (nil: they are not).
func (r *Replica) holdErr() error {
	r.mark.Lock()
	defer r.mark.Unlock()
	if r.restored {
		return r.hold
	}
	return nil
}
