package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/medihaven/medihaven/app/store"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/xmpp"
)

// The chat's local history, queue and marks are store secrets sealed with
// the device key, each bound to its name. Names carry hashes and ids only:
// who wrote what, and to whom, is inside the sealed values.
const (
	secretChatMessage = "chat/m/"    // + hash of the message's key: storedChat
	secretChatQueue   = "chat/q/"    // + zero-padded queue time + id: chatQueued
	secretChatRead    = "chat/read/" // + hash of the conversation: newest read time (ms)
	secretChatArchive = "chat/mam/"  // + "own" or "room": last archive id read
)

// storedChat is one message as kept in the local history.
type storedChat struct {
	ChatMessage
	Key string `json:"key"` // what tells duplicates apart
}

// chatQueued is a message waiting to be sent.
type chatQueued struct {
	ID      string   `json:"id"`
	Room    bool     `json:"room"`
	Devices []string `json:"devices,omitempty"` // the recipient's workstations
	Body    string   `json:"body"`              // ciphertext as it goes on the wire
	Key     string   `json:"key"`               // of the local copy, to mark it sent
	Name    string   `json:"-"`
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
		return fmt.Errorf("app: chat history %s cannot be opened with this workstation's device key: %w", name, err)
	}
	return json.Unmarshal(plain, v)
}

// chatHistory returns every kept message, oldest first.
func (s *Session) chatHistory(ctx context.Context, r *replica.Replica) ([]ChatMessage, error) {
	dk := s.deviceKey()
	var out []ChatMessage
	err := r.DB().View(ctx, func(tx *store.Tx) error {
		rows, err := tx.SecretsWithPrefix(ctx, secretChatMessage)
		if err != nil {
			return err
		}
		for name, sealed := range rows {
			var m storedChat
			if err := openJSON(dk, name, sealed, &m); err != nil {
				return err
			}
			out = append(out, m.ChatMessage)
		}
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].At.Equal(out[j].At) {
			return out[i].At.Before(out[j].At)
		}
		return out[i].ID < out[j].ID
	})
	return out, err
}

// keepChat stores a message unless one with the same key is kept already;
// q, if not nil, is queued in the same transaction. It reports whether
// the message was new.
func (s *Session) keepChat(ctx context.Context, r *replica.Replica, m ChatMessage, q *chatQueued) error {
	_, err := s.keepChatNew(ctx, r, storedChat{ChatMessage: m, Key: chatKey(m)}, q)
	return err
}

func chatKey(m ChatMessage) string { return "p:" + m.From + ":" + m.ID }

func (s *Session) keepChatNew(ctx context.Context, r *replica.Replica, m storedChat, q *chatQueued) (bool, error) {
	dk := s.deviceKey()
	name := hashName(secretChatMessage, m.Key)
	fresh := false
	err := r.DB().Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.Secret(ctx, name); err == nil {
			return nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		sealed, err := sealJSON(dk, name, m)
		if err != nil {
			return err
		}
		if err := tx.PutSecret(ctx, name, sealed); err != nil {
			return err
		}
		fresh = true
		if q == nil {
			return nil
		}
		q.Key = m.Key
		qname := fmt.Sprintf("%s%020d/%s", secretChatQueue, m.At.UnixNano(), q.ID)
		sealed, err = sealJSON(dk, qname, q)
		if err != nil {
			return err
		}
		return tx.PutSecret(ctx, qname, sealed)
	})
	return fresh, err
}

