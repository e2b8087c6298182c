package chat

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// What a workstation keeps of messages it cannot verify as a colleague's
// is bounded (sec-s9 finding 4): any account on the clinic's server can
// send a colleague plain or unverified messages, at the server's rate
// limit (about 1,000 a second), and each one kept costs memory for the
// session and disk for good. Of such messages the newest
// maxUnverifiedPerSender of one address in one conversation are kept,
// and maxUnverified in all; the older ones are dropped, and the
// conversation shows one line saying how many ("312 more messages from
// this address were not kept"). Messages verified as a colleague's are
// never dropped and do not count.
//
// Which messages are kept depends on the set received, not on the order:
// the newest by time, then key. A dropped message read again (the server's
// archive gives it back at the next connection) is known by its key among
// the last maxNotKeptSeen dropped of its sender, so it is neither kept
// nor counted twice; past that the line says "over".
const (
	maxUnverifiedPerSender = 200
	maxUnverified          = 2000
	maxNotKeptSeen         = 1000
	// maxNotKeptRecords bounds the senders whose dropped messages are
	// counted; past it, the one that dropped least recently is forgotten.
	maxNotKeptRecords = 200
)

// secretNotKept names a sender's record of dropped messages: + hash of its
// conversation and address.
const secretNotKept = "chat/x/"

// seenLen is how much of a dropped message's key hash a record keeps.
const seenLen = 8

// sender is a conversation and the address that sent unverified messages
// in it: "" for room messages whose account the room did not tell.
type sender struct{ conversation, address string }

func (g sender) secretName() string {
	return hashName(secretNotKept, g.conversation+"\x00"+g.address)
}

// senderOf is the sender a kept message's bound counts it under; ok is
// false for a message that is never dropped. An unverified message is
// kept under its address (readChat), a room's unknown account as
// "NICK (account not known)": those count as one sender, the nickname
// being anyone's to take.
func senderOf(m storedChat) (g sender, ok bool) {
	if m.Verified {
		return sender{}, false
	}
	addr := m.FromName
	if strings.HasSuffix(addr, accountNotKnown) {
		addr = ""
	}
	return sender{m.Conversation, addr}, true
}

// notKept is what a sender's dropped messages leave: a count for the line
// the conversation shows, and the keys of the last maxNotKeptSeen (their
// hashes) so that one read again is not counted twice.
type notKept struct {
	Conversation string `json:"c"`
	Address      string `json:"a"`
	Seen         []byte `json:"seen"`           // seenLen bytes per dropped message, oldest first
	More         bool   `json:"more,omitempty"` // more were dropped than Seen holds
	At           int64  `json:"at"`             // when the newest was dropped, unix ms

	seen map[[seenLen]byte]bool // Seen, for look-ups
}

func seenHash(key string) [seenLen]byte {
	sum := sha256.Sum256([]byte(key))
	return [seenLen]byte(sum[:seenLen])
}

func (n *notKept) index() {
	n.seen = make(map[[seenLen]byte]bool, len(n.Seen)/seenLen)
	for i := 0; i+seenLen <= len(n.Seen); i += seenLen {
		n.seen[[seenLen]byte(n.Seen[i:])] = true
	}
}

func (n *notKept) has(key string) bool { return n != nil && n.seen[seenHash(key)] }

// add counts a dropped message; it reports whether the record changed.
func (n *notKept) add(key string, now time.Time) bool {
	n.At = now.UnixMilli() // written with the next change
	if len(n.Seen) >= maxNotKeptSeen*seenLen {
		changed := !n.More
		n.More = true
		return changed
	}
	h := seenHash(key)
	n.Seen = append(n.Seen, h[:]...)
	n.seen[h] = true
	return true
}

// line is what the conversation shows for n: a line among the messages,
// just before the oldest kept one of the sender (at, when it has any).
func (n *notKept) line(at time.Time) Message {
	count := len(n.Seen) / seenLen
	text := fmt.Sprintf("%d more messages from this address were not kept.", count)
	switch {
	case n.More:
		text = fmt.Sprintf("Over %d more messages from this address were not kept.", count)
	case count == 1:
		text = "1 more message from this address was not kept."
	}
	if at.IsZero() {
		at = time.UnixMilli(n.At)
	}
	name := n.Address
	if name == "" {
		name = "Senders the room did not name"
	}
	return Message{
		ID: "not-kept/" + n.Address, Conversation: n.Conversation, FromName: name, NotKept: count,
		Text: text, At: at.Add(-time.Millisecond),
		Problem: fmt.Sprintf("Only the newest %d messages that cannot be verified as a colleague's are kept from one address "+
			"(%d in all), so that nobody can fill this workstation's disk. Messages from colleagues are always kept.",
			maxUnverifiedPerSender, maxUnverified),
	}
}

