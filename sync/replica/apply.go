package replica

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/medihaven/medihaven/app/store"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
)

// Report says what one Apply did.
type Report struct {
	Received int // envelopes given
	New      int // of those, not seen before
	Applied  int // verified and applied (in this call, including earlier pending ones)
	Sealed   int // verified, kept as ciphertext: no key on this workstation
	Rejected int
	Pending  int // still waiting (for an earlier event, or the author's key)
	Problems []Problem
}

// Problem names one envelope that was refused, for people and for verify.
type Problem struct {
	Event  string
	Device string
	Seq    uint64
	Reason string
	// Altered: the bytes were changed on the way (or forged), so nothing of
	// them was kept and the genuine event may still come.
	Altered bool
}

func (p Problem) String() string {
	if p.Device == "" {
		return fmt.Sprintf("event %s: %s", p.Event, p.Reason)
	}
	return fmt.Sprintf("device %s seq %d (event %s): %s", short(p.Device), p.Seq, short(p.Event), p.Reason)
}

// Apply stores envelopes from other devices and applies every one that can
// be: in any order, idempotently. An envelope that cannot be applied yet
// (an earlier event of its device or its author's key is missing) waits as
// pending; one this workstation holds no key for is verified and kept as
// ciphertext; one that fails verification is rejected and reported. Only a
// failure of the store itself is an error.
func (r *Replica) Apply(ctx context.Context, raws [][]byte) (Report, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rep := Report{Received: len(raws)}
	checked := r.check(raws)
	// Envelopes whose signature was checked on arrival, so settle need not
	// parse and verify them again.
	verified := map[string]*crypto.Envelope{}
	r.verified = verified
	defer func() { r.verified = nil }()
	err := r.p.DB.Update(ctx, func(tx *store.Tx) error {
		for _, c := range checked {
			if c.problem != nil {
				rep.Rejected++
				rep.Problems = append(rep.Problems, *c.problem)
				continue
			}
			env := c.env
			if c.verified {
				verified[env.Header.ID] = env
			}
			inserted, err := tx.PutEnvelope(ctx, rowOf(env, store.Pending, "received"))
			if (errors.Is(err, store.ErrFork) || errors.Is(err, store.ErrConflict)) && c.verified {
				// A verified envelope claims the id or chain place of one
				// that could not be verified yet: the unverified one was
				// altered bytes (or a forgery) and gives way.
				inserted, err = r.replaceUnverified(ctx, tx, env)
			}
			if errors.Is(err, store.ErrFork) || errors.Is(err, store.ErrConflict) {
				rep.Rejected++
				rep.Problems = append(rep.Problems, problemOf(env.Header, "a different event already holds this place in the device's chain"))
				continue
			}
			if err != nil {
				return fmt.Errorf("replica: store envelope: %w", err)
			}
			if inserted {
				rep.New++
				if env.Header.Lamport > r.lamport {
					r.lamport = env.Header.Lamport
				}
			}
		}
		r.reindex = map[string][][]byte{}
		defer func() { r.reindex = nil }()
		if err := r.settle(ctx, tx, &rep); err != nil {
			return err
		}
		return r.writeIndex(ctx, tx)
	})
	if err != nil {
		r.reload(ctx)
		return rep, err
	}
	r.flush()
	return rep, nil
}

// writeIndex writes the blind-index tokens of the entities an Apply
// changed, each once, for its final state.
func (r *Replica) writeIndex(ctx context.Context, tx *store.Tx) error {
	if len(r.reindex) == 0 {
		return nil
	}
	if err := tx.SetIndexes(ctx, r.reindex); err != nil {
		return fmt.Errorf("replica: index: %w", err)
	}
	return nil
}

// altered is try's verdict on an envelope whose bytes do not verify: they
// were changed on the way (or forged). Unlike a rejection it is not kept:
// the place in the device's chain stays open for the genuine envelope, so
// one altered block never cuts a workstation off the rest of a chain.
const altered store.EnvelopeState = -1

