package crypto

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
	pgp "github.com/ProtonMail/gopenpgp/v2/crypto"
)

// TestEncryptWithPassphraseShape checks the packets GnuPG 2.2 needs: one
// symmetric-key encrypted session key (version 4, AES-256) and one SEIPD
// version 1 packet; no AEAD. The message opens with the passphrase only.
func TestEncryptWithPassphraseShape(t *testing.T) {
	data := []byte(`{"resourceType":"Bundle"}`)
	pass := []byte("k7m2-qz9r-hh4t")
	msg, err := EncryptWithPassphrase(data, pass, "record.json", time.Unix(1_700_000_000, 0))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(msg, data) {
		t.Fatal("the plaintext shows in the message")
	}
	pr := packet.NewReader(bytes.NewReader(msg))
	var kinds []string
	for len(kinds) < 2 || kinds[len(kinds)-1] != "seipd" {
		p, err := pr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch p := p.(type) {
		case *packet.SymmetricKeyEncrypted:
			if p.Version != 4 || p.CipherFunc != packet.CipherAES256 {
				t.Errorf("SKESK version %d cipher %d, want 4 and AES-256", p.Version, p.CipherFunc)
			}
			kinds = append(kinds, "skesk")
		case *packet.SymmetricallyEncrypted:
			if p.Version != 1 {
				t.Errorf("SEIPD version %d, want 1 (no AEAD)", p.Version)
			}
			kinds = append(kinds, "seipd")
		case *packet.AEADEncrypted:
			t.Error("AEAD packet: GnuPG 2.2 cannot read it")
		default:
			t.Errorf("unexpected packet %T", p)
		}
	}
	if len(kinds) != 2 || kinds[0] != "skesk" || kinds[1] != "seipd" {
		t.Fatalf("packets %v, want [skesk seipd]", kinds)
	}
	got, err := pgp.DecryptMessageWithPassword(pgp.NewPGPMessage(msg), pass)
	if err != nil || !bytes.Equal(got.GetBinary(), data) {
		t.Fatalf("decrypt = %q, %v", got.GetBinary(), err)
	}
	if _, err := pgp.DecryptMessageWithPassword(pgp.NewPGPMessage(msg), []byte("wrong")); err == nil {
		t.Fatal("a wrong passphrase opened the message")
	}
	if _, err := EncryptWithPassphrase(data, nil, "x", time.Now()); err == nil {
		t.Fatal("an empty passphrase was accepted")
	}
}
