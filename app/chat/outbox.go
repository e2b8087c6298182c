package chat

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/netsync"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
	"github.com/medihaven/medihaven/sync/xmpp"
)

// The outbox: a message of this workstation's is kept queued (sealed in
// the store) from the moment it is written until the server has taken
// it. A message goes to the server at once when connected; whether the
// server took it is learnt from a ping (the server answers in order, and
// refuses a message before answering a later ping), and only then does
// the message leave the queue and show as sent.

const (
	// confirmAfter is how long after a message goes out the ping that
	// confirms it is sent. One ping confirms every message sent meanwhile,
	// and it does not reach the server right behind the message: Prosody
	// handles what it reads in one go before writing any of it, so a ping
	// following a message at once delayed that message's delivery by about
	// 0.3 ms (a third of its way through the server, measured on loopback).
	// A person sees "Sending…" turn to "Sent" a few milliseconds later.
	confirmAfter = 5 * time.Millisecond
	// confirmWait bounds the wait for the server's answer to a ping.
	confirmWait = 10 * time.Second
)

// sendQueued hands one message to the server: to the clinic room, or to
// each of the recipient's workstations.
func sendQueued(ctx context.Context, y *netsync.Syncer, xs *xmpp.Session, e chatQueued) error {
	targets := []string{y.ChatRoom()}
	if !e.Room {
		targets = targets[:0]
		for _, d := range e.Devices {
			targets = append(targets, d+"@"+y.Domain())
		}
	}
	for _, to := range targets {
		if err := xs.SendMessage(ctx, xmppOutgoing(to, e)); err != nil {
			return fmt.Errorf("%w: %w", ErrOffline, err)
		}
	}
	return nil
}

// awaitConfirm notes that q went out on xs and is kept queued: the next
// confirmation, confirmAfter from the first message it covers, takes it
// out of the queue if the server took it. Messages sent on an earlier
// connection are not confirmed by a ping on this one: the reconnection's
// flush sends them again.
func (s *Service) awaitConfirm(l *link, y *netsync.Syncer, xs *xmpp.Session, q chatQueued) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.confirmXS != xs {
		l.unconfirmed, l.confirmXS, l.confirmY = nil, xs, y
	}
	l.unconfirmed = append(l.unconfirmed, q)
	if l.confirmTimer == nil {
		l.confirmTimer = time.AfterFunc(confirmAfter, func() { s.confirmSent(l) })
	}
}

// confirmSent pings the server once for every message sent since the
// last confirmation and settles the queue with its answer. Without an
// answer (or locked meanwhile) the messages stay queued and the next
// message or connection sends them again.
func (s *Service) confirmSent(l *link) {
	l.mu.Lock()
	batch, xs, y, syncCtx := l.unconfirmed, l.confirmXS, l.confirmY, l.syncCtx
	l.unconfirmed, l.confirmTimer = nil, nil
	l.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	r, err := s.c.Replica()
	if err != nil || syncCtx == nil {
		l.mu.Lock()
		l.pending = true
		l.mu.Unlock()
		return
	}
	ctx, cancel := context.WithTimeout(syncCtx, confirmWait)
	defer cancel()
	refused, err := s.confirmChat(ctx, r, xs, batch)
	if err != nil && !errors.Is(err, app.ErrLocked) && !errors.Is(err, ErrOffline) {
		y.NoteError(err)
	}
	// A message refused on its first sending goes again when its
	// recipient appeared meanwhile; one refused again waits for the next
	// presence (retryRefused) — never a resend per confirmation, which a
	// full offline store or a peer answering with errors would loop.
	again := make(map[string]bool)
	for _, e := range batch {
		if e.Refused {
			again[e.Key] = true
		}
	}
	for _, e := range refused {
		if !again[e.Key] && l.anyPresent(e.Devices) {
			go s.retryRefused(y) // it appeared while the refusal was being kept
			break
		}
	}
}

// flushChat sends what waits in the queue through the linked sync's XMPP
// session, oldest first; the next confirmation (awaitConfirm) takes out of
// the queue what the server took. Messages the server refused (their
// recipient's workstation has never connected) go again only when
// retryRefused. It stops at the first failure: the rest waits for the next
// connection. Messages that went out on this connection and await their
// confirmation are not sent again.
func (s *Service) flushChat(ctx context.Context, retryRefused bool) error {
	r, err := s.c.Replica()
	if err != nil {
		return err
	}
	l := s.link()
	l.flushing.Lock()
	defer l.flushing.Unlock()
	y, xs, err := l.liveXMPP()
	if err != nil {
		return err
	}
	q, err := s.chatQueue(ctx, r)
	if err != nil {
		return err
	}
	out := map[string]bool{}
	l.mu.Lock()
	if l.confirmXS == xs {
		for _, e := range l.unconfirmed {
			out[e.Key] = true
		}
	}
	l.mu.Unlock()
	for _, e := range q {
		if (e.Refused && !retryRefused) || out[e.Key] {
			continue
		}
		e, send, err := s.sealedForNow(ctx, r, e)
		if err != nil {
			return err
		}
		if !send {
			continue
		}
		if err := sendQueued(ctx, y, xs, e); err != nil {
			return err
		}
		s.awaitConfirm(l, y, xs, e)
	}
	l.mu.Lock()
	l.pending = false
	l.mu.Unlock()
	return nil
}

