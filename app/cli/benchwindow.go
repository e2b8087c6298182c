package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/internal/marks"
)

// cmdBenchWindow measures the real window (issue 17): for each profile of
// the clinic folder in --profile (a `medihaven demo` clinic), it starts
// this binary on a virtual X server (Xvfb) with MEDIHAVEN_TRACE set,
// waits for the login form to be drawn (cold start), types the passphrase
// (MEDIHAVEN_PASSPHRASE, or standard input) and Enter with xdotool, and
// waits for the role's home screen to be drawn with its data (login →
// home); it reads the process's resident memory then and again after --later
// (2 s by default). Each profile runs --runs times; the table shows medians
// of the runs after the first, which start with the caches the first left
// (Mesa's shader cache among them, as on a workstation every day after the
// first start), and the first start's memory on a row of its own.
// Profiles that keep their keys in the OS keyring (as clinic workstations
// do) need --keyring: the folder whose keyrings/ holds them (the
// XDG_DATA_HOME `medihaven demo` ran with under gnome-keyring); bench
// window then runs gnome-keyring's Secret Service on its own session bus,
// on a copy of it, unlocked with the same passphrase.
func cmdBenchWindow(ctx context.Context, g Global, args []string, io IO) error {
	fs := newFlags("bench window")
	runs := fs.Int("runs", 3, "windows opened per profile")
	shots := fs.String("shots", "", "folder for a screenshot of each profile's home screen (last run)")
	theme := fs.String("theme", "light", `"light" or "dark"`)
	only := fs.String("only", "", "profile folder names to measure, separated by commas (default: all)")
	wait := fs.Duration("timeout", 2*time.Minute, "how long to wait for the login form, then for the home screen")
	later := fs.Duration("later", 2*time.Second, "how long after home the memory is read again (a minute shows the steady state)")
	keyring := fs.String("keyring", "", "folder whose keyrings/ holds the profiles' keys in the OS keyring (the XDG_DATA_HOME the demo ran with under gnome-keyring)")
	var env windowEnv
	fs.Var(&env, "env", "NAME=VALUE added to the window's environment, to measure a setting (e.g. GLIBC_TUNABLES, GOGC, MEDIHAVEN_TRACE_HEAP); repeatable")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *runs < 1 || *runs > 100 {
		return fmt.Errorf("%w: --runs is 1 to 100", ErrUsage)
	}
	for _, tool := range []string{"Xvfb", "xdotool", "dbus-daemon"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("bench window needs %s (make deps installs it): %w", tool, err)
		}
	}
	if *shots != "" {
		if _, err := exec.LookPath("import"); err != nil {
			return fmt.Errorf("--shots needs ImageMagick's import (make deps installs it): %w", err)
		}
	}
	pass, err := passphrase(io)
	if err != nil {
		return err
	}
	defer clear(pass)
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("bench window: %w", err)
	}
	var profiles []app.Profile
	for _, p := range app.ListProfiles(g.Profile) {
		if *only == "" || slices.Contains(strings.Split(*only, ","), filepath.Base(p.Dir)) {
			profiles = append(profiles, p)
		}
	}
	if len(profiles) == 0 {
		return fmt.Errorf("%w: no profile in %s (make one with: medihaven --profile %s demo)", ErrUsage, g.Profile, g.Profile)
	}
	keys := keystoreKinds(profiles)
	if strings.Contains(keys, "OS keyring") && *keyring == "" {
		return fmt.Errorf("%w: the profiles in %s keep their keys in the OS keyring: give --keyring, the XDG_DATA_HOME the demo ran with under gnome-keyring", ErrUsage, g.Profile)
	}
	scratch, err := os.MkdirTemp("", "medihaven-bench-window-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(scratch)
	display, stopX, err := startXvfb(ctx)
	if err != nil {
		return err
	}
	defer stopX()
	bus, stopBus, err := startBus(ctx)
	if err != nil {
		return err
	}
	defer stopBus()
	if *keyring != "" {
		stopKeyring, err := startKeyring(ctx, bus, *keyring, filepath.Join(scratch, "keyring"), pass)
		if err != nil {
			return err
		}
		defer stopKeyring()
	}

	w := windowRun{exe: exe, display: display, bus: bus, theme: *theme, pass: pass, timeout: *wait, later: *later, env: env}
	at := "+" + later.String()
	var rows []windowRow
	for _, p := range profiles {
		row := windowRow{name: filepath.Base(p.Dir)}
		for i := 0; i < *runs; i++ {
			shot := ""
			if *shots != "" && i == *runs-1 {
				shot = filepath.Join(*shots, fmt.Sprintf("home-%s-%s.png", row.name, *theme))
			}
			// One home per profile: the first run starts with empty caches
			// (Mesa's shader cache, Fyne's, the system font index), the
			// others as a person's next morning does, with what it left.
			m, err := w.run(ctx, p.Dir, filepath.Join(scratch, row.name), i, shot)
			if err != nil {
				return fmt.Errorf("bench window: %s, run %d: %w", row.name, i+1, err)
			}
			row.runs = append(row.runs, m)
		}
		rows = append(rows, row)
	}
	fmt.Fprintf(io.Stdout, "Keys: %s.\n", keys)
	tw := tabwriter.NewWriter(io.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "profile\truns\tfirst start\tcold start\t(in process)\tlogin\tlogin → shell\tlogin → home\tRSS: login form\thome\t"+at+"\tpeak\thome: anon\tfiles\tGo\tGo heap\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%d\t%.0f ms\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.name, len(r.runs),
			r.runs[0].cold, r.ms(func(m windowMeasure) float64 { return m.cold }), r.ms(func(m windowMeasure) float64 { return m.coldAge }),
			r.ms(func(m windowMeasure) float64 { return m.login }), r.ms(func(m windowMeasure) float64 { return m.shell }),
			r.ms(func(m windowMeasure) float64 { return m.home }),
			r.mb(func(m windowMeasure) float64 { return m.rssForm }), r.mb(func(m windowMeasure) float64 { return m.rssHome }),
			r.mb(func(m windowMeasure) float64 { return m.rssLater }), r.mb(func(m windowMeasure) float64 { return m.peak }),
			r.mb(func(m windowMeasure) float64 { return m.anon }), r.mb(func(m windowMeasure) float64 { return m.files }),
			r.mb(func(m windowMeasure) float64 { return m.goMem }), r.mb(func(m windowMeasure) float64 { return m.heap }))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// What the resident memory later is made of: the program's own, and
	// what the OpenGL driver brings (under Xvfb, Mesa's llvmpipe).
	fmt.Fprintln(io.Stdout)
	fmt.Fprintln(tw, "profile\tRSS at "+at+"\tbinary\tGL driver\tother libraries\tC heap\tother anonymous\tof it, Go\t")
	parts := func(name string, r windowRow) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", name,
			r.mb(func(m windowMeasure) float64 { return float64(m.res.TotalKB()) }),
			r.mb(func(m windowMeasure) float64 { return float64(m.res.BinaryKB) }),
			r.mb(func(m windowMeasure) float64 { return float64(m.res.GLKB) }),
			r.mb(func(m windowMeasure) float64 { return float64(m.res.LibsKB) }),
			r.mb(func(m windowMeasure) float64 { return float64(m.res.CHeapKB) }),
			r.mb(func(m windowMeasure) float64 { return float64(m.res.AnonKB) }),
			r.mb(func(m windowMeasure) float64 { return m.goLater }))
	}
	for _, r := range rows {
		parts(r.name, r)
		if len(r.runs) > 1 {
			// The start after installing: Mesa compiles every shader
			// (llvmpipe: LLVM's compiler, about 5 MB more C heap).
			parts(r.name+", first start", windowRow{runs: r.runs[:1]})
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err = fmt.Fprintln(io.Stdout, "Medians of the runs after the first: each profile's window starts again with the caches its first run left\n"+
		"(Mesa's shader cache, Fyne's, the system font index), as a workstation starts every day after the first.\n"+
		"First start: the first run, with those caches empty, as after installing.\n"+
		"Cold start: the process started to the login form drawn (measured outside; inside, from /proc in 10 ms steps).\n"+
		"Login: Enter to the passphrase checked and the store opened. Login → home: Enter to the home screen drawn with its data.\n"+
		"By mapping (/proc/PID/smaps, --later after home): GL driver is Mesa's files and the frame shared with the X server;\n"+
		"Go is what its runtime holds (heap, stacks, tables) once the window gave back what building home left (the settled mark).")
	return err
}

// windowRun is how bench window starts the window.
type windowRun struct {
	exe, display, bus, theme string
	pass                     []byte
	timeout, later           time.Duration
	env                      windowEnv // added to the window's environment
}

// windowEnv is the --env flag: NAME=VALUE settings for the window, to
// compare one setting against none with the same binary.
type windowEnv []string

func (e *windowEnv) String() string { return strings.Join(*e, " ") }

func (e *windowEnv) Set(v string) error {
	if name, _, ok := strings.Cut(v, "="); !ok || name == "" || strings.ContainsAny(name, " \t") {
		return fmt.Errorf("--env wants NAME=VALUE, not %q", v)
	}
	*e = append(*e, v)
	return nil
}

// windowMeasure is one window's numbers: milliseconds and kilobytes.
type windowMeasure struct {
	cold, coldAge, login, shell, home float64
	rssForm, rssHome, rssLater, peak  float64
	anon, files, goMem, heap          float64        // at home
	res                               marks.Resident // --later after home, by mapping
	goLater                           float64        // Go's once settled when known, else at home
}

type windowRow struct {
	name string
	runs []windowMeasure
}

func (r windowRow) median(f func(windowMeasure) float64) float64 {
	runs := r.runs
	if len(runs) > 1 {
		runs = runs[1:] // the first is shown on its own (first start)
	}
	v := make([]float64, len(runs))
	for i, m := range runs {
		v[i] = f(m)
	}
	slices.Sort(v)
	if n := len(v); n%2 == 0 {
		return (v[n/2-1] + v[n/2]) / 2 // an even count: between the middle two (--runs 3 shows two)
	}
	return v[len(v)/2]
}

func (r windowRow) ms(f func(windowMeasure) float64) string {
	return fmt.Sprintf("%.0f ms", r.median(f))
}

func (r windowRow) mb(f func(windowMeasure) float64) string {
	return fmt.Sprintf("%.0f MB", r.median(f)/1024)
}

// run opens the window on one profile, logs in and returns the marks.
func (w windowRun) run(ctx context.Context, profile, dir string, i int, shot string) (windowMeasure, error) {
	var m windowMeasure
	home := filepath.Join(dir, "home")
	for _, d := range []string{"home/.config", "home/.cache", "home/.local/share", "runtime"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			return m, err
		}
	}
	trace := filepath.Join(dir, fmt.Sprintf("trace-%d", i))
	cmd := exec.CommandContext(ctx, w.exe, "--profile", profile)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home, "LANG=en_US.UTF-8", "DISPLAY=" + w.display,
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "XDG_CACHE_HOME=" + filepath.Join(home, ".cache"),
		"XDG_DATA_HOME=" + filepath.Join(home, ".local", "share"), "XDG_RUNTIME_DIR=" + filepath.Join(dir, "runtime"),
		"DBUS_SESSION_BUS_ADDRESS=" + w.bus, "MEDIHAVEN_THEME=" + w.theme, "MEDIHAVEN_TRACE=" + trace,
	}
	cmd.Env = append(cmd.Env, w.env...) // later entries win
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return m, err
	}
	defer stopProcess(cmd)
	fail := func(err error) (windowMeasure, error) {
		if s := strings.TrimSpace(out.String()); s != "" {
			err = fmt.Errorf("%w\nthe window wrote:\n%s", err, s)
		}
		return m, err
	}
	seen, err := waitMark(ctx, trace, w.timeout, "login-form")
	if err != nil {
		quit(cmd, 5*time.Second)
		return fail(err)
	}
	form := seen["login-form"]
	m.cold = float64(form.UnixNS-start.UnixNano()) / 1e6
	m.coldAge = float64(form.AgeMillis)
	// The form is drawn; the keys go to the window once X shows it.
	shown := exec.CommandContext(ctx, "xdotool", "search", "--sync", "--onlyvisible", "--name", "Medihaven")
	shown.Env = append(os.Environ(), "DISPLAY="+w.display)
	if msg, err := shown.CombinedOutput(); err != nil {
		return fail(fmt.Errorf("xdotool search: %w: %s", err, msg))
	}
	typer := exec.CommandContext(ctx, "xdotool", "type", "--delay", "5", "--file", "-")
	typer.Env = append(os.Environ(), "DISPLAY="+w.display)
	typer.Stdin = bytes.NewReader(w.pass)
	if msg, err := typer.CombinedOutput(); err != nil {
		return fail(fmt.Errorf("xdotool type: %w: %s", err, msg))
	}
	enter := exec.CommandContext(ctx, "xdotool", "key", "Return")
	enter.Env = typer.Env
	if msg, err := enter.CombinedOutput(); err != nil {
		return fail(fmt.Errorf("xdotool key: %w: %s", err, msg))
	}
	if seen, err = waitMark(ctx, trace, w.timeout, "home", "login-failed"); err != nil {
		quit(cmd, 5*time.Second)
		return fail(err)
	}
	if _, failed := seen["login-failed"]; failed {
		data, _ := os.ReadFile(trace)
		stopProcess(cmd) // before its output is read
		return fail(fmt.Errorf("the window did not log in: %q (is MEDIHAVEN_PASSPHRASE this profile's passphrase?)",
			marks.Why(data, "login-failed")))
	}
	submit := seen["login-submit"]
	since := func(name string) float64 { return float64(seen[name].UnixNS-submit.UnixNS) / 1e6 }
	m.login, m.shell, m.home = since("login-done"), since("shell"), since("home")
	h := seen["home"]
	m.rssForm, m.rssHome = float64(form.RSSKB), float64(h.RSSKB)
	m.anon, m.files, m.goMem, m.heap = float64(h.AnonKB), float64(h.FileKB), float64(h.GoKB), float64(h.HeapKB)
	time.Sleep(w.later)
	pid := strconv.Itoa(cmd.Process.Pid)
	later := marks.Of(pid)
	m.rssLater, m.peak = float64(later.RSSKB), float64(later.HWMKB)
	m.res, m.goLater = marks.ResidentOf(pid), m.goMem
	if data, err := os.ReadFile(trace); err == nil {
		if l, ok := marks.Parse(data)["settled"]; ok {
			m.goLater = float64(l.GoKB)
		}
	}
	if shot != "" {
		if err := os.MkdirAll(filepath.Dir(shot), 0o755); err != nil {
			return m, err
		}
		imp := exec.CommandContext(ctx, "import", "-display", w.display, "-window", "root", shot)
		if msg, err := imp.CombinedOutput(); err != nil {
			return fail(fmt.Errorf("import: %w: %s", err, msg))
		}
	}
	return m, nil
}

