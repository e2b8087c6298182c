package replica

import (
	"context"
	"fmt"
	"slices"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// Opening what was kept sealed once its key arrives (issue 17). A
// workstation that holds no key of a scope verifies that scope's
// envelopes, judges them by every rule and keeps them sealed. When a grant
// brings the key (a newcomer's front-desk grant comes at the end of the
// granting workstation's chain, after everything it wrote), those
// envelopes need only what the key adds: their payload opened and merged
// into their records. Every rule that could change a verdict later
// (revocation, a displaced entry, a record's kind settled again, a device
// given to its rightful owner) treats sealed envelopes as it treats
// applied ones, so a sealed envelope stands as it was judged; merging is
// order-free, so they are opened newest first, a page at a time on every
// core (the next page while the one before is written: openPages), in
// transactions of settleBudget: the newest records show first
// while a long history opens. An envelope whose payload does not open is
// refused as it would have been (ruleContent).

// sealedToOpen notes the keys held here for which envelopes are still
// kept sealed: a key that arrived in an Apply cut short (the program
// ended between its transactions). Looked for at the first Apply after
// Open only.
func (r *Replica) sealedToOpen(ctx context.Context, tx *store.Tx) error {
	if r.looked {
		return nil
	}
	r.state.RLock()
	var refs []keyRef // which keys, not their secrets
	for scope, epochs := range r.keys {
		for epoch := range epochs {
			refs = append(refs, keyRef{scope, epoch})
		}
	}
	r.state.RUnlock()
	for _, ref := range refs {
		any, err := tx.AnySealed(ctx, ref.scope, ref.epoch)
		if err != nil {
			return fmt.Errorf("replica: sealed envelopes: %w", err)
		}
		if any {
			r.keysIn[ref] = true
		}
	}
	return nil
}

// openSealed opens the envelopes kept sealed for the keys that arrived,
// within the transaction's budget (r.more when it stopped there), and
// reports whether it opened any.
func (r *Replica) openSealed(ctx context.Context, tx *store.Tx, rep *Report) (bool, error) {
	for ref := range r.keysIn {
		if _, ok := r.unseal[ref]; !ok {
			n, err := tx.CountSealed(ctx, ref.scope, ref.epoch)
			if err != nil {
				return false, fmt.Errorf("replica: sealed envelopes: %w", err)
			}
			r.unseal[ref] = store.Cursor{}
			if n >= bulkEnvelopes {
				r.raiseGC()
				if err := r.bulk(ctx, tx); err != nil {
					return false, err
				}
			}
			r.opening.Add(int64(n))
			// Counted as awaited until now: counted as opening meanwhile,
			// and the store is counted again after the Apply.
			r.awaited.Store(max(r.awaited.Load()-int64(n), 0))
			r.recount = true
		}
		delete(r.keysIn, ref)
	}
	defer func() {
		if len(r.unseal) == 0 {
			r.opening.Store(0)
		}
	}()
	opened := false
	for ref, at := range r.unseal {
		r.state.RLock()
		k, ok := r.keys[ref.scope][ref.epoch]
		r.state.RUnlock()
		if ok {
			more, err := r.openPages(ctx, tx, ref, k, at, rep)
			opened = opened || more
			if err != nil || r.more {
				return opened, err
			}
		}
		delete(r.unseal, ref)
	}
	return opened, nil
}

// openPage is how many sealed envelopes are opened at a time (a variable:
// tests make it small).
var openPage = runPage

// openPages opens the envelopes kept sealed for ref after at, a page at a
// time within the transaction's budget (r.more when it stopped there), and
// reports whether it opened any. A pipeline: while one page is written
// (its records kept, its envelopes marked applied: the store, one at a
// time), the next one is opened and folded on the other cores. The next
// page's rows are read, and their payloads opened, while the page before
// it is still folding (opening needs only the rows and the key); its
// records are read, and it is folded, once that page is folded and before
// it is kept: those it shares with that page are taken as folded there
// (groupChanges), so every change is merged in order into what the one
// before it left.
func (r *Replica) openPages(ctx context.Context, tx *store.Tx, ref keyRef, k crypto.ScopeKey, at store.Cursor, rep *Report) (opened bool, err error) {
	var cur, next *sealedPage
	defer func() {
		// Never leave a page on the workers when returning early.
		for _, p := range []*sealedPage{cur, next} {
			if p != nil {
				p.wait()
			}
		}
	}()
	for {
		if cur == nil {
			if r.budget <= 0 {
				r.more = true
				return opened, nil
			}
			if cur, at, err = r.readSealed(ctx, tx, k, ref, at, min(openPage, r.budget)); err != nil || cur == nil {
				return opened, err
			}
			r.unseal[ref] = at
			if err := r.foldSealed(ctx, tx, cur, nil); err != nil {
				return opened, err
			}
		}
		// The next page's rows, read and opened while this one folds
		// (nothing is written in between: the same rows as read after).
		nextAt := at
		if left := r.budget - len(cur.rows); left > 0 {
			if next, nextAt, err = r.readSealed(ctx, tx, k, ref, at, min(openPage, left)); err != nil {
				return opened, err
			}
		}
		<-cur.ready
		if cur.err != nil {
			return opened, cur.err
		}
		if next != nil {
			if cur.folded {
				at = nextAt
				r.unseal[ref] = at
				if err := r.foldSealed(ctx, tx, next, cur.merges()); err != nil {
					return opened, err
				}
			} else {
				// Folded in order when kept: the next page is read
				// again after it.
				<-next.opened
				next = nil
			}
		}
		if cur.folded {
			err = r.keepOldestFirst(ctx, tx, cur.g.order)
		} else {
			err = r.foldAll(ctx, tx, cur.opens) // a record the page names was not read ahead
		}
		if err != nil {
			return opened, err
		}
		if err := r.setOpened(ctx, tx, cur.opens, rep); err != nil {
			return opened, err
		}
		opened = true
		cur, next = next, nil // nil: the next page (or none) is read above
	}
}

// keepOldestFirst keeps the folded records of a sealed page in the
// reverse of the order the page named them (newest first). A record's
// number is given as its first event arrives, and SQLite fills the pages
// of the records' table when numbers come in ascending order: in
// descending order each split left a page half empty (a newcomer's
// records took 667 bytes each instead of 370, and the opening wrote them
// through the write-ahead log). The records of a page are distinct, so
// the order they are kept in changes nothing else.
func (r *Replica) keepOldestFirst(ctx context.Context, tx *store.Tx, order []*merge) error {
	oldest := slices.Clone(order)
	slices.Reverse(oldest)
	return r.keepAll(ctx, tx, oldest)
}

// sealedPage is a page of sealed envelopes on its way: opened with its
// key on the workers (opened is closed then), then folded into its
// records there too (ready is closed then).
type sealedPage struct {
	rows    []store.Envelope
	opens   []opening
	opened  chan struct{}
	folding bool // foldSealed started its fold: ready will be closed
	g       grouped
	folded  bool // g is folded; false: it is folded in order, when kept
	err     error
	ready   chan struct{}
}

// wait returns when the workers are done with the page.
func (p *sealedPage) wait() {
	if p.folding {
		<-p.ready
	} else {
		<-p.opened
	}
}

// merges returns the records the page folded, by id.
func (p *sealedPage) merges() map[string]*merge {
	out := make(map[string]*merge, len(p.g.order))
	for _, m := range p.g.order {
		out[m.rec.ID] = m
	}
	return out
}

// readSealed reads the next page of envelopes kept sealed for ref after
// at, and opens it with k on the workers. It returns nil when none is
// left.
func (r *Replica) readSealed(ctx context.Context, tx *store.Tx, k crypto.ScopeKey, ref keyRef, at store.Cursor, limit int) (*sealedPage, store.Cursor, error) {
	rows, err := tx.Sealed(ctx, ref.scope, ref.epoch, at, limit)
	if err != nil {
		return nil, at, fmt.Errorf("replica: sealed envelopes: %w", err)
	}
	if len(rows) == 0 {
		return nil, at, nil
	}
	p := &sealedPage{rows: rows, opened: make(chan struct{}), ready: make(chan struct{})}
	go func() {
		defer close(p.opened)
		p.opens = openRows(rows, k)
	}()
	return p, store.Of(rows[len(rows)-1]), nil
}

// foldSealed reads the stored records the page changes but before does
// not hold, and folds the page on the workers once it is opened.
func (r *Replica) foldSealed(ctx context.Context, tx *store.Tx, p *sealedPage, before map[string]*merge) error {
	asked := make(map[string]bool, len(p.rows))
	ids := make([]string, 0, len(p.rows))
	for _, row := range p.rows {
		id := recordID(crypto.Header{Kind: row.Kind, Entity: row.Entity})
		if before[id] == nil && !asked[id] {
			asked[id] = true
			ids = append(ids, id)
		}
	}
	stored, err := tx.Entities(ctx, ids)
	if err != nil {
		return fmt.Errorf("replica: entities: %w", err)
	}
	roled := r.rolesAt(p.rows)
	p.folding = true
	go func() {
		defer close(p.ready)
		<-p.opened
		for i, o := range p.opens {
			if role, ok := roled[o.row.ID]; ok && o.err == nil {
				p.opens[i].err = checkRoleOfFields(o.row.Kind, role, o.fields)
			}
		}
		hs, fs := changesOf(p.opens)
		if p.g, p.folded = groupChanges(hs, fs, stored, asked, before); p.folded {
			p.err = r.foldGroup(p.g, true) // beside the applying goroutine
		}
	}()
	return nil
}

// rolesAt returns, for the rows whose fields are judged by the role their
// author held when she wrote them (a confirmations record's, an
// appointment's: checkRoleOfFields), that role, by row id.
func (r *Replica) rolesAt(rows []store.Envelope) map[string]roles.Role {
	out := map[string]roles.Role{}
	r.state.RLock()
	defer r.state.RUnlock()
	for _, row := range rows {
		if !roleOfFields(row.Kind) {
			continue
		}
		m, isMember := r.members[row.Author]
		role, _, _, _ := r.authorize(headerOf(row), m, isMember)
		out[row.ID] = role
	}
	return out
}

// setOpened records what opening a page of sealed envelopes made of them:
// applied, all with one statement a page (store.SetStates), or refused,
// one by one, when the payload does not open (reported by setState).
func (r *Replica) setOpened(ctx context.Context, tx *store.Tx, opens []opening, rep *Report) error {
	ids := make([]string, 0, len(opens))
	for _, o := range opens {
		if o.err == nil {
			ids = append(ids, o.row.ID)
		}
	}
	if err := tx.SetStates(ctx, ids, store.Applied, ""); err != nil {
		return fmt.Errorf("replica: envelope state: %w", err)
	}
	for _, o := range opens {
		if o.err != nil {
			if err := r.setState(ctx, tx, o.row, contentVerdict(o.err)); err != nil {
				return err
			}
		} else {
			rep.Applied++
			if r.settled != nil {
				row := o.row
				row.State, row.Reason, row.Rule, row.Raw = store.Applied, "", "", nil
				r.settled[chainPlace{row.Device, row.Seq}] = row
			}
		}
		rep.Sealed--
		r.budget--
		r.opening.Add(-1)
	}
	return nil
}

// Opening is how many envelopes kept sealed are still to be opened: with a
// key that arrived, and for a scope this member's role holds whose key has
// not arrived yet (0 when none): the last part of a catch-up, which the
// status bar counts. Safe to call while an Apply runs.
func (r *Replica) Opening() int { return int(max(r.opening.Load(), 0) + max(r.awaited.Load(), 0)) }

// countAwaited counts, as the store holds them, the envelopes kept sealed
// for a scope this member's role holds: their key is still to come (a
// newcomer's grant comes at the end of the granting workstation's chain),
// or came in an Apply cut short and opens them at the next one
// (sealedToOpen). Opening counts them, so the status bar's estimate covers
// the opening too. Read from the partial index of sealed envelopes alone.
func (r *Replica) countAwaited(ctx context.Context, tx *store.Tx) (int64, error) {
	r.state.RLock()
	m, ok := r.members[r.fp]
	r.state.RUnlock()
	if !ok {
		return 0, nil
	}
	var n int64
	for _, scope := range m.Role.Scopes() {
		c, err := tx.CountSealedIn(ctx, string(scope))
		if err != nil {
			return 0, fmt.Errorf("replica: sealed envelopes: %w", err)
		}
		n += int64(c)
	}
	return n, nil
}

// recountAwaited brings the count of awaited envelopes up to date after
// an Apply whose transactions committed: what a transaction that rolled
// back counted never shows. When the Apply only stored envelopes sealed
// (a newcomer's catch-up: 40 Applies of 5,000 before its key), they are
// added to the count, for the scopes this member's role holds; when it
// opened or refused sealed envelopes, or changed this member's role (a
// role that no longer holds a scope no longer waits for its key), they are
// counted again (countAwaited: counting the whole partial index after
// each of a catch-up's Applies made its cost grow with the square of the
// history).
func (r *Replica) recountAwaited(ctx context.Context) {
	added := r.sealedIn
	r.sealedIn = nil
	if !r.recount {
		r.addAwaited(added)
		return
	}
	// What it counts is committed: a sync that stops meanwhile (its
	// context cancelled) must not leave the count wrong.
	ctx = context.WithoutCancel(ctx)
	var n int64
	err := r.p.DB.View(ctx, func(tx *store.Tx) error {
		var err error
		n, err = r.countAwaited(ctx, tx)
		return err
	})
	if err == nil { // else the next Apply counts again
		r.awaited.Store(n)
		r.recount = false
	}
}

// addAwaited adds to the count of awaited envelopes those stored sealed
// (by scope) for the scopes this member's role holds.
func (r *Replica) addAwaited(sealed map[string]int64) {
	if len(sealed) == 0 {
		return
	}
	r.state.RLock()
	m, ok := r.members[r.fp]
	r.state.RUnlock()
	if !ok {
		return
	}
	for _, scope := range m.Role.Scopes() {
		r.awaited.Add(sealed[string(scope)])
	}
}

// foldAll merges the opened envelopes of a page into their records.
func (r *Replica) foldAll(ctx context.Context, tx *store.Tx, opens []opening) error {
	hs, fs := changesOf(opens)
	return r.foldChanges(ctx, tx, hs, fs)
}

// changesOf returns the headers and fields of the envelopes that opened.
func changesOf(opens []opening) ([]crypto.Header, []Fields) {
	var hs []crypto.Header
	var fs []Fields
	for _, o := range opens {
		if o.err == nil {
			hs, fs = append(hs, o.env.Header), append(fs, o.fields)
		}
	}
	return hs, fs
}

// opening is one sealed envelope opened with its key.
type opening struct {
	row    store.Envelope
	env    *crypto.Envelope
	fields Fields
	err    error // why it does not open (badContent), or its bytes broke
}

// openRows parses and opens rows with k on every core.
func openRows(rows []store.Envelope, k crypto.ScopeKey) []opening {
	out := make([]opening, len(rows))
	onEveryCoreBeside(len(rows), 32, func(i int) {
		out[i].row = rows[i]
		env, err := crypto.ParseEnvelope(rows[i].Raw)
		if err != nil {
			out[i].err = badContent{"stored bytes are not a valid envelope: " + err.Error()}
			return
		}
		out[i].env = env
		out[i].fields, out[i].err = openFields(env, k)
	})
	return out
}
