package packagetest

import (
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The packaging tests check what `make package` wrote to dist/. They need
// the package built first, so they run only with MEDIHAVEN_DIST set: `make
// package-test` builds dist/ and sets it; `make test` with CI=true builds
// it beside the tests and sets MEDIHAVEN_DIST_DONE too, a file the build
// writes its exit status to when it ends, which they wait for. A plain
// `go test ./...` skips them instead of packaging (35-50 s).

// repoRoot is the repository's top, where FyneApp.toml and the Makefile are.
const repoRoot = "../.."

// dlopened are the libraries GLFW 3.4 (inside Fyne) loads at run time for
// its X11 and Wayland back-ends and EGL; they are not in the binary's
// DT_NEEDED list but the window needs them. Each must still be named in
// the binary (the test checks), so the list cannot outlive the code.
var dlopened = []string{
	"libX11.so.6", "libX11-xcb.so.1", "libXcursor.so.1", "libXrandr.so.2",
	"libXinerama.so.1", "libXi.so.6", "libXxf86vm.so.1", "libXrender.so.1",
	"libXext.so.6", "libEGL.so.1", "libwayland-cursor.so.0",
	"libwayland-egl.so.1", "libxkbcommon.so.0",
}

// TestPackageDeb installs the .deb into a scratch root with dpkg-deb -x (what
// dpkg -i unpacks, without root), runs `medihaven --version` from it and
// checks the desktop entry with desktop-file-validate, the icon, that the
// binary is stripped and that Depends names the package of every library
// the binary needs.
func TestPackageDeb(t *testing.T) {
	dist := packageDist(t)
	meta := fyneAppMetadata(t)
	debs, _ := filepath.Glob(filepath.Join(dist, "*.deb"))
	if len(debs) != 1 {
		t.Fatalf("want one .deb in %s, found %v", dist, debs)
	}
	deb := debs[0]

	control := map[string]string{}
	for _, line := range strings.Split(mustRun(t, "dpkg-deb", "-f", deb), "\n") {
		if k, v, ok := strings.Cut(line, ": "); ok && !strings.HasPrefix(line, " ") {
			control[k] = v
		}
	}
	if control["Package"] != "medihaven" {
		t.Errorf("Package = %q, want medihaven", control["Package"])
	}
	if want := meta["Version"] + "-" + meta["Build"]; control["Version"] != want {
		t.Errorf("Version = %q, want %q (FyneApp.toml Version-Build)", control["Version"], want)
	}

	root := t.TempDir()
	mustRun(t, "dpkg-deb", "-x", deb, root)
	id := meta["ID"]
	desktop := filepath.Join(root, "usr/share/applications", id+".desktop")
	icons, _ := filepath.Glob(filepath.Join(root, "usr/share/icons/hicolor/*/apps", id+".png"))
	bin := filepath.Join(root, "usr/bin/medihaven")
	if len(icons) != 1 {
		t.Fatalf("want one hicolor icon %s.png in the package, found %v", id, icons)
	}
	var files []string
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	})
	if want := []string{bin, desktop, icons[0]}; strings.Join(files, " ") != strings.Join(want, " ") {
		t.Errorf("package installs %v, want %v", files, want)
	}

	// The program runs from where dpkg put it and says its version.
	cmd := exec.Command(bin, "--version")
	cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=/usr/bin:/bin"}
	out, err := cmd.CombinedOutput()
	if want := "medihaven " + meta["Version"] + "\n"; err != nil || string(out) != want {
		t.Errorf("medihaven --version: %q, %v; want %q", out, err, want)
	}

	checkDesktopEntry(t, desktop, meta, "medihaven")
	if _, err := os.Stat(filepath.Join(root, "usr/bin", desktopKeys(t, desktop)["Exec"])); err != nil {
		t.Errorf("desktop entry's Exec is not the installed program: %v", err)
	}
	checkIcon(t, icons[0], filepath.Base(filepath.Dir(filepath.Dir(icons[0]))))

	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Section(".symtab") != nil {
		t.Error("the packaged binary is not stripped (it has .symtab)")
	}
	checkDepends(t, f, bin, control["Depends"])
}

