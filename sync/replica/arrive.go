package replica

// The arrival of envelopes: what an Apply learns of each before it is
// stored (parsing and signatures, on every core), and storing them as
// pending in their device's chain, or refusing them, with the reason.

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/store"
)

// arrive stores envelopes, each in its device's chain, unless they cannot
// be kept: malformed or badly signed, or written into this workstation's
// own chain (reported); signed by another than the device's owner, or in a
// place another envelope holds (returned, with why in held, to try again
// once settled). An envelope new to this workstation whose predecessor is
// settled is judged at once and written once, with its verdict (decide);
// the others are stored pending, for settle.
func (r *Replica) arrive(ctx context.Context, tx *store.Tx, checked []arrival, wait func(i int), rep *Report) (held []arrival, err error) {
	for i := range checked {
		if wait != nil {
			wait(i)
		}
		if i%checkPage == 0 {
			if err := readPage(ctx, tx, checked[i:min(i+checkPage, len(checked))]); err != nil {
				return nil, err
			}
		}
		c := checked[i]
		if c.fields != nil {
			r.opened[c.env] = c.fields
		}
		r.pre.take(c)
		if c.badSig {
			vouched, err := r.vouchedByStored(ctx, tx, c.runTop, c.above)
			if err != nil {
				return nil, err
			}
			if vouched {
				c.problem, c.verified = nil, true
			}
		}
		if c.problem != nil {
			rep.Rejected++
			rep.Problems = append(rep.Problems, *c.problem)
			continue
		}
		env := c.env
		if env.Header.Device == r.p.Device {
			p, extends, err := r.ownDevice(ctx, tx, env, c.verified)
			if err != nil {
				return nil, err
			}
			if p != nil {
				rep.Rejected++
				rep.Problems = append(rep.Problems, *p)
			}
			if !extends {
				continue
			}
		}
		why, err := r.deviceRefuses(ctx, tx, env)
		if err != nil {
			return nil, err
		}
		if why != "" {
			// Someone writing into another member's chain: not kept, so
			// the genuine event still finds its place.
			p := problemOf(env.Header, why)
			p.Altered = true
			c.held = &p
			held = append(held, c)
			continue
		}
		row := rowOfHashed(env, r.pre.hashOf(env), store.Pending, "received")
		if c.verified {
			r.verified[row.Hash] = env
		}
		h := env.Header
		placed, err := tx.Placed(ctx, h.ID, h.Device, h.Seq)
		if err != nil {
			return nil, fmt.Errorf("replica: store envelope: %w", err)
		}
		fresh := !placed
		if placed && !r.exempt(h) {
			// Its id may be another's (a copy: stored under its alias,
			// store.PutEvent), and it is new all the same: bounded too.
			_, err := tx.EnvelopeAt(ctx, h.Device, h.Seq)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return nil, fmt.Errorf("replica: store envelope: %w", err)
			}
			fresh = err != nil
		}
		if fresh {
			// A device no directory entry names stores only so much
			// (unnamed.go).
			if ok, err := r.unbounded(ctx, tx, c); err != nil || !ok {
				if err != nil {
					return nil, err
				}
				continue
			}
		}
		if !placed {
			done, err := r.decide(ctx, tx, env, row, rep)
			if err != nil {
				return nil, err
			}
			if done {
				continue
			}
		}
		// Under its alias when another event holds its id (a copy:
		// store.PutEvent); only its chain place is its own.
		_, inserted, err := tx.PutEvent(ctx, row)
		if errors.Is(err, store.ErrFork) && c.verified {
			// A verified envelope claims the chain place of one that
			// could not be verified yet: the unverified one was altered
			// bytes (or a forgery) and gives way.
			inserted, err = r.replaceUnverified(ctx, tx, row)
		}
		if errors.Is(err, store.ErrFork) {
			if c.verified {
				// Two signed events of one place: the evidence of a
				// fork, written after this Apply (fork.go).
				if err := r.metFork(ctx, tx, env); err != nil {
					return nil, err
				}
			}
			p := problemOf(env.Header, "a different event already holds this place in the device's chain")
			c.held = &p
			held = append(held, c)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("replica: store envelope: %w", err)
		}
		if inserted {
			// Its clock moves nothing until it is verified and applied.
			rep.New++
		}
	}
	return held, r.wake(ctx, tx)
}

