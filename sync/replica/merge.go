package replica

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"strings"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// Merging changes into a record's sealed state, in three steps: read the
// record (the store, one at a time), fold the changes in (open, merge,
// seal, index terms: no store, so many records fold at once on every core
// when a key opens a long history), and keep it (the store, and what the
// replica knows of members and held keys).

// merge is one record on its way through: as stored (or its id, kind and
// scope, when new) and its state once the changes are folded in.
type merge struct {
	rec     store.Entity
	found   bool // rec is stored
	st      State
	changed bool
	tokens  [][]byte
	indexed bool // tokens are the record's index terms
}

// recordID is the record an event changes: a member's key and directory
// entry are both named by the fingerprint, and kept as two records.
func recordID(h crypto.Header) string {
	if h.Kind == KindKey {
		return keyEntityPrefix + h.Entity
	}
	return h.Entity
}

// readRecord reads the record h changes.
func (r *Replica) readRecord(ctx context.Context, tx *store.Tx, h crypto.Header) (*merge, error) {
	id := recordID(h)
	rec, err := tx.Entity(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return &merge{rec: store.Entity{ID: id, Kind: h.Kind, Scope: h.Scope}}, nil
	case err != nil:
		return nil, fmt.Errorf("replica: entity: %w", err)
	}
	return &merge{rec: rec, found: true}, nil
}

// fold merges the fields each header wrote into m's record, in order, then
// seals the state and finds its index tokens. It touches no store.
func (r *Replica) fold(m *merge, hs []crypto.Header, fs []Fields, keys *foldKeys) error {
	m.st = State{}
	if m.found {
		st, err := r.openState(m.rec)
		if err != nil {
			return err
		}
		m.st = st
	}
	var last crypto.Header
	kind, _ := roles.KindOf(m.rec.Kind) // the replica's own kinds keep no field once
	for i, h := range hs {
		f := fs[i]
		kept := false
		if m.rec.Kind == KindMember {
			if admissionShaped(f) {
				// The first role an admission wrote is the one the
				// entry was admitted with (roleheads.go): kept once,
				// like a change of role. A role written alone does
				// not rewrite it (session 13 second review, B7).
				f = maps.Clone(f)
				f[admittedField] = f["role"]
			}
			kept = foldRoleCells(m.st, h, f)
		}
		if !m.st.MergeOnce(f, h.Lamport, h.Device, kind.Once) && !kept {
			continue
		}
		m.changed, last = true, h
		m.rec.Lamport = max(m.rec.Lamport, h.Lamport)
		m.rec.Updated = max(m.rec.Updated, h.Time) // whatever order they come in
	}
	if !m.changed {
		return nil
	}
	sealed, err := r.sealStateWith(keys, m.rec.ID, m.st)
	if err != nil {
		return err
	}
	m.rec.State = sealed
	if r.p.Index != nil && roles.Scope(last.Scope).Valid() {
		m.tokens, m.indexed = r.tokens(keys, roles.Scope(last.Scope), r.p.Index(m.rec.Kind, m.st)...)
	}
	return nil
}

// keep stores a folded record, its index tokens (within an Apply: once,
// at the end, for its final state), and what the replica keeps in memory
// of members and held keys.
func (r *Replica) keep(ctx context.Context, tx *store.Tx, m *merge) error {
	return r.keepAll(ctx, tx, []*merge{m})
}

// keepAll keeps folded records in order (keep), their states written a
// page per statement (store.PutEntities).
func (r *Replica) keepAll(ctx context.Context, tx *store.Tx, order []*merge) error {
	recs := make([]store.Entity, 0, len(order))
	for _, m := range order {
		if m.changed {
			recs = append(recs, m.rec)
		}
	}
	if err := tx.PutEntities(ctx, recs); err != nil {
		return fmt.Errorf("replica: entity: %w", err)
	}
	for _, m := range order {
		if err := r.kept(ctx, tx, m); err != nil {
			return err
		}
	}
	return nil
}

// kept does what keep does once a changed record's state is stored.
func (r *Replica) kept(ctx context.Context, tx *store.Tx, m *merge) error {
	if !m.changed {
		if m.rec.Kind == KindMember {
			// An event of the entry that changed nothing is still one
			// of its events (admission.go entryClaims: what a
			// confirmation may name): read again like any other, or
			// workstations differ by the order events came in
			// (session 16 review h-sec16b, C).
			r.dirty[m.rec.ID] = true // under mu, as Apply holds it
		}
		return nil
	}
	id := m.rec.ID
	if m.indexed {
		if r.reindex != nil {
			r.reindex[id] = m.tokens
		} else if err := tx.SetIndex(ctx, id, m.tokens); err != nil {
			return fmt.Errorf("replica: index: %w", err)
		}
	}
	r.state.Lock()
	defer r.state.Unlock()
	switch m.rec.Kind {
	case KindMember:
		mem := memberFromState(id, m.st)
		// Whether the entry stands for its token is judged again once
		// this round of settle is done (judgeDirectory).
		mem.TokenTakenBy = r.members[id].TokenTakenBy
		mem.HeldBy = heldBy(mem, r.holds[id]) // judged again with it (hold.go)
		r.members[id] = mem
		r.dirty[id] = true
		if id == r.fp {
			r.recount = true // the scopes this member's role holds may change (countAwaited)
		}
		if mem.Revoked() && r.revoked != nil {
			r.revoked[id] = true // settle sweeps what they wrote after
		}
	case KindKeyHeld:
		r.held[strings.TrimPrefix(id, heldEntityPrefix)] = heldFromState(m.st)
	case KindConfirms:
		r.confirms[strings.TrimPrefix(id, confirmsEntityPrefix)] = confirmationsOf(m.st)
	}
	r.onChange = append(r.onChange, Changed{ID: id, Kind: m.rec.Kind, Scope: m.rec.Scope})
	return nil
}

