package app

import (
	"slices"
	"testing"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// TestEndedDevices: the accounts an administrator's workstation ends are
// those of revoked members' devices (named in their entries, or stopped by
// their revocation), never of a member given another role, of a device an
// active member names, or of this workstation's own.
func TestEndedDevices(t *testing.T) {
	members := []replica.Member{
		{Fingerprint: "ada", Role: roles.Administrator, Status: replica.StatusActive, Devices: []string{"dev-ada"}},
		{Fingerprint: "mo", Role: roles.Physician, Status: replica.StatusActive, Devices: []string{"dev-mo"}}, // moved from reception
		{Fingerprint: "lena", Role: roles.Receptionist, Status: replica.StatusRevoked, Devices: []string{"dev-lena", "dev-lena-2"},
			RevokedHeads: map[string]uint64{"dev-lena": 7}},
		{Fingerprint: "old", Role: roles.Physician, Status: replica.StatusRevoked, RevokedHeads: map[string]uint64{"dev-old": 3}},
		{Fingerprint: "odd", Role: roles.Receptionist, Status: replica.StatusRevoked, Devices: []string{"dev-mo", "dev-own"}},
	}
	got := endedDevices(members, "dev-own")
	want := []string{"dev-lena", "dev-lena-2", "dev-old"}
	if !slices.Equal(got, want) {
		t.Errorf("endedDevices = %v, want %v", got, want)
	}
	if got := endedDevices(members[:2], "dev-ada"); len(got) != 0 {
		t.Errorf("nobody revoked: %v", got)
	}
}
