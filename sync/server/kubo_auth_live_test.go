package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/sync/ipfs"
	"github.com/medihaven/medihaven/sync/server"
)

// TestKuboWorkstationSecretReachesOnlyWhatWorkstationsUse: the Kubo API
// secret every member's workstation holds (and a revoked member keeps)
// does what a workstation does (sync/ipfs: block/put, add, block/get,
// cat, version) and nothing else: it cannot unpin and garbage-collect
// another workstation's pack, stop the node, or read or replace its
// configuration. The server's own secret reaches the whole API.
// (sec-s9 finding 2, TestSecMemberErasesThePacks.)
func TestKuboWorkstationSecretReachesOnlyWhatWorkstationsUse(t *testing.T) {
	res, _ := startServer(t, nil)
	ctx := testContext(t)
	api := res.Config.APIAddr()
	secret, _ := server.APISecret(res.Dir)
	own, _ := server.ServerAPISecret(res.Dir)
	if secret == "" || own == "" || secret == own {
		t.Fatalf("secrets %q and %q", secret, own)
	}

	// Everything a workstation does works with its secret.
	honest := gateIPFS(t, api, secret)
	if err := honest.Ping(ctx); err != nil {
		t.Fatalf("Ping (version): %v", err)
	}
	small, large := []byte("an honest workstation's pack"), bytes.Repeat([]byte("sealed "), 300<<10/7)
	var cids []string
	for name, data := range map[string][]byte{"block/put": small, "add": large} {
		cid, err := honest.Put(ctx, data)
		if err != nil {
			t.Fatalf("Put by %s: %v", name, err)
		}
		cids = append(cids, cid)
		if got, err := honest.Get(ctx, cid, int64(len(data))); err != nil || !bytes.Equal(got, data) {
			t.Errorf("Get of a block stored by %s: %d bytes, %v", name, len(got), err)
		}
		if got, err := honest.GetLocal(ctx, cid, int64(len(data))); err != nil || !bytes.Equal(got, data) {
			t.Errorf("GetLocal of a block stored by %s: %d bytes, %v", name, len(got), err)
		}
	}
	if _, err := honest.PutDir(ctx, []ipfs.File{{Name: "README.txt", Data: []byte("a patient's copy")}}); err != nil {
		t.Errorf("PutDir (add): %v", err)
	}

	// A hostile member, with the same secret and plain HTTP: refused.
	pack := cids[0]
	for _, call := range []struct {
		cmd  string
		args []string
	}{
		{"pin/rm", []string{pack}},
		{"block/rm", []string{pack}},
		{"repo/gc", nil},
		{"config/show", nil},
		{"config/replace", nil},
		{"config", []string{"Addresses.API"}},
		{"key/list", nil},
		{"pin/ls", nil},
		{"refs/local", nil},
		{"id", nil},
		{"swarm/peers", nil},
		{"files/ls", nil},
		{"version/deps", nil},
		{"shutdown", nil}, // last: on a node that obeys it, the calls after it fail
	} {
		if status, body := kuboCall(t, api, secret, call.cmd, call.args...); status != http.StatusForbidden {
			t.Errorf("%s with the workstations' secret: %d %.200s, want 403", call.cmd, status, body)
		}
	}
	// Paths that only look like an allowed command.
	for _, cmd := range []string{"cat/../pin/rm", "cat%2F..%2Fpin%2Frm", "block/put/../../pin/rm"} {
		if status, body := kuboCall(t, api, secret, cmd, pack); status == http.StatusOK {
			t.Errorf("%s with the workstations' secret: %d %.200s", cmd, status, body)
		}
	}
	for _, cid := range cids {
		if _, err := honest.GetLocal(ctx, cid, 1<<20); err != nil {
			t.Errorf("the node lost %s: %v", cid, err)
		}
	}

	// The server's own secret reaches the whole API.
	for _, cmd := range []string{"id", "config/show", "pin/ls"} {
		if status, body := kuboCall(t, api, own, cmd); status != http.StatusOK {
			t.Errorf("%s with the server's own secret: %d %.200s", cmd, status, body)
		}
	}
}

