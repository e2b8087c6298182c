package interop

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"
)

// A copy's passphrase is read from paper and typed by someone who may never
// have used OpenPGP: 6 groups of 4 lower-case letters and digits, without
// the lookalikes 0/o, 1/l/i, joined by dashes ("k7m2-qz9r-..."). 24 symbols
// of 31 give 118 bits, drawn with crypto/rand; the dashes are part of it.
const (
	copyPassAlphabet = "23456789abcdefghjkmnpqrstuvwxyz"
	copyPassGroups   = 6
	copyPassGroupLen = 4
)

func newCopyPassphrase() (string, error) {
	groups := make([]string, copyPassGroups)
	n := big.NewInt(int64(len(copyPassAlphabet)))
	for g := range groups {
		var b strings.Builder
		for range copyPassGroupLen {
			i, err := rand.Int(rand.Reader, n)
			if err != nil {
				return "", fmt.Errorf("app: no randomness for the passphrase: %w", err)
			}
			b.WriteByte(copyPassAlphabet[i.Int64()])
		}
		groups[g] = b.String()
	}
	return strings.Join(groups, "-"), nil
}
