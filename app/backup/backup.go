package backup

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

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/replica"
)

// The parts of a backup's tar.
const (
	version      = 1
	manifestPart = "manifest.json"
	keysPart     = "keys.json"
	databasePart = "medihaven.db"
	maxFile      = 8 << 30 // 8 GiB
	maxPart      = 64 << 10
)

// linkFile is os.Link (a test stands in a file system without links).
var linkFile = os.Link

// ErrDamaged means a file is not a Medihaven backup, or is damaged.
var ErrDamaged = errors.New("this file is not a usable Medihaven backup")

type manifest struct {
	Version int         `json:"version"`
	Created time.Time   `json:"created"`
	Profile app.Profile `json:"profile"`
}

// Service backs up one logged-in workstation.
type Service struct{ c app.Core }

// New is the backup of the session whose Core c is.
func New(c app.Core) *Service { return &Service{c: c} }

// Of is the backup of s when s is (or embeds) an *app.Session.
func Of(s any) (*Service, bool) {
	c, ok := app.CoreOf(s)
	return New(c), ok
}

// BackupTo writes an encrypted backup of this workstation to the new file
// out. passphrase must be the member's own (it is checked): the backup
// opens only with it.
func (b *Service) BackupTo(ctx context.Context, out string, passphrase []byte) error {
	r, err := b.c.Replica()
	if err != nil {
		return err
	}
	if _, err := os.Stat(out); err == nil {
		return fmt.Errorf("%w: %s exists already; choose a new file name", app.ErrInvalidInput, out)
	}
	keys, err := b.c.KeystoreEntries(passphrase)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(out), ".medihaven-backup-")
	if err != nil {
		return fmt.Errorf("the backup cannot be written: %w", err)
	}
	defer os.RemoveAll(tmp)
	// The store's copy is a plain SQLite file: it is made in the
	// profile's own folder, beside the store it copies, never where the
	// backup goes (a USB stick or a share keeps a deleted file's bytes;
	// h-rev24, TestAttackS24cBackupLeavesTheStoreInClearBesideIt). Only
	// the sealed file is written there. A copy a killed backup left is
	// removed at a later login (app's removeOldTempFiles).
	copyDir, err := os.MkdirTemp(b.c.Profile().Dir, app.BackupCopyPrefix)
	if err != nil {
		return fmt.Errorf("the backup cannot be written: %w", err)
	}
	defer os.RemoveAll(copyDir)
	db := filepath.Join(copyDir, databasePart)
	if err := r.DB().Backup(ctx, db); err != nil {
		return fmt.Errorf("the backup cannot be written: %w", err)
	}
	man, err := json.Marshal(manifest{Version: version, Created: b.c.Now().UTC(), Profile: b.c.Profile()})
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
	}{{manifestPart, man}, {keysPart, keysJSON}} {
		if err := addTar(tw, m.name, bytes.NewReader(m.data), int64(len(m.data))); err != nil {
			return err
		}
	}
	f, err := os.Open(db)
	if err != nil {
		return fmt.Errorf("the backup cannot be written: %w", err)
	}
	info, err := f.Stat()
	if err == nil {
		err = addTar(tw, databasePart, f, info.Size())
	}
	f.Close()
	if err == nil {
		err = tw.Close()
	}
	if err != nil {
		return fmt.Errorf("the backup cannot be written: %w", err)
	}
	sealed, err := crypto.EncryptWithPassphrase(archive.Bytes(), passphrase, "medihaven-backup.tar", b.c.Now())
	if err != nil {
		return err
	}
	part := filepath.Join(tmp, "backup")
	if err := os.WriteFile(part, sealed, 0o600); err != nil {
		return fmt.Errorf("the backup cannot be written: %w", err)
	}
	if err := place(part, out, sealed); err != nil {
		return fmt.Errorf("the backup cannot be written: %w", err)
	}
	return nil
}

