// rekey.go changes the passphrase of a keystore file: its content is
// sealed again under a key derived from the new passphrase with a fresh
// salt, in one atomic replacement of the file, so a crash leaves the old
// file (old passphrase) or the new one (new passphrase), never a mix.

package crypto

import "fmt"

// RekeyFileKeystore opens the keystore file at path with old, sets the
// secrets in set (e.g. the identity locked with the new passphrase), and
// writes the whole under next, in one atomic replacement. A wrong old
// passphrase gives ErrWrongPassphrase and changes nothing.
func RekeyFileKeystore(path string, old, next []byte, set map[string][]byte) error {
	if len(next) == 0 {
		return ErrEmptyPassphrase
	}
	data, err := readLimited(path, maxKeystoreFile)
	if err != nil {
		return fmt.Errorf("crypto: opening the keystore file: %w", err)
	}
	ks, err := openFileKeystore(path, data, old)
	if err != nil {
		return err
	}
	f := ks.(*fileKeystore)
	defer f.close()
	for name, secret := range set {
		if err := checkSecretName(name); err != nil {
			return err
		}
		wipe(f.secrets[name])
		f.secrets[name] = append([]byte(nil), secret...)
	}
	wipe(f.key)
	f.header, f.key = newFileKey(next)
	return f.save(f.secrets)
}