// readPage reads what arrive asks of each envelope of a page of arrivals
// with one statement for many: whether it is stored (store.ReadPlaced:
// Placed then answers without a read each) and the bindings of the
// records it changes (store.ReadBindings: the binding rule, rules.go
// bind, then finds them, or that there is none).
func readPage(ctx context.Context, tx *store.Tx, page []arrival) error {
	ids := make([]string, 0, len(page))
	spots := make([]store.Spot, 0, len(page))
	for _, c := range page {
		if c.env == nil || c.problem != nil {
			continue
		}
		h := c.env.Header
		spots = append(spots, store.Spot{ID: h.ID, Device: h.Device, Seq: h.Seq})
		if isRecordKind(h.Kind) {
			ids = append(ids, h.Entity)
		}
	}
	if err := tx.ReadPlaced(ctx, spots); err != nil {
		return fmt.Errorf("replica: store envelope: %w", err)
	}
	if err := tx.ReadBindings(ctx, ids); err != nil {
		return fmt.Errorf("replica: bindings: %w", err)
	}
	return nil
}

// decide judges an envelope no other holds the place of before it is
// stored, and stores it once with its verdict (issue 17: storing it
// pending, then writing it again with its state, was half the cost of a
// catch-up). The same rules judge it as settle would (try): its device's
// chain up to it is settled, or its predecessor waits and so does it. It
// reports false, having stored nothing, when its predecessor is not
// stored: it waits as a front for settle.
func (r *Replica) decide(ctx context.Context, tx *store.Tx, env *crypto.Envelope, row store.Envelope, rep *Report) (bool, error) {
	h := env.Header
	if h.Seq > 1 {
		prev, err := r.previous(ctx, tx, h)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return false, nil
		case err != nil:
			return false, fmt.Errorf("replica: chain: %w", err)
		}
		prev.Raw = nil
		r.settled[chainPlace{prev.Device, prev.Seq}] = prev // what try reads next
	}
	v, err := r.try(ctx, tx, row)
	if err != nil {
		return false, err
	}
	if v.newKey.scope != "" {
		r.keysIn[v.newKey] = true
	}
	if v.state != store.Pending {
		delete(r.verified, row.Hash)
	}
	if v.state == altered {
		rep.Rejected++
		rep.Problems = append(rep.Problems, Problem{Event: row.ID, Device: row.Device, Seq: row.Seq,
			Reason: v.reason + " (not kept: the genuine event is asked for again)", Altered: true})
		return true, nil
	}
	row.State, row.Reason, row.Rule = v.state, v.reason, ruleOf(v)
	if row.Kind == KindMember && (refusedByWriter(row.State, row.Rule) || row.State == store.Pending) {
		r.dirty[row.Entity] = true // a claim that may hold its member (hold.go)
	}
	// Written with the next ones, a page per statement: the store reads
	// it as stored meanwhile, and settle's view has it.
	if err := tx.AddEnvelope(ctx, row); err != nil {
		return false, fmt.Errorf("replica: store envelope: %w", err)
	}
	rep.New++
	row.Raw = nil
	r.settled[chainPlace{row.Device, row.Seq}] = row
	if v.state == store.Pending {
		return true, nil
	}
	r.tails[row.Device] = max(r.tails[row.Device], row.Seq)
	return true, r.count(ctx, tx, row, v, rep)
}

// ruleOf is the rule a verdict names, kept only with a rejection.
func ruleOf(v verdict) string {
	if v.state != store.Rejected {
		return ""
	}
	return v.rule
}