// unverifiedIndex is the cache's view of the messages the bound counts:
// per sender, their keys oldest first.
type unverifiedIndex struct {
	bySender map[sender][]string
	n        int
	notKept  map[sender]*notKept
	dirty    map[sender]bool // records to write
}

func newUnverifiedIndex() unverifiedIndex {
	return unverifiedIndex{bySender: map[sender][]string{}, notKept: map[sender]*notKept{}, dirty: map[sender]bool{}}
}

// older orders kept messages: by time, then key.
func older(a, b storedChat) bool {
	if !a.At.Equal(b.At) {
		return a.At.Before(b.At)
	}
	return a.Key < b.Key
}

// admit adds a received message to the cache within the bound. kept
// reports that m is new and kept; changed that what the conversation shows
// changed (m, or the line of what was not kept).
func (c *chatCache) admit(m storedChat, now time.Time) (kept, changed bool, err error) {
	if _, ok := c.msgs[m.Key]; ok {
		return false, false, nil
	}
	g, bounded := senderOf(m)
	if bounded && c.idx.notKept[g].has(m.Key) {
		return false, false, nil // dropped before, read again
	}
	if err := c.put(m); err != nil {
		return false, false, err
	}
	if !bounded {
		return true, true, nil
	}
	keys := c.idx.bySender[g]
	i := sort.Search(len(keys), func(i int) bool { return older(m, c.msgs[keys[i]]) })
	c.idx.bySender[g] = slices.Insert(keys, i, m.Key)
	c.idx.n++
	c.bound(g, now)
	_, kept = c.msgs[m.Key]
	return kept, true, nil
}

// bound drops the oldest unverified messages beyond the bound: of g, then
// in all.
func (c *chatCache) bound(g sender, now time.Time) {
	for len(c.idx.bySender[g]) > maxUnverifiedPerSender {
		c.drop(g, now)
	}
	for c.idx.n > maxUnverified {
		var oldest sender
		var first *storedChat
		for g, keys := range c.idx.bySender {
			if m := c.msgs[keys[0]]; first == nil || older(m, *first) {
				oldest, first = g, &m
			}
		}
		c.drop(oldest, now)
	}
	for len(c.idx.notKept) > maxNotKeptRecords {
		var stale sender
		var at int64
		first := true
		for g, n := range c.idx.notKept {
			if first || n.At < at {
				stale, at, first = g, n.At, false
			}
		}
		delete(c.idx.notKept, stale)
		delete(c.idx.dirty, stale)
		c.unwritten[stale.secretName()] = nil
	}
}

// drop drops g's oldest kept message, and counts it.
func (c *chatCache) drop(g sender, now time.Time) {
	keys := c.idx.bySender[g]
	key := keys[0]
	if len(keys) == 1 {
		delete(c.idx.bySender, g)
	} else {
		c.idx.bySender[g] = keys[1:]
	}
	c.idx.n--
	delete(c.msgs, key)
	c.unwritten[hashName(secretMessage, key)] = nil
	n := c.idx.notKept[g]
	if n == nil {
		n = &notKept{Conversation: g.conversation, Address: g.address, seen: map[[seenLen]byte]bool{}}
		c.idx.notKept[g] = n
	}
	if n.add(key, now) {
		c.idx.dirty[g] = true
	}
}

// index builds the bound's view of the messages loaded, with the records
// loaded, and drops what is beyond the bound: a profile written before
// the bound keeps the newest, and the drop is written with the next
// change.
func (c *chatCache) index(now time.Time) {
	for key, m := range c.msgs {
		if g, ok := senderOf(m); ok {
			c.idx.bySender[g] = append(c.idx.bySender[g], key)
			c.idx.n++
		}
	}
	for g, keys := range c.idx.bySender {
		sort.Slice(keys, func(i, j int) bool { return older(c.msgs[keys[i]], c.msgs[keys[j]]) })
		c.bound(g, now)
	}
}

// notKeptLines are the lines conversation shows for what was not kept.
func (c *chatCache) notKeptLines(conversation string) []Message {
	var out []Message
	for g, n := range c.idx.notKept {
		if g.conversation != conversation {
			continue
		}
		var at time.Time
		if keys := c.idx.bySender[g]; len(keys) > 0 {
			at = c.msgs[keys[0]].At
		}
		out = append(out, n.line(at))
	}
	return out
}
