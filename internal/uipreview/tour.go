package main

import (
	"context"
	"errors"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/cli"
	"github.com/medihaven/medihaven/ui"
)

// demoBackend opens the real profiles of a clinic folder (the demo clinic
// of `make run`, made with `medihaven demo`), without the network sync.
type demoBackend struct{ dir string }

func (b demoBackend) Profiles(context.Context) ([]ui.Profile, error) {
	var out []ui.Profile
	for _, p := range app.ListProfiles(b.dir) {
		out = append(out, ui.Profile{Dir: p.Dir, Clinic: p.Clinic, Staff: p.Staff})
	}
	return out, nil
}

func (b demoBackend) Login(ctx context.Context, dir, name string, pass []byte) (ui.Session, error) {
	return app.Login(ctx, cli.Env(nil), dir, name, pass)
}

// tour logs in with the passphrase, then opens every section at every
// size, writes a screenshot of each to dir and prints the width each
// screen asks for; it closes the window at the end. A screen that asks for
// more than the window has widens the window: it is named on stderr.
func tour(dir, passphrase, prefix string, sizes []fyne.Size) func(*ui.Workstation, fyne.Window) {
	return func(ws *ui.Workstation, w fyne.Window) {
		defer fyne.Do(w.Close)
		if !waitFor(func() bool { return ws.LogIn("", passphrase) }) {
			fmt.Fprintln(os.Stderr, "tour: no login form")
			return
		}
		var sections []string
		if !waitFor(func() bool { sections = ws.Sections(); return len(sections) > 0 }) {
			fmt.Fprintln(os.Stderr, "tour: the login did not open the shell")
			return
		}
		for _, size := range sizes {
			moveToCorner() // a centred window could not grow past the screen's edge
			fyne.DoAndWait(func() { w.Resize(size) })
			for _, title := range sections {
				fyne.DoAndWait(func() { ws.Open(title) })
				time.Sleep(1500 * time.Millisecond) // the screen's loads land
				var min, got fyne.Size
				var page float32
				fyne.DoAndWait(func() { min, got, page = w.Content().MinSize(), w.Canvas().Size(), ws.PageMinWidth() })
				name := fmt.Sprintf("%s-%s-%dx%d.png", prefix, strings.ReplaceAll(strings.ToLower(title), " ", "-"), int(size.Width), int(size.Height))
				if err := shoot(filepath.Join(dir, name), w); err != nil {
					fmt.Fprintln(os.Stderr, "tour:", err)
				}
				fmt.Printf("%-20s %4.0fx%-4.0f window asks %4.0f, is %4.0f; page asks %4.0f\n", title, size.Width, size.Height, min.Width, got.Width, page)
				if min.Width > size.Width {
					fmt.Fprintf(os.Stderr, "tour: %s asks for %.0f px at %.0f: the window widens\n", title, min.Width, size.Width)
				}
			}
		}
	}
}

// waitFor tries f on the UI goroutine every 200 ms for up to a minute.
func waitFor(f func() bool) bool {
	for i := 0; i < 300; i++ {
		ok := false
		fyne.DoAndWait(func() { ok = f() })
		if ok {
			return true
		}
		time.Sleep(200 * time.Millisecond)
	}
	return false
}

// moveToCorner moves the window to the screen's top left corner, where
// xdotool is installed.
func moveToCorner() {
	if id, err := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^Medihaven").Output(); err == nil {
		if ids := strings.Fields(string(id)); len(ids) > 0 {
			_ = exec.Command("xdotool", "windowmove", ids[0], "0", "0").Run()
			time.Sleep(300 * time.Millisecond)
		}
	}
}

// shoot writes a screenshot of the window: taken by the X server
// (xdotool finds the window, ImageMagick's import takes it), which shows
// what a person sees; Fyne's own capture where those tools are missing.
func shoot(path string, w fyne.Window) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if _, err := exec.LookPath("import"); err == nil {
		id, err := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^Medihaven").Output()
		if err != nil {
			return fmt.Errorf("xdotool found no window: %w", err)
		}
		ids := strings.Fields(string(id))
		if len(ids) == 0 {
			return errors.New("xdotool found no window")
		}
		if out, err := exec.Command("import", "-window", ids[0], path).CombinedOutput(); err != nil {
			return fmt.Errorf("import: %w: %s", err, out)
		}
		return nil
	}
	var err error
	fyne.DoAndWait(func() { err = writePNG(path, w) })
	return err
}

func writePNG(path string, w fyne.Window) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, w.Canvas().Capture()); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
