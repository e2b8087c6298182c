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
// this address were not kept").
//
// A colleague's verified messages are bounded too, generously (sec-s10
// finding 4: a member's modified software writing signed messages in a
// loop filled every workstation's disk and memory): of one colleague in
// one conversation the newest maxColleaguePerConversation messages, and
// at most maxColleagueBytes of them, are kept, the older dropped with the
// same line ("… from this colleague were not kept"). They do not count
// towards maxUnverified. This workstation's own messages are not bounded.
//
// Which messages are kept depends on the set received, not on the order:
// the newest by time, then key (a message received live is timed by its
// stamp here, which follows the order of arrival: store.go). A dropped message read again (the server's
// archive gives it back at the next connection) is known by its key among
// the last maxNotKeptSeen dropped of its sender, so it is neither kept
// nor counted twice; past that the line says "over".
const (
	maxUnverifiedPerSender = 200
	maxUnverified          = 2000
	// maxColleaguePerConversation and maxColleagueBytes (of text, as
	// colleagueSize counts it) bound what one colleague's verified
	// messages keep in one conversation: months of a busy clinic room.
	maxColleaguePerConversation = 20000
	maxColleagueBytes           = 50 << 20
	maxNotKeptSeen              = 1000
	// maxNotKeptRecords bounds the senders whose dropped messages are
	// counted; past it, the one that dropped least recently is forgotten.
	maxNotKeptRecords = 200
)

// secretNotKept names a sender's record of dropped messages: + hash of its
// conversation and address.
const secretNotKept = "chat/x/"

// seenLen is how much of a dropped message's key hash a record keeps.
const seenLen = 8

// sender is a conversation and who sent messages in it that the bound
// counts: the address of unverified messages ("" for room messages whose
// account the room did not tell), or the member (fingerprint) whose
// verified messages they are.
type sender struct{ conversation, address, member string }

// colleague reports a sender of verified messages.
func (g sender) colleague() bool { return g.member != "" }

func (g sender) secretName() string {
	if g.colleague() {
		return hashName(secretNotKept, g.conversation+"\x00\x00"+g.member)
	}
	return hashName(secretNotKept, g.conversation+"\x00"+g.address)
}

// senderOf is the sender a kept message's bound counts it under; ok is
// false for a message that is never dropped (this workstation's own). A
// verified message counts under its member. An unverified message is
// kept under its address (readChat), a room's unknown account as
// "NICK (account not known)": those count as one sender, the nickname
// being anyone's to take.
func senderOf(m storedChat) (g sender, ok bool) {
	if m.Verified {
		if m.Mine || m.From == "" {
			return sender{}, false
		}
		return sender{conversation: m.Conversation, member: m.From}, true
	}
	addr := m.FromName
	if strings.HasSuffix(addr, accountNotKnown) {
		addr = ""
	}
	return sender{conversation: m.Conversation, address: addr}, true
}

// colleagueSize is what a colleague's message counts towards
// maxColleagueBytes: its text and what names it. It depends on the
// message alone, so that the bound does not depend on the order.
func colleagueSize(m storedChat) int {
	return len(m.Text) + len(m.MRN) + len(m.ID) + len(m.Key)
}

