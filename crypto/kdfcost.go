// kdfcost.go chooses the work of the KDFs that protect a key when the key
// is made (locked) here: the identity's OpenPGP S2K and a keystore file's
// Argon2id. Unlocking always uses the parameters the key or file carries,
// within the bounds that stop a crafted one asking for minutes of work
// (maxSubkeys, parseFileHeader), whatever made it.
//
// A program built by `go test` (testing.Testing) makes its keys at the
// lowest cost the formats allow and those bounds accept: the tests make
// hundreds of identities and keystores, and the real costs are what make a
// stolen file slow to attack, not what the tests check. Every other
// program, medihaven itself, uses realKDF (TestRealKDFOutsideTests builds
// one and reads the parameters of the keys it makes).

package crypto

import "testing"

// kdfCost is the work of the KDFs of a key made in this process.
type kdfCost struct {
	// s2kCount is the number of bytes the identity's S2K hashes to turn
	// the passphrase into the key that locks the private key.
	s2kCount int
	// Argon2id of a keystore file: passes, memory in KiB, lanes.
	passes, memory uint32
	lanes          uint8
}

var (
	// realKDF: the S2K at the OpenPGP maximum (65,011,712 bytes, about
	// 0.25 s on one idle core, measured); Argon2id with 3 passes over
	// 64 MiB in 4 lanes.
	realKDF = kdfCost{s2kCount: 65011712, passes: 3, memory: 64 << 10, lanes: 4}
	// testKDF: the smallest S2K count go-crypto writes (65,536 bytes)
	// and the smallest Argon2id a keystore file may ask for
	// (parseFileHeader's lower bounds).
	testKDF = kdfCost{s2kCount: 65536, passes: 1, memory: 8 << 10, lanes: 4}

	// newKeyKDF is the cost of keys made by this process.
	newKeyKDF = kdfFor(testing.Testing())
)

// kdfFor returns the cost of new keys in a test binary or in any other.
func kdfFor(inTest bool) kdfCost {
	if inTest {
		return testKDF
	}
	return realKDF
}