// TestKuboOldConfigMendedAtStart: a server folder an older Medihaven
// wrote (one secret, "/api/v0": the whole API; no server secret) is
// mended by its next start: the workstations' secret then reaches only
// what workstations use, the server has its own secret, the probe knows
// its node, an operator's own entry stays (on Kubo's own address), and a second start changes
// nothing.
func TestKuboOldConfigMendedAtStart(t *testing.T) {
	res := initServer(t, nil)
	ctx := testContext(t)
	api := res.Config.APIAddr()
	secret, _ := server.APISecret(res.Dir)
	cfgFile := filepath.Join(res.Dir, server.DirKubo, "config")
	var cfg map[string]any
	if err := json.Unmarshal([]byte(readFile(t, cfgFile)), &cfg); err != nil {
		t.Fatal(err)
	}
	cfg["API"].(map[string]any)["Authorizations"] = map[string]any{
		"medihaven": map[string]any{"AuthSecret": "bearer:" + secret, "AllowedPaths": []string{"/api/v0"}},
		"operator":  map[string]any{"AuthSecret": "bearer:operators-own", "AllowedPaths": []string{"/api/v0/id"}},
	}
	old, _ := json.MarshalIndent(cfg, "", "  ")
	if err := os.WriteFile(cfgFile, old, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(res.Dir, server.FileAPIServerSecret)); err != nil {
		t.Fatal(err)
	}

	start := func() *server.Supervisor {
		s, err := server.Start(ctx, res.Dir, server.RunOptions{IPFSBin: ipfsBin(t), StopGrace: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Stop)
		return s
	}
	s := start()
	own, err := server.ServerAPISecret(res.Dir)
	if err != nil || !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(own) {
		t.Fatalf("the server's own secret after the start: %q, %v", own, err)
	}
	if info, err := os.Stat(filepath.Join(res.Dir, server.FileAPIServerSecret)); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("the server's own secret file: %v, %v", info, err)
	}
	for _, tc := range []struct {
		name, secret, cmd string
		want              int
	}{
		{"pin/rm with the workstations' secret", secret, "pin/rm", http.StatusForbidden},
		{"config/show with the workstations' secret", secret, "config/show", http.StatusForbidden},
		{"id with the server's own secret", own, "id", http.StatusOK},
		// On Kubo's own API (the repository's api file) since session
		// 21: the clinic's address is the gate's (gate.go).
		{"the operator's own entry", "operators-own", "id", http.StatusOK},
		{"the operator's own entry elsewhere", "operators-own", "config/show", http.StatusForbidden},
	} {
		args := []string{}
		if tc.cmd == "pin/rm" {
			args = append(args, "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy")
		}
		at := api
		if tc.secret == "operators-own" {
			at = strings.TrimSpace(readFile(t, filepath.Join(res.Dir, server.DirKubo, "api")))
		}
		if status, body := kuboCall(t, at, tc.secret, tc.cmd, args...); status != tc.want {
			t.Errorf("%s: %d %.200s, want %d", tc.name, status, body, tc.want)
		}
	}
	c := gateIPFS(t, api, secret)
	if cid, err := c.Put(ctx, []byte("sealed")); err != nil {
		t.Errorf("Put with the workstations' secret after the mend: %v", err)
	} else if _, err := c.Get(ctx, cid, 10); err != nil {
		t.Errorf("Get with the workstations' secret after the mend: %v", err)
	}
	if p, err := server.ProbeServers(ctx, res.Dir); err != nil || p.Storage != server.Ours {
		t.Errorf("the probe after the mend: %+v, %v", p, err)
	}

	mended := readFile(t, cfgFile)
	s.Stop()
	start().Stop()
	if again := readFile(t, cfgFile); again != mended {
		t.Errorf("a second start wrote the mended configuration again")
	}
	if again, _ := server.ServerAPISecret(res.Dir); again != own {
		t.Errorf("a second start made a new server secret")
	}
}
