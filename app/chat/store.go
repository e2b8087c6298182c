package chat

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
)

// The chat's local history, queue and marks are store secrets sealed with
// the device key, each bound to its name. Names carry hashes and ids only:
// who wrote what, and to whom, is inside the sealed values.
const (
	secretMessage     = "chat/m/"    // + hash of the message's key: storedChat
	secretChatQueue   = "chat/q/"    // + zero-padded queue time + id: chatQueued
	secretChatRead    = "chat/read/" // + hash of the conversation: newest read time (ms)
	secretChatArchive = "chat/mam/"  // + "own" or "room": last archive id read
)

// storedChat is one message as kept in the local history.
type storedChat struct {
	Message
	Key string `json:"key"` // what tells duplicates apart
	// Bounded: At was bounded when it was kept (never the sender's word,
	// never after arrival); a message kept before sec-s10 finding 3 is
	// not, and mendTimes mends it once.
	Bounded bool `json:"tb,omitempty"`
	// Echoed: this workstation's room message came back from the room,
	// and At is when (admit): its place in the room's order.
	Echoed bool `json:"echo,omitempty"`
	// live: At is this workstation's clock as the message arrived (no
	// server's time was believed); admit stamps it after every message
	// kept.
	live bool
}

// chatQueued is a message waiting to be sent.
type chatQueued struct {
	ID      string   `json:"id"`
	Room    bool     `json:"room"`
	Devices []string `json:"devices,omitempty"` // the recipient's workstations
	Body    string   `json:"body"`              // ciphertext as it goes on the wire
	Key     string   `json:"key"`               // of the local copy
	// To are the colleagues Body is sealed to, besides the writer
	// (readers); nil in a message queued before session 19.
	To []string `json:"to,omitempty"`
	// Refused: the server refused it for Devices (their accounts do not
	// exist: those workstations have never connected). It goes again when
	// one of them appears in a room, and at every reconnection.
	Refused bool   `json:"refused,omitempty"`
	Name    string `json:"-"` // of the queue entry
}

// queueName names a queue entry so that entries sort oldest first.
func queueName(at time.Time, id string) string {
	return fmt.Sprintf("%s%020d/%s", secretChatQueue, at.UnixNano(), id)
}

func hashName(prefix, key string) string {
	sum := sha256.Sum256([]byte(key))
	return prefix + hex.EncodeToString(sum[:16])
}

// sealJSON seals v under name with the device key. Callers fetch the key
// once per operation: with the OS keyring each fetch is a D-Bus call.
func sealJSON(dk crypto.DeviceKey, name string, v any) ([]byte, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return dk.Seal(plain, []byte(name))
}

func openJSON(dk crypto.DeviceKey, name string, sealed []byte, v any) error {
	plain, err := dk.Open(sealed, []byte(name))
	if err != nil {
		return fmt.Errorf("chat: chat history %s cannot be opened with this workstation's device key: %w", name, err)
	}
	return json.Unmarshal(plain, v)
}

// openEach opens every secret whose name starts with prefix as a T and
// hands it to keep with its name.
func openEach[T any](ctx context.Context, tx *store.Tx, dk crypto.DeviceKey, prefix string, keep func(name string, v T)) error {
	rows, err := tx.SecretsWithPrefix(ctx, prefix)
	if err != nil {
		return err
	}
	for name, sealed := range rows {
		var v T
		if err := openJSON(dk, name, sealed, &v); err != nil {
			return err
		}
		keep(name, v)
	}
	return nil
}

// chatCache is the local history as this workstation holds it, opened
// once per unlocked session so that listing conversations, unread counts
// and a conversation's messages cost no decryption and no disk read. The
// store stays the record: every change is written there, and the cache
// follows; it is loaded again for another replica (after a lock).
// Received messages are in the cache at once and written in batches
// (write.go): unwritten holds what waits.
type chatCache struct {
	rep   *replica.Replica
	dk    crypto.DeviceKey
	msgs  map[string]storedChat // by key
	queue map[string]chatQueued // by message key
	reads map[string]int64      // conversation → newest message read (ms)
	idx   unverifiedIndex       // the bound on unverified messages (bound.go)
	// unwritten are the store's changes not written yet, by secret name:
	// a sealed value, or nil to delete it. writing is set while a
	// goroutine writes them.
	unwritten map[string][]byte
	writing   bool
	// newest is the latest At kept or stamped (stamp).
	newest time.Time
}