// foldChanges merges the fields each header wrote into their records: each
// record read once, the records folded on every core, then kept in the
// order they were first named.
func (r *Replica) foldChanges(ctx context.Context, tx *store.Tx, headers []crypto.Header, fields []Fields) error {
	ids := make([]string, 0, len(headers))
	for _, h := range headers {
		ids = append(ids, recordID(h))
	}
	stored, err := tx.Entities(ctx, ids) // a page of records per read
	if err != nil {
		return fmt.Errorf("replica: entities: %w", err)
	}
	g, _ := groupChanges(headers, fields, stored, nil, nil)
	if err := r.foldGroup(g, false); err != nil {
		return err
	}
	return r.keepAll(ctx, tx, g.order)
}

// grouped is a page of changes grouped by record, in the order the
// records were first named: hs[i] and fs[i] change order[i].
type grouped struct {
	order []*merge
	hs    [][]crypto.Header
	fs    [][]Fields
}

// groupChanges groups changes by record. A record is as before holds it
// (folded from the page before, not yet kept), else as stored holds it,
// else new. asked names the records stored was read for (nil: all of
// them); ok is false when a change names another (it must be grouped
// again once the store has it).
func groupChanges(headers []crypto.Header, fields []Fields, stored map[string]store.Entity, asked map[string]bool, before map[string]*merge) (g grouped, ok bool) {
	at := map[string]int{} // record id -> its place in order
	for j, h := range headers {
		id := recordID(h)
		i, seen := at[id]
		if !seen {
			m := &merge{rec: store.Entity{ID: id, Kind: h.Kind, Scope: h.Scope}}
			if b, was := before[id]; was {
				m = &merge{rec: b.rec, found: b.found || b.changed}
			} else if asked != nil && !asked[id] {
				return grouped{}, false
			} else if rec, found := stored[id]; found {
				m = &merge{rec: rec, found: true}
			}
			i = len(g.order)
			at[id] = i
			g.order, g.hs, g.fs = append(g.order, m), append(g.hs, nil), append(g.fs, nil)
		}
		g.hs[i], g.fs[i] = append(g.hs[i], h), append(g.fs[i], fields[j])
	}
	return g, true
}

// foldKeys is what one worker of foldGroup seals records' states and
// makes their index tokens with: the device key's AES-GCM and a Tokener a
// scope, each set up at the worker's first record that needs it rather
// than for every record (issue 17: ~1 µs each, 200,000 records in a
// newcomer's catch-up). They are dropped when foldGroup returns: inside
// the Apply, which holds r.mu, so Wipe (which takes r.mu) never finds one
// alive, and the next foldGroup reads the keys again (a key changed
// between two Applies is the one used: TestFoldKeysFollowTheKeys). The
// standard library's AES-GCM and HMAC states cannot be overwritten; they
// are left to the collector, as each record's were before.
type foldKeys struct {
	sealer *crypto.DeviceSealer
	tokens map[string]*crypto.Tokener
}

// foldGroup folds every record of g on every core (beside: while the
// applying goroutine goes on, yieldToSerial).
func (r *Replica) foldGroup(g grouped, beside bool) error {
	errs := make([]error, len(g.order))
	keys := make([]foldKeys, runtime.GOMAXPROCS(0)) // one a worker, dropped on return
	onCores(len(g.order), 16, beside, func(w, i int) { errs[i] = r.fold(g.order[i], g.hs[i], g.fs[i], &keys[w]) })
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// folds is what an Apply's transaction merges later, at once: changes of
// records that no rule reads (not the directory's members, not held keys),
// folded on every core when the transaction ends or a record is rebuilt.
type folds struct {
	headers []crypto.Header
	fields  []Fields
}

// later reports whether h's change of a record may wait for flushFolds,
// and queues it then.
func (r *Replica) later(h crypto.Header, fields Fields) bool {
	if r.folds == nil || h.Kind == KindMember || h.Kind == KindKeyHeld || !isRecordKind(h.Kind) {
		return false
	}
	r.folds.headers, r.folds.fields = append(r.folds.headers, h), append(r.folds.fields, fields)
	return true
}

// flushFolds merges the changes queued by later.
func (r *Replica) flushFolds(ctx context.Context, tx *store.Tx) error {
	if r.folds == nil || len(r.folds.headers) == 0 {
		return nil
	}
	hs, fs := r.folds.headers, r.folds.fields
	r.folds.headers, r.folds.fields = nil, nil
	return r.foldChanges(ctx, tx, hs, fs)
}

// mergeEntity merges fields into an entity's sealed state and re-indexes it.
func (r *Replica) mergeEntity(ctx context.Context, tx *store.Tx, h crypto.Header, fields Fields) error {
	m, err := r.readRecord(ctx, tx, h)
	if err != nil {
		return err
	}
	if err := r.fold(m, []crypto.Header{h}, []Fields{fields}, nil); err != nil {
		return err
	}
	return r.keep(ctx, tx, m)
}
