package chat

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/xmpp"
)

// Send writes a message to a conversation (Room or a colleague's
// fingerprint), optionally about a patient by MRN. The message goes out
// at once when connected and is kept sealed in the local history and
// queued in one transaction; it returns Queued ("Sending…") and leaves the
// queue (a change of Scope Sent) when the server's answer to the next
// confirmation says the server took it. Offline, it waits queued and is
// sent on reconnect.
func (s *Service) Send(ctx context.Context, conversation, text, mrn string) (Message, error) {
	r, err := s.c.ReplicaFor(roles.ReadDirectory)
	if err != nil {
		return Message{}, err
	}
	text = strings.TrimSpace(text)
	mrn = strings.ToUpper(strings.TrimSpace(mrn))
	switch {
	case text == "" && mrn == "":
		return Message{}, fmt.Errorf("%w: the message is empty", app.ErrInvalidInput)
	case !utf8.ValidString(text):
		return Message{}, fmt.Errorf("%w: the message contains characters that are not text", app.ErrInvalidInput)
	case utf8.RuneCountInString(text) > MaxText:
		return Message{}, fmt.Errorf("%w: a message has at most %d characters; split it in two", app.ErrInvalidInput, MaxText)
	case mrn != "" && !records.MRNPattern.MatchString(mrn):
		return Message{}, fmt.Errorf("%w: %q is not a medical record number (MH and 7 digits)", app.ErrInvalidInput, mrn)
	}
	need := conversation
	if conversation == Room {
		need = ""
	}
	devs, err := s.knownDevices(ctx, r, need)
	if err != nil {
		return Message{}, fmt.Errorf("chat: send a message: %w", err)
	}
	out := chatQueued{Room: conversation == Room}
	fps, keys := readers(r, conversation)
	if conversation != Room {
		m, ok := r.Member(conversation)
		if !ok || !m.Active() {
			return Message{}, fmt.Errorf("%w: %s is not an active member of the staff directory", app.ErrInvalidInput, conversation)
		}
		if len(keys) == 0 || len(devs.devices[conversation]) == 0 {
			return Message{}, fmt.Errorf("%w: %s's workstation has not synced with yours yet; try again in a minute", ErrNoRecipient, m.Name)
		}
		out.Devices = devs.devices[conversation]
	}
	// After every message kept here, to the millisecond (stamp): a reply
	// comes after what it answers whatever this workstation's clock did.
	now, err := s.stampNow(ctx, r)
	if err != nil {
		return Message{}, err
	}
	p := chatPayload{V: 1, ID: app.NewID(12), From: r.Fingerprint(), To: conversation, Text: text, MRN: mrn, At: now.UnixMilli()}
	if out.Body, err = seal(r, p, keys); err != nil {
		return Message{}, err
	}
	out.ID, out.Key, out.To = p.ID, chatKey(r.Fingerprint(), p.ID), fps
	out.Name = queueName(now, p.ID)
	msg := Message{ID: p.ID, Conversation: conversation, From: r.Fingerprint(), FromName: s.c.StaffName(), Mine: true,
		Text: text, MRN: mrn, At: time.UnixMilli(p.At), Written: time.UnixMilli(p.At), Verified: true}
	if err := s.deliverChat(ctx, r, &msg, out); err != nil {
		return Message{}, fmt.Errorf("chat: keep the message: %w", err)
	}
	return msg, nil
}

// deliverChat sends a new message at once when connected and nothing
// older waits, and keeps it queued; the server's answer to the next
// confirmation (outbox.go) takes it out of the queue, and only then is it
// shown as sent. When offline, or older messages wait, it keeps it queued
// first and then tries the queue.
//
// Nothing is lost in either order. The stanza leaves before anything is
// written, so the disk is off the message's path; Send returns only once
// the message is kept, and a kept message leaves the queue only when the
// server has taken it. A workstation stopped before Send returned never
// told its user the message was kept; if the server had taken it, it is
// in the server's archive and comes back at the next connection
// (recoverChat). A message sent twice (no answer, then sent again) is
// kept once by the recipient (by sender and id).
func (s *Service) deliverChat(ctx context.Context, r *replica.Replica, msg *Message, q chatQueued) error {
	l := s.link()
	l.flushing.Lock()
	l.mu.Lock()
	pending := l.pending
	l.mu.Unlock()
	y, xs, offline := l.liveXMPP()
	if offline != nil || pending {
		err := s.queueChat(ctx, r, *msg, &q)
		if err == nil {
			l.mu.Lock()
			l.pending = true
			l.mu.Unlock()
		}
		l.flushing.Unlock()
		if err != nil {
			return err
		}
		s.c.Changed(replica.Changed{ID: msg.Conversation, Kind: Kind, Scope: Sent})
		s.flushChat(ctx, false) //nolint:errcheck // what is not sent waits for the connection
		msg.Queued = true
		return nil
	}
	sendErr := sendQueued(ctx, y, xs, q)
	if sendErr != nil {
		l.mu.Lock()
		l.pending = true
		l.mu.Unlock()
	}
	l.flushing.Unlock()
	if err := s.queueChat(ctx, r, *msg, &q); err != nil {
		if sendErr == nil {
			return fmt.Errorf("the message was sent, but this workstation could not keep it (it comes back from the server's archive at the next connection): %w", err)
		}
		return err
	}
	msg.Queued = true
	s.c.Changed(replica.Changed{ID: msg.Conversation, Kind: Kind, Scope: Sent})
	if sendErr == nil {
		s.awaitConfirm(l, y, xs, q)
	}
	return nil
}

// readers are the colleagues a message to conversation is sealed to as it
// goes out (seal adds the writer): every active member whose key is known
// for the room; for a one-to-one conversation the colleague, while active
// and her key known. Their fingerprints are kept with the queued message
// (chatQueued.To), so that one revoked before it goes out never gets it
// (sealedForNow).
func readers(r *replica.Replica, conversation string) (fps []string, keys []*crypto.PublicKey) {
	add := func(m replica.Member) {
		if k, ok := r.PublicKey(m.Fingerprint); ok && m.Active() {
			fps, keys = append(fps, m.Fingerprint), append(keys, k)
		}
	}
	if conversation != Room {
		if m, ok := r.Member(conversation); ok {
			add(m)
		}
		return fps, keys
	}
	for _, m := range r.Members() {
		add(m)
	}
	return fps, keys
}

// seal encrypts and signs p for keys and the writer, as it goes on the
// wire.
func seal(r *replica.Replica, p chatPayload, keys []*crypto.PublicKey) (string, error) {
	plain, err := json.Marshal(p)
	if err != nil {
		return "", err
	}
	ct, err := crypto.EncryptToMany(plain, r.Identity(), append(keys, r.Identity().Public())...)
	if err != nil {
		return "", fmt.Errorf("chat: encrypt the message: %w", err)
	}
	body := wire + base64.StdEncoding.EncodeToString(ct)
	if len(body) > xmpp.MaxBody {
		return "", fmt.Errorf("%w: the message is too long once encrypted for everyone; shorten it", app.ErrInvalidInput)
	}
	return body, nil
}
