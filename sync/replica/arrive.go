package replica

// The arrival of envelopes: what an Apply learns of each before it is
// stored (parsing and signatures, on every core), and storing them as
// pending in their device's chain, or refusing them, with the reason.

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/store"
)

// arrive stores envelopes as pending, each in its device's chain, unless
// they cannot be kept: malformed or badly signed, or written into this
// workstation's own chain (reported); signed by another than the device's
// owner, or in a place another envelope holds (returned, with why in
// held, to try again once settled).
func (r *Replica) arrive(ctx context.Context, tx *store.Tx, checked []arrival, rep *Report) (held []arrival, err error) {
	for _, c := range checked {
		if c.problem != nil {
			rep.Rejected++
			rep.Problems = append(rep.Problems, *c.problem)
			continue
		}
		env := c.env
		if env.Header.Device == r.p.Device {
			p, err := r.ownDevice(ctx, tx, env)
			if err != nil {
				return nil, err
			}
			if p != nil {
				rep.Rejected++
				rep.Problems = append(rep.Problems, *p)
			}
			continue
		}
		why, err := r.deviceRefuses(ctx, tx, env.Header)
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
		if c.verified {
			r.verified[env.Header.ID] = env
		}
		inserted, err := tx.PutEnvelope(ctx, rowOf(env, store.Pending, "received"))
		if (errors.Is(err, store.ErrFork) || errors.Is(err, store.ErrConflict)) && c.verified {
			// A verified envelope claims the id or chain place of one that
			// could not be verified yet: the unverified one was altered
			// bytes (or a forgery) and gives way.
			inserted, err = r.replaceUnverified(ctx, tx, env)
		}
		if errors.Is(err, store.ErrFork) || errors.Is(err, store.ErrConflict) {
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
	return held, nil
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
	held     *Problem // not kept on its first try, and why
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

// ownDevice handles an envelope of this workstation's own device that came
// back from the network: the same bytes as ours are nothing new; anything
// else is someone writing into this workstation's chain, never kept, and
// reported so a person can act.
func (r *Replica) ownDevice(ctx context.Context, tx *store.Tx, env *crypto.Envelope) (*Problem, error) {
	h := env.Header
	mine, err := tx.EnvelopeAt(ctx, h.Device, h.Seq)
	switch {
	case err == nil && mine.Hash == env.Hash():
		return nil, nil
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return nil, fmt.Errorf("replica: own chain: %w", err)
	}
	who := "this workstation's own key"
	if h.Author != r.fp {
		who = "the key of " + short(h.Author)
	}
	p := problemOf(h, fmt.Sprintf("someone else wrote event %d into this workstation's own chain, signed with %s: it was not kept. "+
		"If this workstation did not write it, its profile or key may have been copied, or a member's software forges events: tell an administrator", h.Seq, who))
	p.OwnDevice = true
	return &p, nil
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
