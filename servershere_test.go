package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/app/cli"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/server"
	"github.com/medihaven/medihaven/sync/synctest"
	"github.com/medihaven/medihaven/ui"
	uiadmin "github.com/medihaven/medihaven/ui/admin"
	"github.com/medihaven/medihaven/ui/kit"
)

// asCLI makes the test binary run as medihaven itself (TestMain), so
// that a test runs `medihaven server run` as a process of its own without
// building the binary.
const asCLI = "MEDIHAVEN_TEST_AS_CLI"

func TestMain(m *testing.M) {
	if os.Getenv(asCLI) == "1" {
		main()
		os.Exit(0)
	}
	code := m.Run()
	removeBuilds()
	os.Exit(code)
}

// TestRunTheServersHereFromTheWindow: on a computer with a fresh HOME the
// administrator creates the clinic with "Run the clinic's servers on this
// computer" (what the window's form calls); Prosody and Kubo run on
// loopback under the supervisor, the clinic syncs through them (its
// workstation connects, issues a token with an account invite and leaves
// it at the join desk), the Clinic screen says they run and where, its
// Stop button stops both daemons by PID, its Run button starts them
// again, and closing the window (the backend's stop) leaves no process
// behind: ps lists none of them.
func TestRunTheServersHereFromTheWindow(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the clinic's servers")
	}
	ctx := context.Background()
	home, dir, _ := serverFolderInFreshHome(t)
	servers := new(localServers)
	t.Cleanup(servers.stop)
	b := backend{g: cli.Global{Profile: filepath.Join(home, "admin"), Keystore: app.KeystoreFile}, servers: servers}
	s, err := b.CreateClinic(ctx, ui.NewClinic{Clinic: "Riverside Family Practice", Zone: "Europe/London", Admin: "Alex Morgan",
		Passphrase: []byte("correct horse battery staple"), Servers: ui.RunServersHere, Domain: "clinic.test"})
	if err != nil {
		t.Fatalf("Create a clinic, running its servers here: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	admin, ok := s.(syncedSession)
	if !ok {
		t.Fatalf("the workstation does not sync (%T)", s)
	}
	pids := func() []int {
		if ls := servers.running(dir); ls != nil {
			p, k := ls.PIDs()
			return []int{p, k}
		}
		return nil
	}
	first := pids()
	if len(first) != 2 || first[0] == 0 || first[1] == 0 || !listed(t, first[0]) || !listed(t, first[1]) {
		t.Fatalf("Prosody and Kubo do not run: PIDs %v", first)
	}
	syncsThrough := func(what string) {
		t.Helper()
		var last string
		defer func() { t.Logf("%s: %s", what, last) }()
		apptest.WaitFor(t, what, 60*time.Second, func() bool {
			tok, err := admin.IssueToken(ctx, roles.Receptionist, time.Hour)
			if err != nil || tok.Invite == "" {
				last = fmt.Sprintf("token: %v", err)
				return false
			}
			_, err = admin.Deposit(ctx, tok)
			st := admin.syncer.Status()
			last = fmt.Sprintf("deposit: %v; sync %+v", err, st)
			return err == nil && st.Connected
		})
	}
	syncsThrough("the clinic syncing through the servers on this computer")

	test.NewTempApp(t)
	w := test.NewTempWindow(t, nil)
	// Everything the test draws, taps and reads runs under kit.Locked: the
	// screen's background loads come back on other goroutines with Fyne's
	// test driver, and two text measurements at once crash Fyne's shaper.
	kit.Locked(func() {
		w.SetContent(uiadmin.NewClinic(admin, w))
		w.Resize(fyne.NewSize(1000, 800))
	})
	st := admin.LocalServers()
	says := func(what string, parts ...string) {
		t.Helper()
		apptest.WaitFor(t, what, 30*time.Second, func() bool {
			var text string
			kit.Locked(func() { text = shownText(w.Content()) })
			for _, p := range parts {
				if !strings.Contains(text, p) {
					return false
				}
			}
			return true
		})
	}
	says("the Clinic screen saying where the servers run", "Running on this computer", st.Chat, st.Storage, st.Desk, dir)

	tap := func(text string) { kit.Locked(func() { test.Tap(findButton(t, w, text)) }) }
	tap("Stop the servers")
	says("the Clinic screen saying the servers stopped", "Not running")
	for _, pid := range first {
		if listed(t, pid) {
			t.Errorf("process %d still runs after Stop", pid)
		}
	}
	tap("Run the clinic's servers on this computer")
	says("the Clinic screen saying the servers run again", "Running on this computer")
	again := pids()
	if len(again) != 2 || !listed(t, again[0]) || !listed(t, again[1]) {
		t.Fatalf("Prosody and Kubo do not run again: PIDs %v", again)
	}
	syncsThrough("the clinic syncing through the servers again")

	servers.stop() // the window closes
	for _, pid := range again {
		if listed(t, pid) {
			t.Errorf("process %d still runs after the window closed", pid)
		}
	}
	if out, _ := exec.Command("ps", "-eo", "pid,args").Output(); strings.Contains(string(out), dir) {
		t.Errorf("a process of the server folder remains:\n%s", out)
	}
}

// serverFolderInFreshHome points HOME (and XDG_DATA_HOME) at a new folder
// and writes the clinic's server configuration into its default server
// folder, on free ports rather than the defaults, which another program
// of this machine may hold (as `medihaven server init --xmpp-port …`
// would; a configuration there is used as it is). It returns the home,
// the server folder and the Kubo binary, also in $MEDIHAVEN_IPFS_BIN.
func serverFolderInFreshHome(t *testing.T) (home, dir, ipfs string) {
	t.Helper()
	ipfs, err := synctest.IPFSBinary()
	if err != nil {
		t.Skip(err)
	}
	home = t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_DATA_HOME", filepath.Join(home, ".local", "share"))
	t.Setenv("MEDIHAVEN_IPFS_BIN", ipfs)
	if dir, err = server.DefaultDir(); err != nil || !strings.HasPrefix(dir, home) {
		t.Fatalf("the default server folder %q (%v) is not in the fresh HOME", dir, err)
	}
	ports := synctest.FreePorts(t, 3)
	if _, err := server.Init(context.Background(), server.Options{Domain: "clinic.test", Dir: dir, XMPPPort: ports[0],
		APIPort: ports[1], DeskPort: ports[2], SwarmPort: -1, IPFSBin: ipfs}); err != nil {
		t.Fatal(err)
	}
	return home, dir, ipfs
}

// listed reports whether ps lists process pid (a zombie counts: nobody
// waited for it).
func listed(t *testing.T, pid int) bool {
	t.Helper()
	out, err := exec.Command("ps", "-o", "pid=", "-p", strconv.Itoa(pid)).Output()
	if err != nil && strings.TrimSpace(string(out)) == "" {
		return syscall.Kill(pid, 0) == nil
	}
	return strings.TrimSpace(string(out)) != ""
}

// shownText is the text of every visible label on o.
func shownText(o fyne.CanvasObject) string {
	var b strings.Builder
	for _, x := range test.LaidOutObjects(o) {
		if l, ok := x.(*widget.Label); ok && l.Visible() {
			b.WriteString(l.Text + "\n")
		}
	}
	return b.String()
}

// findButton finds a visible button by its text.
func findButton(t *testing.T, w fyne.Window, text string) *widget.Button {
	t.Helper()
	for _, o := range test.LaidOutObjects(w.Content()) {
		if b, ok := o.(*widget.Button); ok && b.Text == text && b.Visible() {
			return b
		}
	}
	t.Fatalf("no button %q on:\n%s", text, shownText(w.Content()))
	return nil
}
