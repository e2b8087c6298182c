// Package pinned makes the TLS client configuration with which a
// workstation checks the clinic's server: its certificate must be exactly
// the one the clinic pinned by its SHA-256 (the chat server's, which a
// registration token and `medihaven server init` hand out), never one the
// system's authorities vouch for.
package pinned

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
)

// ErrPin means a pin is not a SHA-256 in hex (64 digits).
var ErrPin = errors.New("the clinic server's certificate pin is not a SHA-256 in hex")

// ErrNotPinned is the handshake's error when the server shows another
// certificate than the pinned one.
var ErrNotPinned = errors.New("the clinic's server showed a certificate that is not the one this clinic pinned: ask your administrator")

// Config accepts exactly the certificate (DER) whose SHA-256 is pin (64
// hex digits). The chain is not checked against any authority, and the
// name not against the certificate (a clinic's server is reached by its
// LAN address, its certificate names the XMPP domain): that is why
// InsecureSkipVerify is set; the pin is checked in VerifyConnection,
// which the handshake runs whatever InsecureSkipVerify says, and a
// certificate that is not the pinned one fails the handshake. serverName
// is only sent (SNI). An invalid pin gives a configuration that refuses
// every server, and the error.
func Config(pin, serverName string) (*tls.Config, error) {
	want, err := hex.DecodeString(pin)
	if err == nil && len(want) != sha256.Size {
		err = errors.New("not 32 bytes")
	}
	if err != nil {
		err = fmt.Errorf("%w: %w", ErrPin, err)
	}
	bad := err
	return &tls.Config{
		ServerName:         serverName,
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, // the pin below is the check, see above
		VerifyConnection: func(cs tls.ConnectionState) error {
			if bad != nil {
				return bad
			}
			if len(cs.PeerCertificates) == 0 {
				return ErrNotPinned
			}
			if sum := sha256.Sum256(cs.PeerCertificates[0].Raw); !bytes.Equal(sum[:], want) {
				return ErrNotPinned
			}
			return nil
		},
	}, err
}
