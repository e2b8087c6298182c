package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestBenchWindow runs `medihaven bench window` as make bench-scale does,
// on a small demo clinic: each role's real window under Xvfb, logged in
// with xdotool. Every profile gets a row of numbers (the login form and
// the home screen were drawn: the marks came), and each home screenshot
// is a full screen that is not blank.
func TestBenchWindow(t *testing.T) {
	if testing.Short() {
		t.Skip("opens three real windows")
	}
	for _, tool := range []string{"Xvfb", "xdotool", "import", "dbus-daemon"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed: run make deps", tool)
		}
	}
	bin := filepath.Join(t.TempDir(), "medihaven")
	build(t, bin, ".")
	clinic := filepath.Join(t.TempDir(), "clinic")
	shots := t.TempDir()
	env := append(os.Environ(), "MEDIHAVEN_KEYSTORE=file", "MEDIHAVEN_PASSPHRASE=bench-window-pass")
	demo := exec.Command(bin, "--profile", clinic, "demo", "--patients", "40")
	demo.Env = env
	if out, err := demo.CombinedOutput(); err != nil {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	// One window per home screen there is (the second physician's is the
	// first's). The memory is read again at once after home (--later 0s),
	// not 2 s later: what this checks is that it is read and split.
	cmd := exec.Command(bin, "--profile", clinic, "bench", "window", "--runs", "1", "--shots", shots, "--theme", "dark",
		"--only", "admin,reception,physician", "--later", "0s")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bench window: %v\n%s", err, out)
	}
	t.Logf("%s", out)
	row := regexp.MustCompile(`(?m)^\s*(admin|reception|physician|physician2)\s+1\s+\d+ ms\s+\d+ ms\s+\d+ ms\s+\d+ ms\s+\d+ ms\s+\d+ ms\s+\d+ MB`)
	found := map[string]bool{}
	for _, m := range row.FindAllStringSubmatch(string(out), -1) {
		found[m[1]] = true
	}
	// And what each window's memory is made of: seven sizes, the parts
	// adding up to about the whole.
	parts := regexp.MustCompile(`(?m)^\s*(admin|reception|physician)\s+(\d+) MB\s+(\d+) MB\s+(\d+) MB\s+(\d+) MB\s+(\d+) MB\s+(\d+) MB\s+(\d+) MB\s*$`)
	split := map[string]bool{}
	for _, m := range parts.FindAllStringSubmatch(string(out), -1) {
		n := make([]int, 7)
		for i := range n {
			n[i], _ = strconv.Atoi(m[i+2])
		}
		if sum := n[1] + n[2] + n[3] + n[4] + n[5]; sum < n[0]-3 || sum > n[0]+3 || n[1] == 0 || n[5] == 0 {
			t.Errorf("%s's memory by mapping does not add up: %v", m[1], n)
		}
		split[m[1]] = true
	}
	for _, p := range []string{"admin", "reception", "physician"} {
		if !found[p] {
			t.Errorf("no row of numbers for %s", p)
		}
		if !split[p] {
			t.Errorf("no row of memory by mapping for %s", p)
		}
		data, err := os.ReadFile(filepath.Join(shots, "home-"+p+"-dark.png"))
		if err != nil {
			t.Errorf("no screenshot of %s's home: %v", p, err)
			continue
		}
		img := decode(t, data)
		if b := img.Bounds(); b.Dx() != screenWidth || b.Dy() != screenHeight {
			t.Errorf("%s's screenshot is %dx%d", p, b.Dx(), b.Dy())
		}
		if err := notBlank(img); err != nil {
			t.Errorf("%s's home: %v", p, err)
		}
	}
	if strings.Contains(string(out), "panic:") {
		t.Errorf("a window panicked:\n%s", out)
	}

	// A loaded machine holds xdotool up between pressing a key of the
	// passphrase and releasing it, longer than X waits before it repeats a
	// key held down (660 ms): the window must still get the passphrase as
	// typed (session 8: a letter typed twice, a wrong passphrase, and no
	// home for two minutes).
	held := cmdHoldingFirstKey(t, time.Second)
	cmd = exec.Command(bin, "--profile", clinic, "bench", "window", "--runs", "1", "--only", "admin", "--later", "0s", "--timeout", "1m")
	cmd.Env = append(env, "PATH="+held+string(os.PathListSeparator)+os.Getenv("PATH"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("bench window with the first key held 1 s: %v\n%s", err, out)
	}
}

// cmdHoldingFirstKey returns a folder whose xdotool is the real one, except
// that `xdotool type` holds the first key down for hold before it types
// the rest, as on a machine so loaded that xdotool waits that long for
// the processor.
func cmdHoldingFirstKey(t *testing.T, hold time.Duration) string {
	t.Helper()
	real, err := exec.LookPath("xdotool")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	script := fmt.Sprintf(`#!/bin/sh
if [ "$1" = type ]; then
	s=$(cat)
	rest=${s#?}
	first=${s%%"$rest"}
	%[1]q keydown "$first" && sleep %[2]g && %[1]q keyup "$first" || exit 1
	printf '%%s' "$rest" | exec %[1]q "$@"
fi
exec %[1]q "$@"
`, real, hold.Seconds())
	if err := os.WriteFile(filepath.Join(dir, "xdotool"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