// checkDepends: Depends names the Debian package (dpkg -S on this machine)
// of every library the binary links or GLFW dlopens, and libc6 at least as
// new as the newest GLIBC_ symbol version the binary uses.
func checkDepends(t *testing.T, f *elf.File, bin, depends string) {
	declared := map[string]string{} // package -> version constraint
	for _, dep := range strings.Split(depends, ",") {
		for _, alt := range strings.Split(dep, "|") {
			name, constraint, _ := strings.Cut(strings.TrimSpace(alt), " ")
			declared[name] = strings.Trim(constraint, "()")
		}
	}
	needed, err := f.ImportedLibraries()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, lib := range dlopened {
		if !bytes.Contains(raw, []byte(lib+"\x00")) {
			t.Errorf("%s is no longer named in the binary: update dlopened and .ci/nfpm.yaml", lib)
		}
	}
	ldcache := mustRun(t, "/sbin/ldconfig", "-p")
	for _, lib := range append(needed, dlopened...) {
		m := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(lib) + ` \([^)]*x86-64[^)]*\) => (\S+)`).FindStringSubmatch(ldcache)
		if m == nil {
			m = regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(lib) + ` \([^)]*\) => (\S+)`).FindStringSubmatch(ldcache)
		}
		if m == nil {
			t.Errorf("%s is not installed on this machine: cannot tell its package", lib)
			continue
		}
		owner := debianPackage(m[1])
		if owner == "" {
			t.Errorf("%s (%s): dpkg -S finds no package", lib, m[1])
			continue
		}
		if _, ok := declared[owner]; !ok {
			t.Errorf("the binary needs %s (package %s), which Depends does not name: %s", lib, owner, depends)
		}
	}

	syms, err := f.DynamicSymbols()
	if err != nil {
		t.Fatal(err)
	}
	newest := "2.0"
	for _, s := range syms {
		if v, ok := strings.CutPrefix(s.Version, "GLIBC_"); ok && versionLess(newest, v) {
			newest = v
		}
	}
	floor, ok := strings.CutPrefix(declared["libc6"], ">= ")
	if !ok || versionLess(floor, newest) {
		t.Errorf("Depends has libc6 %q; the binary uses GLIBC_%s symbols, want libc6 (>= %s)", declared["libc6"], newest, newest)
	}
}

// debianPackage is the package that installed a library file, trying the
// path ldconfig gives, its target and both with and without /usr (Debian 12
// merges /lib into /usr/lib, but dpkg knows each file under one of them).
func debianPackage(path string) string {
	paths := []string{path}
	if real, err := filepath.EvalSymlinks(path); err == nil {
		paths = append(paths, real)
	}
	for _, p := range paths {
		for _, c := range []string{p, strings.TrimPrefix(p, "/usr"), "/usr" + p} {
			if out, err := exec.Command("dpkg", "-S", c).Output(); err == nil {
				owner, _, _ := strings.Cut(string(out), ":")
				return owner
			}
		}
	}
	return ""
}

// TestPackageUserInstall runs `make install-files` (what `make install` does
// after `make package`) twice into a scratch prefix, checks and runs what it
// installed, then `make uninstall` removes it all.
func TestPackageUserInstall(t *testing.T) {
	dist := packageDist(t)
	meta := fyneAppMetadata(t)
	prefix := t.TempDir()
	vars := []string{"DIST=" + dist, "USER_PREFIX=" + prefix}
	for range 2 {
		mustRun(t, "make", append([]string{"-s", "--no-print-directory", "-C", repoRoot, "install-files"}, vars...)...)
	}
	bin := filepath.Join(prefix, "bin/medihaven")
	desktop := filepath.Join(prefix, "share/applications", meta["ID"]+".desktop")
	icons, _ := filepath.Glob(filepath.Join(prefix, "share/icons/hicolor/*/apps", meta["ID"]+".png"))
	if len(icons) != 1 {
		t.Fatalf("want one icon under %s/share/icons/hicolor, found %v", prefix, icons)
	}
	checkDesktopEntry(t, desktop, meta, bin)
	checkIcon(t, icons[0], filepath.Base(filepath.Dir(filepath.Dir(icons[0]))))
	if out, err := exec.Command(bin, "--version").Output(); err != nil || string(out) != "medihaven "+meta["Version"]+"\n" {
		t.Errorf("installed medihaven --version: %q, %v", out, err)
	}

	mustRun(t, "make", append([]string{"-s", "--no-print-directory", "-C", repoRoot, "uninstall"}, vars...)...)
	for _, p := range []string{bin, desktop, icons[0]} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("make uninstall left %s", p)
		}
	}
}

