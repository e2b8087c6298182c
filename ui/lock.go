package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/ui/kit"
)

// lockScreen hides the shell while the staff member's keys are locked.
type lockScreen struct {
	shell   *shellScreen // shown again, as it was, after unlocking
	pass    *kit.Entry
	unlock  *widget.Button
	logout  *widget.Button
	message *widget.Label
	busy    busy
}

// showLocked shows the lock screen over a shell whose session is locked.
func (ws *Workstation) showLocked(sh *shellScreen) {
	s := sh.session
	ls := &lockScreen{shell: sh}
	ls.pass = kit.NewPasswordEntry()
	ls.pass.SetPlaceHolder("Passphrase")
	ls.pass.OnSubmitted = func(string) { ws.submitUnlock(ls) }
	ls.message = newMessage(widget.DangerImportance)
	ls.unlock = widget.NewButtonWithIcon("Unlock", lockIcon, func() { ws.submitUnlock(ls) })
	ls.unlock.Importance = widget.HighImportance
	ls.logout = widget.NewButtonWithIcon("Log out", theme.LogoutIcon(), func() { ws.logout(sh) })
	ls.logout.Importance = widget.LowImportance
	ls.busy = newBusy(ls.pass, ls.unlock, ls.logout)

	explain := paragraph(s.Clinic() + " · your keys are locked. Enter your passphrase to go on where you left off.")
	explain.Alignment = fyne.TextAlignCenter
	card := widget.NewCard("", "", container.NewPadded(container.NewVBox(
		ls.pass,
		ls.message,
		container.NewBorder(nil, nil, ls.logout, ls.unlock, ls.busy.activity),
	)))
	content := centredColumn(loginWidth,
		container.NewCenter(container.NewGridWrap(fyne.NewSquareSize(64), widget.NewIcon(lockIcon))),
		newHeading("Locked — "+s.StaffName()),
		explain,
		spacer(8),
		card,
	)
	ws.show(content, nil, nil, ls)
	ws.win.Canvas().Focus(ls.pass)
}

// submitUnlock unlocks the session off the UI goroutine.
func (ws *Workstation) submitUnlock(ls *lockScreen) {
	if ls.unlock.Disabled() {
		return
	}
	if ls.pass.Text == "" {
		say(ls.message, "Enter your passphrase.")
		return
	}
	pass := []byte(ls.pass.Text)
	ls.pass.SetText("")
	say(ls.message, "")
	ls.busy.set(true)
	s := ls.shell.session
	ws.background(func() {
		err := s.Unlock(ws.ctx, pass)
		clear(pass)
		if err == nil {
			releaseKeyMemory()
		}
		kit.OnUI(func() {
			if ws.locked != ls {
				return
			}
			if err != nil {
				ls.busy.set(false)
				say(ls.message, kit.ErrorText(err))
				ws.win.Canvas().Focus(ls.pass)
				return
			}
			ls.busy.set(false)
			ws.clip.found()
			ws.showShellScreen(ls.shell)
		})
	})
}
