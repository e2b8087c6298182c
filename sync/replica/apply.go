package replica

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// Report says what one Apply did.
type Report struct {
	Received int // envelopes given
	New      int // of those, not seen before
	Applied  int // verified and applied (in this call, including earlier pending ones)
	Sealed   int // verified, kept as ciphertext: no key on this workstation
	Rejected int
	Pending  int // still waiting (for an earlier event, or the author's key)
	// OverBound: not stored, their device named by no directory entry
	// and past what such a device may store (unnamed.go).
	OverBound int
	Problems  []Problem
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
	// OwnDevice: someone else wrote into this workstation's own chain (an
	// event of this device that this workstation did not write). Nothing
	// of it was kept; a person should look into it.
	OwnDevice bool
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
func (r *Replica) Apply(ctx context.Context, raws [][]byte) (_ Report, err error) {
	return r.apply(ctx, raws, false)
}

// apply is Apply; with again, every stored event is first sent back to be
// judged from the start, in the same transaction (judgeAllAgain).
func (r *Replica) apply(ctx context.Context, raws [][]byte, again bool) (_ Report, err error) {
	defer r.carryForks(ctx) // the standing branch of a fork, carried or taken (carry.go)
	defer r.writeForks(ctx) // the evidence of forks it met, once r.mu is free (fork.go)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.again, r.decided = again, 0
	defer func() { r.again = false }()
	if len(raws) >= bulkEnvelopes {
		r.raiseGC()
	}
	defer r.restoreGC()
	defer func() {
		if end := r.endBulk(ctx); end != nil {
			err = errors.Join(err, end)
		}
	}()
	rep := Report{Received: len(raws)}
	r.sealedIn = nil // what an Apply that failed counted
	// Signatures are checked and payloads opened on every core while the
	// envelopes checked before are stored (a pipeline: arrive waits for
	// each page).
	checked := r.check(raws)
	defer checked.stop()
	// Envelopes whose signature was checked on arrival, so settle need not
	// parse and verify them again, and the payloads opened with them.
	r.verified, r.owners, r.opened = map[string]*crypto.Envelope{}, map[string]string{}, map[*crypto.Envelope]Fields{}
	r.keysIn, r.unseal = map[keyRef]bool{}, map[keyRef]store.Cursor{}
	r.pre = pre{hash: map[*crypto.Envelope]string{}, badID: map[kindID]error{}}
	defer func() {
		r.verified, r.owners, r.opened, r.keysIn, r.unseal = nil, nil, nil, nil, nil
		r.pre = pre{}
		r.opening.Store(0)
	}()
	err = r.p.DB.UpdateRefetchable(ctx, func(tx *store.Tx) error {
		defer r.begin()()
		if err := r.bulk(ctx, tx); err != nil {
			return err
		}
		if again {
			if err := r.judgeAllAgain(ctx, tx); err != nil {
				return err
			}
		}
		if err := r.sealedToOpen(ctx, tx); err != nil {
			return err
		}
		held, err := r.arrive(ctx, tx, checked.out, checked.wait, &rep)
		if err != nil {
			return err
		}
		if err := r.settle(ctx, tx, &rep); err != nil {
			return err
		}
		// Kept aside at their device's bound, and named by an entry
		// that came with them: stored now.
		again, err := r.retryCapped(ctx, tx, &rep)
		if err != nil {
			return err
		}
		held = append(held, again...)
		if len(held) > 0 {
			// Settling may have freed the places they claimed (a squat or a
			// forgery waiting there was not kept) or given their device to
			// their author (a directory entry naming it arrived with
			// them): they try once more.
			if held, err = r.arrive(ctx, tx, held, nil, &rep); err != nil {
				return err
			}
			if err := r.settle(ctx, tx, &rep); err != nil {
				return err
			}
			for _, c := range held {
				rep.Rejected++
				rep.Problems = append(rep.Problems, *c.held)
			}
		}
		if err := r.followRestored(ctx, tx); err != nil {
			return err
		}
		if err := r.writeIndex(ctx, tx); err != nil {
			return err
		}
		if r.again {
			return r.sayJudgedAway(ctx, tx)
		}
		return nil
	})
	if err != nil {
		r.reload(ctx)
		return rep, err
	}
	defer r.recountAwaited(ctx)
	r.markOver(&rep)
	r.looked = true
	r.flush()
	// A key that opened a long history, or an admission that let it
	// through, settles in transactions of settleBudget decisions: memory
	// and the write-ahead log stay bounded, and what is applied shows.
	for r.more {
		err := r.p.DB.UpdateRefetchable(ctx, func(tx *store.Tx) error {
			defer r.begin()()
			if err := r.bulk(ctx, tx); err != nil {
				return err
			}
			if err := r.settle(ctx, tx, &rep); err != nil {
				return err
			}
			if err := r.followRestored(ctx, tx); err != nil {
				return err
			}
			return r.writeIndex(ctx, tx)
		})
		if err != nil {
			r.more = false
			r.reload(ctx)
			return rep, err
		}
		r.flush()
	}
	return rep, nil
}

// begin readies what one transaction of an Apply keeps in memory (what it
// decided, whom it revoked, what it indexes), and returns what forgets it.
func (r *Replica) begin() func() {
	r.reindex, r.folds = map[string][][]byte{}, &folds{}
	r.settled = map[chainPlace]store.Envelope{}
	r.revoked, r.undone, r.tails = map[string]bool{}, nil, map[string]uint64{}
	r.loads, r.capped = map[string]*deviceLoad{}, nil
	return func() {
		r.reindex, r.folds, r.settled, r.revoked, r.undone, r.tails, r.loads = nil, nil, nil, nil, nil, nil, nil
	}
}

// writeIndex writes the blind-index tokens of the entities an Apply
// changed, each once, for its final state.
func (r *Replica) writeIndex(ctx context.Context, tx *store.Tx) error {
	if err := r.flushFolds(ctx, tx); err != nil {
		return err
	}
	if len(r.reindex) == 0 {
		return nil
	}
	if err := tx.SetIndexes(ctx, r.reindex); err != nil {
		return fmt.Errorf("replica: index: %w", err)
	}
	return nil
}

// setState records a verdict on a stored envelope, keeps settle's view of
// the chain up to date, and notes what was undone: an applied or sealed
// envelope refused afterwards is reported, one sent back to pending makes
// settle go round again.
func (r *Replica) setState(ctx context.Context, tx *store.Tx, row store.Envelope, v verdict) error {
	var err error
	if v.state == store.Rejected && v.rule != "" {
		err = tx.Refuse(ctx, row.ID, v.rule, v.reason)
	} else {
		err = tx.SetEnvelopeState(ctx, row.ID, v.state, v.reason)
	}
	if err != nil {
		return fmt.Errorf("replica: envelope state: %w", err)
	}
	was := row.State
	if row.Kind == KindMember && (refusedByWriter(was, row.Rule) != refusedByWriter(v.state, v.rule) || was != v.state) {
		r.dirty[row.Entity] = true // a claim that may hold its member came or went (hold.go)
	}
	if was == store.Sealed || v.state == store.Sealed {
		r.recount = true
	}
	row.State, row.Reason, row.Rule, row.Raw = v.state, v.reason, "", nil
	if v.state == store.Rejected {
		row.Rule = v.rule
	}
	if r.settled != nil {
		r.settled[chainPlace{row.Device, row.Seq}] = row
	}
	if row.Kind == KindMove {
		r.movedChanged(row.Author, row.Device) // move.go
	}
	if (was == store.Applied || was == store.Sealed) && v.state == store.Rejected {
		r.undone = append(r.undone, Problem{Event: row.ID, Device: row.Device, Seq: row.Seq, Reason: v.reason})
	}
	if was != store.Pending && v.state == store.Pending {
		r.requeued = true
	}
	return nil
}

// vouch records what an applied or sealed envelope establishes beyond its
// record: the clock moves (verified envelopes only), and a device's first
// event names the member it belongs to.
func (r *Replica) vouch(ctx context.Context, tx *store.Tx, row store.Envelope) error {
	if row.Lamport > r.lamport {
		r.lamport = row.Lamport
	}
	if row.Seq == 1 {
		if err := tx.PutDevice(ctx, row.Device, row.Author); err != nil {
			return fmt.Errorf("replica: device %s: %w", short(row.Device), err)
		}
		if r.owners != nil {
			r.owners[row.Device] = row.Author
		}
	}
	return nil
}

// previous returns the event before h in its device's chain.
func (r *Replica) previous(ctx context.Context, tx *store.Tx, h crypto.Header) (store.Envelope, error) {
	if prev, ok := r.settled[chainPlace{h.Device, h.Seq - 1}]; ok {
		return prev, nil
	}
	return tx.EnvelopeAt(ctx, h.Device, h.Seq-1)
}

// try decides the fate of one pending envelope by the rules of rules.go.
func (r *Replica) try(ctx context.Context, tx *store.Tx, row store.Envelope) (verdict, error) {
	env, checked := r.verified[row.Hash]
	if !checked || r.pre.hashOf(env) != row.Hash {
		checked = false
		var perr error
		if env, perr = crypto.ParseEnvelope(row.Raw); perr != nil {
			return notKept("malformed envelope: " + perr.Error()), nil
		}
	}
	h := env.Header
	// The device must be the author's (admission.go): checked first, so an
	// event that does not belong in this chain is not kept rather than
	// judged against a squat that holds the place before it.
	if why, err := r.deviceRefuses(ctx, tx, env); err != nil || why != "" {
		return notKept(why), err
	}
	// The device's chain must be whole up to here.
	var prevLamport uint64
	if h.Seq > 1 {
		prev, err := r.previous(ctx, tx, h)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return pending(store.ChainWait+"%d of this device", h.Seq-1), nil
		case err != nil:
			return verdict{}, fmt.Errorf("replica: chain: %w", err)
		case prev.State == store.Pending:
			return pending(store.ChainWait+"%d of this device to be applied", h.Seq-1), nil
		case prev.Author != h.Author:
			return notKept(fmt.Sprintf("signed by %s, but device %s belongs to %s", short(h.Author), short(h.Device), short(prev.Author))), nil
		case prev.State == store.Rejected && prev.Rule == "":
			return broken("follows a rejected event of the same device"), nil
		case prev.Hash != h.Prev:
			return broken("chain broken: the previous event's hash does not match"), nil
		}
		prevLamport = prev.Lamport
	} else if h.Prev != "" {
		return broken("chain broken: a first event names a previous one"), nil
	}
	// A workstation's move onto a bound id (move.go).
	if h.Kind == KindMove {
		return r.tryMove(ctx, tx, env, checked, prevLamport)
	}
	// The evidence of a fork, judged by itself (fork.go).
	if h.Kind == KindForkSeen {
		return r.tryForkSeen(ctx, tx, env, checked, prevLamport)
	}
	// Heads of others' chains this writer held (witness.go).
	if h.Kind == KindWitness {
		return r.tryWitness(ctx, tx, env, checked, prevLamport)
	}

	if h.Kind == KindKey {
		if v, ok := r.checkKey(env); !ok {
			return v, nil
		}
		if v, ok := r.checkClock(h, prevLamport); !ok {
			return v, nil
		}
		if h.Seq != 1 {
			return refused(ruleKind, "a public key is published only as the first event of a device"), nil
		}
		st, _, err := r.applyContent(ctx, tx, env, "")
		return verdict{state: st}, err
	}
	if v, ok, err := r.authentic(ctx, tx, env, checked, prevLamport); !ok {
		return v, err
	}
	r.state.RLock()
	member, isMember := r.members[h.Author]
	r.state.RUnlock()
	// Its author forked this device at or below it, off the branch the
	// clinic witnessed (fork.go, witness.go).
	if v, ok, err := r.forkVerdict(ctx, tx, h, r.pre.hashOf(env)); err != nil || ok {
		return v, err
	}
	if was, seen := r.roleSeen[h.Author]; isMember && seen && roleView(was) != roleView(member) {
		// Her entry changed since her events were judged, within this
		// Apply: judged again now, before this one, so none keeps the
		// verdict of a view between two changes (session 14 review, F1).
		r.roleSeen[h.Author] = member
		if _, err := r.rejudgeRole(ctx, tx, h.Author, &was, member); err != nil {
			return verdict{}, err
		}
	}
	role, rule, reason, ok, err := r.authorizeAct(ctx, tx, row, h, member, isMember)
	if err != nil {
		return verdict{}, err
	}
	if _, seen := r.roleSeen[h.Author]; !seen {
		// The view her events are first judged by, so a change of her
		// role folded later in the same Apply judges them again
		// (judgeRoles; session 14 review, E4): her entry, or, an
		// inviting administrator or the founder before her entry came,
		// an administrator's (F4).
		switch {
		case isMember:
			r.roleSeen[h.Author] = member
		case ok && role == roles.Administrator:
			r.roleSeen[h.Author] = Member{Role: roles.Administrator}
		}
	}
	if !ok {
		if reason == "" {
			return pending("author not in the directory yet"), nil
		}
		return refused(rule, "%s", reason), nil
	}
	if v, ok, err := r.policy(ctx, tx, h, role); err != nil || !ok {
		return v, err
	}
	st, newKey, err := r.applyContent(ctx, tx, env, role)
	if err != nil {
		if errors.As(err, new(badContent)) || errors.As(err, new(badRole)) {
			return contentVerdict(err), nil
		}
		return verdict{}, err
	}
	return verdict{state: st, newKey: newKey}, nil
}