// notKept is what a sender's dropped messages leave: a count for the line
// the conversation shows, and the keys of the last maxNotKeptSeen (their
// hashes) so that one read again is not counted twice.
type notKept struct {
	Conversation string `json:"c"`
	Address      string `json:"a"`
	Member       string `json:"m,omitempty"` // a colleague's fingerprint: her verified messages were dropped
	// Floor and FloorKey name a colleague's newest dropped message: one
	// of hers that arrives older than it is not kept either. Sizes differ,
	// so without it an old message arriving late could fit again where
	// it would not have fitted in order.
	Floor    time.Time `json:"f,omitzero"`
	FloorKey string    `json:"fk,omitempty"`
	Seen     []byte    `json:"seen"`           // seenLen bytes per dropped message, oldest first
	More     bool      `json:"more,omitempty"` // more were dropped than Seen holds
	At       int64     `json:"at"`             // when the newest was dropped, unix ms

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

// below reports a message at or older than n's floor.
func (n *notKept) below(m storedChat) bool {
	return n != nil && n.FloorKey != "" && !older(storedChat{Message: Message{At: n.Floor}, Key: n.FloorKey}, m)
}

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
// name is the colleague's, for a colleague's record.
func (n *notKept) line(at time.Time, name string) Message {
	count := len(n.Seen) / seenLen
	from := "this address"
	if n.Member != "" {
		from = "this colleague"
	}
	text := fmt.Sprintf("%d more messages from %s were not kept.", count, from)
	switch {
	case n.More:
		text = fmt.Sprintf("Over %d more messages from %s were not kept.", count, from)
	case count == 1:
		text = fmt.Sprintf("1 more message from %s was not kept.", from)
	}
	if at.IsZero() {
		at = time.UnixMilli(n.At)
	}
	id := n.Address
	switch {
	case n.Member != "":
		id = n.Member
	case name == "":
		name = n.Address
	}
	if name == "" {
		name = "Senders the room did not name"
	}
	return Message{
		ID: "not-kept/" + id, Conversation: n.Conversation, FromName: name, NotKept: count,
		Text: text, At: at.Add(-time.Millisecond),
		Problem: fmt.Sprintf("Only the newest %d messages that cannot be verified as a colleague's are kept from one address "+
			"(%d in all), and the newest %d of one colleague in one conversation (%d MiB), so that nobody can fill this "+
			"workstation's disk.", maxUnverifiedPerSender, maxUnverified, maxColleaguePerConversation, maxColleagueBytes>>20),
	}
}

// unverifiedIndex is the cache's view of the messages the bound counts:
// per sender, their keys oldest first.
type unverifiedIndex struct {
	bySender map[sender][]string
	n        int            // unverified messages kept
	bytes    map[sender]int // colleagueSize of each colleague's kept messages
	notKept  map[sender]*notKept
	dirty    map[sender]bool // records to write
}

func newUnverifiedIndex() unverifiedIndex {
	return unverifiedIndex{bySender: map[sender][]string{}, bytes: map[sender]int{}, notKept: map[sender]*notKept{}, dirty: map[sender]bool{}}
}

// count adds m, kept under g, to the bound's totals.
func (x *unverifiedIndex) count(g sender, m storedChat) {
	if g.colleague() {
		x.bytes[g] += colleagueSize(m)
	} else {
		x.n++
	}
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
	if old, ok := c.msgs[m.Key]; ok {
		if m.live && m.Mine && old.Conversation == Room && !old.Echoed {
			// The room's echo of this workstation's message: it takes
			// its place in the order the room gave every occupant, so
			// two messages that crossed read alike everywhere.
			old.At, old.Echoed = c.stamp(now), true
			return false, true, c.put(old)
		}
		return false, false, nil
	}
	// A message from the archive dated at or before what was read of its
	// conversation came after that reading (written while this workstation
	// was cut off from the server, the conversation read meanwhile): timed
	// by its arrival, it comes last and unread, not above, already read
	// (h-sec26).
	if !m.live && !m.Mine && m.At.UnixMilli() <= c.reads[m.Conversation] {
		m.At, m.live = now, true
	}
	if m.live {
		m.At = c.stamp(m.At)
		// This workstation's room message heard before it was kept
		// (queueChat): the echo, whose place it keeps.
		m.Echoed = m.Mine && m.Conversation == Room
	}
	g, bounded := senderOf(m)
	if bounded && c.idx.notKept[g].has(m.Key) {
		return false, false, nil // dropped before, read again
	}
	if n := c.idx.notKept[g]; bounded && n.below(m) {
		if n.add(m.Key, now) { // older than what was dropped: not kept either
			c.idx.dirty[g] = true
		}
		return false, true, nil
	}
	if err := c.put(m); err != nil {
		return false, false, err
	}
	c.saw(m.At)
	if !bounded {
		return true, true, nil
	}
	keys := c.idx.bySender[g]
	i := sort.Search(len(keys), func(i int) bool { return older(m, c.msgs[keys[i]]) })
	c.idx.bySender[g] = slices.Insert(keys, i, m.Key)
	c.idx.count(g, m)
	c.bound(g, now)
	_, kept = c.msgs[m.Key]
	return kept, true, nil
}

// bound drops the oldest messages beyond the bound: of g (a colleague's,
// by count and size), then of the unverified in all.
func (c *chatCache) bound(g sender, now time.Time) {
	if g.colleague() {
		for len(c.idx.bySender[g]) > maxColleaguePerConversation || c.idx.bytes[g] > maxColleagueBytes {
			c.drop(g, now)
		}
	} else {
		for len(c.idx.bySender[g]) > maxUnverifiedPerSender {
			c.drop(g, now)
		}
	}
	for c.idx.n > maxUnverified {
		var oldest sender
		var first *storedChat
		for g, keys := range c.idx.bySender {
			if g.colleague() {
				continue
			}
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
	m := c.msgs[key]
	if g.colleague() {
		c.idx.bytes[g] -= colleagueSize(m)
		if len(keys) == 1 {
			delete(c.idx.bytes, g)
		}
	} else {
		c.idx.n--
	}
	delete(c.msgs, key)
	c.unwritten[hashName(secretMessage, key)] = nil
	n := c.idx.notKept[g]
	if n == nil {
		n = &notKept{Conversation: g.conversation, Address: g.address, Member: g.member, seen: map[[seenLen]byte]bool{}}
		c.idx.notKept[g] = n
	}
	if g.colleague() {
		n.Floor, n.FloorKey = m.At, key // the oldest kept, so newer than the floor before
		c.idx.dirty[g] = true
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
			c.idx.count(g, m)
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
		var name string
		if g.colleague() {
			name = g.member[:min(len(g.member), 16)]
			if mem, ok := c.rep.Member(g.member); ok {
				name = mem.Name
			}
		}
		out = append(out, n.line(at, name))
	}
	return out
}
