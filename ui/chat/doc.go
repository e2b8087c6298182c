// Package chat is the staff chat panel, the same for every role: the
// conversations (the clinic room and each colleague, with presence and
// unread counts), the messages of the one open (each marked verified, or
// unverified with the reason in plain words, never hidden), a composer
// that can refer to a patient by MRN, and a desktop notification for a
// message that arrives while the window is not focused.
//
// It consumes the narrow interface Chat: of the session, its name and
// change feed; of the session's chat (app/chat, found with Of), the use
// cases. It must not touch keys, SQL or the network: encryption,
// signatures, the queue while offline and the archive are app/chat's. Use
// cases run off the UI goroutine; results come back through kit.OnUI.
package chat