// authorize finds the role the author acts in, or the rule and reason that
// refuse the event. ok=false with an empty reason means "not yet": the
// directory may still learn of the author.
func (r *Replica) authorize(h crypto.Header, m Member, isMember bool) (role roles.Role, rule, reason string, ok bool) {
	if h.Kind == KindEnroll && h.Scope == ScopeEnroll {
		return "", "", "", true // a newcomer, bound to the token by its sealing key
	}
	genesis := h.Kind == KindMember && h.Entity == h.Author && r.founder(h.Author)
	switch {
	case isMember && m.TokenTakenBy != "":
		return "", ruleToken, notAdmitted(m), false
	case isMember && m.Revoked() && h.Seq > m.RevokedHeads[h.Device]:
		return "", ruleRevoked, "written after the author's membership was revoked", false
	case isMember && r.heldPast(h.Author, h.Device, h.Kind, h.Seq):
		return "", ruleHeld, "a confirmation written after a revocation that holds its author (hold.go)", false
	case isMember:
		// The role she held when she wrote it (roleheads.go).
		if role := m.roleAt(h); role != "" || m.Role == "" {
			return role, "", "", true
		}
		return "", ruleRole, "administrators recorded different changes of the author's role over this event " +
			"(her role when she wrote it is disputed): an administrator revokes her and issues her a new token", false
	case genesis, r.anchors[h.Author]:
		return roles.Administrator, "", "", true
	}
	return "", "", "", false
}

