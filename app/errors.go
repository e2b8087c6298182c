package app

import (
	"errors"
	"strings"

	"github.com/medihaven/medihaven/app/records"
)

// Errors callers match with errors.Is. Each message says what happened in
// plain words; the wrapping adds what to do.
var (
	ErrNoProfile       = errors.New("app: no clinic profile in this folder")
	ErrProfileExists   = errors.New("app: a clinic profile already exists in this folder")
	ErrWrongPassphrase = errors.New("app: wrong passphrase")
	ErrWrongStaff      = errors.New("app: this workstation belongs to another staff member")
	ErrLocked          = errors.New("app: the workstation is locked")
	ErrRevoked         = errors.New("app: your access to this clinic was revoked")
	ErrNotAdmitted     = errors.New("app: not admitted yet")
	ErrRoleDisputed    = errors.New("app: administrators recorded different changes of your role")
	ErrInvalidInput    = records.ErrInvalidInput // "app: invalid input", shared with the records' own checks

	ErrTokenMalformed = errors.New("app: registration token is malformed")
	ErrTokenExpired   = errors.New("app: registration token has expired")
	ErrTokenRevoked   = errors.New("app: registration token was revoked")
	ErrTokenUsed      = errors.New("app: registration token was already used")
	ErrTokenUnknown   = errors.New("app: registration token is unknown to this clinic")
	ErrTokenClinic    = errors.New("app: registration token belongs to another clinic")
)

// packagePrefixes mark where an error passed through a package; they are
// for the log, not for people. Longest first where one begins another.
var packagePrefixes = []string{"app: invalid input: ", "app: ", "admin: ", "chat: ", "crypto: ", "frontdesk: ", "ipfs: ",
	"netsync: ", "recovery: ", "replica: ", "roles: ", "server: ", "store: ", "xmpp: "}

// Plain is an error's text for people: the package prefixes dropped
// where one starts the text or a link of the chain (after ": "), never
// where the word is part of a sentence ("app: open the workstation's
// store: store: this profile…" reads "open the workstation's store: this
// profile…").
func Plain(err error) string {
	if err == nil {
		return ""
	}
	s := err.Error()
	var b strings.Builder
	for i := 0; i < len(s); {
		if i == 0 || strings.HasSuffix(s[:i], ": ") {
			if p := prefixAt(s[i:]); p != "" {
				i += len(p)
				continue
			}
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

func prefixAt(s string) string {
	for _, p := range packagePrefixes {
		if strings.HasPrefix(s, p) {
			return p
		}
	}
	return ""
}
