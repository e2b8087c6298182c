package ui

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/medihaven/medihaven/roles"
)

// backupSession is a fake session that writes a backup when given its
// passphrase.
type backupSession struct {
	*fakeSession
	pass string
}

func (s *backupSession) BackupTo(_ context.Context, out string, pass []byte) error {
	if string(pass) != s.pass {
		return errors.New("app: wrong passphrase: your passphrase is not right; check it and try again")
	}
	return os.WriteFile(out, []byte("sealed backup"), 0o600)
}

func TestSettingsBackup(t *testing.T) {
	s := &backupSession{fakeSession: &fakeSession{name: "Alice Moreau", role: roles.Administrator, clinic: "Riverside"}, pass: rightPassphrase}
	h, _, st := openSettings(t, s)
	c := st.backup
	if c == nil {
		t.Fatal("Settings has no backup card")
	}
	dir := t.TempDir()
	var asked []string
	c.save = func(name string, done func(io.WriteCloser, string, error)) {
		asked = append(asked, name)
		if strings.Contains(name, "cancel") {
			done(nil, "", nil)
			return
		}
		where := filepath.Join(dir, name)
		f, err := os.Create(where)
		done(f, where, err)
	}

	// No passphrase: asked first, no dialog.
	test.Tap(c.button)
	if !c.message.Visible() || !strings.Contains(c.message.Text, "Enter your passphrase") || len(asked) != 0 {
		t.Fatalf("without a passphrase: message %q, dialogs %v", c.message.Text, asked)
	}

	// A wrong passphrase: nothing left behind.
	test.Type(c.pass, "guess")
	test.Tap(c.button)
	h.wait()
	if !strings.Contains(c.message.Text, "No backup was written: Wrong passphrase") {
		t.Fatalf("wrong passphrase says %q", c.message.Text)
	}
	if files, _ := os.ReadDir(dir); len(files) != 0 {
		t.Fatalf("a failed backup left %v", files)
	}

	// The right one: the file is where the person chose.
	c.pass.SetText("")
	test.Type(c.pass, rightPassphrase)
	test.Tap(c.button)
	h.wait()
	if c.message.Visible() || !strings.HasPrefix(c.done.Text, "Backup written to "+dir) {
		t.Fatalf("after the backup: error %q, done %q", c.message.Text, c.done.Text)
	}
	data, err := os.ReadFile(filepath.Join(dir, asked[len(asked)-1]))
	if err != nil || string(data) != "sealed backup" {
		t.Fatalf("the saved backup: %q, %v", data, err)
	}
	if c.pass.Text != "" {
		t.Error("the passphrase stays in the field after the backup")
	}
}
