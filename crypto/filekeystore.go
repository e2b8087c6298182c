// filekeystore.go keeps a workstation's secrets in one passphrase-protected
// file, for desktops without an OS keyring, and only when the person asks
// for it (--keystore file). A key is derived from the passphrase with
// Argon2id (3 passes, 64 MiB, 4 lanes: the second recommended setting of
// RFC 9106), and the whole content, names included, is sealed with
// AES-256-GCM. The parameters and salt are in the file, bound as additional
// data. Every change rewrites the file atomically (temporary file in the
// same folder, fsync, rename, mode 0600).
//
// File format, version 1 (integers big-endian):
//
//	"MHF1"; Argon2id passes (4 bytes), memory in KiB (4), lanes (1);
//	salt (16); nonce (12); GCM ciphertext and tag of the content.
//
// Content: count (4 bytes), then per secret in name order: name length (2),
// name, value length (4), value.

package crypto

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"golang.org/x/crypto/argon2"

	"github.com/medihaven/medihaven/internal/atomicfile"
)

const (
	fileKeystoreMagic = "MHF1"

	fileSaltSize = 16

	// fileHeaderSize is magic, parameters and salt.
	fileHeaderSize = len(fileKeystoreMagic) + 4 + 4 + 1 + fileSaltSize

	// maxKeystoreFile bounds the file read.
	maxKeystoreFile = 16 << 20
)

// fileKeystore is a Keystore in one sealed file.
type fileKeystore struct {
	path   string
	header []byte // magic, parameters, salt: the additional data

	mu      sync.Mutex
	key     []byte
	secrets map[string][]byte
}

// OpenFileKeystore opens, or creates, the passphrase-protected keystore file
// at path. A passphrase that does not open an existing file gives
// ErrWrongPassphrase. Use it only when the person chose it: the OS keyring
// (NewOSKeystore) is the default. One process at a time may use the file.
func OpenFileKeystore(path string, passphrase []byte) (Keystore, error) {
	if len(passphrase) == 0 {
		return nil, ErrEmptyPassphrase
	}
	data, err := readLimited(path, maxKeystoreFile)
	if errors.Is(err, fs.ErrNotExist) {
		return createFileKeystore(path, passphrase)
	}
	if err != nil {
		return nil, fmt.Errorf("crypto: opening the keystore file: %w", err)
	}
	return openFileKeystore(path, data, passphrase)
}

// readLimited reads a file of at most limit bytes.
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("%w: the keystore file is larger than %d bytes", ErrMalformed, limit)
	}
	buf := bytes.NewBuffer(make([]byte, 0, st.Size()))
	_, err = buf.ReadFrom(f)
	return buf.Bytes(), err
}

func createFileKeystore(path string, passphrase []byte) (Keystore, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("crypto: creating the keystore folder: %w", err)
	}
	header, key := newFileKey(passphrase)
	ks := &fileKeystore{
		path:    path,
		header:  header,
		key:     key,
		secrets: make(map[string][]byte),
	}
	if err := ks.save(ks.secrets); err != nil {
		return nil, err
	}
	return ks, nil
}

// newFileKey returns the header of a new keystore file (magic, the
// Argon2id settings of newKeyKDF, a fresh salt) and the key derived from
// passphrase under it.
func newFileKey(passphrase []byte) (header, key []byte) {
	c := newKeyKDF
	header = make([]byte, 0, fileHeaderSize)
	header = append(header, fileKeystoreMagic...)
	header = binary.BigEndian.AppendUint32(header, c.passes)
	header = binary.BigEndian.AppendUint32(header, c.memory)
	header = append(header, c.lanes)
	salt := make([]byte, fileSaltSize)
	_, _ = rand.Read(salt) // crypto/rand.Read never fails (Go 1.24+).
	header = append(header, salt...)
	return header, argon2.IDKey(passphrase, salt, c.passes, c.memory, c.lanes, 32)
}

// fileKDF holds the Argon2id settings read from a file.
type fileKDF struct {
	passes, memory uint32
	lanes          uint8
	salt           []byte
}

// parseFileHeader reads and bounds a keystore file's header, so a crafted
// file cannot make Argon2id take minutes or gigabytes.
func parseFileHeader(data []byte) (fileKDF, error) {
	d := decoder{b: data}
	if string(d.bytes(len(fileKeystoreMagic))) != fileKeystoreMagic {
		return fileKDF{}, d.fail("not a Medihaven keystore file (version 1)")
	}
	kdf := fileKDF{passes: d.u32(), memory: d.u32(), lanes: d.u8(), salt: d.bytes(fileSaltSize)}
	switch {
	case d.err != nil:
		return fileKDF{}, d.err
	case kdf.passes < 1 || kdf.passes > 16:
		return fileKDF{}, d.fail("Argon2id passes out of range")
	case kdf.memory < 8<<10 || kdf.memory > 1<<20:
		return fileKDF{}, d.fail("Argon2id memory out of range")
	case kdf.lanes < 1 || kdf.lanes > 16:
		return fileKDF{}, d.fail("Argon2id lanes out of range")
	}
	return kdf, nil
}