// chainPlace is one event's place in its device's chain.
type chainPlace struct {
	device string
	seq    uint64
}

// arrival is what could be learned of one envelope before it is stored.
type arrival struct {
	env      *crypto.Envelope
	verified bool     // signed by a key this workstation knows
	problem  *Problem // malformed or badly signed: refused
}

// check parses every envelope and verifies the signatures it can (the
// author's key is known) before any of them takes its place in a chain, so
// altered bytes never block the genuine ones. Verifying is the costly part
// of a catch-up, so it runs on every core.
func (r *Replica) check(raws [][]byte) []arrival {
	out := make([]arrival, len(raws))
	r.state.RLock()
	keys := make(map[string]*crypto.PublicKey, len(r.pubkeys))
	for fp, k := range r.pubkeys {
		keys[fp] = k
	}
	r.state.RUnlock()
	workers := min(runtime.GOMAXPROCS(0), max(1, len(raws)/64))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(raws); i += workers {
				env, err := crypto.ParseEnvelope(raws[i])
				if err != nil {
					out[i].problem = &Problem{Event: "?", Reason: "malformed envelope: " + err.Error(), Altered: true}
					continue
				}
				out[i].env = env
				pub, known := keys[env.Header.Author]
				if !known || env.Header.Kind == KindKey {
					continue
				}
				if err := env.Verify(pub); err != nil {
					p := problemOf(env.Header, "signature does not verify: "+err.Error())
					p.Altered = true
					out[i].problem = &p
					continue
				}
				out[i].verified = true
			}
		}(w)
	}
	wg.Wait()
	return out
}

func (r *Replica) replaceUnverified(ctx context.Context, tx *store.Tx, env *crypto.Envelope) (bool, error) {
	h := env.Header
	for _, find := range []func() (store.Envelope, error){
		func() (store.Envelope, error) { return tx.Envelope(ctx, h.ID) },
		func() (store.Envelope, error) { return tx.EnvelopeAt(ctx, h.Device, h.Seq) },
	} {
		old, err := find()
		if errors.Is(err, store.ErrNotFound) || err == nil && old.Hash == env.Hash() {
			continue
		}
		if err != nil {
			return false, err
		}
		if old.State != store.Pending {
			return false, store.ErrFork
		}
		if err := tx.DiscardPending(ctx, old.ID); err != nil {
			return false, err
		}
	}
	return tx.PutEnvelope(ctx, rowOf(env, store.Pending, "received"))
}

func problemOf(h crypto.Header, reason string) Problem {
	return Problem{Event: h.ID, Device: h.Device, Seq: h.Seq, Reason: reason}
}

