package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/medihaven/medihaven/internal/marks"
)

// screen is the virtual screen the window is shown on.
const screenWidth, screenHeight = 1280, 800

// windowCase is one run of a program in a real window: its arguments,
// what a person then types, and the screenshot taken at the end.
type windowCase struct {
	name string   // screenshot file name, without .png
	prog string   // "uipreview" or "medihaven"
	args []string // program arguments
	env  []string // extra environment
	// keys are xdotool commands run one after the other once the window
	// shows, e.g. {"type", "demo"} or {"key", "Return"}, or waits on the
	// window: {"mark", "shell"} for a mark it writes (internal/marks, e.g.
	// once the shell is drawn), {"changed"} for a screen that differs from
	// the one right before the last key sent. A mark is the better proof:
	// a key that only moves the focus changes the screen too.
	keys [][]string
	// title, if set, is a window title (regular expression) to wait for
	// after the keys: proof that the keys reached the app.
	title string
}

// TestWindowOnXvfb opens Medihaven's real window on a virtual X server
// (Xvfb, software OpenGL), types into it with xdotool and checks each
// screenshot: it decodes, has the screen's size and is not blank. With
// MEDIHAVEN_SCREENSHOTS=DIR the screenshots are also copied to DIR.
//
// It runs internal/uipreview (a demo backend in memory) through every
// screen and role, and the real binary on an empty profile folder, which
// must offer to create or join a clinic, and shows both forms.
func TestWindowOnXvfb(t *testing.T) {
	for _, tool := range []string{"Xvfb", "xdotool", "import", "dbus-run-session"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed: run make deps (it installs xvfb, xdotool, imagemagick and dbus)", tool)
		}
	}
	bin := t.TempDir()
	build(t, filepath.Join(bin, "uipreview"), "./internal/uipreview")

	logIn := [][]string{{"type", "--delay", "30", "demo"}, {"key", "Return"}}
	cases := []windowCase{
		{name: "login", args: []string{"-theme", "light"}},
		{name: "login-dark", args: []string{"-theme", "dark"}},
		{name: "login-no-profile", args: []string{"-theme", "light", "-profiles", "0"}},
		{name: "login-wrong-passphrase", args: []string{"-theme", "light", "-role", "receptionist"},
			keys: [][]string{{"type", "--delay", "30", "guess"}, {"key", "Return"}}},
		{name: "shell-administrator", args: []string{"-theme", "light", "-role", "administrator"},
			keys: logIn, title: "Riverside Family Practice"},
		{name: "shell-receptionist", args: []string{"-theme", "light", "-role", "receptionist"},
			keys: logIn, title: "Riverside Family Practice"},
		{name: "shell-physician", args: []string{"-theme", "light", "-role", "physician"},
			keys: logIn, title: "Riverside Family Practice"},
		{name: "shell-physician-dark", args: []string{"-theme", "dark", "-role", "physician"},
			keys: logIn, title: "Riverside Family Practice"},
		{name: "locked", args: []string{"-theme", "light", "-role", "physician"},
			keys:  append(append([][]string{}, logIn...), []string{"mark", "shell"}, []string{"key", "ctrl+l"}),
			title: "Riverside Family Practice"},
	}
	if testing.Short() {
		cases = cases[:1]
	}
	if _, err := os.Stat("main.go"); err == nil {
		build(t, filepath.Join(bin, "medihaven"), ".")
		// An empty profile folder of its own for each case (they run side
		// by side).
		empty := func() string {
			dir := filepath.Join(t.TempDir(), "profiles", "none")
			if err := os.MkdirAll(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			return dir
		}
		// A computer with no clinic: the first run offers to create or
		// join one (Tab reaches "Create a clinic", then "Join a clinic").
		firstRun := []string{"MEDIHAVEN_THEME=light", "MEDIHAVEN_KEYSTORE=file"}
		cases = append(cases,
			windowCase{name: "medihaven-no-profile", prog: "medihaven", args: []string{"--profile", empty()}, env: firstRun},
			windowCase{name: "first-run-create", prog: "medihaven", args: []string{"--profile", empty()}, env: firstRun,
				keys: [][]string{{"key", "Tab"}, {"key", "space"}}},
			windowCase{name: "first-run-join", prog: "medihaven", args: []string{"--profile", empty()}, env: firstRun,
				keys: [][]string{{"key", "Tab"}, {"key", "Tab"}, {"key", "space"}}},
			windowCase{name: "first-run-join-dark", prog: "medihaven", args: []string{"--profile", empty()},
				env: []string{"MEDIHAVEN_THEME=dark", "MEDIHAVEN_KEYSTORE=file"}, keys: [][]string{{"key", "Tab"}, {"key", "Tab"}, {"key", "space"}}},
			// "Restore from a backup" is the third button.
			windowCase{name: "first-run-restore", prog: "medihaven", args: []string{"--profile", empty()}, env: firstRun,
				keys: [][]string{{"key", "Tab"}, {"key", "Tab"}, {"key", "Tab"}, {"key", "space"}}},
			windowCase{name: "first-run-restore-dialog", prog: "medihaven", args: []string{"--profile", empty()}, env: firstRun,
				keys: [][]string{{"key", "Tab"}, {"key", "Tab"}, {"key", "Tab"}, {"key", "space"}, {"mark", "restore-form"},
					{"key", "space"}, {"mark", "backup-file-dialog"}}},
			windowCase{name: "first-run-restore-refused-dark", prog: "medihaven", args: []string{"--profile", empty()},
				env: []string{"MEDIHAVEN_THEME=dark", "MEDIHAVEN_KEYSTORE=file"}, keys: [][]string{{"key", "Tab"}, {"key", "Tab"}, {"key", "Tab"},
					{"key", "space"}, {"mark", "restore-form"}, {"key", "Tab"}, {"type", "--delay", "30", "guess"}, {"key", "Return"}}},
			windowCase{name: "first-run-restore-dark", prog: "medihaven", args: []string{"--profile", empty()},
				env: []string{"MEDIHAVEN_THEME=dark", "MEDIHAVEN_KEYSTORE=file"}, keys: [][]string{{"key", "Tab"}, {"key", "Tab"}, {"key", "Tab"}, {"key", "space"}}})
	}

	// Each case has its own X server, session bus and folders. They run one
	// after another: side by side they gained little, being CPU-bound
	// (llvmpipe draws in software; session 7).
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.prog == "" {
				c.prog = "uipreview"
			}
			shot := runWindow(t, filepath.Join(bin, c.prog), c)
			if dir := os.Getenv("MEDIHAVEN_SCREENSHOTS"); dir != "" {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, c.name+".png"), shot, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// build puts a binary of a Go package of this module at out. Each package
// is built once per test run (linking the cgo and Fyne binary takes
// seconds of CPU, and six tests start the same medihaven) and linked or
// copied to out.
func build(t *testing.T, out, pkg string) {
	t.Helper()
	builds.Lock()
	b := builds.m[pkg]
	if b == nil {
		b = new(builtBinary)
		builds.m[pkg] = b
	}
	builds.Unlock()
	b.once.Do(func() {
		dir, err := os.MkdirTemp("", "medihaven-build-")
		if err != nil {
			b.err = err
			return
		}
		builds.Lock()
		builds.dirs = append(builds.dirs, dir)
		builds.Unlock()
		b.path = filepath.Join(dir, filepath.Base(out))
		cmd := exec.Command("go", "build", "-o", b.path, pkg)
		if msg, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build %s: %w\n%s", pkg, err, msg)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	if err := os.Link(b.path, out); err != nil {
		data, err := os.ReadFile(b.path)
		if err == nil {
			err = os.WriteFile(out, data, 0o755)
		}
		if err != nil {
			t.Fatalf("copying the built %s: %v", pkg, err)
		}
	}
}

// builtBinary is one package's binary, built by the first test that asks.
type builtBinary struct {
	once sync.Once
	path string
	err  error
}

// builds holds this run's binaries; TestMain removes their folders.
var builds = struct {
	sync.Mutex
	m    map[string]*builtBinary
	dirs []string
}{m: map[string]*builtBinary{}}

// removeBuilds deletes the folders build made.
func removeBuilds() {
	builds.Lock()
	defer builds.Unlock()
	for _, d := range builds.dirs {
		os.RemoveAll(d)
	}
	builds.dirs = nil
}

// runWindow starts a virtual X server and the program on it, runs the
// case's keys and returns the final screenshot, checked. The program
// writes its marks (internal/marks) to a trace, so that the keys go to it
// once it has drawn what they are for, not after fixed pauses.
func runWindow(t *testing.T, prog string, c windowCase) []byte {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	display := startXvfb(t)
	dir := t.TempDir()
	trace := filepath.Join(dir, "trace")
	c.env = append(c.env[:len(c.env):len(c.env)], marks.Env+"="+trace)
	var stderr lockedBuffer
	startApp(t, display, dir, &stderr, prog, c)
	defer func() {
		if t.Failed() {
			t.Logf("%s wrote:\n%s", filepath.Base(prog), stderr.String())
		}
	}()

	x := func(args ...string) error {
		cmd := exec.CommandContext(ctx, "xdotool", args...)
		cmd.Env = append(os.Environ(), "DISPLAY="+display)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("xdotool %s: %w\n%s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	if err := x("search", "--sync", "--onlyvisible", "--name", "Medihaven"); err != nil {
		t.Fatalf("the window did not show on display %s: %v", display, err)
	}
	// The first paint follows the mapping: the window marks it; then the
	// screen must not be blank.
	if _, err := marks.Wait(ctx, trace, "first-frame"); err != nil {
		t.Fatalf("the window did not draw its first frame: %v", err)
	}
	first := screenshot(ctx, t, display, dir, func(img image.Image) error { return notBlank(img) })
	last := first
	if len(c.keys) > 0 {
		// before is the screen right before the last key sent: a "changed"
		// step, and the final screenshot, must differ from it. (Compared
		// with the first screenshot, a Tab that only moved the focus ring
		// passed for a form that never opened.)
		var before image.Image
		changed := func(img image.Image) error {
			if err := notBlank(img); err != nil {
				return err
			}
			if changed := difference(before, img); changed < 0.002 {
				return fmt.Errorf("the screen did not change after the last key (%.3f%% of pixels differ)", 100*changed)
			}
			return nil
		}
		for i, k := range c.keys {
			switch k[0] {
			case "sleep":
				d, _ := strconv.ParseFloat(k[1], 64)
				time.Sleep(time.Duration(d * float64(time.Second)))
			case "mark":
				if _, err := marks.Wait(ctx, trace, k[1]); err != nil {
					t.Fatalf("waiting for the window: %v", err)
				}
			case "changed":
				screenshot(ctx, t, display, dir, changed)
			default:
				if lastKeyBeforeCheck(c.keys, i) {
					before = decode(t, screenshot(ctx, t, display, dir, notBlank))
				}
				if err := x(k...); err != nil {
					t.Fatal(err)
				}
			}
		}
		if c.title != "" {
			if err := x("search", "--sync", "--onlyvisible", "--name", c.title); err != nil {
				t.Fatalf("no window titled %q after the keys: %v", c.title, err)
			}
		}
		last = screenshot(ctx, t, display, dir, changed)
	}
	if err := os.WriteFile(filepath.Join(dir, c.name+".png"), last, 0o644); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stderr.String(), "panic:") {
		t.Errorf("the program panicked:\n%s", stderr.String())
	}
	return last
}

// lastKeyBeforeCheck tells whether keys[i] is the last key sent before a
// {"changed"} step or the end (the final screenshot), which must then
// differ from the screen right before it.
func lastKeyBeforeCheck(keys [][]string, i int) bool {
	for _, k := range keys[i+1:] {
		switch k[0] {
		case "changed":
			return true
		case "mark", "sleep":
		default:
			return false
		}
	}
	return true
}

// startXvfb starts a virtual X server on a free display, which it picks
// itself (-displayfd), and stops it when the test ends.
func startXvfb(t *testing.T) string {
	t.Helper()
	return startXvfbSized(t, screenWidth, screenHeight)
}

// startXvfbSized is startXvfb with a screen of the given size.
func startXvfbSized(t *testing.T, width, height int) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	// -r: no autorepeat, or a key xdotool is held up between pressing and
	// releasing on a loaded machine is typed twice (as bench window, app/cli).
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0",
		fmt.Sprintf("%dx%dx24", width, height), "-nolisten", "tcp", "-r")
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = deathAttr()
	var log lockedBuffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		w.Close()
		r.Close()
		t.Fatalf("starting Xvfb: %v", err)
	}
	w.Close()
	// Xvfb dies if it cannot write the whole line, so the pipe stays open
	// until it has stopped.
	t.Cleanup(func() {
		stop(t, cmd.Process.Pid, false, cmd)
		r.Close()
	})

	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		got <- strings.TrimSpace(line)
	}()
	select {
	case n := <-got:
		if n == "" {
			t.Fatalf("Xvfb did not start:\n%s", log.String())
		}
		return ":" + n
	case <-time.After(20 * time.Second):
		t.Fatalf("Xvfb did not report a display in 20 s:\n%s", log.String())
	}
	return ""
}

