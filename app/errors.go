package app

import (
	"errors"

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
	ErrInvalidInput    = records.ErrInvalidInput // "app: invalid input", shared with the records' own checks

	ErrTokenMalformed = errors.New("app: registration token is malformed")
	ErrTokenExpired   = errors.New("app: registration token has expired")
	ErrTokenRevoked   = errors.New("app: registration token was revoked")
	ErrTokenUsed      = errors.New("app: registration token was already used")
	ErrTokenUnknown   = errors.New("app: registration token is unknown to this clinic")
	ErrTokenClinic    = errors.New("app: registration token belongs to another clinic")
)
