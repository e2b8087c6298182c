package replica

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// Change is one event this workstation writes: some fields of one entity.
type Change struct {
	Entity string
	Kind   string
	Scope  roles.Scope
	Fields Fields
}

// Append seals a change with the newest epoch key of its scope, signs it,
// appends it to this device's chain, applies it to local state and queues it
// for the network, all in one transaction: either all of it happens or none.
func (r *Replica) Append(ctx context.Context, c Change) (*crypto.Envelope, error) {
	return r.Batch().Append(c).commitOne(ctx)
}

// PublishKey appends this member's public key, in clear and self-signed, so
// every workstation can verify what this member signs. It is the first event
// of every device.
func (r *Replica) PublishKey(ctx context.Context) (*crypto.Envelope, error) {
	payload, err := json.Marshal(map[string]string{"pub": base64.StdEncoding.EncodeToString(r.p.Identity.Public().Bytes())})
	if err != nil {
		return nil, err
	}
	b := r.Batch()
	b.add(KindKey, ScopePublic, 0, r.fp, func(h crypto.Header) (*crypto.Envelope, error) {
		return crypto.SealRaw(h, payload, r.p.Identity)
	})
	return b.commitOne(ctx)
}

// Grant appends a grant of key k to member to (who must have published a
// public key). The header names scope, epoch and recipient; only the
// recipient can open the key.
func (r *Replica) Grant(ctx context.Context, k crypto.ScopeKey, to string) (*crypto.Envelope, error) {
	return r.Batch().Grant(k, to).commitOne(ctx)
}

// Enroll appends a newcomer's enrollment request for token tokenID, sealed
// with the key derived from the token's secret.
func (r *Replica) Enroll(ctx context.Context, tokenID string, key crypto.ScopeKey, fields Fields) (*crypto.Envelope, error) {
	payload, err := json.Marshal(fields)
	if err != nil {
		return nil, err
	}
	b := r.Batch()
	b.add(KindEnroll, key.Scope, key.Epoch, tokenID, func(h crypto.Header) (*crypto.Envelope, error) {
		return crypto.Seal(h, payload, key, r.p.Identity)
	})
	return b.commitOne(ctx)
}

// Batch collects several events to append in one transaction: all of them
// or none (an admission writes the member, marks the token used and grants
// keys together).
type Batch struct {
	r      *Replica
	drafts []draft
	err    error
}

type draft struct {
	kind, scope, entity string
	epoch               uint32
	seal                func(crypto.Header) (*crypto.Envelope, error)
}

// Batch starts a batch of appends.
func (r *Replica) Batch() *Batch { return &Batch{r: r} }

func (b *Batch) add(kind, scope string, epoch uint32, entity string, seal func(crypto.Header) (*crypto.Envelope, error)) {
	b.drafts = append(b.drafts, draft{kind: kind, scope: scope, epoch: epoch, entity: entity, seal: seal})
}

// Append adds a change, sealed with the newest epoch key of its scope.
func (b *Batch) Append(c Change) *Batch {
	if b.err != nil {
		return b
	}
	if c.Entity == "" || c.Kind == "" || !c.Scope.Valid() {
		b.err = fmt.Errorf("replica: a change needs an entity, a kind and a scope")
		return b
	}
	if err := checkKind(c.Kind, string(c.Scope), false); err != nil {
		b.err = err
		return b
	}
	if err := checkID(c.Kind, c.Entity); err != nil {
		b.err = err
		return b
	}
	if err := checkFields(c.Kind, c.Fields); err != nil {
		b.err = fmt.Errorf("%w: %v: every workstation would refuse it", ErrForbidden, err)
		return b
	}
	if err := checkAuthorFields(crypto.Header{Kind: c.Kind, Author: b.r.fp}, c.Fields); err != nil {
		b.err = fmt.Errorf("%w: %v: every workstation would refuse it", ErrForbidden, err)
		return b
	}
	if err := checkRoleFields(crypto.Header{Kind: c.Kind, Entity: c.Entity, Author: b.r.fp}, c.Fields); err != nil {
		b.err = fmt.Errorf("%w: %v: every workstation would refuse it", ErrForbidden, err)
		return b
	}
	if err := checkPin(crypto.Header{Kind: c.Kind, Entity: c.Entity, Time: b.r.now().UnixMilli()}, c.Fields); err != nil {
		b.err = fmt.Errorf("%w: %v: every workstation would refuse it", ErrForbidden, err)
		return b
	}
	b.r.state.RLock()
	k, ok := b.r.newestKey(string(c.Scope))
	role := b.r.members[b.r.fp].Role // no change of role covers an event not yet written
	b.r.state.RUnlock()
	if err := checkRoleOfFields(c.Kind, c.Entity, role, c.Fields); err != nil {
		b.err = fmt.Errorf("%w: %v: every workstation would refuse it", ErrForbidden, err)
		return b
	}
	if !ok {
		b.err = fmt.Errorf("%w %s: ask a colleague who holds it to grant it, or wait for the grant to arrive", ErrNoKey, c.Scope)
		return b
	}
	payload, err := json.Marshal(c.Fields)
	if err != nil {
		b.err = fmt.Errorf("replica: encode change: %w", err)
		return b
	}
	b.add(c.Kind, string(c.Scope), k.Epoch, c.Entity, func(h crypto.Header) (*crypto.Envelope, error) {
		return crypto.Seal(h, payload, k, b.r.p.Identity)
	})
	return b
}