type badContent struct{ reason string }

func (b badContent) Error() string { return b.reason }

// badRole is a payload the author's role at the event may not write
// (checkRoleOfFields): refused by the role rule (ruleRole), so judged
// again when her history changes (judgeRoles).
type badRole struct{ reason string }

func (b badRole) Error() string { return b.reason }

// contentVerdict is the verdict on an envelope whose payload applyContent
// or an opening refused: by the role rule (badRole), else the content
// rule.
func contentVerdict(bad error) verdict {
	if errors.As(bad, new(badRole)) {
		return refused(ruleRole, "%s", bad.Error())
	}
	return refused(ruleContent, "%s", bad.Error())
}

// checkKey verifies a public-key event: self-signed by the key it carries,
// which is its author's.
func (r *Replica) checkKey(env *crypto.Envelope) (verdict, bool) {
	pub, _, err := pubFromPayload(env.Ciphertext)
	if err != nil {
		return notKept(err.Error()), false
	}
	if pub.Fingerprint() != env.Header.Author || env.Header.Entity != env.Header.Author {
		return notKept("public key does not belong to its author"), false
	}
	if err := env.Verify(pub); err != nil {
		return notKept("signature does not verify: " + err.Error()), false
	}
	return verdict{}, true
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

// applyContent applies an envelope that is verified and authorised, its
// author acting in role (roleAt). It returns Sealed when this workstation
// holds no key for it.
func (r *Replica) applyContent(ctx context.Context, tx *store.Tx, env *crypto.Envelope, role roles.Role) (store.EnvelopeState, keyRef, error) {
	h := env.Header
	switch h.Kind {
	case KindKey:
		pub, b64, err := pubFromPayload(env.Ciphertext)
		if err != nil {
			return 0, keyRef{}, err
		}
		r.state.Lock()
		r.pubkeys[h.Author] = pub
		r.state.Unlock()
		return store.Applied, keyRef{}, r.mergeEntity(ctx, tx, h, Fields{"pub": mustJSON(b64)})
	case KindGrant:
		r.grantsSeen.Add(1) // RetireExposed reads the grant headers again
		if r.ownedChain(h.Device) {
			// Ours: counts as granted while the recipient has not yet
			// acknowledged it (see Granted). Another's grant header proves
			// nothing: it may not open for its recipient.
			r.state.Lock()
			r.markGranted(h.Entity, h.Scope, h.Epoch)
			r.state.Unlock()
		}
		if h.Entity != r.fp {
			return store.Applied, keyRef{}, nil
		}
		// Kept, or held aside while its author is not a colleague this
		// workstation reached by confirmations (keysource.go).
		return r.takeGrant(ctx, tx, env)
	case KindEnroll:
		return store.Applied, keyRef{}, nil // opened by the administrators' use case, with the token's key
	case KindForkSeen: // this workstation's own evidence of a fork (writeForks)
		carried, err := parseForkSeen(h, env.Ciphertext)
		if err != nil {
			return 0, keyRef{}, badContent{err.Error()}
		}
		return store.Applied, keyRef{}, r.forkSeen(ctx, tx, carried)
	case KindWitness: // this workstation's own witness (witness.go)
		pins, err := parseWitness(h, env.Ciphertext)
		if err != nil {
			return 0, keyRef{}, badContent{err.Error()}
		}
		return store.Applied, keyRef{}, r.takePins(ctx, tx, h, pins)
	case KindMove: // this workstation's own move (MoveFrom)
		r.movedChanged(h.Author, h.Device)
		m, err := parseMove(h, env.Ciphertext)
		if err != nil {
			return 0, keyRef{}, badContent{err.Error()}
		}
		return store.Applied, keyRef{}, r.publishMoved(ctx, tx, h, m)
	}
	r.state.RLock()
	k, ok := r.keys[h.Scope][h.Epoch]
	r.state.RUnlock()
	if !ok {
		return store.Sealed, keyRef{}, nil
	}
	fields, opened := r.opened[env]
	if opened {
		delete(r.opened, env) // opened on arrival, on every core (check)
	} else {
		var err error
		if fields, err = openFields(env, k); err != nil {
			return 0, keyRef{}, err
		}
	}
	if err := checkRoleOfFields(h.Kind, h.Entity, role, fields); err != nil {
		return 0, keyRef{}, err
	}
	if r.later(h, fields) {
		return store.Applied, keyRef{}, nil
	}
	return store.Applied, keyRef{}, r.mergeEntity(ctx, tx, h, fields)
}

// keyRef names one epoch of a scope's key.
type keyRef struct {
	scope string
	epoch uint32
}

// openFields opens an envelope's payload with its scope key k: the fields
// the change writes. What does not open, or is no change (of its kind:
// checkFields), or is a directory entry whose name breaks the name rule
// (checkMemberName), or names another author where its kind names the
// author (checkAuthorFields), or changes roles against the content rule
// (checkRoleFields), or writes a field its record's id is bound to
// otherwise (checkPin), is badContent.
func openFields(env *crypto.Envelope, k crypto.ScopeKey) (Fields, error) {
	plain, err := env.Open(k)
	if err != nil {
		return nil, badContent{"payload cannot be opened with its scope key: " + err.Error()}
	}
	var fields Fields
	if err := json.Unmarshal(plain, &fields); err != nil {
		return nil, badContent{"payload is not a change"}
	}
	if err := checkFields(env.Header.Kind, fields); err != nil {
		return nil, badContent{fieldsReason(err)}
	}
	if err := checkMemberName(env.Header, fields); err != nil {
		return nil, badContent{err.Error()}
	}
	if err := checkAuthorFields(env.Header, fields); err != nil {
		return nil, badContent{err.Error()}
	}
	if err := checkRoleFields(env.Header, fields); err != nil {
		return nil, badContent{err.Error()}
	}
	if err := checkPin(env.Header, fields); err != nil {
		return nil, badContent{err.Error()}
	}
	return fields, nil
}

const keyEntityPrefix = "key/"

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

// authentic judges what every event of another workstation passes before
// its kind's own rules: its author's key is known, its signature verifies
// (or the events after it vouch for it: chainsig.go), its clock follows
// the chain's. ok false: v is the verdict.
func (r *Replica) authentic(ctx context.Context, tx *store.Tx, env *crypto.Envelope, checked bool, prevLamport uint64) (v verdict, ok bool, err error) {
	h := env.Header
	r.state.RLock()
	pub, known := r.pubkeys[h.Author]
	r.state.RUnlock()
	if !known {
		return pending("author's public key not known yet"), false, nil
	}
	if !checked {
		if err := env.Verify(pub); err != nil {
			if vouched, verr := r.vouchedByStored(ctx, tx, env, 0); verr != nil || !vouched {
				return notKept("signature does not verify: " + err.Error()), false, verr
			}
		}
	}
	if v, ok := r.checkClock(h, prevLamport); !ok {
		return v, false, nil
	}
	return verdict{}, true, nil
}
