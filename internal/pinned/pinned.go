package pinned

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"time"
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
// InsecureSkipVerify is set; the pin is checked in VerifyPeerCertificate,
// which the handshake runs whatever InsecureSkipVerify says, and a
// certificate that is not the pinned one fails the handshake (a
// tls.CertificateVerificationError wrapping ErrNotPinned). serverName
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
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			switch {
			case bad != nil:
				return &tls.CertificateVerificationError{Err: bad}
			case len(raw) == 0:
				return &tls.CertificateVerificationError{Err: ErrNotPinned}
			}
			if sum := sha256.Sum256(raw[0]); !bytes.Equal(sum[:], want) {
				return &tls.CertificateVerificationError{Err: ErrNotPinned}
			}
			return nil
		},
	}, err
}

// LoopbackPlain reports whether addr (host:port) is a loopback address
// whose server answers a TLS handshake in plain HTTP: a workstation on
// the clinic server's own computer whose server is older than its TLS,
// or a test's Kubo node or desk. Such a client may speak plain HTTP
// there: loopback traffic never crosses the LAN. Anywhere else it is
// false, whatever answers: a LAN address is spoken to over TLS only, so
// whoever answers in plain in the server's place (ARP spoofing) is told
// nothing. cfg is the pinned configuration (Config); a server that
// answers TLS, or does not answer, is not plain.
func LoopbackPlain(ctx context.Context, addr string, cfg *tls.Config) bool {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c, err := (&tls.Dialer{Config: cfg}).DialContext(ctx, "tcp", addr)
	if err == nil {
		c.Close()
		return false
	}
	var rh tls.RecordHeaderError
	return errors.As(err, &rh)
}