// stamp is the time a message arriving live, or written here, at t by
// this workstation's clock is kept under: t to the millisecond, and after
// every message kept, by a millisecond at least. A conversation is
// ordered by At, and read marks are in milliseconds: so a reply comes
// after what it answers however close together they are, and whatever
// the clock did meanwhile (stepped back, or read the same twice), on both
// ends, and a message arriving after a conversation was read is unread.
// Callers hold l.histMu.
func (c *chatCache) stamp(t time.Time) time.Time {
	t = t.Truncate(time.Millisecond)
	if !t.After(c.newest) {
		t = c.newest.Truncate(time.Millisecond).Add(time.Millisecond)
	}
	c.newest = t
	return t
}

// saw notes a kept message's time for stamp.
func (c *chatCache) saw(at time.Time) {
	if at.After(c.newest) {
		c.newest = at.Round(0)
	}
}

// cached returns the link's cache for r, loading it when missing or made
// for another replica. Callers hold l.histMu.
func (s *Service) cached(ctx context.Context, l *link, r *replica.Replica) (*chatCache, error) {
	if l.hist != nil && l.hist.rep == r {
		return l.hist, nil
	}
	l.hist = nil
	// What an earlier cache is writing is on disk before this one reads.
	l.writeMu.Lock()
	l.writeMu.Unlock() //nolint:staticcheck // a wait, not a critical section
	dk := s.c.DeviceKey()
	c := &chatCache{rep: r, dk: dk, msgs: map[string]storedChat{}, queue: map[string]chatQueued{}, reads: map[string]int64{},
		idx: newUnverifiedIndex(), unwritten: map[string][]byte{}}
	err := r.DB().View(ctx, func(tx *store.Tx) error {
		err := openEach(ctx, tx, dk, secretChatQueue, func(name string, q chatQueued) {
			q.Name = name
			c.queue[q.Key] = q
		})
		if err != nil {
			return err
		}
		err = openEach(ctx, tx, dk, secretMessage, func(_ string, m storedChat) {
			m.Queued, m.WaitingFor = false, "" // the queue says it
			c.msgs[m.Key] = m
		})
		if err != nil {
			return err
		}
		err = openEach(ctx, tx, dk, secretNotKept, func(_ string, n notKept) {
			n.index()
			c.idx.notKept[sender{conversation: n.Conversation, address: n.Address, member: n.Member}] = &n
		})
		if err != nil {
			return err
		}
		return openEach(ctx, tx, dk, secretChatRead, func(_ string, mark chatReadMark) {
			c.reads[mark.Conversation] = mark.At
		})
	})
	if err != nil {
		return nil, err
	}
	now := s.c.Now()
	// A profile that kept a message under its sender's time, dated ahead
	// (before sec-s10 finding 3), shows it as arrived now, and no read
	// mark past now; it keeps more messages than the bound (before it, or
	// from a flood) keeps the newest: the rest leaves the disk now.
	if err := c.mendTimes(now); err != nil {
		return nil, fmt.Errorf("chat: mend the times of the chat history: %w", err)
	}
	c.index(now)
	for _, m := range c.msgs {
		c.saw(m.At)
	}
	if w, err := c.take(nil); err != nil || len(w) > 0 {
		if err == nil {
			l.writeMu.Lock()
			err = commit(ctx, r, w)
			l.writeMu.Unlock()
		}
		if err != nil {
			return nil, fmt.Errorf("chat: drop the oldest messages beyond what is kept: %w", err)
		}
	}
	l.hist = c
	return c, nil
}

