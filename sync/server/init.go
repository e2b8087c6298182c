package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/medihaven/medihaven/internal/atomicfile"
)

// Result is what Init wrote.
type Result struct {
	Dir    string
	Config Config
	// CertPEM is the XMPP server's certificate, also in Dir/xmpp-cert.pem.
	CertPEM []byte
	// Moved is where an existing configuration replaced with Force went;
	// "" when there was none.
	Moved string
}

// Init writes a server configuration (see the package documentation) into
// o.Dir. It refuses to replace an existing one unless o.Force, and leaves
// nothing behind when it fails: everything is written into a temporary
// folder beside the directory and renamed into place at the end.
func Init(ctx context.Context, o Options) (Result, error) {
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	c, err := o.config(now())
	if err != nil {
		return Result{}, err
	}
	dir := o.Dir
	if dir == "" {
		if dir, err = DefaultDir(); err != nil {
			return Result{}, err
		}
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return Result{}, fmt.Errorf("server: %w", err)
	}
	res := Result{Dir: dir}
	exists, err := occupied(dir)
	if err != nil {
		return res, err
	}
	if exists && !o.Force {
		return res, fmt.Errorf("%w: %s", ErrExists, dir)
	}
	bin := o.IPFSBin
	if bin == "" {
		if bin, err = FindIPFS(); err != nil {
			return res, err
		}
	}

	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return res, fmt.Errorf("server: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".init-")
	if err != nil {
		return res, fmt.Errorf("server: %w", err)
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o700); err != nil {
		return res, fmt.Errorf("server: %w", err)
	}
	if err := os.Mkdir(filepath.Join(tmp, DirLogs), 0o700); err != nil {
		return res, fmt.Errorf("server: %w", err)
	}
	certPEM, err := writeProsody(tmp, dir, &c, now())
	if err != nil {
		return res, err
	}
	secret, own, err := writeKubo(ctx, bin, tmp, c)
	if err != nil {
		return res, err
	}
	files := map[string][]byte{
		FileCert:    certPEM,
		FileCertPin: []byte(c.CertPin + "\n"),
	}
	if secret != "" {
		files[FileAPISecret] = []byte(secret + "\n")
		files[FileAPIServerSecret] = []byte(own + "\n")
	}
	cfg, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return res, fmt.Errorf("server: %w", err)
	}
	files[FileConfig] = append(cfg, '\n')
	for name, b := range files {
		if err := atomicfile.Write(filepath.Join(tmp, name), b, 0o600); err != nil {
			return res, err
		}
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}

	if exists {
		res.Moved = fmt.Sprintf("%s.old-%s", dir, now().UTC().Format("20060102T150405Z"))
		if err := os.Rename(dir, res.Moved); err != nil {
			return res, fmt.Errorf("server: move the old configuration aside: %w", err)
		}
	} else if err := os.Remove(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return res, fmt.Errorf("server: %s is in the way: %w", dir, err) // an empty folder goes
	}
	if err := os.Rename(tmp, dir); err != nil {
		return res, fmt.Errorf("server: %w", err)
	}
	done = true
	res.Config, res.CertPEM = c, certPEM
	return res, nil
}

// occupied reports whether dir exists and is not an empty folder.
func occupied(dir string) (bool, error) {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return false, nil
	case err != nil:
		info, serr := os.Stat(dir)
		if serr == nil && !info.IsDir() {
			return false, fmt.Errorf("%w: %s is a file, not a folder", ErrInvalid, dir)
		}
		return false, fmt.Errorf("server: %w", err)
	}
	return len(entries) > 0, nil
}
