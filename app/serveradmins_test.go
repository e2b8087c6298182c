package app

import (
	"slices"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// TestEndedDevices: the accounts an administrator's workstation ends are
// those of revoked members' devices (named in their entries, or stopped by
// their revocation), never of a member given another role, of a device an
// active member names or whose events are an active member's, or of this
// workstation's own.
func TestEndedDevices(t *testing.T) {
	dev := func(c string) string { return strings.Repeat(c, 32) } // a well-formed device id
	ada, mo, lena, lena2, old, own := dev("a"), dev("b"), dev("c"), dev("d"), dev("e"), dev("f")
	members := []replica.Member{
		{Fingerprint: "ada", Role: roles.Administrator, Status: replica.StatusActive, Devices: []string{ada}},
		{Fingerprint: "mo", Role: roles.Physician, Status: replica.StatusActive, Devices: []string{mo}}, // moved from reception
		{Fingerprint: "lena", Role: roles.Receptionist, Status: replica.StatusRevoked, Devices: []string{lena, lena2},
			RevokedHeads: map[string]uint64{lena: 7}},
		{Fingerprint: "old", Role: roles.Physician, Status: replica.StatusRevoked, RevokedHeads: map[string]uint64{old: 3}},
		{Fingerprint: "odd", Role: roles.Receptionist, Status: replica.StatusRevoked, Devices: []string{mo, own}},
		// An administrator's entry naming what the server would read as
		// Mo's account, or could not read at all: never ended, and the
		// upkeep goes on (session 12 review, L1).
		{Fingerprint: "forged", Role: roles.Receptionist, Status: replica.StatusRevoked,
			Devices: []string{strings.ToUpper(mo), "not a device", "x@y/z"}, RevokedHeads: map[string]uint64{strings.ToUpper(ada): 1}},
	}
	// An entry from before devices were named names none: the chains say
	// whose events a device carries. An administrator's fake revoked entry
	// naming such a colleague's workstation ends nothing (session 13
	// review, O2); a device whose events are the revoked member's own, or
	// nobody's yet, or another revoked member's, ends.
	vera, fake, quiet := dev("1"), dev("2"), dev("3")
	members = append(members,
		replica.Member{Fingerprint: "vera", Role: roles.Physician, Status: replica.StatusActive},
		replica.Member{Fingerprint: "fake", Role: roles.Receptionist, Status: replica.StatusRevoked, Devices: []string{vera, fake, quiet}})
	authors := map[string]string{vera: "vera", fake: "fake", lena: "lena", old: "lena"}
	got := endedDevices(members, own, func(d string) string { return authors[d] })
	want := []string{fake, lena, lena2, old, quiet}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("endedDevices = %v, want %v", got, want)
	}
	if got := endedDevices(members[:2], ada, func(string) string { return "" }); len(got) != 0 {
		t.Errorf("nobody revoked: %v", got)
	}
}
