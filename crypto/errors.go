// Errors shared by the whole package. Each sentinel's message is written for
// the person in front of the screen; the wrapped chain carries the detail for
// the log, and never a secret.

package crypto

import "errors"

var (
	// ErrWrongPassphrase means a passphrase did not open a locked identity or
	// a keystore file.
	ErrWrongPassphrase = errors.New("crypto: the passphrase is not correct; check Caps Lock and try again")

	// ErrEmptyPassphrase means a passphrase was required and none was given.
	ErrEmptyPassphrase = errors.New("crypto: a passphrase is required; choose one and type it in")

	// ErrBadSignature means a signature did not verify against the expected
	// staff member's key: the data was altered or comes from someone else.
	ErrBadSignature = errors.New("crypto: the signature does not match: the data was altered or was not written by this staff member")

	// ErrMalformed means bytes from outside (a key, an envelope, a grant, a
	// file) do not have the expected shape.
	ErrMalformed = errors.New("crypto: the data is damaged or is not in Medihaven's format")

	// ErrCannotOpen means a sealed item could not be decrypted with the key
	// at hand: it was sealed for another scope, epoch, workstation or person,
	// or it was altered. For an envelope this is expected (a receptionist
	// cannot read clinical notes) and is not a fault.
	ErrCannotOpen = errors.New("crypto: this item cannot be opened with the keys held on this workstation")

	// ErrHeaderMismatch means an envelope header names another scope, epoch
	// or author than the key used to seal it: a fault in the caller.
	ErrHeaderMismatch = errors.New("crypto: the change's header does not match the key or the author sealing it")

	// ErrCleared means an Identity was used after Clear.
	ErrCleared = errors.New("crypto: the staff key was locked away; sign in again to unlock it")
)