// TestPackageTarball unpacks Fyne's tar.xz and runs the Makefile inside it
// (`make user-install`, for machines without Go) with a scratch HOME.
func TestPackageTarball(t *testing.T) {
	dist := packageDist(t)
	meta := fyneAppMetadata(t)
	tarballs, _ := filepath.Glob(filepath.Join(dist, "*.tar.xz"))
	if len(tarballs) != 1 {
		t.Fatalf("want one .tar.xz in %s, found %v", dist, tarballs)
	}
	dir, home := t.TempDir(), t.TempDir()
	mustRun(t, "tar", "-xJf", tarballs[0], "-C", dir)
	cmd := exec.Command("make", "-s", "-C", filepath.Join(dir, "medihaven"), "user-install")
	cmd.Env = append(os.Environ(), "HOME="+home)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make user-install from the tarball: %v\n%s", err, out)
	}
	bin := filepath.Join(home, ".local/bin/medihaven")
	checkDesktopEntry(t, filepath.Join(home, ".local/share/applications", meta["ID"]+".desktop"), meta, bin)
	checkIcon(t, filepath.Join(home, ".local/share/icons", meta["ID"]+".png"), "")
	if out, err := exec.Command(bin, "--version").Output(); err != nil || string(out) != "medihaven "+meta["Version"]+"\n" {
		t.Errorf("medihaven --version from the tarball: %q, %v", out, err)
	}
}

// packageDist is the dist folder `make package` wrote, or skips the test.
// With MEDIHAVEN_DIST_DONE it first waits for that build to end.
func packageDist(t *testing.T) string {
	t.Helper()
	dist := os.Getenv("MEDIHAVEN_DIST")
	if dist == "" {
		t.Skip("MEDIHAVEN_DIST is not set: make package-test builds dist/ and runs this test")
	}
	for _, tool := range []string{"dpkg-deb", "dpkg", "desktop-file-validate", "make"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed: run make deps (desktop-file-utils, dpkg)", tool)
		}
	}
	if done := os.Getenv("MEDIHAVEN_DIST_DONE"); done != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		status, err := waitFile(ctx, done)
		if err != nil {
			t.Fatalf("make package did not end: %v", err)
		}
		if status != "0" {
			log, _ := os.ReadFile(filepath.Join(filepath.Dir(done), "package.log"))
			t.Fatalf("make package failed (exit status %s):\n%s", status, log)
		}
	}
	return dist
}

// waitFile waits for the file at path to hold a line and returns it.
func waitFile(ctx context.Context, path string) (string, error) {
	for {
		if b, err := os.ReadFile(path); err == nil && bytes.HasSuffix(b, []byte("\n")) {
			return strings.TrimSpace(string(b)), nil
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("waiting for %s: %w", path, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// fyneAppMetadata reads the [Details] keys of FyneApp.toml.
func fyneAppMetadata(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "FyneApp.toml"))
	if err != nil {
		t.Fatal(err)
	}
	meta := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^\s*(ID|Name|Version|Build|Icon)\s*=\s*"?([^"\n]*)"?\s*$`).FindAllStringSubmatch(string(b), -1) {
		meta[m[1]] = m[2]
	}
	for _, k := range []string{"ID", "Name", "Version", "Build"} {
		if meta[k] == "" {
			t.Fatalf("FyneApp.toml has no %s", k)
		}
	}
	return meta
}

// checkDesktopEntry runs desktop-file-validate (hints allowed, warnings and
// errors not) and checks the keys that come from FyneApp.toml.
func checkDesktopEntry(t *testing.T, path string, meta map[string]string, wantExec string) {
	t.Helper()
	out, _ := exec.Command("desktop-file-validate", path).CombinedOutput()
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line != "" && !strings.Contains(line, ": hint: ") {
			t.Errorf("desktop-file-validate: %s", line)
		}
	}
	keys := desktopKeys(t, path)
	for k, want := range map[string]string{"Name": meta["Name"], "Icon": meta["ID"], "Exec": wantExec, "Type": "Application"} {
		if keys[k] != want {
			t.Errorf("desktop entry %s=%q, want %q", k, keys[k], want)
		}
	}
}

func desktopKeys(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			keys[k] = v
		}
	}
	return keys
}

// checkIcon: a PNG whose size is the one its hicolor folder names (size
// "NxN"), or any size when size is "".
func checkIcon(t *testing.T, path, size string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		t.Fatalf("icon %s: %v", path, err)
	}
	if got := strconv.Itoa(cfg.Width) + "x" + strconv.Itoa(cfg.Height); size != "" && got != size {
		t.Errorf("icon %s is %s, want %s", path, got, size)
	}
}

// versionLess compares dotted numeric versions: "2.9" < "2.34".
func versionLess(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) || i < len(bs); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			return x < y
		}
	}
	return false
}

// mustRun runs a command and returns its standard output, failing the test
// with its standard error when it fails.
func mustRun(t *testing.T, name string, args ...string) string {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}
