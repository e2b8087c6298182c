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
	if !ok {
		return nil, false
	}
	return New(c), true
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
	db := filepath.Join(tmp, databasePart)
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
	if err := os.Link(part, out); err != nil { // never replaces an existing file
		return fmt.Errorf("the backup cannot be written: %w", err)
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
