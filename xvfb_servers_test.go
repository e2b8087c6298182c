package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/cli"
	"github.com/medihaven/medihaven/ui"
)

// TestServersHereOnXvfb: the administrator's computer keeps the clinic's
// servers (the clinic was made with "Run the clinic's servers on this
// computer", then Medihaven closed). Opening Medihaven in a real window and
// logging in starts them again; the Clinic screen says they run and where.
// When the window's program ends, no process of the server folder is
// left. With MEDIHAVEN_SCREENSHOTS=DIR the screenshot is copied to DIR.
func TestServersHereOnXvfb(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the clinic's servers and a window")
	}
	for _, tool := range []string{"Xvfb", "xdotool", "import", "dbus-run-session", "prosody"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (make deps)", tool)
		}
	}
	home, dir, ipfs := serverFolderInFreshHome(t)
	data := filepath.Join(home, ".local", "share")
	bin := filepath.Join(t.TempDir(), "medihaven")
	build(t, bin, ".")
	ctx := context.Background()
	const pass = "correct horse battery staple"
	profile := filepath.Join(home, "admin")
	servers := new(localServers)
	b := backend{g: cli.Global{Profile: profile, Keystore: app.KeystoreFile}, servers: servers}
	s, err := b.CreateClinic(ctx, ui.NewClinic{Clinic: "Riverside Family Practice", Zone: "Europe/London", Admin: "Alex Morgan",
		Passphrase: []byte(pass), Servers: ui.RunServersHere, Domain: "clinic.test"})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	servers.stop()

	// Runs after the window's program has been stopped (cleanups run last
	// first).
	t.Cleanup(func() {
		time.Sleep(500 * time.Millisecond)
		if out, _ := exec.Command("ps", "-eo", "pid,args").Output(); strings.Contains(string(out), dir) {
			t.Errorf("a process of the server folder outlived the window:\n%s", out)
		}
	})
	shot := runWindow(t, bin, windowCase{name: "clinic-servers-here", args: []string{"--profile", profile},
		env: []string{"HOME=" + home, "XDG_DATA_HOME=" + data, "MEDIHAVEN_KEYSTORE=file", "MEDIHAVEN_THEME=light",
			"MEDIHAVEN_IPFS_BIN=" + ipfs},
		keys: [][]string{{"type", "--delay", "30", pass}, {"key", "Return"}, {"mark", "home"},
			{"mousemove", "86", "252"}, {"click", "1"}, {"sleep", "2"}},
		title: "Riverside Family Practice"})
	if d := os.Getenv("MEDIHAVEN_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "clinic-servers-here.png"), shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestServersCardOnXvfb shows the Clinic screen's card about the clinic's
// servers in the real window and theme, light and dark, when they run
// outside the window (`medihaven server run`) and when this window's start
// of them failed (a Kubo binary that is not there), and copies the
// screenshots to MEDIHAVEN_SCREENSHOTS (skipped without: the words are
// checked by TestServersCardTellsWhatRunsOutside and
// TestLoginDoesNotWaitForTheServers).
func TestServersCardOnXvfb(t *testing.T) {
	shots := os.Getenv("MEDIHAVEN_SCREENSHOTS")
	if testing.Short() || shots == "" {
		t.Skip("set MEDIHAVEN_SCREENSHOTS to a folder to look at the card in the real window")
	}
	for _, tool := range []string{"Xvfb", "xdotool", "import", "dbus-run-session", "prosody"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (make deps)", tool)
		}
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	dir, profile := clinicKeepingItsServers(t)
	home := filepath.Dir(profile)
	ipfs := os.Getenv("MEDIHAVEN_IPFS_BIN")
	bin := filepath.Join(t.TempDir(), "medihaven")
	build(t, bin, ".")
	window := func(name, theme, kubo string) {
		shot := runWindow(t, bin, windowCase{name: name, args: []string{"--profile", profile},
			env: []string{"HOME=" + home, "XDG_DATA_HOME=" + filepath.Join(home, ".local", "share"), "MEDIHAVEN_KEYSTORE=file",
				"MEDIHAVEN_THEME=" + theme, "MEDIHAVEN_IPFS_BIN=" + kubo},
			keys: [][]string{{"type", "--delay", "30", adminPass}, {"key", "Return"}, {"mark", "home"},
				{"mousemove", "86", "252"}, {"click", "1"}, {"sleep", "3"}},
			title: "Riverside Family Practice"})
		if err := os.WriteFile(filepath.Join(shots, name+".png"), shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, theme := range []string{"light", "dark"} {
		window("clinic-servers-failed-"+theme, theme, filepath.Join(t.TempDir(), "no-such-ipfs"))
	}
	stop := serverRun(t, dir)
	for _, theme := range []string{"light", "dark"} {
		window("clinic-servers-outside-"+theme, theme, ipfs)
	}
	stop()
}