// settle applies pending envelopes until no more progress is made. A key
// that arrives turns the envelopes kept sealed for its scope pending again.
func (r *Replica) settle(ctx context.Context, tx *store.Tx, rep *Report) error {
	// What this settle decided, so the next event of a chain need not read
	// its predecessor back from the store.
	r.settled = map[chainPlace]store.Envelope{}
	defer func() { r.settled = nil }()
	for {
		rows, err := tx.EnvelopesInState(ctx, store.Pending, -1)
		if err != nil {
			return fmt.Errorf("replica: pending envelopes: %w", err)
		}
		progress := false
		reopen := map[string]bool{}
		for _, row := range rows {
			st, reason, newKey, err := r.try(ctx, tx, row)
			if err != nil {
				return err
			}
			if newKey != "" {
				reopen[newKey] = true
			}
			if st == altered {
				if err := tx.DiscardPending(ctx, row.ID); err != nil {
					return err
				}
				progress = true
				rep.Rejected++
				rep.Problems = append(rep.Problems, Problem{Event: row.ID, Device: row.Device, Seq: row.Seq,
					Reason: reason + " (not kept: the genuine event is asked for again)", Altered: true})
				continue
			}
			if st == store.Pending {
				if reason != row.Reason {
					if err := tx.SetEnvelopeState(ctx, row.ID, st, reason); err != nil {
						return err
					}
				}
				continue
			}
			if err := tx.SetEnvelopeState(ctx, row.ID, st, reason); err != nil {
				return err
			}
			r.settled[chainPlace{row.Device, row.Seq}] = store.Envelope{State: st, Hash: row.Hash}
			progress = true
			switch st {
			case store.Applied:
				rep.Applied++
			case store.Sealed:
				rep.Sealed++
			case store.Rejected:
				rep.Rejected++
				rep.Problems = append(rep.Problems, Problem{Event: row.ID, Device: row.Device, Seq: row.Seq, Reason: reason})
			}
		}
		if len(reopen) > 0 {
			sealed, err := tx.EnvelopesInState(ctx, store.Sealed, -1)
			if err != nil {
				return err
			}
			for _, row := range sealed {
				if reopen[row.Scope] {
					if err := tx.SetEnvelopeState(ctx, row.ID, store.Pending, "key arrived"); err != nil {
						return err
					}
					rep.Sealed--
					progress = true
				}
			}
		}
		if !progress {
			rep.Pending = len(rows)
			if rep.Sealed < 0 {
				rep.Sealed = 0
			}
			return nil
		}
	}
}

// try decides the fate of one pending envelope. newKey names a scope whose
// key this envelope delivered.
func (r *Replica) try(ctx context.Context, tx *store.Tx, row store.Envelope) (st store.EnvelopeState, reason, newKey string, err error) {
	env, checked := r.verified[row.ID]
	if !checked || env.Hash() != row.Hash {
		checked = false
		var perr error
		if env, perr = crypto.ParseEnvelope(row.Raw); perr != nil {
			return altered, "malformed envelope: " + perr.Error(), "", nil
		}
	}
	h := env.Header
	// The device's chain must be whole up to here.
	if h.Seq > 1 {
		prev, err := r.settled[chainPlace{h.Device, h.Seq - 1}], error(nil)
		if prev.Hash == "" {
			prev, err = tx.EnvelopeAt(ctx, h.Device, h.Seq-1)
		}
		switch {
		case errors.Is(err, store.ErrNotFound):
			return store.Pending, fmt.Sprintf("waiting for event %d of this device", h.Seq-1), "", nil
		case err != nil:
			return 0, "", "", fmt.Errorf("replica: chain: %w", err)
		case prev.State == store.Pending:
			return store.Pending, fmt.Sprintf("waiting for event %d of this device to be applied", h.Seq-1), "", nil
		case prev.State == store.Rejected:
			return store.Rejected, "follows a rejected event of the same device", "", nil
		case prev.Hash != h.Prev:
			return store.Rejected, "chain broken: the previous event's hash does not match", "", nil
		}
	} else if h.Prev != "" {
		return store.Rejected, "chain broken: a first event names a previous one", "", nil
	}

	if h.Kind == KindKey {
		return r.applyKeyEnvelope(ctx, tx, env)
	}
	r.state.RLock()
	pub, known := r.pubkeys[h.Author]
	member, isMember := r.members[h.Author]
	r.state.RUnlock()
	if !known {
		return store.Pending, "author's public key not known yet", "", nil
	}
	if !checked {
		if err := env.Verify(pub); err != nil {
			return altered, "signature does not verify: " + err.Error(), "", nil
		}
	}
	role, reason, ok := r.authorize(h, member, isMember)
	if !ok {
		if reason == "" {
			return store.Pending, "author not in the directory yet", "", nil
		}
		return store.Rejected, reason, "", nil
	}
	if err := r.checkRole(h, role); err != nil {
		return store.Rejected, err.Error(), "", nil
	}
	st, newKey, err = r.applyContent(ctx, tx, env)
	if err != nil {
		var bad badContent
		if errors.As(err, &bad) {
			return store.Rejected, bad.Error(), "", nil
		}
		return 0, "", "", err
	}
	return st, "", newKey, nil
}

