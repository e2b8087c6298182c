package roles

// recordid.go makes record ids bound to their kind (session 18 review
// h-sec18b F2), as crypto.NewDeviceID binds a device id to its member's
// key. The binding rule gives an id claimed by two data kinds to the
// higher precedence, then the lower clock, which its writer chooses: one
// event of another kind erased a colleague's note or a patient. A bound
// record id names its kind, so every workstation refuses, from the header
// alone, an event of any other kind under it (Kind.CheckID), before
// binding. Ids made before (32 random hex) keep precedence.
//
//	salt      8 hex: random
//	hash      16 hex: SHA-256("medihaven record" 0 kind 0 salt)
//	5ec1d01a  8 hex: the mark (a random id carries it once in 2^32)

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
)

const (
	recordMark    = "5ec1d01a"
	recordSalt    = 8
	recordIDLen   = 32
	recordHashLen = recordIDLen - recordSalt - len(recordMark)
)

// NewRecordID returns a new id for a record of kind, bound to it.
func NewRecordID(kind string) string {
	var b [recordSalt / 2]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("roles: no randomness: " + err.Error()) // crypto/rand never fails on supported systems
	}
	return recordID(kind, hex.EncodeToString(b[:]))
}

func recordID(kind, salt string) string {
	sum := sha256.Sum256([]byte("medihaven record\x00" + kind + "\x00" + salt))
	return salt + hex.EncodeToString(sum[:])[:recordHashLen] + recordMark
}

// boundKind reports whether id is a bound record id, and whether it was
// made for kind.
func boundKind(id, kind string) (bound, of bool) {
	if len(id) != recordIDLen || id[recordIDLen-len(recordMark):] != recordMark || !isLowerHex(id) {
		return false, false
	}
	return true, recordID(kind, id[:recordSalt]) == id
}
