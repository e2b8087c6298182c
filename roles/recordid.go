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
//
// Pinned ids (session 26, h-mrn26). A kind with a Pin (a patient's MRN, an
// appointment's import) makes its ids with another mark, 5ec1d01b, bound
// to its kind as above; its salt is not random but the first 8 bytes of
// SHA-256("medihaven pin" 0 kind 0 seal 0 value [0 with]), where value
// is the pinned field's JSON as the making event writes it (with: that of
// the field Pin.With, when the kind names one: an import's status) and
// seal is 16 random bytes that event writes, sealed, beside it (Pin.Seal). An event under
// such an id that writes the field proves it with the seal (Kind.CheckPin):
// another value takes another seal found among 2^64, so every
// workstation refuses another patient's MRN under a patient's id, whatever
// clock its writer chooses. Outside the clinic the seal is unknown, so
// the id says nothing of the MRN (seven digits a hash alone would give
// away). A pinned id made with a random salt (NewRecordID of such a kind:
// a booking of session 26) is bound to no value: no event under it writes
// the field.
//
// Bound ids (session 27, h-secb27). A kind whose Pin names Bound fields (an
// appointment's patient and physician, what else its booking writes once)
// makes its ids with a third mark, 5ec1d01c, bound to its kind as above;
// the salt is the first 8 bytes of SHA-256("medihaven bound" 0 kind 0 seal
// 0 field 0 with 0 bound...), each value the JSON the making event writes
// (nothing where it writes none: a booking writes no import). Every event
// under such an id that writes any of them or the seal writes them all as
// the making event did, with its seal (Kind.CheckPin): Dr A's appointment
// with one patient is no other patient's, nor Dr B's, whatever clock its
// writer chooses. A new mark, not new values under 5ec1d01b: a workstation
// of session 26 reads a 5ec1d01c id as a random one and applies a booking
// under it, where under 5ec1d01b it would refuse a seal with no import.

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

const (
	recordMark    = "5ec1d01a"
	pinnedMark    = "5ec1d01b"
	boundMark     = "5ec1d01c"
	pinSeal       = 32 // hex digits of a pin's seal: 16 random bytes
	recordSalt    = 16
	recordIDLen   = 32
	recordHashLen = recordIDLen - recordSalt - len(recordMark)
)

// NewRecordID returns a new id for a record of kind, bound to it: pinned
// to no value (pinnedMark, a random salt) when kind has a Pin. A kind
// whose Pin binds fields its making event writes (an appointment) makes
// its ids with NewBoundID instead (records.NewBookingID): under this one
// those fields stay last-writer (read first-written where Once).
func NewRecordID(kind string) string {
	mark := recordMark
	if k, ok := KindOf(kind); ok && k.Pin.Field != "" {
		mark = pinnedMark
	}
	for {
		// An id another kind's hash matches too is no kind's (boundElsewhere):
		// once in 2^28 or so, another salt.
		if id := recordID(kind, randomHex(recordSalt/2), mark); !bindsOther(id, kind) {
			return id
		}
	}
}

// NewPinnedID returns a new id for a record of kind bound to it and to
// value, the JSON of its Pin.Field as the record's first event writes it
// (then that of Pin.With, when the kind names one), and the seal that
// event writes in Pin.Seal (Kind.CheckPin).
func NewPinnedID(kind string, value ...json.RawMessage) (id, seal string) {
	for {
		seal = randomHex(pinSeal / 2)
		if id = recordID(kind, pinSalt(kind, seal, value...), pinnedMark); !bindsOther(id, kind) {
			return id, seal
		}
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("roles: no randomness: " + err.Error()) // crypto/rand never fails on supported systems
	}
	return hex.EncodeToString(b)
}

// NewBoundID returns a new id for a record of kind bound to it and to
// what fields, the record's first event, writes in its Pin's Field, With
// and Bound fields, and the seal that event writes in Pin.Seal beside
// them (Kind.CheckPin). The kind has a Pin.
func NewBoundID(kind string, fields map[string]json.RawMessage) (id, seal string) {
	k, _ := KindOf(kind)
	for {
		seal = randomHex(pinSeal / 2)
		if id = recordID(kind, k.boundSalt(seal, fields), boundMark); !bindsOther(id, kind) {
			return id, seal
		}
	}
}

// boundSalt is the salt of an id of k bound to what fields writes with
// seal (boundMark).
func (k Kind) boundSalt(seal string, fields map[string]json.RawMessage) string {
	values := make([]json.RawMessage, 0, 2+len(k.Pin.Bound))
	for _, name := range slices.Concat([]string{k.Pin.Field, k.Pin.With}, k.Pin.Bound) {
		values = append(values, fields[name]) // none: nothing (a JSON value written is never empty)
	}
	return salt("medihaven bound", k.Name, seal, values...)
}

// pinSalt is the salt of an id of kind pinned to values with seal.
func pinSalt(kind, seal string, values ...json.RawMessage) string {
	return salt("medihaven pin", kind, seal, values...)
}

func salt(domain, kind, seal string, values ...json.RawMessage) string {
	h := sha256.New()
	h.Write([]byte(domain + "\x00" + kind + "\x00" + seal))
	for _, v := range values {
		h.Write([]byte{0})
		h.Write(v)
	}
	return hex.EncodeToString(h.Sum(nil)[:recordSalt/2])
}

