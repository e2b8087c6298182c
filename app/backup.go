package app

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/replica"
)

// A backup of one workstation (issue 16) is one file: an OpenPGP message
// encrypted to the member's passphrase (AES-256, so GnuPG opens it too),
// holding a tar of the profile (profile.json), the keystore's two entries
// as they are kept (the identity locked by the passphrase, the device key
// wrapped to the identity) and a copy of the database taken with SQLite's
// online backup while the workstation works. Nothing in it is readable
// without the passphrase, and inside, every record stays sealed as on disk.
//
// Restore it on a new computer in place of the old one, never beside it:
// both would write in one device's chain.

const (
	backupVersion      = 1
	backupManifestFile = "manifest.json"
	backupKeys         = "keys.json"
	maxBackupFile      = 8 << 30 // 8 GiB
	maxBackupMember    = 64 << 10
)

// ErrBackup means a file is not a Medihaven backup, or is damaged.
var ErrBackup = errors.New("app: this file is not a usable Medihaven backup")

type backupManifest struct {
	Version int       `json:"version"`
	Created time.Time `json:"created"`
	Profile Profile   `json:"profile"`
}

// BackupTo writes an encrypted backup of this workstation to the new file
// out. passphrase must be the member's own (it is checked): the backup
// opens only with it.
func (s *Session) BackupTo(ctx context.Context, out string, passphrase []byte) error {
	r, err := s.live()
	if err != nil {
		return err
	}
	if _, err := os.Stat(out); err == nil {
		return fmt.Errorf("%w: %s exists already; choose a new file name", ErrInvalidInput, out)
	}
	keys, err := s.keystoreEntries(passphrase)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(out), ".medihaven-backup-")
	if err != nil {
		return fmt.Errorf("app: backup: %w", err)
	}
	defer os.RemoveAll(tmp)
	db := filepath.Join(tmp, storeFile)
	if err := r.DB().Backup(ctx, db); err != nil {
		return fmt.Errorf("app: backup: %w", err)
	}
	manifest, err := json.Marshal(backupManifest{Version: backupVersion, Created: s.env.Now().UTC(), Profile: s.Profile()})
	if err != nil {
		return err
	}
	keysJSON, err := json.Marshal(keys)
	if err != nil {
		return err
	}
	var archive bytes.Buffer
	tw := tar.NewWriter(&archive)
	for _, m := range []struct {
		name string
		data []byte
	}{{backupManifestFile, manifest}, {backupKeys, keysJSON}} {
		if err := addTar(tw, m.name, bytes.NewReader(m.data), int64(len(m.data))); err != nil {
			return err
		}
	}
	f, err := os.Open(db)
	if err != nil {
		return fmt.Errorf("app: backup: %w", err)
	}
	info, err := f.Stat()
	if err == nil {
		err = addTar(tw, storeFile, f, info.Size())
	}
	f.Close()
	if err == nil {
		err = tw.Close()
	}
	if err != nil {
		return fmt.Errorf("app: backup: %w", err)
	}
	sealed, err := crypto.EncryptWithPassphrase(archive.Bytes(), passphrase, "medihaven-backup.tar", s.env.Now())
	if err != nil {
		return err
	}
	part := filepath.Join(tmp, "backup")
	if err := os.WriteFile(part, sealed, 0o600); err != nil {
		return fmt.Errorf("app: backup: %w", err)
	}
	if err := os.Link(part, out); err != nil { // never replaces an existing file
		return fmt.Errorf("app: backup: %w", err)
	}
	return nil
}

func addTar(tw *tar.Writer, name string, r io.Reader, size int64) error {
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: size, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	_, err := io.Copy(tw, r)
	return err
}

// keystoreEntries reads this profile's two keystore entries, after
// checking that passphrase unlocks the identity.
func (s *Session) keystoreEntries(passphrase []byte) (map[string][]byte, error) {
	ks, err := s.env.OpenKeystore(s.Profile(), passphrase)
	if errors.Is(err, crypto.ErrWrongPassphrase) {
		return nil, fmt.Errorf("%w: check it and try again", ErrWrongPassphrase)
	}
	if err != nil {
		return nil, err
	}
	defer crypto.CloseKeystore(ks)
	keys := map[string][]byte{}
	for _, name := range []string{nameIdentity, nameDevice} {
		if keys[name], err = ks.Get(name); err != nil {
			return nil, fmt.Errorf("%w: %w", errKeyMissing, err)
		}
	}
	id, err := crypto.UnlockIdentity(keys[nameIdentity], passphrase)
	if err != nil {
		return nil, fmt.Errorf("%w: the backup is encrypted to your own passphrase; check it and try again", ErrWrongPassphrase)
	}
	id.Clear()
	return keys, nil
}

// Restoration is a backup to restore on a new computer.
type Restoration struct {
	File       string // the backup file
	Dir        string // the new profile folder; must hold no profile
	Passphrase []byte
	// Keystore is where this computer keeps the keys: KeystoreOS or
	// KeystoreFile; "" keeps the backed-up profile's choice.
	Keystore string
}

