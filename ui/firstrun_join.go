package ui

import (
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/internal/qrtoken"
	"github.com/medihaven/medihaven/ui/kit"
)

// joinPoll is how often a waiting workstation asks whether it was approved.
var joinPoll = 3 * time.Second

// joinForm is "Join a clinic".
type joinForm struct {
	token, name, pass, confirm *kit.Entry
	paste, picture, join, back *widget.Button
	message                    *widget.Label
	busy                       busy
}

// showJoin shows the "Join a clinic" form.
func (ws *Workstation) showJoin(f Founding) {
	jf := &joinForm{}
	jf.token = kit.NewMultiLineEntry()
	jf.token.Wrapping = fyne.TextWrapBreak
	jf.token.SetMinRowsVisible(3)
	jf.token.SetPlaceHolder("The registration token or its short code (MH2-…), as your administrator gave it")
	jf.paste = widget.NewButtonWithIcon("Paste", theme.ContentPasteIcon(), func() {
		jf.token.SetText(strings.TrimSpace(fyne.CurrentApp().Clipboard().Content()))
	})
	jf.picture = widget.NewButtonWithIcon("QR image…", theme.FileImageIcon(), func() { ws.openQRPicture(jf) })
	jf.name = kit.NewEntry()
	jf.name.SetPlaceHolder("Your name as colleagues know it")
	jf.pass = kit.NewPasswordEntry()
	jf.pass.SetPlaceHolder("At least 8 characters; a few words are best")
	strength := newStrengthLine(jf.pass)
	jf.confirm = kit.NewPasswordEntry()
	jf.confirm.SetPlaceHolder("The same passphrase again")
	keys := paragraph("")
	jf.message = newMessage(widget.DangerImportance)
	jf.join = widget.NewButtonWithIcon("Join the clinic", theme.LoginIcon(), func() { ws.submitJoin(jf, f) })
	jf.join.Importance = widget.HighImportance
	jf.back = widget.NewButtonWithIcon("Back", theme.NavigateBackIcon(), func() { ws.showLogin("", "") })
	jf.busy = newBusy(jf.token, jf.paste, jf.picture, jf.name, jf.pass, jf.confirm, jf.join, jf.back)
	jf.confirm.OnSubmitted = func(string) { ws.submitJoin(jf, f) }

	card := widget.NewCard("", "", container.NewPadded(container.NewVBox(
		heading("Join a clinic"),
		paragraph("Your administrator gave you a registration token: paste it, type its short code, "+
			"or open a screenshot or photo of its QR code."),
		container.NewBorder(nil, nil, nil, container.NewVBox(jf.paste, jf.picture), jf.token),
		widget.NewForm(
			widget.NewFormItem("Your name", jf.name),
			widget.NewFormItem("Passphrase", jf.pass),
			widget.NewFormItem("", strength),
			widget.NewFormItem("Again", jf.confirm),
		),
		keys,
		jf.message,
		container.NewBorder(nil, nil, jf.back, jf.join, jf.busy.activity),
	)))
	ws.show(firstRunPage(card), nil, nil, nil)
	ws.win.Canvas().Focus(jf.token)
	ws.sayKeyStorage(f, keys)
}

// submitJoin checks the form and joins off the UI goroutine.
func (ws *Workstation) submitJoin(jf *joinForm, f Founding) {
	if jf.join.Disabled() {
		return
	}
	j := JoinRequest{Token: strings.TrimSpace(jf.token.Text), Name: strings.TrimSpace(jf.name.Text)}
	problem := ""
	switch {
	case j.Token == "":
		problem = "Paste the registration token, or type its short code."
	case j.Name == "":
		problem = "Enter your name."
	default:
		problem = checkPassphrases(jf.pass.Text, jf.confirm.Text)
	}
	if problem != "" {
		say(jf.message, problem)
		return
	}
	j.Passphrase = []byte(jf.pass.Text)
	var w Joining
	ws.submitForm(jf.busy, jf.message, func() error {
		var err error
		w, err = f.Join(ws.ctx, j)
		clear(j.Passphrase)
		return err
	}, func() {
		// The request is made: what was asked with (a whole MH1 token
		// carries the clinic's Kubo API secret, which outlives it)
		// leaves the clipboard unless something else was copied
		// meanwhile (h-rev24).
		if cb := fyne.CurrentApp().Clipboard(); strings.TrimSpace(cb.Content()) == j.Token {
			cb.SetContent("")
		}
		ws.showWaitingForApproval(w)
	})
}

// approvalScreen is the newcomer's wait for an administrator.
type approvalScreen struct {
	code    *widget.Label
	status  *widget.Label
	cancel  *widget.Button
	refused bool
}

