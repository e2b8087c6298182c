// Package xmpp is one workstation's XMPP session with the clinic's Prosody
// server (mellium.im/xmpp): one-to-one chat, a multi-user room, and small
// sync announcements.
//
//	s, err := xmpp.Dial(ctx, xmpp.Config{JID: "alice@clinic.example",
//		Password: pw, Addr: "chat.clinic.example:5222", TLS: pinned}, onMessage)
//	err = s.Send(ctx, "bob@clinic.example", ciphertext)
//	err = s.JoinRoom(ctx, "staff@rooms.clinic.example", "Dr Alice")
//	err = s.SendRoom(ctx, "staff@rooms.clinic.example", announcement)
//	<-s.Done() // then s.Err(): ErrClosed after Close, else ErrDisconnected
//
// Dial requires StartTLS, verified by the given tls.Config (pin a
// self-signed server by putting its certificate alone in RootCAs), logs in
// with SCRAM (PLAIN only inside TLS), sends initial presence and returns
// once the server treats the session as online: messages stored while the
// account was offline then arrive with Delay set, and later ones live.
// Received messages are handed to onMessage in order on a goroutine of the
// session's own, so the stream is always read (a client that stops reading
// stalls delivery on the server). Ping is a round trip: after it, the
// server has processed everything sent before. Reconnecting is the
// caller's job: watch Done.
//
// Errors say what a person can do: ErrAuth (wrong name or password),
// ErrTLS (not the clinic's certificate), ErrUnavailable (server
// unreachable), ErrNickInUse, ErrTooLarge (bodies are limited to MaxBody
// so that one message cannot make the server end the stream).
//
// For the staff chat: SendMessage sends with a stanza id; received
// messages carry the server archive's id (StanzaID, XEP-0359), the same
// live and in Archive, which reads an account's or a room's archive page by
// page (XEP-0313) so a workstation can recover missing history;
// Config.OnPresence reports room occupants online, away or offline, and
// SetAway changes this session's. Rooms are configured by the clinic's
// server (sync/server's mod_medihaven_rooms), never by a workstation.
//
// Who sent a message is Message.Sender, the account as the server says
// it, never what the sender claims: the bare From of a one-to-one message;
// for a room message, the occupant's real JID from the room's presence
// (kept per nickname in stream order) or, for a message read from the
// room's archive, from the one <x/> the room adds there. History the room
// replays to a joiner (Message.Replayed) names nobody: from the room's
// memory it carries only what the speaker wrote. It needs a room that
// tells real JIDs (whois = anyone: the clinic's server pins it); a
// nickname proves nothing, anyone may take a free one.
//
// A message the server does not take comes back as an error stanza with
// its id (Prosody refuses one to an account that does not exist yet);
// the session reads these, and Refused(id) says who refused a message.
// The server answers in order, so send, Ping, then Refused tells whether
// the server took it. Ping ends with a whitespace keepalive so that TCP
// acknowledges the answer at once: a server with Nagle's algorithm on
// (Prosody's default) otherwise holds the next stanza to us for the
// reader's delayed acknowledgement, about 40 ms.
//
// Config.Register does in-band registration (XEP-0077), for loopback tests
// only; a clinic's server registers newcomers with invites: Config.Invite
// presents one (XEP-0401 preauth, urn:xmpp:pars:0) before registering, and
// a refusal is ErrInvite (none given, used, expired) or ErrRegister, never
// a misleading ErrAuth. An account with the server's admin role makes
// one-time account invites with CreateAccountInvite (the ad-hoc command
// urn:xmpp:invite#create-account), gives or takes that role with
// SetServerAdmin and ends a revoked member's account with
// RemoveServerAccount (the clinic server's own commands,
// urn:medihaven:admins#set and #remove; ErrNoServerCommand on a server
// that lacks them).
//
// It carries only ciphertext and identifiers; it must not see keys or
// plaintext patient data, and never logs message bodies or passwords.
package xmpp
