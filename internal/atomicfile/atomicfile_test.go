package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestWriteFuncIsAtomic: a configuration file is replaced whole or not
// at all. A write that fails half-way (an injected writer error, as a full
// disk gives), a flush refused, or a folder that cannot be written leaves
// the old file byte for byte with its mode, and no temporary file beside
// it; a write that succeeds leaves the new bytes with mode 0600 whatever
// the old file's mode was.
func TestWriteFuncIsAtomic(t *testing.T) {
	const old, next = "-- the old configuration\nc2s_ports = { 5222 }\n", "-- the new configuration\nc2s_ports = { 5223 }\n"
	half := func(w io.Writer) error {
		if _, err := io.WriteString(w, next[:len(next)/2]); err != nil {
			return err
		}
		return errors.New("no space left on device")
	}
	whole := func(w io.Writer) error { _, err := io.WriteString(w, next); return err }
	for _, c := range []struct {
		name     string
		write    func(io.Writer) error
		readOnly bool // the folder cannot be written
		fails    bool
	}{
		{name: "replaces the file", write: whole},
		{name: "a writer error half-way", write: half, fails: true},
		{name: "a folder that cannot be written", write: whole, readOnly: true, fails: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.readOnly && os.Geteuid() == 0 {
				t.Skip("root writes into a read-only folder")
			}
			dir := t.TempDir()
			path := filepath.Join(dir, "prosody.cfg.lua")
			if err := os.WriteFile(path, []byte(old), 0o640); err != nil {
				t.Fatal(err)
			}
			if c.readOnly {
				if err := os.Chmod(dir, 0o500); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { os.Chmod(dir, 0o700) })
			}
			err := WriteFunc(path, 0o600, c.write)
			if (err != nil) != c.fails {
				t.Fatalf("WriteFunc: %v (fails: %v)", err, c.fails)
			}
			want, mode := next, os.FileMode(0o600)
			if c.fails {
				want, mode = old, 0o640
			}
			b, rerr := os.ReadFile(path)
			if rerr != nil || string(b) != want {
				t.Errorf("the file holds %q (%v), want %q", b, rerr, want)
			}
			if info, err := os.Stat(path); err != nil || info.Mode().Perm() != mode {
				t.Errorf("mode %v (%v), want %v", info.Mode().Perm(), err, mode)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				var names []string
				for _, e := range entries {
					names = append(names, e.Name())
				}
				t.Errorf("the folder holds %v, want the file alone", names)
			}
		})
	}
}

// TestWriteNewFile: writeFile makes a file that did not exist, with
// the mode asked for (the umask does not widen or narrow it).
func TestWriteNewFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "desk.json")
	if err := Write(path, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 || info.Size() != 2 {
		t.Fatalf("stat %v %v", info, err)
	}
	if err := Write(filepath.Join(t.TempDir(), "missing", "x"), nil, 0o600); err == nil {
		t.Fatal("a file in a missing folder was written")
	}
}
