// canonical.go keeps envelope hashes honest. OpenPGP verification ignores
// a few bytes of a v4 signature packet: an over-long packet length, the
// 16-bit hash tag, a number's stated bit length, and unsigned subpackets.
// Anyone could change them without breaking the signature, giving the same
// event a second Hash (and a fork in a device's Prev chain). Envelope.Verify
// therefore also requires the signature packet to be exactly as Seal writes
// it.

package crypto

import (
	"bytes"
	"fmt"
	"math/bits"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// mpiField is the part of go-crypto's encoding.Field we read.
type mpiField interface {
	Bytes() []byte
	BitLength() uint16
}

// checkExactPacket refuses a signature packet, read from sigBytes, that
// is not written the one way Seal writes it: its numbers, its length, no
// unsigned subpackets, version 4. (verifysig.go checks its hash tag.)
func checkExactPacket(sig *packet.Signature, sigBytes []byte) error {
	for _, f := range []mpiField{sig.RSASignature, sig.DSASigR, sig.DSASigS, sig.ECDSASigR, sig.ECDSASigS, sig.EdDSASigR, sig.EdDSASigS} {
		if f != nil && !canonicalMPI(f.Bytes(), f.BitLength()) {
			return fmt.Errorf("%w: a number in the signature is not written exactly", ErrBadSignature)
		}
	}
	var again bytes.Buffer
	if err := sig.Serialize(&again); err != nil || !bytes.Equal(again.Bytes(), sigBytes) {
		return fmt.Errorf("%w: the signature packet is not exact", ErrBadSignature)
	}
	if sig.Version != 4 || unhashedSubpackets(sigBytes) != 0 {
		return fmt.Errorf("%w: the signature carries unsigned extras", ErrBadSignature)
	}
	return nil
}

// unhashedSubpackets returns the length of the unsigned subpacket area of a
// v4 signature packet in go-crypto's encoding, or -1 if it cannot be found.
// Seal writes none; anyone could add some without breaking the signature.
func unhashedSubpackets(p []byte) int {
	if len(p) < 2 {
		return -1
	}
	var header int
	switch {
	case p[1] < 192:
		header = 2
	case p[1] < 224:
		header = 3
	case p[1] == 255:
		header = 6
	default:
		return -1
	}
	d := decoder{b: p[header:]}
	d.bytes(4) // version, type, public-key and hash algorithms
	d.bytes(int(d.u16()))
	n := int(d.u16())
	if d.err != nil {
		return -1
	}
	return n
}

// canonicalMPI reports whether an OpenPGP number has no leading zero byte
// and states its exact bit length.
func canonicalMPI(b []byte, bitLength uint16) bool {
	if len(b) == 0 {
		return bitLength == 0
	}
	return b[0] != 0 && int(bitLength) == 8*(len(b)-1)+bits.Len8(b[0])
}