// wake turns the stored envelope after the last one each device settled
// on arrival into a front, when it waits for that one: it was stored
// before its predecessor arrived (settle wakes the runs it settles
// itself).
func (r *Replica) wake(ctx context.Context, tx *store.Tx) error {
	for device, seq := range r.tails {
		delete(r.tails, device)
		run, err := tx.PendingRun(ctx, device, seq+1, 1)
		if err != nil {
			return fmt.Errorf("replica: pending envelopes of a device: %w", err)
		}
		if len(run) == 1 && strings.HasPrefix(run[0].Reason, store.ChainWait) {
			if err := r.setState(ctx, tx, run[0], verdict{state: store.Pending, reason: "the event before it arrived"}); err != nil {
				return err
			}
		}
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
	verified bool   // signed by a key this workstation knows
	fields   Fields // verified, and opened with a scope key held here
	hash     string // the envelope's hash, when its signature was checked ("" else)
	idKind   kindID // with idErr: its record id judged by its kind (roles.Kind.CheckID)
	idErr    error
	problem  *Problem         // malformed or badly signed: refused
	badSig   bool             // its problem is its own signature: the events stored after it may vouch for it (chainsig.go)
	runTop   *crypto.Envelope // with badSig: the newest of its linked run in the batch, above of them over it
	above    int
	held     *Problem // not kept on its first try, and why
}

// checking is the arrivals of an Apply, checked page by page on every core.
type checking struct {
	out   []arrival
	ready []chan struct{} // closed when its page of out is checked
	done  sync.WaitGroup
	// keys: the copy of the scope keys the workers open payloads with,
	// overwritten with zeros once they ended (stop).
	keys map[keyRef]crypto.ScopeKey
}

// checkPage is how many envelopes a worker checks at a time: arrive
// stores a page while the next ones are checked.
const checkPage = 128

// wait returns when arrival i is checked.
func (c *checking) wait(i int) { <-c.ready[i/checkPage] }

// stop returns when every worker has ended, and wipes the workers' copy
// of the scope keys (a copy dropped unwiped stays readable in the process
// until reused; Lock wipes only what memory holds).
func (c *checking) stop() {
	c.done.Wait()
	for ref, k := range c.keys {
		clear(k.Secret[:])
		c.keys[ref] = k
	}
	clear(c.keys)
}

// check parses every envelope and verifies the signatures it can (the
// author's key is known) before any of them takes its place in a chain, so
// altered bytes never block the genuine ones, and opens the payloads of
// those it verified with the scope keys held here (applyContent merges
// them, when the rules let them through). Verifying and opening are the
// costly part of a catch-up, so they run on every core, page by page in
// order, while arrive stores what is checked (wait).
func (r *Replica) check(raws [][]byte) *checking {
	c := &checking{out: make([]arrival, len(raws)), ready: make([]chan struct{}, (len(raws)+checkPage-1)/checkPage)}
	out := c.out
	onEveryCore(len(raws), 64, func(i int) {
		env, err := crypto.ParseEnvelope(raws[i])
		if err != nil {
			out[i].problem = &Problem{Event: "?", Reason: "malformed envelope: " + err.Error(), Altered: true}
			return
		}
		out[i].env = env
		out[i].idKind, out[i].idErr = checkIDOf(env.Header)
	})
	r.state.RLock()
	keys := make(map[string]*crypto.PublicKey, len(r.pubkeys))
	for fp, k := range r.pubkeys {
		keys[fp] = k
	}
	scopeKeys := r.scopeKeys()
	r.state.RUnlock()
	c.keys = scopeKeys
	// The public keys this batch brings verify the rest of it too: a key
	// is named by its fingerprint, so it is the key the rules will know
	// its author by once its event is applied (until then try holds the
	// envelope pending whatever its signature).
	for _, a := range out {
		if a.env == nil || a.env.Header.Kind != KindKey || keys[a.env.Header.Author] != nil {
			continue
		}
		if pub, _, err := pubFromPayload(a.env.Ciphertext); err == nil && pub.Fingerprint() == a.env.Header.Author {
			keys[a.env.Header.Author] = pub
		}
	}
	// One signature check a run of an author's events (chainsig.go).
	envs := make([]*crypto.Envelope, len(out))
	for i := range out {
		envs[i] = out[i].env
	}
	sigs := vouchBatch(envs, keys)
	checkOne := func(i int) {
		env := out[i].env
		out[i].hash = sigs.hash[i]
		if env == nil || !sigs.checked[i] {
			return
		}
		if err := sigs.err[i]; err != nil {
			p := problemOf(env.Header, "signature does not verify: "+err.Error())
			p.Altered = true
			out[i].problem, out[i].badSig = &p, true
			out[i].runTop, out[i].above = envs[sigs.top[i]], sigs.above[i]
			return
		}
		out[i].verified = true
		out[i].fields = openAhead(env, scopeKeys)
	}
	var next atomic.Int64
	for i := range c.ready {
		c.ready[i] = make(chan struct{})
	}
	for range min(runtime.GOMAXPROCS(0), len(c.ready)) {
		c.done.Add(1)
		go func() {
			defer c.done.Done()
			// Pages are taken in order, so the first ones are ready first.
			for p := int(next.Add(1) - 1); p < len(c.ready); p = int(next.Add(1) - 1) {
				for i := p * checkPage; i < min(len(out), (p+1)*checkPage); i++ {
					checkOne(i)
					runtime.Gosched() // see yieldToSerial
				}
				close(c.ready[p])
			}
		}()
	}
	return c
}

// onEveryCore calls fn for 0..n-1 on up to GOMAXPROCS goroutines, one for
// every per items at least, and returns when all calls have.
//
// yieldToSerial: workers that run beside the applying goroutine (the
// serial part of an Apply, mostly in SQLite: cgo calls) yield between
// items. The runtime hands the P of a goroutine in a long cgo call to a
// runnable worker, and on its return that goroutine waits for a P (up to
// a worker's time slice, 10 ms) unless a worker yields. Where the
// applying goroutine itself waits for the workers (onEveryCore's callers)
// they do not yield. A trace of the 100k newcomer's replay (load ~20):
// the applying goroutine runnable, waiting for a P, 17.8 s -> 11.7 s.
func onEveryCore(n, per int, fn func(i int)) { onCores(n, per, false, func(_, i int) { fn(i) }) }

// onEveryCoreBeside is onEveryCore for work that runs beside the applying
// goroutine (the sealed pages opened and folded while it stores the ones
// before): its workers yield between items (yieldToSerial).
func onEveryCoreBeside(n, per int, fn func(i int)) { onCores(n, per, true, func(_, i int) { fn(i) }) }

func onCores(n, per int, beside bool, fn func(worker, i int)) {
	workers := min(runtime.GOMAXPROCS(0), max(1, n/per))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				fn(w, i)
				if beside {
					runtime.Gosched()
				}
			}
		}()
	}
	wg.Wait()
}

