package main

import (
	"context"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/internal/marks"
)

// TestRestoreOnXvfb restores a workstation in the real window: a clinic
// made with `medihaven init` is backed up with `medihaven backup` into the
// new computer's home folder; there Medihaven opens on no profile, and
// with the keyboard and the mouse a person chooses "Restore from a
// backup", picks the file in the open dialog, types the passphrase, ticks
// the box and restores; the window then shows the administrator's home
// (its title names the clinic). Screenshot restore-home.
func TestRestoreOnXvfb(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and opens a real window")
	}
	for _, tool := range []string{"Xvfb", "xdotool", "import", "dbus-run-session"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed: run make deps", tool)
		}
	}
	const pass = "correct horse battery staple"
	bin := filepath.Join(t.TempDir(), "medihaven")
	build(t, bin, ".")
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(t.TempDir(), "old")
	for _, args := range [][]string{
		{"--profile", old, "init", "--clinic", "Riverside Family Practice", "--admin", "Alex Morgan"},
		{"--profile", old, "backup", "--out", filepath.Join(home, "riverside.backup")},
	} {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "MEDIHAVEN_PASSPHRASE="+pass, "MEDIHAVEN_KEYSTORE=file")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("medihaven %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	display := startXvfb(t)
	var stderr lockedBuffer
	profile := filepath.Join(home, "profiles", "workstation")
	trace := filepath.Join(dir, "trace")
	startApp(t, display, dir, &stderr, bin, windowCase{args: []string{"--profile", profile},
		env: []string{"MEDIHAVEN_THEME=light", "MEDIHAVEN_KEYSTORE=file", marks.Env + "=" + trace}})
	defer func() {
		if t.Failed() {
			t.Logf("medihaven wrote:\n%s", stderr.String())
		}
	}()
	x := func(args ...string) {
		t.Helper()
		cmd := exec.CommandContext(ctx, "xdotool", args...)
		cmd.Env = append(os.Environ(), "DISPLAY="+display)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("xdotool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	x("search", "--sync", "--onlyvisible", "--name", "Medihaven")
	if _, err := marks.Wait(ctx, trace, "first-frame"); err != nil {
		t.Fatalf("the window did not draw its first frame: %v", err)
	}
	// Each step waits for the screen to show what the next one is for:
	// ref is the screen before, changed waits until the part of it at
	// (x, y), or the whole screen, is drawn anew.
	ref := decode(t, screenshot(ctx, t, display, dir, func(img image.Image) error { return notBlank(img) }))
	changed := func(what string, at image.Rectangle) {
		t.Helper()
		shot := screenshot(ctx, t, display, dir, func(img image.Image) error {
			if d := differenceIn(ref, img, at); d < 0.02 {
				return fmt.Errorf("%s is not drawn (%.1f%% of its pixels changed)", what, 100*d)
			}
			return nil
		})
		ref = decode(t, shot)
	}
	screen := image.Rect(0, 0, screenWidth, screenHeight)
	// "Restore from a backup" (the third button), then "Choose the backup
	// file…", which has the focus: the open dialog shows the home folder.
	for _, k := range []string{"Tab", "Tab", "Tab", "space"} {
		x("key", k)
	}
	changed("the restore form", screen)
	x("key", "space")
	changed("the open dialog", screen)
	// The dialog (860x560, centred) lists "(Parent)" then the backup: click
	// the backup (it is chosen after the double-click delay), then Open,
	// once it is enabled.
	x("mousemove", "527", "260", "click", "1")
	changed("the enabled Open button", image.Rect(1031-30, 658-10, 1031+30, 658+10))
	x("mousemove", "1031", "658", "click", "1")
	changed("the form without the dialog", screen)
	// The passphrase has the focus once a file is chosen; the box is next.
	x("type", "--delay", "30", pass)
	x("key", "Tab")
	x("key", "space")
	x("key", "shift+Tab")
	x("key", "Return")
	cmd := exec.CommandContext(ctx, "xdotool", "search", "--sync", "--onlyvisible", "--name", "Riverside Family Practice")
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	if out, err := cmd.CombinedOutput(); err != nil {
		shot := screenshot(ctx, t, display, dir, func(image.Image) error { return nil })
		saveShot(t, "restore-failed", shot)
		t.Fatalf("the restored workstation's home did not open: %v\n%s", err, out)
	}
	if _, err := marks.Wait(ctx, trace, "home"); err != nil {
		t.Fatalf("the restored workstation's home screen was not drawn: %v", err)
	}
	saveShot(t, "restore-home", screenshot(ctx, t, display, dir, func(img image.Image) error { return notBlank(img) }))
	if p := filepath.Join(profile, "profile.json"); !exists(p) {
		t.Errorf("no restored profile at %s", p)
	}
}

// saveShot copies a screenshot to $MEDIHAVEN_SCREENSHOTS, when set.
func saveShot(t *testing.T, name string, shot []byte) {
	t.Helper()
	d := os.Getenv("MEDIHAVEN_SCREENSHOTS")
	if d == "" {
		return
	}
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d, name+".png"), shot, 0o644); err != nil {
		t.Fatal(fmt.Errorf("screenshot %s: %w", name, err))
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
