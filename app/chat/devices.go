package chat

import (
	"context"
	"time"

	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
)

// ---- devices ↔ members ----

// staffDevices maps each device id to the member who authors its
// envelopes, and each member to their devices, as this workstation knows
// the clinic log.
type staffDevices struct {
	member  map[string]string   // device → fingerprint
	devices map[string][]string // fingerprint → devices
}

// knownDevices returns the cached map of devices and members, refreshed
// when need (a device id or a fingerprint) is missing or the cache is old.
func (s *Service) knownDevices(ctx context.Context, r *replica.Replica, need string) (staffDevices, error) {
	l := s.link()
	l.mu.Lock()
	d, at := l.devices, l.devicesAt
	l.mu.Unlock()
	if d.member != nil && time.Since(at) < devicesTTL && (need == "" || d.member[need] != "" || len(d.devices[need]) > 0) {
		return d, nil
	}
	d, err := s.staffDevices(ctx, r)
	if err != nil {
		return d, err
	}
	l.mu.Lock()
	l.devices, l.devicesAt = d, time.Now()
	l.mu.Unlock()
	return d, nil
}

// senderDevices is knownDevices for a message from device. A device of
// which this workstation holds no chain (a stranger's account, however
// many messages it sends) costs one query, not a reading of every chain's
// head: the cache is refreshed only for a device that has one.
func (s *Service) senderDevices(ctx context.Context, r *replica.Replica, device string) (staffDevices, error) {
	l := s.link()
	l.mu.Lock()
	d, at := l.devices, l.devicesAt
	l.mu.Unlock()
	if device != "" && d.member != nil && time.Since(at) < devicesTTL && d.member[device] == "" {
		var held []store.Envelope
		err := r.DB().View(ctx, func(tx *store.Tx) error {
			var err error
			held, err = tx.EnvelopesAfter(ctx, device, 0, 1)
			return err
		})
		if err != nil || len(held) == 0 {
			return d, err
		}
	}
	return s.knownDevices(ctx, r, device)
}

func (s *Service) staffDevices(ctx context.Context, r *replica.Replica) (staffDevices, error) {
	d := staffDevices{member: map[string]string{}, devices: map[string][]string{}}
	add := func(device, fp string) {
		d.member[device] = fp
		if !containsString(d.devices[fp], device) {
			d.devices[fp] = append(d.devices[fp], device)
		}
	}
	heads, err := s.c.Heads(ctx, r)
	for _, h := range heads {
		if !h.Verified { // a verified chain: its author is who signed it
			continue
		}
		// A chain moved onto a bound id speaks under the account of the
		// device it moved from (replica.AccountOf).
		account, aerr := r.AccountOf(ctx, h.Device)
		if aerr != nil {
			return d, aerr
		}
		add(account, h.Author)
	}
	add(r.Account(), r.Fingerprint())
	return d, err
}

func containsString(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