// authorize finds the role the author acts in. ok=false with an empty
// reason means "not yet": the directory may still learn of the author.
func (r *Replica) authorize(h crypto.Header, m Member, isMember bool) (role roles.Role, reason string, ok bool) {
	if h.Kind == KindEnroll && h.Scope == ScopeEnroll {
		return "", "", true // a newcomer, bound to the token by its sealing key
	}
	genesis := h.Kind == KindMember && h.Entity == h.Author && r.p.Clinic != "" && strings.HasPrefix(h.Author, r.p.Clinic)
	switch {
	case isMember && !m.Active():
		if h.Seq > m.RevokedHeads[h.Device] {
			return "", "author's membership was revoked before this event", false
		}
		return m.Role, "", true
	case isMember:
		return m.Role, "", true
	case genesis, r.anchors[h.Author]:
		return roles.Administrator, "", true
	}
	return "", "", false
}

// checkRole enforces the policy on what a role may write, on every
// workstation: the same rules the app applies before it writes.
func (r *Replica) checkRole(h crypto.Header, role roles.Role) error {
	switch h.Kind {
	case KindEnroll:
		return nil
	case KindGrant:
		if !role.Holds(roles.Scope(h.Scope)) {
			return fmt.Errorf("a %s cannot grant the %s key", role, h.Scope)
		}
		return nil
	case KindMember:
		if role != roles.Administrator {
			return fmt.Errorf("only an administrator changes the directory")
		}
	}
	if s := roles.Scope(h.Scope); s.Valid() && !role.Holds(s) {
		return fmt.Errorf("a %s may not write %s data", role, h.Scope)
	}
	return nil
}

type badContent struct{ reason string }

func (b badContent) Error() string { return b.reason }

func (r *Replica) applyKeyEnvelope(ctx context.Context, tx *store.Tx, env *crypto.Envelope) (store.EnvelopeState, string, string, error) {
	pub, _, err := pubFromPayload(env.Ciphertext)
	if err != nil {
		return altered, err.Error(), "", nil
	}
	if pub.Fingerprint() != env.Header.Author || env.Header.Entity != env.Header.Author {
		return altered, "public key does not belong to its author", "", nil
	}
	if err := env.Verify(pub); err != nil {
		return altered, "signature does not verify: " + err.Error(), "", nil
	}
	st, _, err := r.applyContent(ctx, tx, env)
	return st, "", "", err
}

// pubFromPayload reads the payload of a key event: {"pub": base64 key}.
func pubFromPayload(payload []byte) (*crypto.PublicKey, string, error) {
	var body struct{ Pub string }
	if err := json.Unmarshal(payload, &body); err != nil {
		return nil, "", badContent{"malformed public key event"}
	}
	raw, err := base64.StdEncoding.DecodeString(body.Pub)
	if err != nil {
		return nil, "", badContent{"malformed public key event"}
	}
	pub, err := crypto.ParsePublicKey(raw)
	if err != nil {
		return nil, "", badContent{"malformed public key: " + err.Error()}
	}
	return pub, body.Pub, nil
}

func pubFromState(st State) (*crypto.PublicKey, error) {
	raw, err := base64.StdEncoding.DecodeString(st.String("pub"))
	if err != nil {
		return nil, fmt.Errorf("replica: stored public key: %w", err)
	}
	return crypto.ParsePublicKey(raw)
}

