package main

import (
	"context"
	"fmt"
	"image"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/internal/marks"
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
	srv.SysProcAttr = childAttr()
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
	// Each step waits for the window to show what the next one is for
	// (what it draws, its title, the marks it writes), not fixed pauses.
	// grab is a picture of the window, or of the part r of it.
	grab := func(win string, r image.Rectangle) image.Image {
		t.Helper()
		args := []string{"-window", win}
		if !r.Empty() {
			args = append(args, "-crop", fmt.Sprintf("%dx%d+%d+%d", r.Dx(), r.Dy(), r.Min.X, r.Min.Y))
		}
		cmd := exec.CommandContext(ctx, "import", append(args, "png:-")...)
		cmd.Env = append(os.Environ(), "DISPLAY="+display)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("import: %v", err)
		}
		return decode(t, out)
	}
	whole := image.Rectangle{}
	around := func(px, py int) image.Rectangle { return image.Rect(px-24, py-10, px+24, py+10) }
	// drawn waits until the window draws something new in r (or anywhere)
	// from ref, the picture of it before, and returns the new picture;
	// after d it carries on as before this waited (it was a fixed pause),
	// saying so when say.
	drawn := func(win string, ref image.Image, r image.Rectangle, d time.Duration, say bool) image.Image {
		t.Helper()
		end := time.Now().Add(d)
		for {
			img := grab(win, r)
			if difference(ref, img) > 0.02 {
				return img
			}
			if time.Now().After(end) {
				if say {
					t.Logf("the window drew nothing new at %v in %s; going on", r, d)
				}
				return img
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// click clicks at (px, py) in the window. The keys and clicks after it
	// reach the window after it and are handled in turn: a field clicked
	// has the focus for the keys typed next, a dialog a button opens is
	// there for the next click.
	click := func(win string, px, py int) {
		x("mousemove", "--window", win, fmt.Sprint(px), fmt.Sprint(py), "click", "1")
	}
	// clickDrawn is click for what changes the screen's layout (a choice
	// that shows more fields): it waits for the pointer's hover, then for
	// the click, to be drawn there, so the scrolling after it scrolls the
	// new layout.
	clickDrawn := func(win string, px, py int) {
		t.Helper()
		at := around(px, py)
		ref := grab(win, at)
		x("mousemove", "--window", win, fmt.Sprint(px), fmt.Sprint(py))
		ref = drawn(win, ref, at, time.Second, false)
		x("click", "1")
		drawn(win, ref, at, 5*time.Second, true)
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
			time.Sleep(100 * time.Millisecond)
		}
	}
	// colour is the commonest colour of a picture: a button's fill.
	colour := func(img image.Image) [3]uint32 {
		count := map[[3]uint32]int{}
		var most [3]uint32
		r := img.Bounds()
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				cr, cg, cb, _ := img.At(x, y).RGBA()
				c := [3]uint32{cr, cg, cb}
				if count[c]++; count[c] > count[most] {
					most = c
				}
			}
		}
		return most
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
	open := func(name string, left int) (win, trace string) {
		t.Helper()
		var stderr lockedBuffer
		dir := filepath.Join(root, name)
		trace = filepath.Join(dir, "trace")
		startApp(t, display, dir, &stderr, bin, windowCase{args: []string{"--profile", filepath.Join(dir, "profile")},
			env: []string{"MEDIHAVEN_KEYSTORE=file", "MEDIHAVEN_THEME=light", marks.Env + "=" + trace}})
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("%s's window wrote:\n%s", name, stderr.String())
			}
		})
		win = strings.Fields(x("search", "--sync", "--onlyvisible", "--name", "^Medihaven$"))[0]
		x("windowmove", "--sync", win, fmt.Sprint(left), "0")
		if _, err := marks.Wait(ctx, trace, "first-frame"); err != nil {
			t.Fatalf("%s's window did not draw its first frame: %v", name, err)
		}
		return win, trace
	}

	// The administrator creates the clinic on the servers.
	admin, adminTrace := open("admin", 0)
	ref := grab(admin, whole)
	key(admin, "Tab", "space") // Create a clinic
	drawn(admin, ref, whole, 10*time.Second, true)
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
	clickDrawn(admin, 386, 729) // Use the servers already running on this computer
	x("mousemove", "--window", admin, "640", "600")
	for range 5 {
		x("click", "5")
	}
	click(admin, 640, 729) // the server folder
	typeIn(admin, serverDir)
	shot(admin, "e2e-create")
	click(admin, 828, 772) // Create the clinic
	waitTitle(admin, "Riverside Family Practice", 60*time.Second)
	if _, err := marks.Wait(ctx, adminTrace, "home"); err != nil {
		t.Fatalf("the administrator's home screen was not drawn: %v", err)
	}

	// A token for a receptionist; its short code to the clipboard.
	primary := colour(grab(admin, around(779, 200))) // Issue token's fill, as the Approve… button's
	ref = grab(admin, around(1194, 286))
	click(admin, 779, 200) // Issue token
	drawn(admin, ref, around(1194, 286), 60*time.Second, true)
	shot(admin, "e2e-token")
	click(admin, 1194, 286) // Copy code

	// The newcomer pastes it on their own computer and waits.
	desk, deskTrace := open("reception", 1300)
	ref = grab(desk, whole)
	key(desk, "Tab", "Tab", "space") // Join a clinic
	drawn(desk, ref, whole, 10*time.Second, true)
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
	// The request to join is listed: its Approve… button is drawn.
	for end := time.Now().Add(60 * time.Second); colour(grab(admin, around(1085, 232))) != primary; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("no Approve… button in the Staff directory after 60 s")
		}
	}
	shot(admin, "e2e-directory")
	click(admin, 1085, 232) // Approve…
	click(admin, 690, 440)  // Their code
	typeIn(admin, code)
	click(admin, 694, 482) // Approve
	waitTitle(desk, "Riverside Family Practice", 90*time.Second)
	if _, err := marks.Wait(ctx, deskTrace, "home"); err != nil {
		t.Fatalf("the receptionist's home screen was not drawn: %v", err)
	}
	shot(desk, "e2e-approved")
	shot(admin, "e2e-admin-after")
}
