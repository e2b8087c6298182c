package ui

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app/backup"
	"github.com/medihaven/medihaven/ui/kit"
)

// BackingUp is a session that writes an encrypted backup of its
// workstation, which opens only with the member's passphrase (issue 16).
type BackingUp interface {
	BackupTo(ctx context.Context, out string, passphrase []byte) error
}

var _ BackingUp = (*backup.Service)(nil)

// backingUpOf is the backup of a session: the session itself when it
// serves BackingUp (a test's fake), else app/backup's of the app's
// session behind it.
func backingUpOf(s any) (BackingUp, bool) {
	if b, ok := s.(BackingUp); ok {
		return b, true
	}
	b, ok := backup.Of(s)
	return b, ok
}

// backupSaver asks where a backup goes (a save dialog) and gives a writer
// there, or a nil writer when the person cancelled; tests replace it.
type backupSaver func(name string, done func(w io.WriteCloser, where string, err error))

// backupCard is Settings' "Back up this workstation": the passphrase,
// then where to save the file.
type backupCard struct {
	pass    *kit.Entry
	button  *widget.Button
	message *widget.Label // errors
	done    *widget.Label // success
	save    backupSaver
}

func (st *settingsScreen) newBackupCard(ws *Workstation, b BackingUp, w fyne.Window) fyne.CanvasObject {
	c := &backupCard{pass: kit.NewPasswordEntry(), message: newMessage(widget.DangerImportance),
		done: newMessage(widget.SuccessImportance), save: saveDialog(w)}
	st.backup = c
	c.pass.SetPlaceHolder("Your passphrase")
	c.button = widget.NewButtonWithIcon("Back up this workstation…", theme.DocumentSaveIcon(), func() { c.start(ws, b) })
	c.pass.OnSubmitted = func(string) { c.start(ws, b) }
	note := paragraph("Writes every record and key of this workstation to one encrypted file. Keep it away from the computer; it opens only with your passphrase. On a new computer, choose Restore from a backup on Medihaven's first screen.")
	note.Importance = widget.LowImportance
	return widget.NewCard("Backup", "", container.NewVBox(
		widget.NewForm(widget.NewFormItem("Passphrase", c.pass)),
		note, c.message, c.done, container.NewHBox(c.button)))
}

// start asks where to save, then writes the backup off the UI goroutine.
func (c *backupCard) start(ws *Workstation, b BackingUp) {
	say(c.done, "")
	if c.pass.Text == "" {
		say(c.message, "Enter your passphrase: the backup opens only with it.")
		return
	}
	say(c.message, "")
	name := "medihaven-backup-" + time.Now().Format("2006-01-02") + ".backup"
	c.save(name, func(w io.WriteCloser, where string, err error) {
		if err != nil {
			say(c.message, "The file cannot be written there: "+kit.ErrorText(err))
			return
		}
		if w == nil {
			return
		}
		pass := []byte(c.pass.Text)
		c.button.Disable()
		say(c.done, "Writing the backup…")
		ws.background(func() {
			err := writeBackup(ws.ctx, b, w, pass)
			clear(pass)
			kit.OnUI(func() {
				c.button.Enable()
				say(c.done, "")
				if err != nil {
					if where != "" {
						os.Remove(where)
					}
					say(c.message, "No backup was written: "+kit.ErrorText(err))
					return
				}
				c.pass.SetText("")
				say(c.done, "Backup written to "+where+". Keep it somewhere safe, away from this computer.")
			})
		})
	})
}

// writeBackup writes the backup into a new temporary folder (BackupTo
// wants a new file), then copies it to w; the copy is encrypted already.
func writeBackup(ctx context.Context, b BackingUp, w io.WriteCloser, pass []byte) error {
	defer w.Close()
	tmp, err := os.MkdirTemp("", "medihaven-backup-")
	if err != nil {
		return fmt.Errorf("a temporary folder cannot be made: %w", err)
	}
	defer os.RemoveAll(tmp)
	file := filepath.Join(tmp, "backup")
	if err := b.BackupTo(ctx, file, pass); err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.Copy(w, f); err != nil {
		return fmt.Errorf("the backup could not be copied to the file you chose: %w", err)
	}
	return w.Close()
}

// saveDialog is a backupSaver with Fyne's file save dialog; the file is
// private to its owner (kit.Private): a backup holds every record, only
// encrypted to the passphrase.
func saveDialog(w fyne.Window) backupSaver {
	choose := kit.ChooseSaveDialog(w)
	return func(name string, done func(io.WriteCloser, string, error)) {
		choose(name, func(f fyne.URIWriteCloser, err error) {
			if err != nil || f == nil {
				done(nil, "", err)
				return
			}
			done(f, f.URI().Path(), nil)
		})
	}
}
