// passphrase.go seals a file for a person outside the clinic (a patient's
// own copy of their record) as a standard OpenPGP message to a passphrase,
// so any OpenPGP tool opens it: GnuPG 2.2 (Debian 12), Kleopatra, GPG
// Suite, OpenKeychain. It protects the file with AES-256 under a key
// derived from the passphrase (iterated and salted S2K, SHA-256) in a
// symmetrically encrypted integrity-protected data packet (SEIPD version 1,
// with MDC): no AEAD and no version 5/6 packets, which GnuPG 2.2 cannot read.

package crypto

import (
	"fmt"
	"time"

	pgp "github.com/ProtonMail/gopenpgp/v2/crypto"
)

// EncryptWithPassphrase seals data as a binary OpenPGP message that opens
// with passphrase. name is the file name the message suggests to the tool
// that opens it ("summary.pdf"); modTime its date.
func EncryptWithPassphrase(data, passphrase []byte, name string, modTime time.Time) ([]byte, error) {
	if len(passphrase) == 0 {
		return nil, fmt.Errorf("crypto: encrypt to a passphrase: the passphrase is empty")
	}
	msg, err := pgp.EncryptMessageWithPassword(pgp.NewPlainMessageFromFile(data, name, uint32(modTime.Unix())), passphrase)
	if err != nil {
		return nil, fmt.Errorf("crypto: encrypt to a passphrase: %w", err)
	}
	return msg.GetBinary(), nil
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
