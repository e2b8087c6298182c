package recovery

import (
	"bytes"
	"testing"

	"github.com/medihaven/medihaven/crypto"
)

// FuzzParseEscrowShare: whatever another member's workstation sealed as a
// share of an escrow (or released as one), parseShare gives a share of
// that escrow that needs at least two administrators, or an error; never
// a panic.
func FuzzParseEscrowShare(f *testing.F) {
	e := escrow{escrowBody: escrowBody{Policy: "p1", Scope: "clinical", Epoch: 3}}
	label := []byte(shareLabel(e.Policy, e.Scope, e.Epoch))
	parts, err := crypto.SplitSecret(bytes.Repeat([]byte{7}, 32), 2, 3)
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range parts {
		raw, err := p.MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(append(bytes.Clone(label), raw...))
	}
	f.Add(label)
	f.Add([]byte(shareLabel("p2", "clinical", 3)))
	f.Fuzz(func(t *testing.T, plain []byte) {
		sh, err := e.parseShare(plain)
		if err == nil && (sh.Threshold < minRecoveryThreshold || !bytes.HasPrefix(plain, label)) {
			t.Errorf("a share of threshold %d, labelled %q, is taken", sh.Threshold, plain[:min(len(plain), len(label))])
		}
	})
}