// waitMark polls the trace file until it holds one of the marks names.
func waitMark(ctx context.Context, trace string, timeout time.Duration, names ...string) (map[string]marks.Line, error) {
	deadline := time.Now().Add(timeout)
	for {
		data, _ := os.ReadFile(trace)
		got := marks.Parse(data)
		for _, name := range names {
			if _, ok := got[name]; ok {
				return got, nil
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("no %q mark in %s after %s (marks so far: %s)", names[0], trace, timeout, strings.TrimSpace(string(data)))
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// startXvfb starts a 1280x800 virtual X server on a display it picks
// itself (-displayfd) and returns the display and how to stop it.
func startXvfb(ctx context.Context) (string, func(), error) {
	r, w, err := os.Pipe()
	if err != nil {
		return "", nil, err
	}
	defer r.Close()
	// -r: no autorepeat. xdotool presses and releases each key of the
	// passphrase; on a loaded machine it can be held up more than the
	// 660 ms after which X repeats the key held down, and the window got
	// a letter twice: a wrong passphrase, no home for two minutes
	// (session 8).
	cmd := exec.CommandContext(ctx, "Xvfb", "-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp", "-r")
	cmd.ExtraFiles = []*os.File{w}
	err = cmd.Start()
	w.Close()
	if err != nil {
		return "", nil, fmt.Errorf("starting Xvfb: %w", err)
	}
	stop := func() { stopProcess(cmd) }
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		got <- strings.TrimSpace(line)
	}()
	select {
	case n := <-got:
		if n == "" {
			stop()
			return "", nil, errors.New("Xvfb did not start")
		}
		return ":" + n, stop, nil
	case <-time.After(20 * time.Second):
		stop()
		return "", nil, errors.New("Xvfb did not report a display in 20 s")
	}
}

// keystoreKinds says where the profiles keep their keys, in words.
func keystoreKinds(profiles []app.Profile) string {
	var kinds []string
	for _, p := range profiles {
		k := "the OS keyring (Secret Service)"
		if p.Keystore == app.KeystoreFile {
			k = "the passphrase-protected file (Argon2id, 64 MiB, at login)"
		}
		if !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	return strings.Join(kinds, " and ")
}

// startKeyring starts gnome-keyring's Secret Service on the session bus at
// bus, on a copy (in dir) of the keyrings in src/keyrings, so the demo's
// stay as they are, unlocked with pass. It returns once the bus names the
// service, and how to stop it.
func startKeyring(ctx context.Context, bus, src, dir string, pass []byte) (func(), error) {
	if _, err := exec.LookPath("gnome-keyring-daemon"); err != nil {
		return nil, fmt.Errorf("--keyring needs gnome-keyring-daemon (make deps installs it): %w", err)
	}
	from := filepath.Join(src, "keyrings")
	entries, err := os.ReadDir(from)
	if err != nil {
		return nil, fmt.Errorf("--keyring: %w", err)
	}
	to := filepath.Join(dir, "data", "keyrings")
	for _, d := range []string{to, filepath.Join(dir, "home"), filepath.Join(dir, "runtime")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("--keyring: %w", err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), data, 0o600); err != nil {
			return nil, err
		}
	}
	cmd := exec.CommandContext(ctx, "gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets")
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "LANG=en_US.UTF-8", "HOME=" + filepath.Join(dir, "home"),
		"XDG_DATA_HOME=" + filepath.Join(dir, "data"), "XDG_RUNTIME_DIR=" + filepath.Join(dir, "runtime"),
		"DBUS_SESSION_BUS_ADDRESS=" + bus,
	}
	cmd.Stdin = bytes.NewReader(pass) // --unlock reads the keyring's password there
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting gnome-keyring-daemon: %w", err)
	}
	stop := func() { stopProcess(cmd) }
	deadline := time.Now().Add(20 * time.Second)
	for {
		owner := exec.CommandContext(ctx, "dbus-send", "--bus="+bus, "--print-reply", "--dest=org.freedesktop.DBus",
			"/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.secrets")
		if reply, err := owner.Output(); err == nil && strings.Contains(string(reply), "boolean true") {
			return stop, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			stop()
			return nil, fmt.Errorf("gnome-keyring-daemon did not offer the Secret Service in 20 s (it wrote: %q)", strings.TrimSpace(out.String()))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// startBus starts a session bus, as a desktop has, and returns its address.
func startBus(ctx context.Context) (string, func(), error) {
	cmd := exec.CommandContext(ctx, "dbus-daemon", "--session", "--nofork", "--print-address=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("starting dbus-daemon: %w", err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		stopProcess(cmd)
		return "", nil, fmt.Errorf("dbus-daemon gave no address: %w", err)
	}
	return strings.TrimSpace(line), func() { stopProcess(cmd) }, nil
}

// quit asks a window that stalled for its goroutines' stacks (Go prints
// them on SIGQUIT, then exits) and waits up to wait for it to end, so the
// error shows where it stopped (a window has stalled after login-done
// under load, session 8).
func quit(cmd *exec.Cmd, wait time.Duration) {
	_ = cmd.Process.Signal(syscall.SIGQUIT)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(wait):
	}
}

// stopProcess ends a process bench window started (its group, when it
// has one of its own), politely first, and waits for it.
func stopProcess(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	target := cmd.Process.Pid
	if cmd.SysProcAttr != nil && cmd.SysProcAttr.Setpgid {
		target = -target
	}
	_ = syscall.Kill(target, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(target, syscall.SIGKILL)
		<-done
	}
}