// scopeKeys copies the scope keys held, by scope and epoch; the caller
// holds r.state.
func (r *Replica) scopeKeys() map[keyRef]crypto.ScopeKey {
	out := map[keyRef]crypto.ScopeKey{}
	for scope, epochs := range r.keys {
		for epoch, k := range epochs {
			out[keyRef{scope, epoch}] = k
		}
	}
	return out
}

// openAhead opens a verified envelope's payload, when it is a change of a
// record sealed with a scope key held here: nil for anything else
// (applyContent opens it, or finds why not, as it would have).
func openAhead(env *crypto.Envelope, keys map[keyRef]crypto.ScopeKey) Fields {
	switch env.Header.Kind {
	case KindKey, KindGrant, KindEnroll:
		return nil
	}
	k, ok := keys[keyRef{env.Header.Scope, env.Header.Epoch}]
	if !ok {
		return nil
	}
	f, err := openFields(env, k)
	if err != nil {
		return nil
	}
	return f
}

// replaceUnverified stores row, a verified envelope, in the chain place
// of one that could not be verified yet (pending), which gives way; any
// other envelope in its place keeps it (ErrFork).
func (r *Replica) replaceUnverified(ctx context.Context, tx *store.Tx, row store.Envelope) (bool, error) {
	old, err := tx.EnvelopeAt(ctx, row.Device, row.Seq)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return false, err
	case old.Hash == row.Hash:
		return false, nil
	case old.State != store.Pending:
		return false, store.ErrFork
	default:
		if err := tx.DiscardPending(ctx, old.ID); err != nil {
			return false, err
		}
		delete(r.settled, chainPlace{old.Device, old.Seq})
	}
	_, inserted, err := tx.PutEvent(ctx, row)
	return inserted, err
}

func problemOf(h crypto.Header, reason string) Problem {
	return Problem{Event: h.ID, Device: h.Device, Seq: h.Seq, Reason: reason}
}

// ownDevice handles an envelope of this workstation's own device that came
// back from the network: the same bytes as ours are nothing new; after a
// restore, the old computer's continuation of the chain is kept as any
// device's event (extends; restored.go); anything else is someone writing
// into this workstation's chain, never kept, and reported so a person can
// act. verified says check already verified env's signature.
func (r *Replica) ownDevice(ctx context.Context, tx *store.Tx, env *crypto.Envelope, verified bool) (_ *Problem, extends bool, _ error) {
	h := env.Header
	mine, err := tx.EnvelopeAt(ctx, h.Device, h.Seq)
	switch {
	case err == nil && mine.Hash == env.Hash():
		return nil, false, nil
	case errors.Is(err, store.ErrNotFound):
		if extends, err := r.extendsRestored(ctx, tx, env, verified); err != nil || extends {
			return nil, extends, err
		}
		if fills, err := r.fillsOwnGap(ctx, tx, env, verified); err != nil || fills {
			return nil, fills, err
		}
	case err != nil:
		return nil, false, fmt.Errorf("replica: own chain: %w", err)
	}
	who := "this workstation's own key"
	if h.Author != r.fp {
		who = "the key of " + short(h.Author)
	}
	p := problemOf(h, fmt.Sprintf("someone else wrote event %d into this workstation's own chain, signed with %s: it was not kept. "+
		"If this workstation did not write it, its profile or key may have been copied, or a member's software forges events: tell an administrator", h.Seq, who))
	p.OwnDevice = true
	return &p, false, nil
}

// ownerOf returns the member a device belongs to ("" while unknown),
// cached during an Apply.
func (r *Replica) ownerOf(ctx context.Context, tx *store.Tx, device string) (string, error) {
	if o, ok := r.owners[device]; ok {
		return o, nil
	}
	o, err := tx.DeviceOwner(ctx, device)
	if errors.Is(err, store.ErrNotFound) {
		o, err = "", nil
	}
	if err != nil {
		return "", fmt.Errorf("replica: device owner: %w", err)
	}
	if r.owners != nil {
		r.owners[device] = o
	}
	return o, nil
}