// startApp runs the program under its own session bus, with its own home
// and XDG folders under dir, on the given display; it is stopped (with the
// bus) when the test ends.
func startApp(t *testing.T, display, dir string, stderr *lockedBuffer, prog string, c windowCase) {
	t.Helper()
	home := filepath.Join(dir, "home")
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"XDG_DATA_HOME=" + filepath.Join(home, ".local", "share"),
		"XDG_CACHE_HOME=" + filepath.Join(home, ".cache"),
		"XDG_RUNTIME_DIR=" + filepath.Join(dir, "runtime"),
		"LANG=en_US.UTF-8",
		"DISPLAY=" + display,
	}
	for _, d := range []string{"runtime", "home/.config", "home/.local/share", "home/.cache"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("dbus-run-session", append([]string{"--", prog}, c.args...)...)
	cmd.Env = append(env, c.env...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = stderr, stderr
	// Its own process group, so that stopping it stops the bus too.
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", prog, err)
	}
	t.Cleanup(func() { stop(t, cmd.Process.Pid, true, cmd) })
}

// stop ends a process this test started (with its process group, if
// group), politely first, and waits for it.
func stop(t *testing.T, pid int, group bool, cmd *exec.Cmd) {
	target := pid
	if group {
		target = -pid
	}
	_ = syscall.Kill(target, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Logf("process %d did not stop on SIGTERM; killing it", pid)
		_ = syscall.Kill(target, syscall.SIGKILL)
		<-done
	}
}