// mendTimes brings what a profile kept before times were bounded (sec-s10
// finding 3) within them: a message kept then dated after now is taken as
// arrived now (it is written so with the next change, once: a clock that
// is wrong at one login does not move what was kept since), and a read
// mark past now is taken as now while the history is open.
func (c *chatCache) mendTimes(now time.Time) error {
	for _, m := range c.msgs {
		if m.Bounded || !m.At.After(now) {
			continue
		}
		m.At, m.Bounded = now, true
		if m.Written.IsZero() || m.Written.After(now.Add(maxWrittenAhead)) {
			m.Written = now
		}
		if err := c.put(m); err != nil { // c.msgs holds m now
			return err
		}
	}
	for conv, at := range c.reads {
		c.reads[conv] = min(at, now.UnixMilli())
	}
	return nil
}

// forgetChat drops the opened history from memory: the session locks.
func (s *Service) forgetChat() {
	s.mu.Lock()
	l := s.l
	s.mu.Unlock()
	if l != nil {
		s.drain(l)
	}
}

// drain writes what waits in l's cache, and drops the cache.
func (s *Service) drain(l *link) {
	l.histMu.Lock()
	c := l.hist
	l.hist = nil
	if c == nil {
		l.histMu.Unlock()
		return
	}
	w, err := c.take(nil)
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	l.histMu.Unlock()
	if err == nil && len(w) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		commit(ctx, c.rep, w) //nolint:errcheck // what is lost, the server's archive gives back at the next connection
	}
}

// withCache runs f with the session's chat cache, loaded if need be.
func (s *Service) withCache(ctx context.Context, r *replica.Replica, f func(c *chatCache) error) error {
	l := s.link()
	l.histMu.Lock()
	defer l.histMu.Unlock()
	c, err := s.cached(ctx, l, r)
	if err != nil {
		return err
	}
	return f(c)
}

// chatHistory returns every kept message, oldest first. A message of
// this workstation's is Queued while its queue entry exists.
func (s *Service) chatHistory(ctx context.Context, r *replica.Replica) ([]Message, error) {
	var all []storedChat
	err := s.withCache(ctx, r, func(c *chatCache) error {
		all = make([]storedChat, 0, len(c.msgs))
		for key, m := range c.msgs {
			if q, ok := c.queue[key]; ok {
				m.Queued = true
				if q.Refused {
					m.WaitingFor = waitingFor(r, m.Conversation)
				}
			}
			all = append(all, m)
		}
		return nil
	})
	// By time, then key: the same order on every workstation that kept
	// the same times (a verified message's key is its sender's and id).
	sort.Slice(all, func(i, j int) bool { return older(all[i], all[j]) })
	out := make([]Message, len(all))
	for i := range all {
		out[i] = all[i].Message
	}
	return out, err
}

// stampNow is the time a message written now is kept under (stamp).
func (s *Service) stampNow(ctx context.Context, r *replica.Replica) (time.Time, error) {
	var at time.Time
	err := s.withCache(ctx, r, func(c *chatCache) error {
		at = c.stamp(s.c.Now())
		return nil
	})
	return at, err
}

// waitingFor names whom a refused message waits for.
func waitingFor(r *replica.Replica, conversation string) string {
	if m, ok := r.Member(conversation); ok {
		return m.Name
	}
	return "the clinic room"
}

func chatKey(from, id string) string { return "p:" + from + ":" + id }

// queueChat keeps a new message of this workstation's and, if q is not
// nil, its queue entry, in one transaction. Its id is new, so nothing is
// looked up first.
func (s *Service) queueChat(ctx context.Context, r *replica.Replica, m Message, q *chatQueued) error {
	dk := s.c.DeviceKey()
	key := chatKey(m.From, m.ID)
	name := hashName(secretMessage, key)
	m.Queued, m.WaitingFor = false, "" // the queue entry says it
	stored := storedChat{Message: m, Key: key, Bounded: true}
	var sealedQ []byte
	if q != nil {
		var err error
		if sealedQ, err = sealJSON(dk, q.Name, q); err != nil {
			return err
		}
	}
	return s.withCache(ctx, r, func(c *chatCache) error {
		if old, ok := c.msgs[key]; ok && old.Echoed {
			// The room's echo came back before the message was kept
			// (the stanza leaves first): its place stays the echo's.
			stored.At, stored.Echoed = old.At, true
		}
		sealedMsg, err := sealJSON(dk, name, stored)
		if err != nil {
			return err
		}
		err = r.DB().Update(ctx, func(tx *store.Tx) error {
			if err := tx.PutSecret(ctx, name, sealedMsg); err != nil {
				return err
			}
			if q == nil {
				return nil
			}
			return tx.PutSecret(ctx, q.Name, sealedQ)
		})
		if err != nil {
			return err
		}
		c.msgs[key] = stored
		c.saw(stored.At)
		if q != nil {
			c.queue[key] = *q
		}
		return nil
	})
}

