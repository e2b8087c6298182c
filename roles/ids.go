package roles

import (
	"fmt"
	"slices"
	"strings"
)

// IDs is the shape of the record ids a directory or admin kind writes
// (and, since session 18, the front desk's availability and
// desk-settings records, whose ids were always of one shape). Each such
// kind writes ids of its own shape, which no other kind's id has: so no
// event of another kind, clinical and front-desk records included, can
// ever name a directory or admin record, nor a directory or admin event a
// patient's, an appointment's or a note's (session 17, the last route in
// ARCHITECTURE.md "What may cut a member's acts"). The other data kinds'
// records made since session 18 have ids bound to their kind instead
// (recordid.go). Ids are in clear headers, so every workstation judges an
// id's shape alike.
//
// An id has the shape when it is Fixed, or else it is Prefix followed by
// lowercase hex of one of the lengths Hex names (anything non-empty when
// Hex is nil and Prefix is not empty).
type IDs struct {
	Fixed  string
	Prefix string
	Hex    []int
}

// fingerprint: a member's key fingerprint, OpenPGP v4 or v6.
var fingerprint = []int{40, 64}

// Fits reports whether id has the shape s.
func (s IDs) Fits(id string) bool {
	switch {
	case s.Fixed != "":
		return id == s.Fixed
	case !strings.HasPrefix(id, s.Prefix):
		return false
	}
	rest := id[len(s.Prefix):]
	if s.Hex == nil {
		return s.Prefix != "" && rest != ""
	}
	return slices.Contains(s.Hex, len(rest)) && isLowerHex(rest)
}

// Shaped reports whether k writes ids of one shape (every directory and
// admin kind, availability and desk-settings).
func (k Kind) Shaped() bool { return k.IDs.Fixed != "" || k.IDs.Prefix != "" || k.IDs.Hex != nil }

// CheckID reports why a record of kind k may not have id: a shaped kind's
// id has its kind's shape (IDs), any other kind's id has no shaped kind's
// shape, and an id bound to a kind (NewRecordID) is that kind's only. Raw
// kinds name no record: nil.
func (k Kind) CheckID(id string) error {
	if k.Raw {
		return nil
	}
	if k.Shaped() {
		if !k.IDs.Fits(id) {
			return fmt.Errorf("%s is no id of a %s record (%s)", id, k.Name, k.IDs)
		}
		return nil
	}
	if o, ok := ReservedBy(id); ok {
		return fmt.Errorf("id %s is reserved for %s records", id, o.Name)
	}
	if o, ok := boundElsewhere(id, k.Name); ok {
		return fmt.Errorf("id %s is a %s record's (NewRecordID), not a %s record's", id, o, k.Name)
	}
	return nil
}

// ReservedBy returns the directory or admin kind whose shape id has.
func ReservedBy(id string) (Kind, bool) {
	for _, k := range shapedKinds {
		if k.IDs.Fits(id) {
			return k, true
		}
	}
	return Kind{}, false
}

// String describes the shape, for reasons people read.
func (s IDs) String() string {
	if s.Fixed != "" {
		return "only " + s.Fixed
	}
	hex := "anything"
	if s.Hex != nil {
		hex = fmt.Sprintf("%v hex digits", s.Hex)
	}
	if s.Prefix == "" {
		return hex
	}
	return fmt.Sprintf("%q then %s", s.Prefix, hex)
}