func openFileKeystore(path string, data, passphrase []byte) (Keystore, error) {
	kdf, err := parseFileHeader(data)
	if err != nil {
		return nil, err
	}
	key := argon2.IDKey(passphrase, kdf.salt, kdf.passes, kdf.memory, kdf.lanes, 32)
	aead, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	plain, err := gcmOpen(aead, data[fileHeaderSize:], data[:fileHeaderSize])
	if err != nil {
		wipe(key)
		return nil, fmt.Errorf("%w (or the keystore file was damaged)", ErrWrongPassphrase)
	}
	defer wipe(plain)
	secrets, err := decodeSecrets(plain)
	if err != nil {
		wipe(key)
		return nil, err
	}
	return &fileKeystore{
		path:    path,
		header:  bytes.Clone(data[:fileHeaderSize]),
		key:     key,
		secrets: secrets,
	}, nil
}

// encodeSecrets encodes secrets in name order.
func encodeSecrets(secrets map[string][]byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(secrets)))
	for _, name := range slices.Sorted(maps.Keys(secrets)) {
		b = binary.BigEndian.AppendUint16(b, uint16(len(name)))
		b = append(b, name...)
		b = binary.BigEndian.AppendUint32(b, uint32(len(secrets[name])))
		b = append(b, secrets[name]...)
	}
	return b
}

// decodeSecrets reads what encodeSecrets wrote, strictly.
func decodeSecrets(b []byte) (map[string][]byte, error) {
	d := decoder{b: b}
	n := d.u32()
	if d.err == nil && int64(n) > int64(len(b)) {
		return nil, d.fail("the secret count is wrong")
	}
	secrets := make(map[string][]byte, n)
	prev := ""
	for i := uint32(0); i < n && d.err == nil; i++ {
		name := string(d.bytes(int(d.u16())))
		value := d.bytes(int(d.u32()))
		if d.err == nil && (name == "" || (i > 0 && name <= prev)) {
			d.fail("the secret names are not in order")
		}
		prev = name
		secrets[name] = bytes.Clone(value)
	}
	if err := d.end(); err != nil {
		return nil, err
	}
	return secrets, nil
}

// save seals secrets and replaces the file atomically.
func (f *fileKeystore) save(secrets map[string][]byte) error {
	aead, err := newGCM(f.key)
	if err != nil {
		return err
	}
	plain := encodeSecrets(secrets)
	defer wipe(plain)
	out := make([]byte, len(f.header)+aead.NonceSize(), len(f.header)+aead.NonceSize()+len(plain)+aead.Overhead())
	copy(out, f.header)
	nonce := out[len(f.header):]
	_, _ = rand.Read(nonce) // crypto/rand.Read never fails (Go 1.24+).
	out = aead.Seal(out, nonce, plain, f.header)
	if len(out) > maxKeystoreFile {
		return fmt.Errorf("crypto: the keystore file would exceed %d bytes; store smaller secrets", maxKeystoreFile)
	}
	if err := atomicfile.Write(f.path, out, 0o600); err != nil {
		return fmt.Errorf("crypto: saving the keystore file: %w", err)
	}
	return nil
}

// errKeystoreClosed is what a closed file keystore answers.
var errKeystoreClosed = errors.New("crypto: the keystore file was closed when the session locked; log in again")

// close wipes the derived key and the secrets from memory (CloseKeystore).
func (f *fileKeystore) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	wipe(f.key)
	f.key = nil
	for name, s := range f.secrets {
		wipe(s)
		delete(f.secrets, name)
	}
}

func (f *fileKeystore) Get(name string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.key == nil {
		return nil, errKeystoreClosed
	}
	s, ok := f.secrets[name]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	return bytes.Clone(s), nil
}

func (f *fileKeystore) Set(name string, secret []byte) error {
	if err := checkSecretName(name); err != nil {
		return err
	}
	if len(name) > 1<<10 {
		return errors.New("crypto: a secret's name is at most 1024 bytes")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.key == nil {
		return errKeystoreClosed
	}
	next := maps.Clone(f.secrets)
	next[name] = bytes.Clone(secret)
	if err := f.save(next); err != nil {
		return err
	}
	wipe(f.secrets[name])
	f.secrets = next
	return nil
}

func (f *fileKeystore) Delete(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.key == nil {
		return errKeystoreClosed
	}
	if _, ok := f.secrets[name]; !ok {
		return fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	next := maps.Clone(f.secrets)
	delete(next, name)
	if err := f.save(next); err != nil {
		return err
	}
	wipe(f.secrets[name])
	f.secrets = next
	return nil
}
