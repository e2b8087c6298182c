package app

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestProfileJSONEditsAreNotBelieved (sec-s15b G2): someone who can write
// the profile folder but has neither the keyring nor the passphrase edits
// profile.json, e.g. adds her own fingerprint to "anchors" (an anchor is
// an administrator to the replica) or points the workstation at her own
// servers. The login believes the copy sealed with the device key, and
// writes profile.json again from it; a change made through the settings
// (SetServers) is kept.
func TestProfileJSONEditsAreNotBelieved(t *testing.T) {
	ctx := context.Background()
	env, _ := testEnv(t)
	dir := filepath.Join(t.TempDir(), "admin")
	s, err := CreateClinic(ctx, env, NewClinic{Dir: dir, Clinic: "Test Clinic", Admin: "Ada Admin", Passphrase: []byte(testPass)})
	if err != nil {
		t.Fatal(err)
	}
	servers := Servers{IPFS: "/ip4/127.0.0.1/tcp/5001", XMPP: "127.0.0.1:5222", Domain: "clinic.test", XMPPCertPin: "ab"}
	if err := s.SetServers(servers); err != nil {
		t.Fatal(err)
	}
	want := struct {
		trust
		device string
	}{s.Profile().trust(), s.Profile().Device}
	s.Close()
	if len(want.Anchors) == 0 && want.ClinicID == "" {
		t.Fatal("the profile names no clinic")
	}

	file := filepath.Join(dir, profileFile)
	edit := func(change func(p map[string]any)) {
		t.Helper()
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var p map[string]any
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatal(err)
		}
		change(p)
		if b, err = json.Marshal(p); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	stranger := "0123456789abcdef0123456789abcdef01234567"
	for name, change := range map[string]func(p map[string]any){
		"a stranger's anchor":  func(p map[string]any) { p["anchors"] = append(slices.Clone(want.Anchors), stranger) },
		"another clinic":       func(p map[string]any) { p["clinic_id"] = stranger[:32] },
		"her own chat server":  func(p map[string]any) { p["servers"].(map[string]any)["xmpp"] = "127.0.0.1:6222" },
		"her own certificate":  func(p map[string]any) { p["servers"].(map[string]any)["xmpp_cert_pin"] = "cd" },
		"open registration on": func(p map[string]any) { p["servers"].(map[string]any)["open_registration"] = true },
	} {
		t.Run(name, func(t *testing.T) {
			edit(change)
			s, err := Login(ctx, env, dir, "Ada Admin", []byte(testPass))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if got := s.Profile().trust(); !got.equal(want.trust) {
				t.Errorf("the session believes the edited file: %+v, want %+v", got, want)
			}
			onDisk, err := ReadProfile(dir)
			if err != nil {
				t.Fatal(err)
			}
			if !onDisk.trust().equal(want.trust) {
				t.Errorf("profile.json was not written again from the sealed copy: %+v", onDisk.trust())
			}
		})
	}

	// The device id is bound by the device key's wrapping: an edited one
	// fails the login, saying what to do.
	edit(func(p map[string]any) { p["device"] = "ffffffffffffffffffffffffffffffff" })
	if _, err := Login(ctx, env, dir, "Ada Admin", []byte(testPass)); err == nil {
		t.Fatal("a login with another device id in profile.json succeeded")
	}
	edit(func(p map[string]any) { p["device"] = want.device })

	// A change through the settings holds across logins.
	s, err = Login(ctx, env, dir, "Ada Admin", []byte(testPass))
	if err != nil {
		t.Fatal(err)
	}
	servers.XMPP = "127.0.0.1:7222"
	if err := s.SetServers(servers); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Login(ctx, env, dir, "Ada Admin", []byte(testPass))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := s.Profile().Servers.XMPP; got != servers.XMPP {
		t.Errorf("after a change in the settings and a login the chat server is %q, want %q", got, servers.XMPP)
	}
}