// Grant adds a grant of key k to member to.
func (b *Batch) Grant(k crypto.ScopeKey, to string) *Batch {
	if b.err != nil {
		return b
	}
	b.r.state.RLock()
	pub, ok := b.r.pubkeys[to]
	b.r.state.RUnlock()
	if !ok {
		b.err = fmt.Errorf("%w: public key of %s not known on this workstation yet", ErrNotFound, short(to))
		return b
	}
	sealed, err := crypto.SealGrant(k, pub, b.r.p.Identity)
	if err != nil {
		b.err = fmt.Errorf("replica: grant: %w", err)
		return b
	}
	b.add(KindGrant, k.Scope, k.Epoch, to, func(h crypto.Header) (*crypto.Envelope, error) {
		return crypto.SealRaw(h, sealed, b.r.p.Identity)
	})
	return b
}

// Len is the number of events in the batch.
func (b *Batch) Len() int { return len(b.drafts) }

func (b *Batch) commitOne(ctx context.Context) (*crypto.Envelope, error) {
	envs, err := b.Commit(ctx)
	if err != nil {
		return nil, err
	}
	return envs[0], nil
}

// Commit appends the batch to this device's chain in one transaction.
func (b *Batch) Commit(ctx context.Context) ([]*crypto.Envelope, error) {
	if b.err != nil {
		return nil, b.err
	}
	if len(b.drafts) == 0 {
		return nil, nil
	}
	r := b.r
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.mayWrite(); err != nil { // restored.go
		return nil, err
	}
	envs := make([]*crypto.Envelope, 0, len(b.drafts))
	seq, prev, lamport := r.mySeq, r.myHash, r.lamport
	err := r.p.DB.Update(ctx, func(tx *store.Tx) error {
		// Indexed once, at the end, for each entity's final state, in
		// token order (writeIndex).
		r.reindex = map[string][][]byte{}
		defer func() { r.reindex = nil }()
		now := r.now().UnixMilli()
		heads := make([]crypto.Header, len(b.drafts))
		for i, d := range b.drafts {
			// Refuse rather than wrap: a clock or sequence past its bound
			// would make every other workstation refuse the event.
			if lamport >= ClockCeiling || seq >= math.MaxInt64 {
				return fmt.Errorf("replica: this workstation's clock (%d) or sequence (%d) cannot advance any further; tell an administrator", lamport, seq)
			}
			seq, lamport = seq+1, lamport+1
			heads[i] = crypto.Header{
				ID: crypto.NewEventID(), Entity: d.entity, Kind: d.kind, Scope: d.scope, Epoch: d.epoch,
				Author: r.fp, Device: r.p.Device, Seq: seq, Lamport: lamport, Time: now,
			}
		}
		// Sealed on another core meanwhile, in chain order (sealChain).
		sealed, stop := sealChain(b.drafts, heads, prev)
		defer stop()
		for _, h := range heads {
			// Checked before it is stored, after the events before it
			// are applied (a batch may admit a member, then act on it).
			role, err := r.mayAppend(ctx, tx, h)
			if err != nil {
				return err
			}
			s := <-sealed
			if s.err != nil {
				return s.err
			}
			env := s.env
			row := rowOf(env, store.Applied, "")
			// Its random id is new; under its alias should a copy of it
			// have come first (store.PutEvent).
			if _, _, err := tx.PutEvent(ctx, row); err != nil {
				return fmt.Errorf("replica: append: %w", err)
			}
			if _, _, err := r.applyContent(ctx, tx, env, role); err != nil {
				if errors.As(err, new(badRole)) {
					return fmt.Errorf("%w: %v: every workstation would refuse it", ErrForbidden, err)
				}
				return err
			}
			if h.Seq == 1 {
				if err := tx.PutDevice(ctx, h.Device, h.Author); err != nil {
					return fmt.Errorf("replica: append: %w", err)
				}
			}
			prev = env.Hash()
			envs = append(envs, env)
		}
		// A directory entry this workstation wrote judges its member's
		// events by her role again (roleheads.go; what goes back to
		// pending is settled at the next Apply) and decides between
		// entries and devices like one that arrived (admission.go).
		if _, err := r.judgeRoles(ctx, tx); err != nil {
			return err
		}
		if _, err := r.judgeDirectory(ctx, tx); err != nil {
			return err
		}
		r.carryRoles() // judged at the next Apply
		if err := r.wrote(ctx, tx); err != nil {
			return err
		}
		return r.writeIndex(ctx, tx)
	})
	if err != nil {
		r.reload(ctx)
		return nil, err
	}
	r.mySeq, r.myHash, r.lamport = seq, prev, lamport
	r.chainNoted.Store(true) // restored.go wrote
	r.mark.Lock()
	r.restored = false // its chain is its own from now on (restored.go)
	r.mark.Unlock()
	r.flush()
	if r.p.OnAppend != nil {
		r.p.OnAppend()
	}
	return envs, nil
}