// showWaitingForApproval shows the comparison code and waits, asking
// every few seconds, until the request is approved (then the shell
// opens by itself) or refused (then it says why).
func (ws *Workstation) showWaitingForApproval(w Joining) {
	as := &approvalScreen{}
	as.code = widget.NewLabelWithStyle(w.Code(), fyne.TextAlignCenter, fyne.TextStyle{Bold: true, Monospace: true})
	as.code.SizeName = theme.SizeNameHeadingText
	as.status = paragraph("Waiting for an administrator to approve you…")
	activity := widget.NewActivity()
	as.cancel = widget.NewButtonWithIcon("Cancel and start again", theme.CancelIcon(), func() {
		as.refused = true
		ws.release() // the request's session, if the login had adopted it
		ws.background(func() {
			err := w.Cancel()
			kit.OnUI(func() {
				msg := ""
				if err != nil {
					msg = kit.ErrorText(err)
				}
				ws.showLogin("", msg)
			})
		})
	})
	as.cancel.Importance = widget.LowImportance
	card := widget.NewCard("", "", container.NewPadded(container.NewVBox(
		heading("Waiting for an administrator to approve you"),
		paragraph("Read this code to your administrator. They see the same code next to your name and approve you when the two match."),
		as.code,
		container.NewHBox(activity, as.status),
		paragraph("This screen moves on by itself once you are approved. You may leave it open."),
		container.NewHBox(as.cancel),
	)))
	ws.show(firstRunPage(card), nil, nil, nil)
	// The code in the title too: it shows on the taskbar while the
	// person waits in another window.
	ws.win.SetTitle(fmt.Sprintf("%s — waiting for approval, code %s", ws.opts.Title, w.Code()))
	activity.Start()
	ws.waiting = activity
	ws.pollApproval(w, as)
}

// pollApproval asks for the request's status until it is decided.
func (ws *Workstation) pollApproval(w Joining, as *approvalScreen) {
	ws.background(func() {
		for {
			approved, refused, err := w.Status(ws.ctx)
			// The real driver runs the callback later, on the UI
			// goroutine: its answer comes back on decided.
			decided := make(chan bool, 1)
			kit.OnUI(func() {
				stop := false
				switch {
				case as.refused || ws.ctx.Err() != nil:
					stop = true
				case err != nil:
					as.status.SetText("Could not ask the clinic's servers yet: " + kit.ErrorText(err) + " Trying again…")
				case refused != "":
					as.refused, stop = true, true
					as.status.SetText(refused)
					as.status.Importance = widget.DangerImportance
					as.status.Refresh()
					as.cancel.SetText("Remove this request and start again")
				case approved:
					stop = true
					if s := w.Session(); s != nil && ws.adopt(s) {
						ws.showShell(s)
					}
				}
				decided <- stop
			})
			select {
			case <-ws.ctx.Done():
				return
			case stop := <-decided:
				if stop {
					return
				}
			}
			select {
			case <-ws.ctx.Done():
				return
			case <-time.After(joinPoll):
			}
		}
	})
}

// systemZone is this computer's IANA time zone name ("Europe/London"),
// or "" when it cannot tell.
func systemZone() string {
	if tz := strings.TrimPrefix(os.Getenv("TZ"), ":"); tz != "" && !strings.HasPrefix(tz, "/") {
		return tz
	}
	if target, err := filepath.EvalSymlinks("/etc/localtime"); err == nil {
		if _, zone, ok := strings.Cut(target, "zoneinfo/"); ok {
			return zone
		}
	}
	if b, err := os.ReadFile("/etc/timezone"); err == nil {
		return strings.TrimSpace(string(b))
	}
	return ""
}

// openPicture asks for a picture of a token's QR code (Fyne's open
// dialog); tests replace it.
var openPicture = kit.OpenDialog

// pictureTypes are the pictures "QR image…" offers.
var pictureTypes = []string{".png", ".jpg", ".jpeg"}

// openQRPicture reads the token from a screenshot or photo of its QR
// code into the token field, off the UI goroutine.
func (ws *Workstation) openQRPicture(jf *joinForm) {
	openPicture(ws.win)(pictureTypes, func(_ string, r io.ReadCloser, err error) {
		if err != nil {
			say(jf.message, "The picture could not be opened: "+kit.ErrorText(err))
			return
		}
		if r == nil {
			return // the person cancelled
		}
		say(jf.message, "")
		jf.busy.set(true)
		ws.background(func() {
			text, err := readQRPicture(r)
			kit.OnUI(func() {
				jf.busy.set(false)
				if err != nil {
					say(jf.message, err.Error())
					return
				}
				jf.token.SetText(text)
				if jf.name.Text == "" {
					ws.win.Canvas().Focus(jf.name)
				}
			})
		})
	})
}

// readQRPicture reads and closes a picture of a token's QR code. Its
// error is a sentence for the person; the details go to the log.
func readQRPicture(r io.ReadCloser) (string, error) {
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, qrtoken.MaxFile+1))
	if err != nil {
		return "", fmt.Errorf("The picture could not be read: %s", kit.ErrorText(err))
	}
	text, err := qrtoken.Read(data)
	if err != nil {
		log.Printf("medihaven: QR image: %v", err)
		for _, plain := range []error{qrtoken.ErrNotAPicture, qrtoken.ErrTooLarge, qrtoken.ErrNoQRCode, qrtoken.ErrNotAToken} {
			if errors.Is(err, plain) {
				return "", errors.New(kit.ErrorText(plain))
			}
		}
		return "", errors.New(kit.ErrorText(err))
	}
	return text, nil
}
