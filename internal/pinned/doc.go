// Package pinned makes the TLS client configuration with which a
// workstation checks the clinic's server: its certificate must be exactly
// the one the clinic pinned by its SHA-256 (the chat server's, which a
// registration token and `medihaven server init` hand out), never one the
// system's authorities vouch for.
//
// It must not fall back to the system's roots, to a certificate's name or
// to any pin but the one it was given, and must not speak plain text to a
// non-loopback address: a mismatch is an error the caller shows (ask the
// administrator), never a warning it may skip.
package pinned
