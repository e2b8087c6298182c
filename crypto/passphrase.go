// passphrase.go seals a file for a person outside the clinic (a patient's
// own copy of their record) as a standard OpenPGP message to a passphrase,
// so any OpenPGP tool opens it: GnuPG 2.2 (Debian 12), Kleopatra, GPG
// Suite, OpenKeychain; a workstation's backup (app/backup) is one too. It
// protects the file with AES-256 under a key derived from the passphrase
// (iterated and salted S2K, SHA-256, hashing as many bytes as the
// identity's lock does: kdfcost.go) in a symmetrically encrypted
// integrity-protected data packet (SEIPD version 1, with MDC): no AEAD, no
// Argon2 S2K and no version 5/6 packets, which GnuPG 2.2 cannot read.

package crypto

import (
	"bytes"
	stdcrypto "crypto"
	"fmt"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/ProtonMail/go-crypto/openpgp/s2k"
	pgp "github.com/ProtonMail/gopenpgp/v2/crypto"
)

// EncryptWithPassphrase seals data as a binary OpenPGP message that opens
// with passphrase. name is the file name the message suggests to the tool
// that opens it ("summary.pdf"); modTime its date.
func EncryptWithPassphrase(data, passphrase []byte, name string, modTime time.Time) ([]byte, error) {
	if len(passphrase) == 0 {
		return nil, fmt.Errorf("crypto: encrypt to a passphrase: the passphrase is empty")
	}
	// Not gopenpgp's EncryptMessageWithPassword: it takes go-crypto's
	// default S2K count (16,777,216 bytes), and a backup sealed to a
	// member's own passphrase would be the cheapest way to guess it.
	cfg := &packet.Config{
		DefaultCipher: packet.CipherAES256,
		S2KConfig: &s2k.Config{
			S2KMode:  s2k.IteratedSaltedS2K,
			Hash:     stdcrypto.SHA256,
			S2KCount: newKeyKDF.s2kCount, // kdfcost.go, as the identity's lock
		},
	}
	var out bytes.Buffer
	w, err := openpgp.SymmetricallyEncrypt(&out, passphrase, &openpgp.FileHints{IsBinary: true, FileName: name, ModTime: modTime}, cfg)
	if err == nil {
		_, err = w.Write(data)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return nil, fmt.Errorf("crypto: encrypt to a passphrase: %w", err)
	}
	return out.Bytes(), nil
}

// DecryptWithPassphrase opens a message made by EncryptWithPassphrase (or
// any OpenPGP message to a passphrase). A wrong passphrase, or a message
// that is not one, gives ErrWrongPassphrase.
func DecryptWithPassphrase(msg, passphrase []byte) ([]byte, error) {
	plain, err := pgp.DecryptMessageWithPassword(pgp.NewPGPMessage(msg), passphrase)
	if err != nil {
		return nil, fmt.Errorf("%w (or the file is not a Medihaven backup)", ErrWrongPassphrase)
	}
	return plain.GetBinary(), nil
}
