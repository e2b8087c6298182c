package netsync

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/sync/synctest"
	"github.com/medihaven/medihaven/sync/xmpp"
)

// TestRegister makes a workstation's account on a real Prosody, in-band
// (the demo's open registration), with the server's certificate pinned
// whole or by its SHA-256; a pin of another certificate is xmpp.ErrTLS, a
// pin that is no SHA-256 ErrInvalidConfig, a server that does not answer
// xmpp.ErrUnavailable; and an ordinary account may not ask for account
// invites.
func TestRegister(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p := synctest.StartProsody(t)
	block, _ := pem.Decode(p.CertPEM)
	sum := sha256.Sum256(block.Bytes)
	whole := Config{XMPPAddr: p.Addr, Domain: p.Domain, PinnedCert: p.CertPEM, Register: true}
	byPin := Config{XMPPAddr: p.Addr, Domain: p.Domain, CertPin: hex.EncodeToString(sum[:]), Register: true}
	otherPin, badPin, closed := byPin, byPin, byPin
	otherPin.CertPin = strings.Repeat("ab", 32)
	badPin.CertPin = "not a pin"
	closed.XMPPAddr = synctest.UnusedAddr(t)
	for _, tc := range []struct {
		name   string
		cfg    Config
		device string
		want   error
	}{
		{"the certificate pinned whole", whole, "ws1", nil},
		{"the certificate pinned by its SHA-256", byPin, "ws2", nil},
		{"another certificate's pin", otherPin, "ws3", xmpp.ErrTLS},
		{"a pin that is no SHA-256", badPin, "ws4", ErrInvalidConfig},
		{"a server that does not answer", closed, "ws5", xmpp.ErrUnavailable},
	} {
		err := Register(ctx, tc.cfg, tc.device, "pw-"+tc.device, "")
		if (tc.want == nil && err != nil) || !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := AccountInvite(ctx, byPin, "ws2", "pw-ws2"); err == nil {
		t.Error("an ordinary account made an account invite")
	}
}
