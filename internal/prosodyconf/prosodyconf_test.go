package prosodyconf

import (
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"
)

func TestLuaString(t *testing.T) {
	for in, want := range map[string]string{
		"/tmp/x":          `"/tmp/x"`,
		`a"b\c`:           `"a\"b\\c"`,
		"line\nbreak":     `"line\010break"`,
		"del\x7f":         `"del\127"`,
		"clinic-ü/Praxis": `"clinic-ü/Praxis"`,
	} {
		if got := LuaString(in); got != want {
			t.Errorf("LuaString(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestSelfSigned(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	until := now.Add(48 * time.Hour)
	c, err := SelfSigned(now, until, "Medihaven clinic server", "clinic.test", "rooms.clinic.test")
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(c.CertPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("certificate PEM: %q", c.CertPEM)
	}
	cert, err := x509.ParseCertificate(c.DER)
	if err != nil {
		t.Fatal(err)
	}
	if string(block.Bytes) != string(c.DER) {
		t.Error("the PEM and the DER are not the same certificate")
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	for _, name := range []string{"clinic.test", "rooms.clinic.test"} {
		if _, err := cert.Verify(x509.VerifyOptions{DNSName: name, Roots: pool, CurrentTime: now.Add(time.Hour)}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if !cert.NotAfter.Equal(until) || cert.Subject.Organization[0] != "Medihaven clinic server" {
		t.Errorf("until %s org %v", cert.NotAfter, cert.Subject.Organization)
	}
	if k, _ := pem.Decode(c.KeyPEM); k == nil || k.Type != "PRIVATE KEY" {
		t.Fatalf("key PEM: %q", c.KeyPEM)
	} else if _, err := x509.ParsePKCS8PrivateKey(k.Bytes); err != nil {
		t.Error(err)
	}
	if _, err := SelfSigned(now, until, ""); err == nil {
		t.Error("a certificate without a name was made")
	}
}
