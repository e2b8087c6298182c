package crypto

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// A staff key's user id names the member and their role, so a GnuPG
// keyring holding the clinic's keys tells them apart.
func TestStaffKeyUserID(t *testing.T) {
	tests := []struct{ name, role, want string }{
		{"Dr Ana Souza", "physician", "Dr Ana Souza (Medihaven physician)"},
		{"Rita <front> (desk)", "receptionist", "Rita front desk (Medihaven receptionist)"},
		{"  ", "administrator", "Medihaven staff (Medihaven administrator)"},
		{"Olga", "", "Olga"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			id, locked, err := NewStaffIdentity(tt.name, tt.role, []byte("pass phrase"))
			if err != nil {
				t.Fatal(err)
			}
			defer id.Clear()
			if len(locked) == 0 {
				t.Fatal("no locked copy")
			}
			pub, err := ParsePublicKey(id.Public().Bytes())
			if err != nil {
				t.Fatal(err)
			}
			var uids []string
			for uid := range pub.ring.GetKeys()[0].GetEntity().Identities {
				uids = append(uids, uid)
			}
			if len(uids) != 1 || uids[0] != tt.want {
				t.Errorf("user ids %q, want %q", uids, tt.want)
			}
		})
	}
	if _, _, err := NewStaffIdentity("Ana", "physician", nil); err != ErrEmptyPassphrase {
		t.Errorf("empty passphrase: %v", err)
	}
}

// GnuPG, when installed, reads the name and role from an exported key.
func TestStaffKeyUserIDInGnuPG(t *testing.T) {
	gpg, err := exec.LookPath("gpg")
	if err != nil {
		t.Skip("gpg is not installed")
	}
	id, _, err := NewStaffIdentity("Dr Ana Souza", "physician", []byte("pass phrase"))
	if err != nil {
		t.Fatal(err)
	}
	defer id.Clear()
	armored, err := id.Public().Armored()
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	cmd := exec.Command(gpg, "--homedir", home, "--batch", "--with-colons", "--show-keys")
	cmd.Stdin = strings.NewReader(armored)
	cmd.Env = append(os.Environ(), "GNUPGHOME="+home)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("gpg --show-keys: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "uid:") || !strings.Contains(string(out), "Dr Ana Souza (Medihaven physician)") {
		t.Errorf("gpg shows no user id with the name and role:\n%s", out)
	}
}
