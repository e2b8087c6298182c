package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestJoinInTheWindowOnXvfb is issue 16's path in real windows: the
// clinic's servers run as `medihaven server run` runs them on loopback; the
// administrator's window creates the clinic on them, issues a token and
// copies its short code; a second window (another person's computer)
// chooses Join a clinic, pastes the code and waits with a comparison code;
// the administrator approves with that code and the newcomer's window
// moves on to the receptionist's screens by itself. (Registering,
// booking and the physician's calendar on those servers are
// TestClinicAdoptedThroughTheWindow's.) The windows sit side by side on a
// wide virtual screen; clicks are at the places the screens put their
// buttons at the default window size.
func TestJoinInTheWindowOnXvfb(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the clinic's servers and two windows")
	}
	for _, tool := range []string{"Xvfb", "xdotool", "import", "dbus-run-session", "prosody"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (make deps)", tool)
		}
	}
	if os.Getenv("MEDIHAVEN_IPFS_BIN") == "" {
		t.Skip("MEDIHAVEN_IPFS_BIN names no Kubo binary (make test sets it)")
	}
	bin := filepath.Join(t.TempDir(), "medihaven")
	build(t, bin, ".")
	root := t.TempDir()
	serverDir := filepath.Join(root, "server")
	port := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
	}
	if out, err := exec.Command(bin, "server", "init", "--dir", serverDir, "--domain", "clinic.test", "--listen", "127.0.0.1",
		"--xmpp-port", port(), "--api-port", port(), "--desk-port", port(), "--swarm-port", "0").CombinedOutput(); err != nil {
		t.Fatalf("server init: %v\n%s", err, out)
	}
	var serverLog lockedBuffer
	srv := exec.Command(bin, "server", "run", "--dir", serverDir)
	srv.Stdout, srv.Stderr = &serverLog, &serverLog
	srv.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stop(t, srv.Process.Pid, true, srv) })
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(serverLog.String(), "join desk") {
		if time.Now().After(deadline) {
			t.Fatalf("the servers did not start:\n%s", serverLog.String())
		}
		time.Sleep(200 * time.Millisecond)
	}

	display := startXvfbSized(t, 2600, 820)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	x := func(args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, "xdotool", args...)
		cmd.Env = append(os.Environ(), "DISPLAY="+display)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("xdotool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	pause := func(d time.Duration) { time.Sleep(d) }
	click := func(win string, px, py int) {
		x("mousemove", "--window", win, fmt.Sprint(px), fmt.Sprint(py))
		pause(300 * time.Millisecond)
		x("mousedown", "1")
		pause(100 * time.Millisecond)
		x("mouseup", "1")
		pause(500 * time.Millisecond)
	}
	typeIn := func(win, text string) {
		x("windowfocus", "--sync", win)
		x("type", "--delay", "20", text)
	}
	key := func(win string, keys ...string) {
		x("windowfocus", "--sync", win)
		x(append([]string{"key", "--delay", "100"}, keys...)...)
	}
	title := func(win string) string { return x("getwindowname", win) }
	waitTitle := func(win, part string, d time.Duration) {
		t.Helper()
		end := time.Now().Add(d)
		for !strings.Contains(title(win), part) {
			if time.Now().After(end) {
				t.Fatalf("the window's title is %q, not %q, after %s", title(win), part, d)
			}
			pause(300 * time.Millisecond)
		}
	}
	shot := func(win, name string) {
		dir := os.Getenv("MEDIHAVEN_SCREENSHOTS")
		if dir == "" {
			return
		}
		os.MkdirAll(dir, 0o755)
		cmd := exec.Command("import", "-window", win, filepath.Join(dir, name+".png"))
		cmd.Env = append(os.Environ(), "DISPLAY="+display)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Logf("import: %v %s", err, out)
		}
	}
	const pass = "correct horse battery staple"
	open := func(name string, left int) string {
		t.Helper()
		var stderr lockedBuffer
		dir := filepath.Join(root, name)
		startApp(t, display, dir, &stderr, bin, windowCase{args: []string{"--profile", filepath.Join(dir, "profile")},
			env: []string{"MEDIHAVEN_KEYSTORE=file", "MEDIHAVEN_THEME=light"}})
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("%s's window wrote:\n%s", name, stderr.String())
			}
		})
		win := strings.Fields(x("search", "--sync", "--onlyvisible", "--name", "^Medihaven$"))[0]
		x("windowmove", "--sync", win, fmt.Sprint(left), "0")
		pause(2 * time.Second) // the first paint
		return win
	}

	// The administrator creates the clinic on the servers.
	admin := open("admin", 0)
	key(admin, "Tab", "space") // Create a clinic
	pause(time.Second)
	typeIn(admin, "Riverside Family Practice")
	click(admin, 690, 361)
	typeIn(admin, "Alex Morgan")
	click(admin, 690, 403)
	typeIn(admin, pass)
	click(admin, 690, 488)
	typeIn(admin, pass)
	x("mousemove", "--window", admin, "640", "600")
	for range 10 {
		x("click", "5") // scroll to the servers
	}
	click(admin, 386, 729) // Use the servers already running on this computer
	x("mousemove", "--window", admin, "640", "600")
	for range 5 {
		x("click", "5")
	}
	click(admin, 640, 729) // the server folder
	typeIn(admin, serverDir)
	shot(admin, "e2e-create")
	click(admin, 828, 772) // Create the clinic
	waitTitle(admin, "Riverside Family Practice", 60*time.Second)

	// A token for a receptionist; its short code to the clipboard.
	click(admin, 779, 200) // Issue token
	pause(3 * time.Second)
	shot(admin, "e2e-token")
	click(admin, 1194, 286) // Copy code

	// The newcomer pastes it on their own computer and waits.
	desk := open("reception", 1300)
	key(desk, "Tab", "Tab", "space") // Join a clinic
	pause(time.Second)
	click(desk, 868, 321) // Paste
	click(desk, 690, 405)
	typeIn(desk, "Rosa Delgado")
	click(desk, 680, 447)
	typeIn(desk, pass)
	click(desk, 680, 532)
	typeIn(desk, pass)
	key(desk, "Return")
	waitTitle(desk, "waiting for approval, code", 60*time.Second)
	shot(desk, "e2e-waiting")
	code := title(desk)[strings.LastIndex(title(desk), "code ")+len("code "):]

	// The administrator approves with the code the newcomer reads.
	click(admin, 86, 125) // Staff directory
	pause(5 * time.Second)
	shot(admin, "e2e-directory")
	click(admin, 1085, 232) // Approve…
	pause(time.Second)
	click(admin, 690, 440) // Their code
	typeIn(admin, code)
	click(admin, 694, 482) // Approve
	waitTitle(desk, "Riverside Family Practice", 90*time.Second)
	pause(2 * time.Second)
	shot(desk, "e2e-approved")
	shot(admin, "e2e-admin-after")
}
