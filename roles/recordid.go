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
//	salt      16 hex: random (64 bits: ids of one kind collide as rarely
//	          as 64-bit random ids)
//	hash      8 hex: SHA-256("medihaven record" 0 kind 0 salt)
//	5ec1d01a  8 hex: the mark
//
// The salt is the writer's, and another kind's hash matches a given salt
// once in 2^32: a writer who tries salts finds an id two kinds' hashes
// match (82 s on two cores for some pair of the fifteen data kinds;
// about 2^32 tries for a chosen pair: session 18 review h-sec18e E1).
// Such an id is neither kind's: every kind refuses it (boundElsewhere),
// and NewRecordID draws another salt for one (once in about 2^28). A
// random id with the mark (once in 2^32) is bound to no kind unless its
// hash matches one, and then every kind but that one may not name it.

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
)

const (
	recordMark    = "5ec1d01a"
	recordSalt    = 16
	recordIDLen   = 32
	recordHashLen = recordIDLen - recordSalt - len(recordMark)
)

// NewRecordID returns a new id for a record of kind, bound to it.
func NewRecordID(kind string) string {
	var b [recordSalt / 2]byte
	for {
		if _, err := rand.Read(b[:]); err != nil {
			panic("roles: no randomness: " + err.Error()) // crypto/rand never fails on supported systems
		}
		// An id another kind's hash matches too is no kind's (boundElsewhere):
		// once in 2^28 or so, another salt.
		if id := recordID(kind, hex.EncodeToString(b[:])); !bindsOther(id, kind) {
			return id
		}
	}
}

// bindsOther reports whether another kind than kind binds id.
func bindsOther(id, kind string) bool {
	_, ok := boundElsewhere(id, kind)
	return ok
}

func recordID(kind, salt string) string {
	sum := sha256.Sum256([]byte("medihaven record\x00" + kind + "\x00" + salt))
	return salt + hex.EncodeToString(sum[:])[:recordHashLen] + recordMark
}

// boundElsewhere reports whether id is a record id bound to another kind
// than kind (NewRecordID). Ids made for kind, random ids, and ids with the
// mark that no kind's hash matches are not.
func boundElsewhere(id, kind string) (string, bool) {
	if len(id) != recordIDLen || id[recordIDLen-len(recordMark):] != recordMark || !isLowerHex(id) {
		return "", false
	}
	var want [recordHashLen / 2]byte
	if _, err := hex.Decode(want[:], []byte(id[recordSalt:recordSalt+recordHashLen])); err != nil {
		return "", false
	}
	salt := id[:recordSalt]
	for _, k := range kindNames {
		// An id two kinds' hashes match (its writer tried salts until
		// they did: 32 bits) is neither's (h-sec18e).
		if k != kind && hashMatches(k, salt, want) {
			return k, true
		}
	}
	return "", false
}

// hashMatches reports whether recordID(kind, salt) has the hash want, as
// bytes, without the strings recordID makes: the kind rule asks it of
// every kind for every event under a bound id (session 19 review h-sec19b:
// 12 µs and 116 allocations an event, about a tenth of applying it).
func hashMatches(kind, salt string, want [recordHashLen / 2]byte) bool {
	var buf [96]byte
	msg := append(append(append(append(buf[:0], "medihaven record\x00"...), kind...), 0), salt...)
	sum := sha256.Sum256(msg)
	return [recordHashLen / 2]byte(sum[:recordHashLen/2]) == want
}
