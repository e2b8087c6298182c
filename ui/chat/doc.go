// Package chat is the staff chat panel, the same for every role: the
// conversations (the clinic room and each colleague, with presence and
// unread counts), the messages of the one open (each marked verified, or
// unverified with the reason in plain words, never hidden), a composer
// that can refer to a patient by MRN, and a desktop notification for a
// message that arrives while the window is not focused.
//
// It consumes the narrow interface Chat, a subset of *app.Session, and
// must not touch keys, SQL or the network: encryption, signatures, the
// queue while offline and the archive are the app package's. Use cases run
// off the UI goroutine; results come back through fyne.Do.
package chat