// sealedEvent is one event sealChain sealed, or why it could not.
type sealedEvent struct {
	env *crypto.Envelope
	err error
}

// sealChain seals drafts with their headers on a goroutine of its own,
// each chained to the one before (prev is the hash of the event before
// the first), and hands them over in order: signing is a third of an
// append's work and needs nothing of the transaction, so it runs on the
// other core while the events before are checked, stored and applied.
// stop ends it and waits for it, whatever was taken.
func sealChain(drafts []draft, heads []crypto.Header, prev string) (<-chan sealedEvent, func()) {
	out := make(chan sealedEvent, 64)
	done := make(chan struct{})
	go func() {
		defer close(out)
		for i, d := range drafts {
			select {
			case <-done: // the transaction ended: seal no more
				return
			default:
			}
			h := heads[i]
			h.Prev = prev
			env, err := d.seal(h)
			if err != nil {
				err = fmt.Errorf("replica: seal %s: %w", d.kind, err)
			}
			select {
			case out <- sealedEvent{env, err}:
			case <-done:
				return
			}
			if err != nil {
				return
			}
			prev = env.Hash()
		}
	}()
	return out, func() {
		close(done)
		for range out {
			// drained until the goroutine ends
		}
	}
}

// mayAppend checks this workstation's own event by the rules every other
// workstation will check it by (rules.go), so it never writes what the
// others refuse: a key only as a device's first event, a kind of the roles
// table in its scope, written by a role that may, on a record of that kind.
// It returns the role the event is written in ("" before this member is
// in the directory): applyContent judges the fields by it.
func (r *Replica) mayAppend(ctx context.Context, tx *store.Tx, h crypto.Header) (roles.Role, error) {
	if h.Kind == KindKey {
		if h.Seq != 1 {
			return "", fmt.Errorf("%w: a public key is published only as the first event of a device", ErrForbidden)
		}
		return "", nil
	}
	if h.Kind == KindMove {
		if err := checkMoveHeader(h); err != nil {
			return "", fmt.Errorf("%w: %v", ErrForbidden, err)
		}
	}
	r.state.RLock()
	m, isMember := r.members[r.fp]
	r.state.RUnlock()
	role, _, reason, ok := r.authorize(h, m, isMember)
	if h.Kind == KindWitness {
		if err := checkWitnessHeader(h); err != nil {
			return "", fmt.Errorf("%w: %v", ErrForbidden, err)
		}
		return role, nil // judged by itself (witness.go tryWitness), not by the roles table
	}
	if h.Kind == KindForkSeen {
		if err := checkForkSeenHeader(h); err != nil {
			return "", fmt.Errorf("%w: %v", ErrForbidden, err)
		}
		return role, nil // judged by itself (fork.go tryForkSeen), not by the roles table
	}
	if h.Kind == KindMove && (ok || reason == "") {
		return role, nil // judged by its header (move.go tryMove), not by the roles table
	}
	if !ok {
		if reason != "" {
			return "", fmt.Errorf("%w: %s", ErrForbidden, reason)
		}
		// Not in the directory yet (a newcomer before admission): the
		// others keep its events waiting until it is; only the kind can be
		// checked here.
		if h.Kind == KindGrant || h.Kind == KindEnroll {
			return "", nil
		}
		return "", checkKind(h.Kind, h.Scope, !isRecordKind(h.Kind))
	}
	v, ok, err := r.policy(ctx, tx, h, role)
	if err != nil || ok {
		return role, err
	}
	return "", fmt.Errorf("%w: %s", ErrForbidden, v.reason)
}

