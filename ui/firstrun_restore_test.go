package ui

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/app/backup"
	"github.com/medihaven/medihaven/roles"
)

// restoringFounder is a new computer that restores backups with
// app/backup into dir, with a keystore that never held their keys.
type restoringFounder struct {
	*fakeFounder
	env app.Env
	dir string
}

func (f *restoringFounder) Restore(ctx context.Context, r RestoreRequest) (Session, error) {
	s, err := backup.Restore(ctx, f.env, backup.Restoration{File: r.File, Dir: f.dir, Passphrase: r.Passphrase})
	if err != nil {
		return nil, err
	}
	return restoredSession{s}, nil
}

// restoredSession is the restored workstation's session as the shell sees
// it, without the role screens' services: their screens load on goroutines
// of their own, which the test driver's fyne.Do would let touch the window
// beside the test's. TestRestoreOnANewComputer (package main) logs in to
// a restored workstation with every service.
type restoredSession struct{ Session }

// fileChooser stands for the open dialog: it gives the next path ("":
// the person cancels) or the error.
type fileChooser struct {
	next string
	err  error
}

func (c *fileChooser) open(_ fyne.Window, done func(string, error)) { done(c.next, c.err) }

// TestRestoreFromABackupInTheWindow drives "Restore from a backup" on a
// computer with no clinic, with a real backup of a real clinic's
// physician workstation (app/backup): every refusal says what to do in
// plain words and leaves no profile behind, and the right passphrase
// opens the restored workstation's home.
func TestRestoreFromABackupInTheWindow(t *testing.T) {
	ctx := context.Background()
	c := apptest.NewClinic(t)
	file := filepath.Join(t.TempDir(), "medihaven-backup-2026-12-03.backup")
	if err := backup.New(c.Recep.Core()).BackupTo(ctx, file, []byte(apptest.Passphrase)); err != nil {
		t.Fatal(err)
	}
	photo := filepath.Join(t.TempDir(), "holiday.png")
	if err := os.WriteFile(photo, []byte("\x89PNG\r\n\x1a\n not a backup"), 0o600); err != nil {
		t.Fatal(err)
	}
	chooser := &fileChooser{}
	openBackup = chooser.open
	t.Cleanup(func() { openBackup = backupFileDialog })

	h, fake := newFounderHarness(t)
	env, _ := apptest.Env() // the new computer's keystore
	dir := filepath.Join(t.TempDir(), "restored")
	f := &restoringFounder{fakeFounder: fake, env: env, dir: dir}
	h.ws.backend = f
	h.ws.showLogin("", "")
	h.wait()
	test.Tap(button(t, h, "Restore from a backup"))
	h.wait()
	text := renderedText(h.w.Content())
	for _, want := range []string{"never use both at once", "protected by your passphrase", "No file chosen yet."} {
		if !strings.Contains(text, want) {
			t.Errorf("the form does not say %q:\n%s", want, text)
		}
	}
	pass := entriesByHint(h.w.Content())["Your passphrase from the old computer"]
	var replaces *widget.Check
	for _, o := range test.LaidOutObjects(h.w.Content()) {
		if c, ok := o.(*widget.Check); ok && c.Text == "This computer replaces the old one" {
			replaces = c
		}
	}
	if pass == nil || replaces == nil {
		t.Fatalf("no passphrase or confirmation on:\n%s", text)
	}

	for _, step := range []struct {
		name     string
		file     string // chosen with the dialog, "" to leave it
		openErr  error
		pass     string
		replaces bool
		dir      string // where the restore goes
		message  string // "" for the home
	}{
		{name: "nothing chosen", message: "Choose the backup file."},
		{name: "the dialog fails", openErr: errors.New("permission denied"), message: "The file could not be opened: Permission denied"},
		{name: "no passphrase", file: file, message: "Enter the passphrase you logged in with on the old computer."},
		{name: "not confirmed", pass: apptest.Passphrase, message: "Tick 'This computer replaces the old one' once you are sure: the old computer must not use Medihaven again."},
		{name: "not a backup", file: photo, pass: apptest.Passphrase, replaces: true, dir: dir,
			message: "This file is not a usable Medihaven backup: it is not an encrypted backup; choose the file that 'Back up this workstation' or medihaven backup wrote on the old computer"},
		{name: "wrong passphrase", file: file, pass: "correct horse battery staple", replaces: true, dir: dir,
			message: "Wrong passphrase: this passphrase does not open the backup; type the one you logged in with on the old computer (check Caps Lock), or try another copy of the backup if this one may be damaged"},
		{name: "a profile already here", pass: apptest.Passphrase, replaces: true, dir: c.Admin.Profile().Dir,
			message: "A clinic profile already exists in this folder: " + c.Admin.Profile().Dir + " (restore into an empty folder)"},
		{name: "the right passphrase", pass: apptest.Passphrase, replaces: true, dir: dir},
	} {
		if step.file != "" || step.openErr != nil {
			chooser.next, chooser.err = step.file, step.openErr
			test.Tap(button(t, h, "Choose the backup file…"))
		}
		if step.pass != "" {
			pass.SetText("")
			test.Type(pass, step.pass)
		}
		replaces.SetChecked(step.replaces)
		if step.dir != "" {
			f.dir = step.dir
		}
		if step.openErr == nil {
			restore := button(t, h, "Restore")
			test.Tap(restore)
			if step.dir != "" && (!restore.Disabled() || !strings.Contains(renderedText(h.w.Content()), "Restoring the workstation")) {
				t.Errorf("%s: the form is not busy while the restore runs", step.name)
			}
			h.wait()
		}
		if step.message == "" {
			break
		}
		if got := messageText(h.w.Content()); got != step.message {
			t.Errorf("%s: message %q, want %q", step.name, got, step.message)
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s: the refused restore left %s behind", step.name, dir)
		}
	}
	if _, err := app.ReadProfile(c.Admin.Profile().Dir); err != nil {
		t.Errorf("the profile already there was harmed: %v", err)
	}
	sh := h.mustShell()
	if sh.session.StaffName() != "Rita Reception" || sh.session.Role() != roles.Receptionist {
		t.Errorf("the home of %q (%v)", sh.session.StaffName(), sh.session.Role())
	}
	p, err := app.ReadProfile(dir)
	if err != nil || p.Device != c.Recep.Profile().Device {
		t.Errorf("the restored profile: %+v, %v", p, err)
	}
}

// TestWelcomeOffersRestoreOnlyWhenTheBackendRestores: a backend that
// cannot restore (uipreview's, say) shows no button that would fail.
func TestWelcomeOffersRestoreOnlyWhenTheBackendRestores(t *testing.T) {
	h, _ := newFounderHarness(t)
	for _, o := range test.LaidOutObjects(h.w.Content()) {
		if b, ok := o.(*widget.Button); ok && b.Text == "Restore from a backup" {
			t.Fatal("the welcome offers a restore its backend cannot do")
		}
	}
}