// keepChatNew keeps a received message unless one with the same key is
// kept already, or it is beyond the bound on unverified messages
// (bound.go). kept reports that it is new and kept; changed that what its
// conversation shows changed (it, or the line of what was not kept).
// The message is in the cache at once, and written with the next batch
// (write.go): the change feed does not wait for the disk.
func (s *Service) keepChatNew(ctx context.Context, r *replica.Replica, m storedChat) (kept, changed bool, err error) {
	kept, changed, _, err = s.keepChatAt(ctx, r, m)
	return kept, changed, err
}

// keepChatAt is keepChatNew, and says the time m holds here: where it was
// kept, or where the message of its key was kept before.
func (s *Service) keepChatAt(ctx context.Context, r *replica.Replica, m storedChat) (kept, changed bool, at time.Time, err error) {
	l := s.link()
	var start *chatCache
	err = s.withCache(ctx, r, func(c *chatCache) error {
		kept, changed, err = c.admit(m, s.c.Now())
		at = c.msgs[m.Key].At
		if len(c.unwritten) > 0 && !c.writing {
			c.writing, start = true, c
		}
		return err
	})
	if start != nil {
		go s.writeReceived(context.WithoutCancel(ctx), l, start)
	}
	return kept, changed, at, err
}

// chatQueue returns the messages waiting to be sent, oldest first.
func (s *Service) chatQueue(ctx context.Context, r *replica.Replica) ([]chatQueued, error) {
	var out []chatQueued
	err := s.withCache(ctx, r, func(c *chatCache) error {
		for _, q := range c.queue {
			out = append(out, q)
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, err
}

// chatReadMark is how far a conversation was read.
type chatReadMark struct {
	Conversation string `json:"c"`
	At           int64  `json:"at"` // newest message read, unix ms
}

func (s *Service) chatReadMarks(ctx context.Context, r *replica.Replica) (map[string]int64, error) {
	out := map[string]int64{}
	err := s.withCache(ctx, r, func(c *chatCache) error {
		for k, v := range c.reads {
			out[k] = v
		}
		return nil
	})
	return out, err
}

func (s *Service) putChatReadMark(ctx context.Context, r *replica.Replica, conversation string, at int64) error {
	dk := s.c.DeviceKey()
	name := hashName(secretChatRead, conversation)
	sealed, err := sealJSON(dk, name, chatReadMark{Conversation: conversation, At: at})
	if err != nil {
		return err
	}
	return s.withCache(ctx, r, func(c *chatCache) error {
		if err := r.DB().Update(ctx, func(tx *store.Tx) error { return tx.PutSecret(ctx, name, sealed) }); err != nil {
			return err
		}
		c.reads[conversation] = at
		return nil
	})
}

// archiveMark is how far this workstation read an archive ("own" or
// "room").
func (s *Service) archiveMark(ctx context.Context, r *replica.Replica, archive string) (string, error) {
	dk := s.c.DeviceKey()
	name := secretChatArchive + archive
	var last string
	err := r.DB().View(ctx, func(tx *store.Tx) error {
		sealed, err := tx.Secret(ctx, name)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return openJSON(dk, name, sealed, &last)
	})
	return last, err
}

// putArchiveMark notes how far an archive was read, in one transaction
// with the messages received and not written yet: never before them.
func (s *Service) putArchiveMark(ctx context.Context, r *replica.Replica, archive, last string) error {
	dk := s.c.DeviceKey()
	name := secretChatArchive + archive
	sealed, err := sealJSON(dk, name, last)
	if err != nil {
		return err
	}
	return s.writeChat(ctx, r, map[string][]byte{name: sealed})
}