// serverAnswer waits until the server has processed the messages sent (a
// ping: it answers in order) and sorts them into those it took and those
// it refused, marked Refused with the devices that refused them (their
// accounts do not exist yet). Without an answer it returns an error and
// the messages stay queued, to go again with the next message or
// connection.
func (s *Service) serverAnswer(ctx context.Context, xs *xmpp.Session, sent []chatQueued) (took, refused []chatQueued, err error) {
	l := s.link()
	pctx, cancel := context.WithTimeout(ctx, confirmWait)
	err = xs.Ping(pctx)
	cancel()
	if err != nil {
		l.mu.Lock()
		l.pending = true
		l.mu.Unlock()
		return nil, nil, fmt.Errorf("%w: %w", ErrOffline, err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range sent {
		for _, d := range e.Devices {
			delete(l.waiting, d)
		}
		if e.Room {
			delete(l.waiting, Room)
		}
		by := xs.Refused(e.ID)
		if len(by) == 0 {
			took = append(took, e)
			continue
		}
		e.Refused, e.Devices = true, nil
		for _, addr := range by {
			device, _, _ := strings.Cut(addr, "@")
			if e.Room {
				device = Room
			} else {
				e.Devices = append(e.Devices, device)
			}
			l.waiting[device] = true
		}
		refused = append(refused, e)
	}
	return took, refused, nil
}

// confirmChat waits for the server's answer to queued messages sent, then
// takes out of the queue those it took and keeps the others marked
// refused, in one transaction. It returns those the server refused.
func (s *Service) confirmChat(ctx context.Context, r *replica.Replica, xs *xmpp.Session, sent []chatQueued) ([]chatQueued, error) {
	took, refused, err := s.serverAnswer(ctx, xs, sent)
	if err != nil {
		return nil, err
	}
	dk := s.c.DeviceKey()
	err = s.withCache(ctx, r, func(c *chatCache) error {
		err := r.DB().Update(ctx, func(tx *store.Tx) error {
			return settleQueue(ctx, tx, dk, took, refused)
		})
		if err != nil {
			return err
		}
		for _, e := range took {
			delete(c.queue, e.Key)
		}
		for _, e := range refused {
			c.queue[e.Key] = e
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("chat: note which messages the server took: %w", err)
	}
	s.c.Changed(replica.Changed{ID: "", Kind: Kind, Scope: Sent})
	return refused, nil
}

// settleQueue takes out of the queue the messages the server took and
// keeps those it refused, marked so.
func settleQueue(ctx context.Context, tx *store.Tx, dk crypto.DeviceKey, took, refused []chatQueued) error {
	for _, e := range took {
		if err := tx.DeleteSecret(ctx, e.Name); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	for _, e := range refused {
		sealed, err := sealJSON(dk, e.Name, e)
		if err != nil {
			return err
		}
		if err := tx.PutSecret(ctx, e.Name, sealed); err != nil {
			return err
		}
	}
	return nil
}

// sealedForNow returns q sealed for the colleagues who may read it now.
// A message waits queued while this workstation is offline, sealed to the
// colleagues active when it was written; one revoked meanwhile must not
// receive it (sec-s15b). A room message is sealed again from its local
// copy, for today's active members; a one-to-one message to a colleague
// no longer active is not sent at all (send false): it leaves the queue
// and its local copy says why. A message queued before the queue kept
// its readers (q.To nil) is sealed again, once.
func (s *Service) sealedForNow(ctx context.Context, r *replica.Replica, q chatQueued) (chatQueued, bool, error) {
	dk := s.c.DeviceKey()
	send := true
	err := s.withCache(ctx, r, func(c *chatCache) error {
		local, ok := c.msgs[q.Key]
		if !ok {
			return nil // no copy to seal it from: it goes as written
		}
		fps, keys := readers(r, local.Conversation)
		if q.To != nil && subset(q.To, fps) {
			return nil
		}
		w := map[string][]byte{}
		if !q.Room && len(keys) == 0 {
			send = false
			local.NotSent = waitingFor(r, local.Conversation) + " left the clinic before it went out"
			name := hashName(secretMessage, local.Key)
			sealed, err := sealJSON(dk, name, local)
			if err != nil {
				return err
			}
			w[name], w[q.Name] = sealed, nil
		} else {
			at := local.Written
			if at.IsZero() {
				at = local.At
			}
			p := chatPayload{V: 1, ID: local.ID, From: local.From, To: local.Conversation, Text: local.Text, MRN: local.MRN, At: at.UnixMilli()}
			body, err := seal(r, p, keys)
			if err != nil {
				return err
			}
			q.Body, q.To = body, fps
			sealed, err := sealJSON(dk, q.Name, q)
			if err != nil {
				return err
			}
			w[q.Name] = sealed
		}
		// In one transaction, after whatever the cache's writer is writing
		// (lock order: histMu, then writeMu), and nothing older of these
		// names left for it to write after.
		for name := range w {
			delete(c.unwritten, name)
		}
		l := s.link()
		l.writeMu.Lock()
		err := commit(ctx, r, w)
		l.writeMu.Unlock()
		if err != nil {
			return fmt.Errorf("chat: seal a waiting message again for today's colleagues: %w", err)
		}
		if send {
			c.queue[q.Key] = q
		} else {
			delete(c.queue, q.Key)
			c.msgs[q.Key] = local
		}
		return nil
	})
	if err == nil && !send {
		s.c.Changed(replica.Changed{ID: q.Key, Kind: Kind, Scope: Sent})
	}
	return q, send, err
}

// subset reports whether every one of a is in b.
func subset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}
