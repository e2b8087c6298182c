package synctest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// IPFSBinary finds the Kubo binary: $MEDIHAVEN_IPFS_BIN if set, else
// .tools/ipfs in the repository root (the folder holding go.mod, found by
// walking up from the working directory), where `make deps` puts it.
func IPFSBinary() (string, error) {
	path := os.Getenv("MEDIHAVEN_IPFS_BIN")
	if path == "" {
		root, err := repoRoot()
		if err != nil {
			return "", err
		}
		path = filepath.Join(root, ".tools", "ipfs")
	}
	info, err := os.Stat(path)
	if err != nil || info.IsDir() || info.Mode()&0o111 == 0 {
		return "", fmt.Errorf("%w: no Kubo (ipfs) executable at %s", ErrNotInstalled, path)
	}
	return path, nil
}

// Kubo is a real Kubo (IPFS) node on loopback with a fresh repository of its
// own, started by StartKubo.
type Kubo struct {
	// API is the node's RPC API address as a multiaddr, such as
	// /ip4/127.0.0.1/tcp/40123. It is kept across Stop and Start.
	API string
	// Dir is the node's repository ($IPFS_PATH). It outlives Stop and is
	// removed when the test ends.
	Dir string

	bin  string
	log  string
	proc *daemon
}

// StartKubo initialises a fresh repository in a temporary folder (test
// profile: API, gateway and swarm on 127.0.0.1 with port 0, no bootstrap
// peers, no mDNS; routing off; telemetry off), starts `ipfs daemon` and
// waits until its API answers. The node is stopped and its folder removed
// when the test ends.
func StartKubo(t testing.TB) *Kubo {
	t.Helper()
	bin, err := IPFSBinary()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	k := &Kubo{Dir: filepath.Join(dir, "repo"), bin: bin, log: filepath.Join(dir, "kubo.log")}
	for _, args := range [][]string{
		{"init", "--profile=test", "--empty-repo"},
		// Nodes find each other only through explicit Connect calls.
		{"config", "Routing.Type", "none"},
	} {
		if err := run(k.log, k.env(), bin, args...); err != nil {
			t.Fatalf("%v\n%s", err, logTail(k.log))
		}
	}
	t.Cleanup(k.stop)
	k.Start(t)
	return k
}

func (k *Kubo) env() []string {
	return environ("IPFS_PATH="+k.Dir, "IPFS_TELEMETRY=off")
}

// Start starts the daemon again on the same repository and API address,
// for restart tests.
func (k *Kubo) Start(t testing.TB) {
	t.Helper()
	if k.proc != nil {
		t.Fatal("synctest: Kubo is already running")
	}
	// A daemon that was killed leaves its API file behind.
	apiFile := filepath.Join(k.Dir, "api")
	if err := os.Remove(apiFile); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("synctest: remove stale %s: %v", apiFile, err)
	}
	// A restarted node keeps its API address, as a clinic's node would, so
	// workstations configured with it find it again.
	if k.API != "" {
		if err := run(k.log, k.env(), k.bin, "config", "Addresses.API", k.API); err != nil {
			t.Fatalf("%v\n%s", err, logTail(k.log))
		}
	}
	proc, err := startDaemon(k.log, k.env(), k.bin, "daemon")
	if err != nil {
		t.Fatal(err)
	}
	api, err := k.waitReady(proc)
	if err != nil {
		proc.stop()
		t.Fatalf("synctest: Kubo did not start: %v\n%s", err, logTail(k.log))
	}
	k.proc, k.API = proc, api
}

// Stop stops the daemon and keeps its repository.
func (k *Kubo) Stop(t testing.TB) {
	t.Helper()
	if k.proc == nil {
		t.Fatal("synctest: Kubo is not running")
	}
	k.stop()
}

func (k *Kubo) stop() {
	if k.proc != nil {
		k.proc.stop()
		k.proc = nil
	}
}

// waitReady waits until the daemon has written its API address and the API
// answers.
func (k *Kubo) waitReady(proc *daemon) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	for {
		if err := proc.running(); err != nil {
			return "", err
		}
		if b, err := os.ReadFile(filepath.Join(k.Dir, "api")); err == nil {
			api := strings.TrimSpace(string(b))
			if _, err := kuboCall(ctx, api, "version"); err == nil {
				return api, nil
			}
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("synctest: Kubo API not ready after %v", startTimeout)
		case <-time.After(pollEvery):
		}
	}
}

// Connect connects this node to peer over loopback, so that blocks put on
// one can be fetched from the other (routing is off: nodes only know the
// peers they are connected to).
func (k *Kubo) Connect(t testing.TB, peer *Kubo) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	body, err := kuboCall(ctx, peer.API, "id")
	if err != nil {
		t.Fatal(err)
	}
	var id struct {
		ID        string
		Addresses []string
	}
	if err := json.Unmarshal(body, &id); err != nil {
		t.Fatalf("synctest: Kubo id: %v", err)
	}
	for _, addr := range id.Addresses {
		if strings.HasPrefix(addr, "/ip4/127.0.0.1/tcp/") {
			if _, err := kuboCall(ctx, k.API, "swarm/connect", addr); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("synctest: peer %s has no loopback TCP address in %v", id.ID, id.Addresses)
}

// kuboCall posts one RPC command to the API at the multiaddr api.
func kuboCall(ctx context.Context, api, cmd string, args ...string) ([]byte, error) {
	host, err := hostPort(api)
	if err != nil {
		return nil, err
	}
	q := url.Values{"arg": args}
	u := "http://" + host + "/api/v0/" + cmd + "?" + q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
	if err != nil {
		return nil, fmt.Errorf("synctest: Kubo %s: %w", cmd, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("synctest: Kubo %s: %w", cmd, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("synctest: Kubo %s: %w", cmd, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("synctest: Kubo %s: %s: %s", cmd, resp.Status, body)
	}
	return body, nil
}

// hostPort turns the multiaddr /ip4/H/tcp/P (or /ip6/H/tcp/P) that Kubo
// writes into its API file into host:port.
func hostPort(maddr string) (string, error) {
	parts := strings.Split(maddr, "/")
	if len(parts) != 5 || parts[0] != "" || (parts[1] != "ip4" && parts[1] != "ip6") || parts[3] != "tcp" {
		return "", fmt.Errorf("synctest: unexpected Kubo API address %q", maddr)
	}
	return net.JoinHostPort(parts[2], parts[4]), nil
}
