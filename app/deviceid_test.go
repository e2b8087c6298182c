package app

import (
	"testing"

	"github.com/medihaven/medihaven/crypto"
)

// TestNewWorkstationsHaveBoundDeviceIDs: every workstation the app makes,
// the founder's and those joining with a token, gets a device id bound to
// its member's key (crypto.NewDeviceID), so a colleague's events in its
// chain are refused everywhere (sync/replica deviceRefuses); and each is
// the replica's device.
func TestNewWorkstationsHaveBoundDeviceIDs(t *testing.T) {
	c := newClinic(t)
	for _, s := range c.all() {
		d := s.Profile().Device
		if !crypto.DeviceBoundTo(d, s.Fingerprint()) {
			t.Errorf("%s's device id %s is not bound to her key %s", s.name, d, s.Fingerprint())
		}
		if got := rep(t, s).Device(); got != d {
			t.Errorf("%s's replica writes as device %s, her profile names %s", s.name, got, d)
		}
	}
}
