package chat

import (
	"context"
	"fmt"
	"time"

	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
)

// Received messages are written in batches: a burst costs one durable
// transaction (one fsync) per batch, not one per message. A message is in
// the cache, and shown, at once; the first one starts a goroutine
// (writeReceived) that writes what has gathered, then what gathered
// meanwhile, until nothing waits. The archive's reading mark is written
// in one transaction with what waits (writeChat), never before it.
//
// If the application is killed before a batch is written, its messages
// are not on disk, as a message was not before its own write: the server
// archived them (XEP-0313), and the next connection reads them again from
// the last mark (recoverChat). Only what the server does not archive is
// lost, as before.
//
// Lock order: l.histMu, then l.writeMu. Whoever holds l.writeMu writes and
// waits for nothing else, so batches reach the disk in the order they were
// taken.

// take returns c's unwritten changes, with extra, and the records of what
// was not kept that changed, sealed; c holds nothing unwritten after.
// Callers hold l.histMu.
func (c *chatCache) take(extra map[string][]byte) (map[string][]byte, error) {
	for g := range c.idx.dirty {
		n := c.idx.notKept[g]
		name := g.secretName()
		sealed, err := sealJSON(c.dk, name, n)
		if err != nil {
			return nil, err
		}
		c.unwritten[name] = sealed
	}
	clear(c.idx.dirty)
	w := c.unwritten
	for name, v := range extra {
		w[name] = v
	}
	c.unwritten = map[string][]byte{}
	return w, nil
}

// put keeps m in the cache, to be written.
func (c *chatCache) put(m storedChat) error {
	name := hashName(secretMessage, m.Key)
	sealed, err := sealJSON(c.dk, name, m)
	if err != nil {
		return err
	}
	c.msgs[m.Key] = m
	c.unwritten[name] = sealed
	return nil
}

// commit writes w in one transaction: each secret sealed, or deleted when
// nil. Callers hold l.writeMu.
func commit(ctx context.Context, r *replica.Replica, w map[string][]byte) error {
	return r.DB().Update(ctx, func(tx *store.Tx) error {
		for name, sealed := range w {
			var err error
			if sealed == nil {
				err = tx.DeleteSecret(ctx, name)
			} else {
				err = tx.PutSecret(ctx, name, sealed)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// writeReceived writes c's unwritten changes, batch after batch, until
// none waits. Should a write fail, the cache is dropped (it is read again
// from disk when next used) and the error noted: the messages lost, the
// server's archive gives back at the next connection.
func (s *Service) writeReceived(ctx context.Context, l *link, c *chatCache) {
	for {
		l.histMu.Lock()
		if l.hist != c { // forgotten: forgetChat wrote what waited
			l.histMu.Unlock()
			return
		}
		w, err := c.take(nil)
		if err != nil || len(w) == 0 {
			c.writing = false
			l.histMu.Unlock()
			if err != nil {
				s.noteError(err)
			}
			return
		}
		l.writeMu.Lock()
		l.histMu.Unlock()
		wctx, cancel := context.WithTimeout(ctx, time.Minute)
		err = commit(wctx, c.rep, w)
		cancel()
		l.writeMu.Unlock()
		if err != nil {
			l.histMu.Lock()
			if l.hist == c {
				l.hist = nil
			}
			l.histMu.Unlock()
			s.noteError(fmt.Errorf("chat: keep received messages: %w", err))
			return
		}
	}
}

// writeChat writes what waits in r's cache, with extra, in one
// transaction, and returns when it is on disk.
func (s *Service) writeChat(ctx context.Context, r *replica.Replica, extra map[string][]byte) error {
	l := s.link()
	l.histMu.Lock()
	c := l.hist
	w := extra
	if c != nil && c.rep == r {
		var err error
		if w, err = c.take(extra); err != nil {
			l.histMu.Unlock()
			return err
		}
	} else {
		c = nil
	}
	l.writeMu.Lock()
	l.histMu.Unlock()
	err := commit(ctx, r, w)
	l.writeMu.Unlock()
	if err != nil && c != nil {
		l.histMu.Lock()
		if l.hist == c {
			l.hist = nil
		}
		l.histMu.Unlock()
	}
	return err
}

// noteError tells the linked sync of an error of the chat's own
// goroutines.
func (s *Service) noteError(err error) {
	l := s.link()
	l.mu.Lock()
	y := l.syncer
	l.mu.Unlock()
	if y != nil {
		y.NoteError(err)
	}
}
