package server

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/medihaven/medihaven/internal/atomicfile"
)

// rotateEvery is how often a running server looks for a request for a new
// workstations' Kubo API secret (FileKuboRotate).
const rotateEvery = time.Second

// rotateIfAsked makes a new workstations' Kubo API secret when the
// server's Prosody module asked for one (it ended a revoked member's
// account: FileKuboRotate): the secret file and Kubo's configuration are
// written, and the request is removed. It returns the accounts the request
// named, nil when there was none. The request is moved aside before the
// secret is made, so an account ended meanwhile asks again (its holder may
// have read the new secret before her account went). Kubo reads its
// configuration only when it starts: the caller starts or restarts it.
func rotateIfAsked(dir string, c Config) (accounts []string, err error) {
	req := filepath.Join(dir, FileKuboRotate)
	taken := req + ".taking"
	if err := os.Rename(req, taken); errors.Is(err, os.ErrNotExist) {
		// A request taken by a run that stopped before it was done.
		if _, err := os.Stat(taken); err != nil {
			return nil, nil
		}
	} else if err != nil {
		return nil, fmt.Errorf("server: take the request for a new Kubo API secret %s: %w", req, err)
	}
	b, err := os.ReadFile(taken)
	if err != nil {
		return nil, fmt.Errorf("server: read the request for a new Kubo API secret %s: %w", taken, err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if account, _, _ := strings.Cut(strings.TrimSpace(line), " "); account != "" {
			accounts = append(accounts, account)
		}
	}
	if len(accounts) == 0 {
		accounts = []string{"(unnamed)"}
	}
	if c.APIAuth {
		if err := atomicfile.Write(filepath.Join(dir, FileAPISecret), []byte(newSecret()+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("server: write a new Kubo API secret (check that the server folder is writable by this user and the disk is not full): %w", err)
		}
		if err := upgradeKubo(dir, c); err != nil {
			return nil, err
		}
	}
	if err := os.Remove(taken); err != nil {
		return nil, fmt.Errorf("server: remove the request for a new Kubo API secret: %w", err)
	}
	return accounts, nil
}

// watchRotation makes a new workstations' Kubo API secret whenever the
// Prosody module asks, gives it to the join desk and to the readiness
// check, and restarts Kubo so that only the new one opens its API; the
// workstations still active ask the server for it (urn:medihaven:kubo#secret)
// when Kubo refuses the old one.
func (s *Supervisor) watchRotation() {
	defer s.wg.Done()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-time.After(rotateEvery):
		}
		accounts, err := rotateIfAsked(s.dir, s.cfg)
		if err != nil {
			s.logf("%v; trying again in %v", err, rotateEvery)
			continue
		}
		if accounts == nil {
			continue
		}
		if !s.cfg.APIAuth {
			s.logf("ended %s: the record store (Kubo) asks no secret here (loopback demo), so none was changed", strings.Join(accounts, ", "))
			continue
		}
		secret, err := APISecret(s.dir)
		if err != nil {
			s.logf("%v", err)
			continue
		}
		s.secret.Store(&secret)
		if s.desk != nil {
			s.desk.secret.Store(&secret)
		}
		s.logf("ended %s: made a new Kubo API secret for the workstations; restarting Kubo so that only it opens the record store (the others ask the chat server for it)",
			strings.Join(accounts, ", "))
		s.kubo.stop(s.opts.StopGrace) // keep starts it again, with the new configuration
	}
}
