package netsync

import (
	"context"
	"errors"
	"sort"
	"sync"
	"time"

	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/xmpp"
)

// Heads kept on each workstation's own PEP node (XEP-0163), so that a
// workstation started while another is off still learns that one's head:
// the sync room keeps no archive and a joiner believes no replayed
// message (room.go). Each workstation publishes its head, the same
// "mh1 head …" text it says in the room, as the one item of the node
// HeadNode of its own account, readable by any account of the server;
// only the account itself may publish there, so the server vouches for
// who said it as the room does. On connecting, a workstation reads the
// item of the account of each device it knows of (its stored chains',
// the directory's named devices) and takes each head as said by that
// account, on the path of a heard one (take): speaksFor, the lanes, stale
// heads ignored, the walk stopping at what it stores.

const (
	// HeadNode is the PEP node a workstation keeps its head on.
	HeadNode = "urn:medihaven:head"
	// headItem is the node's one item.
	headItem = "current"
	// maxHeadAccounts bounds the accounts whose heads are read per
	// connect, headReaders how many at once, headReadTimeout each try,
	// headReadTries a head at most.
	maxHeadAccounts = 256
	headReaders     = 4
	headReadTimeout = 5 * time.Second
	headReadTries   = 3
)

// pepHead is what this workstation last kept on its PEP node, under
// Syncer.pepMu: through which session, and the head.
type pepHead struct {
	xs  *xmpp.Session
	seq uint64
	cid string
}

// publishHead keeps a, this workstation's head, on its PEP node: once a
// session for each new head, never an older one over a newer (announce
// runs from the push and the connection's loops).
func (y *Syncer) publishHead(a replica.Announcement) {
	y.pepMu.Lock()
	defer y.pepMu.Unlock()
	y.mu.Lock()
	xs := y.xs
	y.mu.Unlock()
	if xs == nil || xs == y.pep.xs && (a.Seq < y.pep.seq || a.Seq == y.pep.seq && a.CID == y.pep.cid) {
		return
	}
	ctx, cancel := context.WithTimeout(y.ctx, 5*time.Second)
	defer cancel()
	if err := xs.PublishPEP(ctx, HeadNode, headItem, a.String()); err != nil {
		// The room still carries it to those online; a server that keeps
		// no PEP (an older configuration) shows it here.
		y.fail(errConnect, err, nil)
		return
	}
	y.pep = pepHead{xs: xs, seq: a.Seq, cid: a.CID}
}

// readHeads reads, through xs just connected, the head on the PEP node of
// the account of each device this workstation knows of (headAccounts)
// and takes each as said by that account. A missing node or item, an
// account ended, a timeout: nothing taken, no error.
func (y *Syncer) readHeads(xs *xmpp.Session) {
	defer y.wg.Done()
	defer y.round.reading.Add(-1)
	accounts := make(chan string)
	var wg sync.WaitGroup
	for range headReaders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for account := range accounts {
				if text, ok := y.readHead(xs, account); ok {
					y.pepHeadOf(account, text)
				}
			}
		}()
	}
feed:
	for _, account := range y.headAccounts() {
		select {
		case accounts <- account:
		case <-y.ctx.Done():
			break feed
		case <-xs.Done():
			break feed
		}
	}
	close(accounts)
	wg.Wait()
}

// pepHeadOf takes the head text read from the PEP node of account (a
// device id: the account DEVICE@DOMAIN) as that account's say: believed
// only for a device it speaks for, as in the room.
func (y *Syncer) pepHeadOf(account, text string) {
	a, ok := replica.ParseAnnouncement(text)
	if !ok {
		return
	}
	own := account == a.Device || y.speaksFor(account, a.Device)
	y.take(a, own, account, func() { y.update(func(st *Status) { st.Refused++ }) })
}

// headAccounts are the accounts whose heads readHeads reads, at most
// maxHeadAccounts, this workstation's own left out: those of the devices
// the directory names first, then those of the stored chains, the most
// recently written first (replica.AccountOf: a chain moved onto a bound
// id is announced by the account it moved from).
func (y *Syncer) headAccounts() []string {
	r, err := y.ws.Replica()
	if err != nil {
		return nil
	}
	seen := map[string]bool{r.Account(): true, r.Device(): true}
	var out []string
	tried := 0
	add := func(device string) bool {
		// Devices tried are bounded too: a member's thousands of chains
		// bound to one account would each be looked up at every connect.
		if len(out) >= maxHeadAccounts || tried >= 4*maxHeadAccounts {
			return false
		}
		tried++
		account, err := r.AccountOf(y.ctx, device)
		if err == nil && replica.ValidDevice(account) && !seen[account] {
			seen[account] = true
			out = append(out, account)
		}
		return true
	}
	for _, m := range r.Members() {
		for _, d := range m.Devices {
			if !add(d) {
				return out
			}
		}
	}
	heads, err := r.Heads(y.ctx)
	if err != nil {
		return out
	}
	sort.SliceStable(heads, func(i, j int) bool { return heads[i].Lamport > heads[j].Lamport })
	for _, h := range heads {
		if !add(h.Device) {
			break
		}
	}
	return out
}

// readHead reads the head on account's PEP node: again, up to
// headReadTries in all, when the server did not answer in time or the
// read failed on the way (a loaded server: CI, session 29, a physician's
// workstation started while the receptionist's was off never heard of
// her last change), never when the account keeps no head.
func (y *Syncer) readHead(xs *xmpp.Session, account string) (string, bool) {
	for range headReadTries {
		ctx, cancel := context.WithTimeout(y.ctx, headReadTimeout)
		text, err := xs.PEPItem(ctx, account+"@"+y.cfg.Domain, HeadNode, headItem)
		cancel()
		switch {
		case err == nil:
			return text, true
		case errors.Is(err, xmpp.ErrNoPEPItem), y.ctx.Err() != nil:
			return "", false
		}
		select {
		case <-xs.Done():
			return "", false
		default:
		}
	}
	return "", false
}
