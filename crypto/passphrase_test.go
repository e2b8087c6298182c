package crypto

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
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

// TestAttackPassphraseMessageUsesTheIdentitysKDF: a workstation's backup
// (app/backup) is a message to its member's own passphrase, and holds the
// identity and the wrapped device key. With gopenpgp's default S2K (16,777,216
// bytes) a stolen backup was about four times cheaper to guess at than the
// identity's lock (realKDF): its S2K now hashes as many bytes as the
// identity's, in tests and out. (sec-s10 finding 6,
// TestSec10PassphraseMessageUsesTheIdentitysKDF.)
func TestAttackPassphraseMessageUsesTheIdentitysKDF(t *testing.T) {
	saved := newKeyKDF
	defer func() { newKeyKDF = saved }()
	for _, tc := range []struct {
		name string
		kdf  kdfCost
	}{
		{"real", realKDF},
		{"in tests", testKDF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			newKeyKDF = tc.kdf
			pass := []byte("correct horse battery")
			msg, err := EncryptWithPassphrase([]byte("a backup"), pass, "backup.tar", time.Now())
			if err != nil {
				t.Fatal(err)
			}
			// New-format SKESK packet: tag byte 0xC3, one length byte,
			// version 4, cipher, then the S2K: type 3 (iterated and
			// salted), hash, 8 bytes of salt, the coded count (RFC 4880
			// 3.7.1.3).
			if len(msg) < 15 || msg[0] != 0xC3 || msg[2] != 4 || msg[3] != byte(packet.CipherAES256) || msg[4] != 3 || msg[5] != 8 {
				t.Fatalf("not a version 4 SKESK (AES-256) with an iterated S2K over SHA-256: % x", msg[:min(len(msg), 16)])
			}
			c := msg[14]
			if count := (16 + int(c&15)) << (int(c>>4) + 6); count != tc.kdf.s2kCount {
				t.Errorf("a message to a passphrase hashes %d bytes per guess; the identity's lock hashes %d", count, tc.kdf.s2kCount)
			}
			if got, err := DecryptWithPassphrase(msg, pass); err != nil || string(got) != "a backup" {
				t.Errorf("DecryptWithPassphrase = %q, %v", got, err)
			}
		})
	}
}

// TestDecryptWithPassphraseOpensOlderMessages: a backup or patient's copy
// sealed before the S2K followed the identity's cost (gopenpgp's
// EncryptMessageWithPassword, testdata/passphrase-s9.pgp) still opens,
// and only with its passphrase.
func TestDecryptWithPassphraseOpensOlderMessages(t *testing.T) {
	old, err := os.ReadFile(filepath.Join("testdata", "passphrase-s9.pgp"))
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := pgp.EncryptMessageWithPassword(pgp.NewPlainMessageFromFile([]byte("a backup sealed before session 10"), "backup.tar", 0),
		[]byte("correct horse battery"))
	if err != nil {
		t.Fatal(err)
	}
	for name, msg := range map[string][]byte{"kept": old, "made as before": fresh.GetBinary()} {
		if got, err := DecryptWithPassphrase(msg, []byte("correct horse battery")); err != nil || string(got) != "a backup sealed before session 10" {
			t.Errorf("%s: DecryptWithPassphrase = %q, %v", name, got, err)
		}
		if _, err := DecryptWithPassphrase(msg, []byte("wrong")); !errors.Is(err, ErrWrongPassphrase) {
			t.Errorf("%s: a wrong passphrase: %v", name, err)
		}
	}
}