// applyContent applies an envelope that is verified and authorised. It
// returns Sealed when this workstation holds no key for it.
func (r *Replica) applyContent(ctx context.Context, tx *store.Tx, env *crypto.Envelope) (store.EnvelopeState, string, error) {
	h := env.Header
	switch h.Kind {
	case KindKey:
		pub, b64, err := pubFromPayload(env.Ciphertext)
		if err != nil {
			return 0, "", err
		}
		r.state.Lock()
		r.pubkeys[h.Author] = pub
		r.state.Unlock()
		return store.Applied, "", r.mergeEntity(ctx, tx, h, Fields{"pub": mustJSON(b64)})
	case KindGrant:
		r.state.Lock()
		r.markGranted(h.Entity, h.Scope, h.Epoch)
		r.state.Unlock()
		if h.Entity != r.fp {
			return store.Applied, "", nil
		}
		r.state.RLock()
		from := r.pubkeys[h.Author]
		_, have := r.keys[h.Scope][h.Epoch]
		r.state.RUnlock()
		if have {
			return store.Applied, "", nil
		}
		k, err := crypto.OpenGrant(env.Ciphertext, r.p.Identity, from)
		if err != nil {
			return 0, "", badContent{"grant cannot be opened: " + err.Error()}
		}
		if k.Scope != h.Scope || k.Epoch != h.Epoch {
			return 0, "", badContent{"grant carries another key than its header names"}
		}
		if err := r.keepKey(ctx, tx, k); err != nil {
			return 0, "", err
		}
		return store.Applied, k.Scope, nil
	case KindEnroll:
		return store.Applied, "", nil // opened by the administrators' use case, with the token's key
	}
	r.state.RLock()
	k, ok := r.keys[h.Scope][h.Epoch]
	r.state.RUnlock()
	if !ok {
		return store.Sealed, "", nil
	}
	plain, err := env.Open(k)
	if err != nil {
		return 0, "", badContent{"payload cannot be opened with its scope key: " + err.Error()}
	}
	var fields Fields
	if err := json.Unmarshal(plain, &fields); err != nil {
		return 0, "", badContent{"payload is not a change"}
	}
	return store.Applied, "", r.mergeEntity(ctx, tx, h, fields)
}

const keyEntityPrefix = "key/"

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

// mergeEntity merges fields into an entity's sealed state and re-indexes it.
func (r *Replica) mergeEntity(ctx context.Context, tx *store.Tx, h crypto.Header, fields Fields) error {
	if h.Kind == KindKey {
		// A member's key and directory entry are both named by the
		// fingerprint; keep them as two entities.
		h.Entity = keyEntityPrefix + h.Entity
	}
	st := State{}
	old, err := tx.Entity(ctx, h.Entity)
	switch {
	case errors.Is(err, store.ErrNotFound):
		old = store.Entity{ID: h.Entity, Kind: h.Kind, Scope: h.Scope}
	case err != nil:
		return fmt.Errorf("replica: entity: %w", err)
	default:
		if st, err = r.openState(old); err != nil {
			return err
		}
	}
	if !st.Merge(fields, h.Lamport, h.Device) {
		return nil
	}
	sealed, err := r.sealState(h.Entity, st)
	if err != nil {
		return err
	}
	lamport := old.Lamport
	if h.Lamport > lamport {
		lamport = h.Lamport
	}
	if err := tx.PutEntity(ctx, store.Entity{ID: h.Entity, Kind: old.Kind, Scope: old.Scope, State: sealed, Lamport: lamport, Updated: h.Time}); err != nil {
		return fmt.Errorf("replica: entity: %w", err)
	}
	if r.p.Index != nil && roles.Scope(h.Scope).Valid() {
		if tokens, ok := r.Tokens(roles.Scope(h.Scope), r.p.Index(old.Kind, st)...); ok {
			if r.reindex != nil {
				// Within an Apply: indexed once, at the end, for the
				// entity's final state.
				r.reindex[h.Entity] = tokens
			} else if err := tx.SetIndex(ctx, h.Entity, tokens); err != nil {
				return fmt.Errorf("replica: index: %w", err)
			}
		}
	}
	r.state.Lock()
	if old.Kind == KindMember {
		r.members[h.Entity] = memberFromState(h.Entity, st)
	}
	r.onChange = append(r.onChange, Changed{ID: h.Entity, Kind: old.Kind, Scope: old.Scope})
	r.state.Unlock()
	return nil
}
