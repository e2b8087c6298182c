// Package xmpp is one workstation's XMPP session with the clinic's Prosody
// server (mellium.im/xmpp): chat, presence and small sync announcements.
//
// It carries only ciphertext and identifiers; it must not see keys or
// plaintext patient data.
package xmpp