func rowOf(e *crypto.Envelope, s store.EnvelopeState, reason string) store.Envelope {
	return rowOfHashed(e, e.Hash(), s, reason)
}

// rowOfHashed is rowOf for an envelope whose hash (e.Hash()) is known.
func rowOfHashed(e *crypto.Envelope, hash string, s store.EnvelopeState, reason string) store.Envelope {
	h := e.Header
	return store.Envelope{ID: h.ID, Device: h.Device, Seq: h.Seq, Lamport: h.Lamport, Entity: h.Entity,
		Kind: h.Kind, Scope: h.Scope, Epoch: h.Epoch, Author: h.Author, Prev: h.Prev, Hash: hash,
		Time: h.Time, Raw: e.Raw, State: s, Reason: reason}
}

// reload rebuilds the in-memory caches from the store after a failed
// transaction, so memory never claims what the disk does not hold.
func (r *Replica) reload(ctx context.Context) {
	fresh, err := Open(ctx, r.p)
	if err != nil {
		return
	}
	r.take(fresh)
}

// take replaces what r knows of the store by what fresh read of it.
func (r *Replica) take(fresh *Replica) {
	r.state.Lock()
	r.takeLocked(fresh)
	r.state.Unlock()
	r.takeMarks(fresh)
}

// takeLocked is take's part under r.state.
func (r *Replica) takeLocked(fresh *Replica) {
	wipeKeys(r.keys, r.index) // the copies read before (fresh read its own)
	r.keys, r.index, r.pubkeys, r.members, r.granted, r.held = fresh.keys, fresh.index, fresh.pubkeys, fresh.members, fresh.granted, fresh.held
	r.confirms, r.source, r.aside, r.forks, r.stands = fresh.confirms, fresh.source, fresh.aside, fresh.forks, fresh.stands
	r.claims, r.dirty, r.roleSeen, r.admitted, r.admissions, r.holds = fresh.claims, fresh.dirty, fresh.roleSeen, fresh.admitted, fresh.admissions, fresh.holds
	r.lamport, r.mySeq, r.myHash = fresh.lamport, fresh.mySeq, fresh.myHash
	r.onChange = nil
}

// takeMarks is take's part outside r.state.
func (r *Replica) takeMarks(fresh *Replica) {
	r.mark.Lock()
	r.restored, r.restoredAt = fresh.restored, fresh.restoredAt
	r.mark.Unlock()
	r.awaited.Store(fresh.awaited.Load()) // what the store holds, not what a transaction rolled back counted
	r.recount, r.sealedIn = false, nil
}

func (r *Replica) flush() {
	r.state.Lock()
	changed := r.onChange
	r.onChange = nil
	r.state.Unlock()
	if len(changed) > 0 && r.p.OnChange != nil {
		r.p.OnChange(changed)
	}
}

func short(fp string) string {
	if len(fp) > 8 {
		return fp[:8]
	}
	return fp
}

// Raw adds an event whose payload is already encrypted by the caller (an
// audit record encrypted to the clinic's audit key): signed, not re-sealed.
// Workstations keep it as ciphertext; its readers open it themselves.
func (b *Batch) Raw(kind, scope, entity string, payload []byte) *Batch {
	if b.err != nil {
		return b
	}
	if roles.Scope(scope).Valid() || scope == ScopePublic || scope == ScopeEnroll {
		b.err = fmt.Errorf("replica: raw events may not use the %s scope", scope)
		return b
	}
	if err := checkKind(kind, scope, true); err != nil {
		b.err = err
		return b
	}
	b.add(kind, scope, 0, entity, func(h crypto.Header) (*crypto.Envelope, error) {
		return crypto.SealRaw(h, payload, b.r.p.Identity)
	})
	return b
}