// screenshot takes screenshots of the whole screen until one passes check
// (or the context ends) and returns it as PNG. The first is taken at once,
// the next ones a quarter of a second apart.
func screenshot(ctx context.Context, t *testing.T, display, dir string, check func(image.Image) error) []byte {
	t.Helper()
	path := filepath.Join(dir, "shot.png")
	var last error
	for i := 0; ; i++ {
		wait := 250 * time.Millisecond
		if i == 0 {
			wait = 0
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no good screenshot before the deadline: %v", last)
		case <-time.After(wait):
		}
		cmd := exec.CommandContext(ctx, "import", "-display", display, "-window", "root", path)
		if out, err := cmd.CombinedOutput(); err != nil {
			last = fmt.Errorf("import: %w\n%s", err, out)
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		img := decode(t, data)
		if b := img.Bounds(); b.Dx() != screenWidth || b.Dy() != screenHeight {
			t.Fatalf("the screenshot is %dx%d, want %dx%d", b.Dx(), b.Dy(), screenWidth, screenHeight)
		}
		if last = check(img); last == nil {
			return data
		}
	}
}

func decode(t *testing.T, data []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	return img
}

// notBlank reports an error unless the image shows something: a good
// number of colours, and no single colour covering almost all of it.
func notBlank(img image.Image) error {
	b := img.Bounds()
	count := map[[3]uint32]int{}
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			count[[3]uint32{r >> 8, g >> 8, bl >> 8}]++
		}
	}
	most, total := 0, b.Dx()*b.Dy()/4
	for _, n := range count {
		most = max(most, n)
	}
	if len(count) < 32 || float64(most) > 0.97*float64(total) {
		return fmt.Errorf("the screen looks blank: %d colours, the commonest on %.1f%% of it",
			len(count), 100*float64(most)/float64(total))
	}
	return nil
}

// difference returns the fraction of pixels that differ between a and b.
func difference(a, b image.Image) float64 {
	if a.Bounds() != b.Bounds() {
		return 1
	}
	return differenceIn(a, b, a.Bounds())
}

// differenceIn returns the fraction of the pixels of bounds (within both
// images) that differ between a and b.
func differenceIn(a, b image.Image, bounds image.Rectangle) float64 {
	bounds = bounds.Intersect(a.Bounds()).Intersect(b.Bounds())
	if bounds.Empty() {
		return 1
	}
	changed := 0
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			r1, g1, b1, _ := a.At(x, y).RGBA()
			r2, g2, b2, _ := b.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 {
				changed++
			}
		}
	}
	return float64(changed) / float64(bounds.Dx()*bounds.Dy())
}

// lockedBuffer is a child process's output, read by the test while the
// child still writes it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
