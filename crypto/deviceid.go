// deviceid.go makes device ids bound to their member's key (session 17,
// h-dev17). A device id travels in clear (sync room announcements,
// envelope headers) before the device's first event has spread; with a
// random id another member could sign that first event himself and leave
// the directory and arrival order to decide whose workstation it is. A
// bound id names its member instead: every workstation checks, from the
// id and an event's author alone, that the author is the member the id
// was made for, whatever it stored before.
//
// A bound id is 32 lowercase hex like every device id (the envelope's
// shape is unchanged), made of three parts:
//
//	salt            6 hex: random, so one member has many devices
//	hash            18 hex: SHA-256("medihaven device" 0 fingerprint 0 salt)
//	de71ce01        8 hex: the mark that tells a bound id from a random one
//
// The mark is in the id, not in an event, so every workstation judges an
// id alike before it has seen any of the device's events; it comes last so
// that an id shortened for people (its first hex digits) stays distinct. A random (legacy)
// id carries the mark by chance once in 2^32; such a device's events are
// then refused as not bound to their author. Taking a colleague's bound id
// needs a key whose fingerprint matches 72 bits of her hash (a second
// preimage), and the key admitted as a member.

package crypto

import (
	"crypto/sha256"
	"encoding/hex"
)

const (
	// boundDeviceMark ends every bound device id.
	boundDeviceMark = "de71ce01"
	// boundDeviceSalt is the number of hex digits of salt that start it.
	boundDeviceSalt = 6
	// deviceIDLen is a device id's length in hex digits (envelope.go).
	deviceIDLen = 32
)

// NewDeviceID returns a new device id bound to the member whose key has
// fingerprint: only events that key signs are kept in its chain.
func NewDeviceID(fingerprint string) string {
	salt := randomHex(boundDeviceSalt / 2)
	return boundDeviceID(fingerprint, salt)
}

// boundDeviceID is the bound device id of fingerprint with salt.
func boundDeviceID(fingerprint, salt string) string {
	sum := sha256.Sum256([]byte("medihaven device\x00" + fingerprint + "\x00" + salt))
	hash := hex.EncodeToString(sum[:])[:deviceIDLen-boundDeviceSalt-len(boundDeviceMark)]
	return salt + hash + boundDeviceMark
}

// IsBoundDeviceID reports whether device has a bound id's shape (made by
// NewDeviceID for some member); other well-formed ids are random ones.
func IsBoundDeviceID(device string) bool {
	return isLowerHex(device, deviceIDLen) && device[deviceIDLen-len(boundDeviceMark):] == boundDeviceMark
}

// IsDeviceID reports whether device has a device id's shape: 32 lowercase
// hex digits, bound or random.
func IsDeviceID(device string) bool { return isLowerHex(device, deviceIDLen) }

// DeviceBoundTo reports whether device is a bound id made for the key with
// fingerprint. It is false for random ids: IsBoundDeviceID tells which
// rules apply.
func DeviceBoundTo(device, fingerprint string) bool {
	if !IsBoundDeviceID(device) || !isFingerprint(fingerprint) {
		return false
	}
	return boundDeviceID(fingerprint, device[:boundDeviceSalt]) == device
}
