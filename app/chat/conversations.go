package chat

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// Conversations lists the clinic room, then every active colleague in the
// directory (with presence and unread counts), then any chat address
// outside the directory that wrote to this workstation.
func (s *Service) Conversations(ctx context.Context) ([]Conversation, error) {
	r, err := s.c.ReplicaFor(roles.ReadDirectory)
	if err != nil {
		return nil, err
	}
	hist, err := s.chatHistory(ctx, r)
	if err != nil {
		return nil, err
	}
	reads, err := s.chatReadMarks(ctx, r)
	if err != nil {
		return nil, err
	}
	devs, err := s.knownDevices(ctx, r, "")
	if err != nil {
		return nil, err
	}
	l := s.link()
	_, _, offline := l.liveXMPP()
	l.mu.Lock()
	presence := make(map[string]string, len(l.presence))
	for k, v := range l.presence {
		presence[k] = v
	}
	l.mu.Unlock()

	byConv := map[string][]Message{}
	for _, m := range hist {
		byConv[m.Conversation] = append(byConv[m.Conversation], m)
	}
	conv := func(id, title string, role roles.Role, show string) Conversation {
		c := Conversation{ID: id, Title: title, Role: role, Presence: show}
		ms := byConv[id]
		for i := range ms {
			if !ms[i].Mine && ms[i].At.UnixMilli() > reads[id] {
				c.Unread++
			}
		}
		if len(ms) > 0 {
			last := ms[len(ms)-1]
			c.Last = &last
		}
		delete(byConv, id)
		return c
	}
	roomShow := PresenceOnline
	if offline != nil {
		roomShow = PresenceOffline
	}
	out := []Conversation{conv(Room, "Clinic room", "", roomShow)}
	for _, m := range r.Members() {
		if m.Fingerprint == r.Fingerprint() || !m.Active() {
			continue
		}
		show := PresenceOffline
		if offline == nil {
			for _, d := range devs.devices[m.Fingerprint] {
				switch presence[d] {
				case PresenceOnline:
					show = PresenceOnline
				case PresenceAway:
					if show == PresenceOffline {
						show = PresenceAway
					}
				}
			}
		}
		out = append(out, conv(m.Fingerprint, m.Name, m.Role, show))
	}
	var rest []string
	for id := range byConv {
		rest = append(rest, id)
	}
	sort.Strings(rest)
	for _, id := range rest {
		title := strings.TrimPrefix(id, plainPrefix)
		if m, ok := r.Member(id); ok {
			title = m.Name + " (left the clinic)"
		}
		out = append(out, conv(id, title, "", PresenceOffline))
	}
	return out, nil
}

// History returns a conversation's messages, oldest first.
func (s *Service) History(ctx context.Context, conversation string) ([]Message, error) {
	r, err := s.c.ReplicaFor(roles.ReadDirectory)
	if err != nil {
		return nil, err
	}
	hist, err := s.chatHistory(ctx, r)
	if err != nil {
		return nil, err
	}
	reads, err := s.chatReadMarks(ctx, r)
	if err != nil {
		return nil, err
	}
	var out []Message
	for _, m := range hist {
		if m.Conversation == conversation {
			m.Unread = !m.Mine && m.At.UnixMilli() > reads[conversation]
			out = append(out, m)
		}
	}
	// Where unverified messages were not kept (bound.go), a line says how
	// many, before the oldest kept of their sender.
	var lines []Message
	err = s.withCache(ctx, r, func(c *chatCache) error {
		lines = c.notKeptLines(conversation)
		return nil
	})
	if len(lines) > 0 {
		out = append(out, lines...)
		sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	}
	return out, err
}

// MarkRead marks every message of a conversation as read. The mark is
// the newest message's time, never past now or the newest stamped here
// (stamp: after a clock stepped back, messages are stamped after those
// kept before it): a message dated ahead (kept before sec-s10 finding 3)
// cannot make later ones count as read.
func (s *Service) MarkRead(ctx context.Context, conversation string) error {
	r, err := s.c.ReplicaFor(roles.ReadDirectory)
	if err != nil {
		return err
	}
	hist, err := s.chatHistory(ctx, r)
	if err != nil {
		return err
	}
	var newest int64
	for _, m := range hist {
		if m.Conversation == conversation && m.At.UnixMilli() > newest {
			newest = m.At.UnixMilli()
		}
	}
	limit := s.c.Now()
	err = s.withCache(ctx, r, func(c *chatCache) error {
		if c.newest.After(limit) {
			limit = c.newest
		}
		return nil
	})
	if err != nil {
		return err
	}
	newest = min(newest, limit.UnixMilli())
	if err := s.putChatReadMark(ctx, r, conversation, newest); err != nil {
		return err
	}
	s.c.Changed(replica.Changed{ID: conversation, Kind: Kind, Scope: Sent})
	return nil
}

// Waiting reports how many messages wait to be sent or to be taken by
// the server (those waiting for a colleague's first connection included).
func (s *Service) Waiting(ctx context.Context) (int, error) {
	r, err := s.c.Replica()
	if err != nil {
		return 0, err
	}
	q, err := s.chatQueue(ctx, r)
	return len(q), err
}

// Online reports whether the chat is connected to the server.
func (s *Service) Online() bool {
	_, _, err := s.link().liveXMPP()
	return err == nil
}

// SetAway tells colleagues that this staff member is away (true) or
// back (false).
func (s *Service) SetAway(ctx context.Context, away bool) error {
	if _, err := s.c.Replica(); err != nil {
		return err
	}
	_, xs, err := s.link().liveXMPP()
	if err != nil {
		return err
	}
	if err := xs.SetAway(ctx, away); err != nil {
		return fmt.Errorf("chat: tell colleagues you are away: %w", err)
	}
	return nil
}

// Patient finds the patient a message refers to by MRN, for those
// whose role may look patients up (receptionists, physicians); opening the
// chart is then the physician's OpenChart, audited as always.
func (s *Service) Patient(ctx context.Context, mrn string) (app.Patient, error) {
	mrn = strings.ToUpper(strings.TrimSpace(mrn))
	if !records.MRNPattern.MatchString(mrn) {
		return app.Patient{}, fmt.Errorf("%w: %q is not a medical record number", app.ErrInvalidInput, mrn)
	}
	ps, err := s.c.SearchPatients(ctx, mrn, 3)
	if err != nil {
		return app.Patient{}, err
	}
	var found []app.Patient
	for _, p := range ps {
		if strings.EqualFold(p.MRN, mrn) {
			found = append(found, p)
		}
	}
	switch len(found) {
	case 0:
		return app.Patient{}, fmt.Errorf("%w: no patient with MRN %s on this workstation yet", replica.ErrNotFound, mrn)
	case 1:
		return found[0], nil
	}
	// No workstation gives an MRN it sees carried (app's freshMRN), but
	// none applying a registration can refuse one: two desks drew the same
	// by chance, or a member's modified software wrote another's. The
	// message names neither for sure (session 25 review, h-rev25a).
	names := make([]string, len(found))
	for i, p := range found {
		names[i] = fmt.Sprintf("%s (born %s)", p.Name(), p.Birth)
	}
	return app.Patient{}, fmt.Errorf("%w: MRN %s is carried by more than one patient: %s; find the patient by name and birth date, and tell the front desk",
		app.ErrInvalidInput, mrn, strings.Join(names, "; "))
}

// MRNsIn returns the medical record numbers written in a message's text.
func MRNsIn(text string) []string {
	found := reMRNRef.FindAllString(text, -1)
	for i := range found {
		found[i] = strings.ToUpper(found[i])
	}
	return found
}