// place puts the sealed backup (written at part) at out, never over an
// existing file: a hard link, so that out appears whole; where the file
// system has no hard links (FAT and exFAT, a USB stick's: link answers
// EPERM; h-sec26) out is created exclusively and written, and removed
// again should the write fail.
func place(part, out string, sealed []byte) error {
	err := linkFile(part, out)
	if err == nil || errors.Is(err, os.ErrExist) {
		return err
	}
	f, cerr := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if cerr != nil {
		return errors.Join(err, cerr)
	}
	_, werr := f.Write(sealed)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(out)
		return werr
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

// Restoration is a backup to restore on a new computer.
type Restoration struct {
	File       string // the backup file
	Dir        string // the new profile folder; must hold no profile
	Passphrase []byte
	// Keystore is where this computer keeps the keys: app.KeystoreOS or
	// app.KeystoreFile; "" keeps the backed-up profile's choice.
	Keystore string
}

// Restore makes a workstation profile from a backup in r.Dir, logs in
// with the passphrase and verifies every device's chain in the restored
// log; a problem anywhere, or a wrong passphrase, removes what it made.
// The profile is marked restored (replica.MarkRestored): until it writes,
// the events the old computer wrote after the backup are taken as the
// rest of its chain. Use the restored workstation in place of the old one,
// never beside it: both would write in one device's chain.
func Restore(ctx context.Context, env app.Env, r Restoration) (*app.Session, error) {
	if _, err := app.ReadProfile(r.Dir); err == nil {
		return nil, fmt.Errorf("%w: %s (restore into an empty folder)", app.ErrProfileExists, r.Dir)
	}
	parts, err := read(r.File, r.Passphrase)
	if err != nil {
		return nil, err
	}
	p := parts.manifest.Profile
	if r.Keystore != "" {
		p.Keystore = r.Keystore
	}
	in := app.Installation{Dir: r.Dir, Profile: p, Keys: parts.keys, Database: parts.database, Passphrase: r.Passphrase}
	return app.InstallProfile(ctx, env, in, func(s *app.Session) error {
		rep, err := s.Replica()
		if err != nil {
			return err
		}
		problems, err := rep.Verify(ctx)
		if err == nil && len(problems) > 0 {
			err = fmt.Errorf("%w: the restored log has %d problems, the first: %s", ErrDamaged, len(problems), describe(problems[0]))
		}
		if err != nil {
			return err
		}
		// What the old computer wrote after the backup is the rest of
		// this chain: kept until this workstation writes (sync/replica).
		return s.MarkRestored(ctx)
	})
}

func describe(p replica.Problem) string {
	device := p.Device
	if len(device) > 16 {
		device = device[:16]
	}
	return fmt.Sprintf("device %s, event %d: %s", device, p.Seq, p.Reason)
}

// parts are what a backup holds.
type parts struct {
	manifest manifest
	keys     app.KeystoreEntries
	database []byte
}

// read opens a backup file with the passphrase and reads its parts.
func read(file string, passphrase []byte) (parts, error) {
	info, err := os.Stat(file)
	if err != nil {
		return parts{}, fmt.Errorf("the backup cannot be read: %w", err)
	}
	if info.Size() > maxFile {
		return parts{}, fmt.Errorf("%w: it is larger than any backup Medihaven makes", ErrDamaged)
	}
	sealed, err := os.ReadFile(file)
	if err != nil {
		return parts{}, fmt.Errorf("the backup cannot be read: %w", err)
	}
	if !sealedToPassphrase(sealed) {
		return parts{}, fmt.Errorf("%w: it is not an encrypted backup; choose the file that "+
			"'Back up this workstation' or medihaven backup wrote on the old computer", ErrDamaged)
	}
	plain, err := crypto.DecryptWithPassphrase(sealed, passphrase)
	if err != nil { // the message cannot tell a wrong passphrase from damage
		return parts{}, fmt.Errorf("%w: this passphrase does not open the backup; type the one you logged in with "+
			"on the old computer (check Caps Lock), or try another copy of the backup if this one may be damaged", app.ErrWrongPassphrase)
	}
	return parse(plain)
}

// sealedToPassphrase reports whether data starts as a backup does: an
// OpenPGP message whose first packet is a passphrase's key (tag 3), in
// the new packet format (0xC3, what BackupTo writes) or the old one with a
// definite length (0x8C-0x8E, what GnuPG writes). Anything else is not a
// backup at all, whatever the passphrase.
func sealedToPassphrase(data []byte) bool {
	return len(data) > 0 && (data[0] == 0xC3 || data[0] >= 0x8C && data[0] <= 0x8E)
}

// parse reads the parts of a decrypted backup: the tar of the manifest,
// the keys and the database, nothing else.
func parse(plain []byte) (parts, error) {
	files := map[string][]byte{}
	tr := tar.NewReader(bytes.NewReader(plain))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return parts{}, fmt.Errorf("%w: %w", ErrDamaged, err)
		}
		limit := int64(maxPart)
		switch h.Name {
		case databasePart:
			limit = maxFile
		case manifestPart, keysPart:
		default:
			return parts{}, fmt.Errorf("%w: it holds an unknown part %q", ErrDamaged, h.Name)
		}
		b, err := io.ReadAll(io.LimitReader(tr, limit+1))
		if err != nil || int64(len(b)) > limit {
			return parts{}, fmt.Errorf("%w: part %s is damaged", ErrDamaged, h.Name)
		}
		files[h.Name] = b
	}
	ps := parts{database: files[databasePart]}
	if json.Unmarshal(files[manifestPart], &ps.manifest) != nil || ps.manifest.Version != version ||
		json.Unmarshal(files[keysPart], &ps.keys) != nil || len(ps.keys.Identity) == 0 || len(ps.keys.Device) == 0 ||
		len(ps.database) == 0 || ps.manifest.Profile.Device == "" || ps.manifest.Profile.ClinicID == "" {
		return parts{}, fmt.Errorf("%w: parts are missing or damaged", ErrDamaged)
	}
	return ps, nil
}