// chatQueue returns the messages waiting to be sent, oldest first.
func (s *Session) chatQueue(ctx context.Context, r *replica.Replica) ([]chatQueued, error) {
	dk := s.deviceKey()
	var out []chatQueued
	err := r.DB().View(ctx, func(tx *store.Tx) error {
		rows, err := tx.SecretsWithPrefix(ctx, secretChatQueue)
		if err != nil {
			return err
		}
		for name, sealed := range rows {
			var q chatQueued
			if err := openJSON(dk, name, sealed, &q); err != nil {
				return err
			}
			q.Name = name
			out = append(out, q)
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, err
}

// markChatSent removes q from the queue and marks its local copy sent,
// in one transaction.
func (s *Session) markChatSent(ctx context.Context, r *replica.Replica, q chatQueued) error {
	dk := s.deviceKey()
	name := hashName(secretChatMessage, q.Key)
	return r.DB().Update(ctx, func(tx *store.Tx) error {
		if err := tx.DeleteSecret(ctx, q.Name); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		sealed, err := tx.Secret(ctx, name)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		var m storedChat
		if err := openJSON(dk, name, sealed, &m); err != nil {
			return err
		}
		m.Queued = false
		if sealed, err = sealJSON(dk, name, m); err != nil {
			return err
		}
		return tx.PutSecret(ctx, name, sealed)
	})
}

// chatSent reports whether m has left the queue.
func (s *Session) chatSent(ctx context.Context, r *replica.Replica, m ChatMessage) bool {
	q, err := s.chatQueue(ctx, r)
	if err != nil {
		return false
	}
	for _, e := range q {
		if e.ID == m.ID {
			return false
		}
	}
	return true
}

func (s *Session) chatReadMarks(ctx context.Context, r *replica.Replica) (map[string]int64, error) {
	dk := s.deviceKey()
	out := map[string]int64{}
	err := r.DB().View(ctx, func(tx *store.Tx) error {
		rows, err := tx.SecretsWithPrefix(ctx, secretChatRead)
		if err != nil {
			return err
		}
		for name, sealed := range rows {
			var mark struct {
				Conversation string `json:"c"`
				At           int64  `json:"at"`
			}
			if err := openJSON(dk, name, sealed, &mark); err != nil {
				return err
			}
			out[mark.Conversation] = mark.At
		}
		return nil
	})
	return out, err
}

func (s *Session) putChatReadMark(ctx context.Context, r *replica.Replica, conversation string, at int64) error {
	dk := s.deviceKey()
	name := hashName(secretChatRead, conversation)
	sealed, err := sealJSON(dk, name, map[string]any{"c": conversation, "at": at})
	if err != nil {
		return err
	}
	return r.DB().Update(ctx, func(tx *store.Tx) error { return tx.PutSecret(ctx, name, sealed) })
}

// archiveMark is how far this workstation read an archive ("own" or
// "room").
func (s *Session) archiveMark(ctx context.Context, r *replica.Replica, archive string) (string, error) {
	dk := s.deviceKey()
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

func (s *Session) putArchiveMark(ctx context.Context, r *replica.Replica, archive, last string) error {
	dk := s.deviceKey()
	name := secretChatArchive + archive
	sealed, err := sealJSON(dk, name, last)
	if err != nil {
		return err
	}
	return r.DB().Update(ctx, func(tx *store.Tx) error { return tx.PutSecret(ctx, name, sealed) })
}

// sendQueued hands one message to the server: to the clinic room, or to
// each of the recipient's workstations.
func sendQueued(ctx context.Context, y *Syncer, xs *xmpp.Session, e chatQueued) error {
	targets := []string{y.chatRoom()}
	if !e.Room {
		targets = targets[:0]
		for _, d := range e.Devices {
			targets = append(targets, d+"@"+y.cfg.Domain)
		}
	}
	for _, to := range targets {
		if err := xs.SendMessage(ctx, xmppOutgoing(to, e)); err != nil {
			return fmt.Errorf("%w: %w", ErrChatOffline, err)
		}
	}
	return nil
}

// flushChat sends what waits in the queue through the linked sync's XMPP
// session, oldest first, and reports how many it sent. It stops at the
// first failure: the rest waits for the next connection.
func (s *Session) flushChat(ctx context.Context) (int, error) {
	r, err := s.live()
	if err != nil {
		return 0, err
	}
	l := s.chatLink()
	l.flushing.Lock()
	defer l.flushing.Unlock()
	y, xs, err := l.liveXMPP()
	if err != nil {
		return 0, err
	}
	q, err := s.chatQueue(ctx, r)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, e := range q {
		if err := sendQueued(ctx, y, xs, e); err != nil {
			return sent, err
		}
		if err := s.markChatSent(ctx, r, e); err != nil {
			return sent, err
		}
		sent++
	}
	l.mu.Lock()
	l.pending = false
	l.mu.Unlock()
	if sent > 0 {
		s.changed([]replica.Changed{{ID: "", Kind: KindChat, Scope: ChatSent}})
	}
	return sent, nil
}