// IsPinned reports whether id is a pinned id of kind (NewPinnedID,
// NewRecordID of a kind with a Pin) or a bound one (NewBoundID).
func IsPinned(kind, id string) bool { return hasMark(kind, id, pinnedMark) || IsBound(kind, id) }

// IsBound reports whether id is a bound id of kind (NewBoundID).
func IsBound(kind, id string) bool { return hasMark(kind, id, boundMark) }

// hasMark reports whether id is an id of kind with mark.
func hasMark(kind, id, mark string) bool {
	if len(id) != recordIDLen || id[recordIDLen-len(mark):] != mark || !isLowerHex(id) {
		return false
	}
	want, ok := idHash(id)
	return ok && hashMatches(kind, id[:recordSalt], want)
}

// Pin names the field of a kind whose value its record's id is bound to
// when it is made (NewPinnedID), and the field its seal is written in.
// With names a field whose value the making event wrote beside it, bound
// too where an event writes Field (an import's status: a receptionist who
// reads the seal of a booked appointment's import proves no "seen" with
// it). Bound names more fields the record's first event writes once for
// good (an appointment's patient and physician): under an id NewBoundID
// made, an event writing any of them, Field or Seal writes them all as the
// id binds them (session 27).
type Pin struct {
	Field, Seal, With string
	Bound             []string
}

// CheckPin returns why one event under id may not write fields (nil when
// it may): under a pinned id of k (IsPinned), an event that writes k's
// pinned field or its seal writes both, and they make the id; under a
// bound id (IsBound), an event that writes the field, the seal or a Bound
// field writes the seal, and with it every one of them as the id binds it.
// Under an id of another shape (a record made before ids were pinned) it
// checks nothing.
func (k Kind) CheckPin(id string, fields map[string]json.RawMessage) error {
	if k.Pin.Field == "" {
		return nil
	}
	if IsBound(k.Name, id) {
		return k.checkBound(id, fields)
	}
	v, wrote := fields[k.Pin.Field]
	s, sealed := fields[k.Pin.Seal]
	if !wrote && !sealed || !IsPinned(k.Name, id) {
		return nil
	}
	values := []json.RawMessage{v}
	if k.Pin.With != "" {
		values = append(values, fields[k.Pin.With])
	}
	if seal, ok := sealOf(s); !wrote || !sealed || !ok || pinSalt(k.Name, seal, values...) != id[:recordSalt] {
		return fmt.Errorf("a %s record's %q is bound to its id when it is made: this event writes another", k.Name, k.Pin.Field)
	}
	return nil
}

// checkBound is CheckPin under an id NewBoundID made: an event that
// writes Field, Seal or a Bound field writes the seal, and what it writes
// in Field, With and Bound (nothing included) makes the id.
func (k Kind) checkBound(id string, fields map[string]json.RawMessage) error {
	names := slices.Concat([]string{k.Pin.Field, k.Pin.Seal}, k.Pin.Bound)
	if !slices.ContainsFunc(names, func(name string) bool { _, ok := fields[name]; return ok }) {
		return nil
	}
	if seal, ok := sealOf(fields[k.Pin.Seal]); !ok || k.boundSalt(seal, fields) != id[:recordSalt] {
		return fmt.Errorf("a %s record's %s are bound to its id when it is made: this event writes others",
			k.Name, strings.Join(slices.Concat(k.Pin.Bound, []string{k.Pin.Field}), ", "))
	}
	return nil
}

// sealOf reads a seal as an event writes it: a JSON string of pinSeal
// lowercase hex digits.
func sealOf(v json.RawMessage) (string, bool) {
	var seal string
	if json.Unmarshal(v, &seal) != nil || len(seal) != pinSeal || !isLowerHex(seal) {
		return "", false
	}
	return seal, true
}

// provesPin reports whether an event under id writing fields writes k's
// pinned field as the id binds it (CheckPin): the event that made the
// record, or one writing the same again.
func (k Kind) provesPin(id string, fields map[string]json.RawMessage) bool {
	_, wrote := fields[k.Pin.Field]
	return wrote && IsPinned(k.Name, id) && k.CheckPin(id, fields) == nil
}

// bindsOther reports whether another kind than kind binds id.
func bindsOther(id, kind string) bool {
	_, ok := boundElsewhere(id, kind)
	return ok
}

func recordID(kind, salt, mark string) string {
	sum := sha256.Sum256([]byte("medihaven record\x00" + kind + "\x00" + salt))
	return salt + hex.EncodeToString(sum[:])[:recordHashLen] + mark
}

// idHash is the kind hash of a record id with either mark, as bytes.
func idHash(id string) (want [recordHashLen / 2]byte, ok bool) {
	_, err := hex.Decode(want[:], []byte(id[recordSalt:recordSalt+recordHashLen]))
	return want, err == nil
}

// boundElsewhere reports whether id is a record id bound to another kind
// than kind (NewRecordID). Ids made for kind, random ids, and ids with the
// mark that no kind's hash matches are not.
func boundElsewhere(id, kind string) (string, bool) {
	if mark := id[max(len(id)-len(recordMark), 0):]; len(id) != recordIDLen || mark != recordMark && mark != pinnedMark && mark != boundMark || !isLowerHex(id) {
		return "", false
	}
	want, ok := idHash(id)
	if !ok {
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