// Restore makes a workstation profile from a backup in r.Dir, logs in
// with the passphrase and verifies every device's chain in the restored
// log; a problem anywhere, or a wrong passphrase, removes what it made.
func Restore(ctx context.Context, env Env, r Restoration) (*Session, error) {
	env = env.defaults()
	if _, err := os.Stat(filepath.Join(r.Dir, profileFile)); err == nil {
		return nil, fmt.Errorf("%w: %s (restore into an empty folder)", ErrProfileExists, r.Dir)
	}
	files, manifest, keys, err := readBackup(r.File, r.Passphrase)
	if err != nil {
		return nil, err
	}
	p := manifest.Profile
	p.ID = newID(16) // its own keystore entries, even beside the old profile
	if r.Keystore != "" {
		p.Keystore = r.Keystore
	}
	created := false
	if _, err := os.Stat(r.Dir); errors.Is(err, os.ErrNotExist) {
		created = true
	}
	var ks crypto.Keystore
	fail := func(err error) (*Session, error) {
		if ks != nil {
			ks.Delete(nameIdentity) //nolint:errcheck // best effort clean-up
			ks.Delete(nameDevice)   //nolint:errcheck
			crypto.CloseKeystore(ks)
		}
		if created {
			os.RemoveAll(r.Dir)
		} else {
			for _, f := range []string{storeFile, storeFile + "-wal", storeFile + "-shm", keysFile, profileFile} {
				os.Remove(filepath.Join(r.Dir, f))
			}
		}
		return nil, err
	}
	if err := os.MkdirAll(r.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("app: restore: %w", err)
	}
	p.Dir = r.Dir
	if err := os.WriteFile(filepath.Join(r.Dir, storeFile), files[storeFile], 0o600); err != nil {
		return fail(fmt.Errorf("app: restore: %w", err))
	}
	if ks, err = env.OpenKeystore(p, r.Passphrase); err != nil {
		return fail(err)
	}
	for _, name := range []string{nameIdentity, nameDevice} {
		if err := ks.Set(name, keys[name]); err != nil {
			return fail(fmt.Errorf("app: restore the keys into the keystore: %w", err))
		}
	}
	crypto.CloseKeystore(ks)
	if err := p.write(); err != nil {
		return fail(err)
	}
	s, err := Login(ctx, env, r.Dir, "", r.Passphrase)
	if err != nil {
		return fail(err)
	}
	problems, err := s.rep.Verify(ctx)
	if err == nil && len(problems) > 0 {
		err = fmt.Errorf("%w: the restored log has %d problems, the first: %s", ErrBackup, len(problems), describe(problems[0]))
	}
	if err != nil {
		s.Close()
		return fail(err)
	}
	return s, nil
}

func describe(p replica.Problem) string {
	return fmt.Sprintf("device %s, event %d: %s", short(p.Device), p.Seq, p.Reason)
}

// readBackup opens a backup file with the passphrase and reads its parts.
func readBackup(file string, passphrase []byte) (map[string][]byte, backupManifest, map[string][]byte, error) {
	var manifest backupManifest
	info, err := os.Stat(file)
	if err != nil {
		return nil, manifest, nil, fmt.Errorf("app: restore: %w", err)
	}
	if info.Size() > maxBackupFile {
		return nil, manifest, nil, fmt.Errorf("%w: it is larger than any backup Medihaven makes", ErrBackup)
	}
	sealed, err := os.ReadFile(file)
	if err != nil {
		return nil, manifest, nil, fmt.Errorf("app: restore: %w", err)
	}
	plain, err := crypto.DecryptWithPassphrase(sealed, passphrase)
	if err != nil {
		return nil, manifest, nil, fmt.Errorf("%w: %w", ErrWrongPassphrase, err)
	}
	return parseBackup(plain)
}

// parseBackup reads the parts of a decrypted backup: the tar of the
// manifest, the keys and the database, nothing else.
func parseBackup(plain []byte) (map[string][]byte, backupManifest, map[string][]byte, error) {
	var manifest backupManifest
	files := map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(plain))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, manifest, nil, fmt.Errorf("%w: %w", ErrBackup, err)
		}
		limit := int64(maxBackupMember)
		if h.Name == storeFile {
			limit = maxBackupFile
		}
		switch h.Name {
		case backupManifestFile, backupKeys, storeFile:
		default:
			return nil, manifest, nil, fmt.Errorf("%w: it holds an unknown part %q", ErrBackup, h.Name)
		}
		b, err := io.ReadAll(io.LimitReader(tr, limit+1))
		if err != nil || int64(len(b)) > limit {
			return nil, manifest, nil, fmt.Errorf("%w: part %s is damaged", ErrBackup, h.Name)
		}
		files[h.Name] = b
	}
	var keys map[string][]byte
	if json.Unmarshal(files[backupManifestFile], &manifest) != nil || manifest.Version != backupVersion ||
		json.Unmarshal(files[backupKeys], &keys) != nil || len(keys[nameIdentity]) == 0 || len(keys[nameDevice]) == 0 ||
		len(files[storeFile]) == 0 || manifest.Profile.Device == "" || manifest.Profile.ClinicID == "" {
		return nil, manifest, nil, fmt.Errorf("%w: parts are missing or damaged", ErrBackup)
	}
	return files, manifest, keys, nil
}
