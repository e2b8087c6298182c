package crypto

import (
	"strings"
	"testing"
)

func TestBoundDeviceID(t *testing.T) {
	ada, bob := strings.Repeat("a1", 20), strings.Repeat("b2", 32) // a v4 and a v6 fingerprint
	adas := NewDeviceID(ada)
	if again := NewDeviceID(ada); again == adas {
		t.Fatalf("two devices of one member got the same id %s", adas)
	}
	flip := func(s string, i int) string {
		c := byte('0')
		if s[i] == '0' {
			c = '1'
		}
		return s[:i] + string(c) + s[i+1:]
	}
	for _, tt := range []struct {
		name               string
		device, fp         string
		id, bound, boundTo bool
	}{
		{"made for her", adas, ada, true, true, true},
		{"a v6 key's", NewDeviceID(bob), bob, true, true, true},
		{"another member signs", adas, bob, true, true, false},
		{"her key, another salt", flip(adas, 0), ada, true, true, false},
		{"her key, hash changed", flip(adas, 12), ada, true, true, false},
		{"a random (legacy) id", NewEventID(), ada, true, false, false},
		{"mark changed", flip(adas, 31), ada, true, false, false},
		{"upper case", strings.ToUpper(adas), ada, false, false, false},
		{"too short", adas[:31], ada, false, false, false},
		{"too long", adas + "0", ada, false, false, false},
		{"not a fingerprint", adas, "ada", true, true, false},
		{"fingerprint upper case", adas, strings.ToUpper(ada), true, true, false},
		{"empty", "", ada, false, false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsDeviceID(tt.device); got != tt.id {
				t.Errorf("IsDeviceID(%q) = %v, want %v", tt.device, got, tt.id)
			}
			if got := IsBoundDeviceID(tt.device); got != tt.bound {
				t.Errorf("IsBoundDeviceID(%q) = %v, want %v", tt.device, got, tt.bound)
			}
			if got := DeviceBoundTo(tt.device, tt.fp); got != tt.boundTo {
				t.Errorf("DeviceBoundTo(%q, %q) = %v, want %v", tt.device, tt.fp, got, tt.boundTo)
			}
		})
	}
}

// FuzzBoundDeviceID: device ids and authors come from outside bytes
// (envelope headers); the check never panics, never binds a malformed id,
// and binds an id to one fingerprint only.
func FuzzBoundDeviceID(f *testing.F) {
	ada := strings.Repeat("a1", 20)
	f.Add(NewDeviceID(ada), ada)
	f.Add(NewEventID(), ada)
	f.Add(boundDeviceMark, "")
	f.Fuzz(func(t *testing.T, device, fp string) {
		bound := DeviceBoundTo(device, fp)
		if bound && (!IsBoundDeviceID(device) || !isFingerprint(fp)) {
			t.Fatalf("DeviceBoundTo(%q, %q) with a malformed id or fingerprint", device, fp)
		}
		if bound && DeviceBoundTo(device, fp[:len(fp)-1]+"0") && !strings.HasSuffix(fp, "0") {
			t.Fatalf("%q is bound to two fingerprints", device)
		}
	})
}
