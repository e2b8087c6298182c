package ui

import (
	"context"
	"errors"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/ui/kit"
)

// Restoring is a Founding backend that can also make this computer's
// workstation from a backup of an old computer's (Settings' "Back up this
// workstation…", issue 16). The first run offers "Restore from a backup"
// when the backend has it.
type Restoring interface {
	// Restore makes the workstation from the backup and logs in to it. A
	// failed restore leaves nothing behind.
	Restore(ctx context.Context, r RestoreRequest) (Session, error)
}

// RestoreRequest is what "Restore from a backup" asks for.
type RestoreRequest struct {
	File       string // the backup file's path
	Passphrase []byte // the member's, as on the old computer
}

// backupOpener asks for a backup file and gives its path, "" when the
// person cancelled.
type backupOpener func(w fyne.Window, done func(path string, err error))

// openBackup asks with Fyne's open dialog; tests replace it.
var openBackup backupOpener = backupFileDialog

// restoreForm is "Restore from a backup".
type restoreForm struct {
	file             string
	chosen           *widget.Label
	pass             *kit.Entry
	replaces         *widget.Check
	choose, restore  *widget.Button
	back             *widget.Button
	message, working *widget.Label
	busy             busy
}

// restoreWarning is said before a restore: a restored workstation is the
// old one, and both at once would write as the same workstation.
const restoreWarning = "This computer takes the old computer's place. Do not use Medihaven on the old computer " +
	"again, and never use both at once: they would write as the same workstation, and the status bar would " +
	"report it to everyone who syncs with the clinic."

// showRestore shows the "Restore from a backup" form.
func (ws *Workstation) showRestore(f Founding, r Restoring) {
	rf := &restoreForm{}
	rf.chosen = paragraph("No file chosen yet.")
	rf.chosen.Wrapping = fyne.TextWrapBreak
	rf.choose = widget.NewButtonWithIcon("Choose the backup file…", theme.FolderOpenIcon(), func() { ws.chooseBackup(rf) })
	rf.pass = kit.NewPasswordEntry()
	rf.pass.SetPlaceHolder("Your passphrase from the old computer")
	keys := paragraph("")
	warning := paragraph(restoreWarning)
	warning.Importance = widget.WarningImportance
	rf.replaces = widget.NewCheck("This computer replaces the old one", nil)
	rf.message = newMessage(widget.DangerImportance)
	rf.working = newMessage(widget.MediumImportance)
	rf.restore = widget.NewButtonWithIcon("Restore", theme.UploadIcon(), func() { ws.submitRestore(rf, r) })
	rf.restore.Importance = widget.HighImportance
	rf.back = widget.NewButtonWithIcon("Back", theme.NavigateBackIcon(), func() { ws.showLogin("", "") })
	rf.busy = newBusy(rf.choose, rf.pass, rf.replaces, rf.restore, rf.back)
	rf.pass.OnSubmitted = func(string) { ws.submitRestore(rf, r) }

	card := widget.NewCard("", "", container.NewPadded(container.NewVBox(
		heading("Restore from a backup"),
		paragraph("Use this when this computer replaces one that had Medihaven. You need the backup file "+
			"(Settings, Back up this workstation… on the old computer) and your passphrase."),
		widget.NewForm(
			widget.NewFormItem("Backup file", container.NewVBox(rf.chosen, container.NewHBox(rf.choose))),
			widget.NewFormItem("Passphrase", rf.pass),
		),
		keys,
		warning,
		rf.replaces,
		rf.message,
		rf.working,
		container.NewBorder(nil, nil, rf.back, rf.restore, rf.busy.activity),
	)))
	ws.show(firstRunPage(card), nil, nil, nil)
	// The file first; and the space that pressed "Restore from a backup"
	// must not land in the passphrase.
	ws.win.Canvas().Focus(rf.choose)
	ws.sayKeyStorage(f, keys)
	ws.probe.arm("restore-form") // the window tests wait for it (internal/marks)
}

// chooseBackup asks for the backup file and shows the one chosen.
func (ws *Workstation) chooseBackup(rf *restoreForm) {
	openBackup(ws.win, func(path string, err error) {
		if err != nil {
			say(rf.message, "The file could not be opened: "+kit.ErrorText(err))
			return
		}
		if path == "" {
			return // the person cancelled
		}
		say(rf.message, "")
		rf.file = path
		rf.chosen.SetText(path)
		ws.win.Canvas().Focus(rf.pass)
	})
	ws.probe.arm("backup-file-dialog") // the window tests wait for it (internal/marks)
}

// submitRestore checks the form and restores off the UI goroutine.
func (ws *Workstation) submitRestore(rf *restoreForm, r Restoring) {
	if rf.restore.Disabled() {
		return
	}
	problem := ""
	switch {
	case rf.file == "":
		problem = "Choose the backup file."
	case rf.pass.Text == "":
		problem = "Enter the passphrase you logged in with on the old computer."
	case !rf.replaces.Checked:
		problem = "Tick 'This computer replaces the old one' once you are sure: the old computer must not use Medihaven again."
	}
	if problem != "" {
		say(rf.message, problem)
		return
	}
	req := RestoreRequest{File: rf.file, Passphrase: []byte(rf.pass.Text)}
	say(rf.working, "Restoring the workstation and checking every record… A large clinic takes a few minutes.")
	var s Session
	ws.submitForm(rf.busy, rf.message, func() error {
		var err error
		s, err = r.Restore(ws.ctx, req)
		clear(req.Passphrase)
		kit.OnUI(func() { say(rf.working, "") })
		if err == nil && !ws.adopt(s) {
			return errClosed
		}
		return err
	}, func() { ws.showShell(s) })
}

// backupFileDialog is a backupOpener with Fyne's file open dialog. A
// backup is read where it lies (it may be gigabytes), so only a file on
// this computer's disks will do.
func backupFileDialog(w fyne.Window, done func(string, error)) {
	d := dialog.NewFileOpen(func(f fyne.URIReadCloser, err error) {
		if err != nil || f == nil {
			done("", err)
			return
		}
		f.Close()
		if f.URI().Scheme() != "file" {
			done("", errors.New("choose a file on this computer's disks or on a USB stick"))
			return
		}
		done(f.URI().Path(), nil)
	}, w)
	d.Show()
	// Larger than its smallest, so that file names show whole (and within
	// a 1024x768 window); a file dialog resizes only once shown.
	d.Resize(fyne.NewSize(860, 560))
}
