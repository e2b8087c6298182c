package replica

// A bound on what a device no directory entry names may store here
// (session 17 review h-sec17b): an outsider with an XMPP account named
// like a device announces its own packs, and every workstation fetched,
// verified and kept all of their events pending, filling its disk.
//
// A device is named when it is this workstation's own, when its event's
// author is an anchor (the founder, an inviting administrator), or has a
// directory entry (standing or not) or starts with the clinic id and her
// key is known here, or when any entry names it. Of
// any other device at most unnamedEvents events and unnamedBytes bytes
// are stored: a newcomer writes her key and her enrollment request before
// her admission. The events past the bound are not stored (nothing else
// waits for them), and the device is remembered as over its bound
// (OverBound), so netsync does not fetch its announcements again. When an
// entry naming it arrives (a real member whose events came before her
// admission), the mark is lifted and her chain is fetched again at her
// workstation's next announcement: the events not stored come back.
//
// A workstation not admitted yet bounds nothing: it cannot read the
// directory before its admission grants it the key, so it cannot tell a
// member's device from an outsider's, and it stores the clinic pending
// meanwhile so its admission lets it all through at once (issue 17).
//
// An enrollment request does not lift the bound: its token id is in
// clear, so an outsider can name any token in one.
//
// A revoked member's device is bounded the same way past the head her
// revocation read of it (h-sec18a): every event she writes after it is
// refused everywhere, and her standing entry named the device, so her
// modified software had every workstation store each one, without end
// (from any device, with any account the server let her keep or make).
// Her events up to the head are never bounded: a newcomer catching up
// stores her chain as the others do.

import (
	"context"
	"fmt"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/store"
)

// The bound on a device no directory entry names (variables: tests make
// them small).
var (
	unnamedEvents       = 16
	unnamedBytes  int64 = 64 << 10
)

// deviceLoad is what a device stores here, as counted in a transaction.
type deviceLoad struct {
	n     int
	bytes int64
}

// OverBound reports whether device, which no directory entry names, sent
// more events than this workstation stores for such a device: its
// announcements need not be fetched until an entry names it.
func (r *Replica) OverBound(device string) bool {
	r.overMu.Lock()
	defer r.overMu.Unlock()
	_, over := r.over[device]
	return over
}

// named reports whether the directory knows device, or the author of an
// event of it, or this workstation is not admitted yet (caller holds mu).
func (r *Replica) named(device, author string) bool {
	if device == r.p.Device || r.anchors[author] {
		return true
	}
	r.state.RLock()
	_, member := r.members[author]
	_, admitted := r.members[r.fp]
	_, keyed := r.pubkeys[author]
	r.state.RUnlock()
	// An author is who her key says only once her key is known here: an
	// event of an author no key is known of is not verified, and anyone
	// can write her fingerprint in it (h-sec18a: a member whose admission
	// came before her key, or any fingerprint that starts with the clinic
	// id, the first half of the founder's, named any device, and what an
	// outsider wrote under her name was stored without bound, pending
	// for ever). Her own chain starts with her key: it is applied on
	// arrival, and names her device for the rest.
	founder := r.founder(author)
	if keyed && (member || founder) || !admitted {
		return true
	}
	for _, c := range r.claims {
		if _, ok := c.devices[device]; ok {
			return true
		}
	}
	return false
}

// boundFrom reports whether the events of device by author count against
// the bound, and above which seq: all of a device no entry names, and a
// revoked member's past the head her revocation read of the device
// (caller holds mu).
func (r *Replica) boundFrom(device, author string) (bounded bool, after uint64) {
	if !r.named(device, author) {
		return true, 0
	}
	if device == r.p.Device {
		return false, 0
	}
	r.state.RLock()
	m, member := r.members[author]
	r.state.RUnlock()
	if !member || !m.Revoked() {
		return false, 0
	}
	return true, m.RevokedHeads[device]
}

// exempt reports whether the bound leaves the event of header h alone.
func (r *Replica) exempt(h crypto.Header) bool {
	bounded, after := r.boundFrom(h.Device, h.Author)
	return !bounded || h.Seq <= after
}

// unbounded reports whether env, not stored yet, may be: its device is
// named, or stays within the bound with it. An envelope past the bound is
// kept aside (r.capped) to try once more when the transaction has settled
// what came with it (an admission in the same batch).
func (r *Replica) unbounded(ctx context.Context, tx *store.Tx, c arrival) (bool, error) {
	h := c.env.Header
	bounded, after := r.boundFrom(h.Device, h.Author)
	if !bounded || h.Seq <= after {
		return true, nil
	}
	l := r.loads[h.Device]
	if l == nil {
		n, b, err := tx.DeviceLoad(ctx, h.Device, after)
		if err != nil {
			return false, fmt.Errorf("replica: what device %s stores: %w", short(h.Device), err)
		}
		l = &deviceLoad{n: n, bytes: b}
		r.loads[h.Device] = l
	}
	size := int64(len(c.env.Raw))
	if l.n+1 > unnamedEvents || l.bytes+size > unnamedBytes {
		r.capped = append(r.capped, c)
		return false, nil
	}
	l.n++
	l.bytes += size
	return true, nil
}

// cappedNamed reports whether the device of an envelope kept aside at the
// bound is named now.
func (r *Replica) cappedNamed() bool {
	for _, c := range r.capped {
		if r.exempt(c.env.Header) {
			return true
		}
	}
	return false
}

// retryCapped stores the envelopes kept aside at the bound whose device an
// entry that came in the same Apply names now; it returns the envelopes
// held on that try.
func (r *Replica) retryCapped(ctx context.Context, tx *store.Tx, rep *Report) ([]arrival, error) {
	if !r.cappedNamed() {
		return nil, nil
	}
	capped := r.capped
	r.capped = nil
	held, err := r.arrive(ctx, tx, capped, nil, rep)
	if err != nil {
		return nil, err
	}
	return held, r.settle(ctx, tx, rep)
}

// markOver remembers, after the transaction that kept them aside is
// committed, the devices whose envelopes were not stored, and forgets the
// mark of those the directory names now (caller holds mu).
func (r *Replica) markOver(rep *Report) {
	r.overMu.Lock()
	defer r.overMu.Unlock()
	for _, c := range r.capped {
		if r.over == nil {
			r.over = map[string]string{}
		}
		r.over[c.env.Header.Device] = c.env.Header.Author
		rep.OverBound++
	}
	r.capped = nil
	for device, author := range r.over {
		if bounded, _ := r.boundFrom(device, author); !bounded {
			delete(r.over, device)
		}
	}
}
