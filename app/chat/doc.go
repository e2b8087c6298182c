// Package chat is the staff chat (issue 8): one-to-one conversations with
// every member of the staff directory and the clinic room
// (clinic@rooms.DOMAIN), riding on the network sync's XMPP session.
//
// Each body is one OpenPGP message encrypted to the recipients (and to the
// sender, so that the server's archive gives the sender's own messages
// back) and signed by the sender, base64 after the "mh1chat " prefix: the
// server stores only ciphertext. A workstation's XMPP account is
// DEVICE@DOMAIN, so a sender is known by the device that authored
// envelopes in the clinic log, and the signature must be that member's
// directory key; anything else (another key, a plain message from an
// ordinary XMPP client) is kept and shown marked unverified, never hidden,
// within a bound (bound.go): of one address the newest 200 in a
// conversation, and a line saying how many more were not kept. A
// colleague's verified messages are bounded too, generously: the newest
// 20,000 (50 MiB) of one colleague in one conversation. A message is
// ordered and read by when it reached the server's archive (its stamp,
// bounded by now) or, live, this workstation (an offline-stored message
// is live: a delay in the server's name may be the sender's), never by
// the time its sender signed, which is only shown as a detail (Written);
// then by key. A message that arrives live, or is written here, is kept
// under this workstation's clock to the millisecond and after every
// message kept (stamp, store.go): a reply comes after what it answers, on
// both ends, whatever either clock does.
// Received messages are written in batches (write.go).
// History is kept sealed with the device key (store secrets under
// "chat/"), recovered from the server's archive (MAM) when missing. A
// message of this workstation's stays in a sealed queue until the server
// has taken it (outbox.go: one ping, shortly after, confirms every
// message sent meanwhile); messages written while offline wait there
// until the session is back. A message names a patient by MRN only.
//
// A Service is a session's chat (New(s.Core()), or Of from the UI); the
// caller that starts the sync passes its SyncHooks to
// app.Session.StartSync. The opened history leaves memory when the
// session locks.
//
// It must not write to the clinic log or read patient records beyond
// finding an MRN's patient through the session's own patient search, and
// must not keep anything in clear on disk or send it so. Package app must
// not import it.
package chat
