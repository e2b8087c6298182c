package netsync

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrOffline means the workstation is not connected to the clinic's chat
// server now; it tries again by itself.
var ErrOffline = errors.New("netsync: not connected to the clinic's server now; it reconnects by itself, try again in a moment")

// secretEvery bounds how often a workstation whose Kubo API secret is
// refused asks the server for the current one.
const secretEvery = 10 * time.Second

// ipfsSecret is the Kubo API secret this workstation uses now; refused
// wakes secretLoop when Kubo refused it.
type ipfsSecret struct {
	mu      sync.Mutex
	current string
	refused chan struct{}
}

// forbidden is told (ipfs.WithOnForbidden) that Kubo refused the secret.
func (y *Syncer) forbidden() {
	select {
	case y.secret.refused <- struct{}{}:
	default:
	}
}

// secretLoop asks the server for the workstations' current Kubo API secret
// whenever Kubo refuses this one, at most once per secretEvery: the
// server makes a new one when a revoked member's account is ended, and
// tells it to every account still there (mod_medihaven_admins).
func (y *Syncer) secretLoop() {
	defer y.wg.Done()
	var last time.Time
	for {
		select {
		case <-y.ctx.Done():
			return
		case <-y.secret.refused:
		}
		if !y.sleep(secretEvery - time.Since(last)) {
			return
		}
		last = time.Now()
		ctx, cancel := context.WithTimeout(y.ctx, 30*time.Second)
		if _, err := y.RefreshIPFSSecret(ctx); err != nil && y.ctx.Err() == nil {
			y.update(func(st *Status) { st.LastError = err.Error() })
		}
		cancel()
	}
}

// RefreshIPFSSecret asks the clinic's server for the workstations' current
// Kubo API secret and uses it from now on; a new one is handed to
// Config.OnIPFSSecret (the workstation keeps it sealed) and what waits is
// pushed again. ErrOffline while the chat server is not connected.
func (y *Syncer) RefreshIPFSSecret(ctx context.Context) (string, error) {
	xs := y.XMPP()
	if xs == nil {
		return "", ErrOffline
	}
	secret, err := xs.KuboSecret(ctx)
	if err != nil {
		return "", err
	}
	y.secret.mu.Lock()
	changed := secret != y.secret.current
	y.secret.current = secret
	y.secret.mu.Unlock()
	if changed {
		y.ipf.SetBearer(secret)
		if y.cfg.OnIPFSSecret != nil {
			y.cfg.OnIPFSSecret(secret)
		}
		y.update(func(st *Status) { st.IPFSUp = false }) // checked again with the new one
		y.Kick()
	}
	return secret, nil
}
