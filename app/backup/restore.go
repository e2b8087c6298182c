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

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/replica"
)

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
// Use the restored workstation in place of the old one, never beside it:
// both would write in one device's chain.
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
		return err
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
	plain, err := crypto.DecryptWithPassphrase(sealed, passphrase)
	if err != nil {
		return parts{}, fmt.Errorf("%w: %w", app.ErrWrongPassphrase, err)
	}
	return parse(plain)
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
