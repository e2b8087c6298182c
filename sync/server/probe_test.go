package server_test

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/medihaven/medihaven/sync/server"
)

// TestProbeServers: what answers on a server folder's addresses, told
// apart. Nothing listening: Silent. Another program on the ports (a line
// of text on the chat port, an HTTP server on the API port): Foreign. The
// servers run by `medihaven server run` (the test binary's helper with
// those arguments): Ours, run by the command. Another clinic's servers on
// the same ports: Foreign (its Prosody does not serve this domain, its
// Kubo refuses this folder's secret and is another node).
func TestProbeServers(t *testing.T) {
	ctx := testContext(t)
	res := initServer(t, nil)
	c := res.Config
	probe := func(dir string) server.Probe {
		t.Helper()
		p, err := server.ProbeServers(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	if p := probe(res.Dir); p.Chat != server.Silent || p.Storage != server.Silent || p.RunBy != server.RunByUnknown {
		t.Errorf("nothing running: %+v", p)
	}

	chat, err := net.Listen("tcp", c.XMPPAddr())
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			conn, err := chat.Accept()
			if err != nil {
				return
			}
			io.WriteString(conn, "SSH-2.0-OpenSSH_9.6\r\n")
			conn.Close()
		}
	}()
	api, err := net.Listen("tcp", net.JoinHostPort(c.Listen, strconv.Itoa(c.APIPort)))
	if err != nil {
		t.Fatal(err)
	}
	web := &http.Server{Handler: http.NotFoundHandler(), ReadHeaderTimeout: time.Second}
	go web.Serve(api)
	// This test's own process holds them; /proc names it (comm: 15 bytes).
	me := filepath.Base(os.Args[0])
	me = me[:min(len(me), 15)]
	if p := probe(res.Dir); p.Chat != server.Foreign || p.Storage != server.Foreign || p.ChatHolder != me || p.StorageHolder != me {
		t.Errorf("other programs on the ports: %+v, want them held by %s", p, me)
	}
	chat.Close()
	web.Close()

	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "server", "run", "--dir", res.Dir) // TestMain runs the supervisor
	cmd.Env = append(os.Environ(), helperEnv+"="+res.Dir, "MEDIHAVEN_IPFS_BIN="+ipfsBin(t))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
		}
	})
	var p server.Probe
	waitFor(t, "the servers answering", func() bool {
		p = probe(res.Dir)
		return p.Chat == server.Ours && p.Storage == server.Ours
	})
	if p.RunBy != server.RunByCommand {
		t.Errorf("run by %v, want `medihaven server run` (%v)", p.RunBy, server.RunByCommand)
	}
	// A second start says they run already, and where, rather than that
	// a port is taken.
	if _, err := server.Start(ctx, res.Dir, server.RunOptions{IPFSBin: ipfsBin(t)}); !errors.Is(err, server.ErrPortBusy) ||
		!strings.Contains(err.Error(), "already run on this computer, in `medihaven server run` (Ctrl+C where it runs stops them)") {
		t.Errorf("a second start: %v", err)
	}

	other := initServer(t, func(o *server.Options) {
		o.Domain, o.XMPPPort, o.APIPort, o.DeskPort = "other.test", c.XMPPPort, c.APIPort, c.DeskPort
	})
	if p := probe(other.Dir); p.Chat != server.Foreign || p.Storage != server.Foreign || p.RunBy != server.RunByUnknown {
		t.Errorf("another clinic's servers on the ports: %+v", p)
	}
}
