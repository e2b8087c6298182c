package roles

import (
	"strings"
	"testing"
)

func TestCheckID(t *testing.T) {
	fp40, fp64 := strings.Repeat("ab", 20), strings.Repeat("cd", 32)
	data := strings.Repeat("3f", 16) // a data record's id: 16 random bytes
	for _, c := range []struct {
		kind, id string
		ok       bool
	}{
		// Directory and admin kinds: their own shape only.
		{"member", fp40, true}, {"member", fp64, true}, {"member", data, false}, {"member", fp40[:39] + "g", false},
		{"member", strings.ToUpper(fp40), false}, {"member", LicencePrefix + fp40, false},
		{"clinic", ClinicID, true}, {"clinic", data, false}, {"clinic", SecurityID, false},
		{"security", SecurityID, true}, {"security", ClinicID, false},
		{"recovery", RecoveryID, true}, {"recovery", data, false},
		{"audit-key", AuditKeyID, true}, {"audit-key", data, false},
		{"licence", LicencePrefix + fp40, true}, {"licence", LicencePrefix + fp64, true},
		{"licence", fp40, false}, {"licence", data, false}, {"licence", LicencePrefix + data, false}, {"licence", "x1", false},
		{"token", data[:16], true}, {"token", data, false}, {"token", fp40, false}, {"token", "t1", false},
		{"recovery-release", ReleasePrefix + fp40[:16] + ":" + fp64[:16], true},
		{"recovery-release", ReleasePrefix + data + ":" + fp40[:16], true}, // until session 13
		{"recovery-release", ReleasePrefix, false}, {"recovery-release", data, false},
		{"key-held", HeldPrefix + fp40, true}, {"key-held", data, false},
		{"confirms", ConfirmsPrefix + fp64, true}, {"confirms", HeldPrefix + fp64, false},
		// Data kinds: any id but a directory or admin kind's.
		{"patient", data, true}, {"desk-settings", DeskSettingsID, true}, {"availability", AvailabilityPrefix + fp64, true},
		// Since session 18 (h-sec18b F2) availability and desk-settings ids
		// have shapes of their own too.
		{"patient", AvailabilityPrefix + fp40, false}, {"problem", DeskSettingsID, false}, {"availability", data, false},
		{"patient", fp40, false}, {"patient", fp64, false}, {"appointment", data[:16], false},
		{"note", LicencePrefix + fp40, false}, {"note", ClinicID, false}, {"patient", SecurityID, false},
		{"encounter", RecoveryID, false}, {"problem", AuditKeyID, false}, {"appointment", ReleasePrefix + "x", false},
		{"note", HeldPrefix + fp40, false}, {"patient", ConfirmsPrefix + fp40, false},
		// Raw kinds name no record.
		{"audit", ClinicID, true}, {"recovery-escrow", fp40, true},
	} {
		k, ok := KindOf(c.kind)
		if !ok {
			t.Fatalf("no kind %s", c.kind)
		}
		if err := k.CheckID(c.id); (err == nil) != c.ok {
			t.Errorf("%s %q: CheckID = %v, want ok %v", c.kind, c.id, err, c.ok)
		}
	}
}

// TestIDShapes: every directory and admin kind writes ids of a shape (and
// of the data kinds availability and desk-settings only), and no id has
// two kinds' shapes.
func TestIDShapes(t *testing.T) {
	samples := map[string]string{}
	shapedData := map[string]bool{"availability": true, "desk-settings": true}
	for _, k := range Kinds() {
		if k.Raw || k.Scope != Directory && k.Scope != Admin && !shapedData[k.Name] {
			if k.Shaped() {
				t.Errorf("kind %s (%s) writes ids of a reserved shape", k.Name, k.Scope)
			}
			continue
		}
		if !k.Shaped() {
			t.Errorf("kind %s has no shape of id", k.Name)
			continue
		}
		id := k.IDs.Fixed
		if id == "" {
			id = k.IDs.Prefix + strings.Repeat("e", 16)
			if k.IDs.Hex != nil {
				id = k.IDs.Prefix + strings.Repeat("e", k.IDs.Hex[0])
			}
		}
		samples[k.Name] = id
	}
	for name, id := range samples {
		if o, ok := ReservedBy(id); !ok || o.Name != name {
			t.Errorf("%s's id %s is reserved by %q (%v)", name, id, o.Name, ok)
		}
		for _, k := range Kinds() {
			if k.Name != name && k.Shaped() && k.IDs.Fits(id) {
				t.Errorf("%s's id %s has %s's shape too", name, id, k.Name)
			}
		}
	}
}
