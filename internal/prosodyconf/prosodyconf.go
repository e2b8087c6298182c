package prosodyconf

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// LuaString quotes s as a Lua string literal (Lua strings are bytes: only
// the quote, backslash and control characters need escaping).
func LuaString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, "\\%03d", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// Cert is a self-signed certificate and its private key.
type Cert struct {
	CertPEM []byte // the certificate, PEM
	KeyPEM  []byte // its PKCS #8 private key, PEM: keep it readable by its owner only
	DER     []byte // the certificate, DER
}

// SelfSigned makes a fresh self-signed ECDSA P-256 certificate for names
// (the first is its common name), valid from an hour before now until
// until, that may sign (so clients can pin it as their root) and serve TLS.
func SelfSigned(now, until time.Time, org string, names ...string) (Cert, error) {
	if len(names) == 0 {
		return Cert{}, errors.New("prosodyconf: a certificate needs at least one name")
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Cert{}, fmt.Errorf("prosodyconf: certificate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return Cert{}, fmt.Errorf("prosodyconf: certificate serial: %w", err)
	}
	subject := pkix.Name{CommonName: names[0]}
	if org != "" {
		subject.Organization = []string{org}
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               subject,
		DNSNames:              names,
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              until,
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return Cert{}, fmt.Errorf("prosodyconf: create certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return Cert{}, fmt.Errorf("prosodyconf: encode certificate key: %w", err)
	}
	return Cert{
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
		DER:     der,
	}, nil
}
