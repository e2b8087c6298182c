package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/ui/kit"
)

// Founding is a Backend that can make this computer's first workstation
// in the window: create a clinic, or join one with a registration token.
// A Backend without it gets the "no clinic here" message instead.
type Founding interface {
	// KeyStorage says where a new workstation's keys would be kept.
	KeyStorage(ctx context.Context) KeyStorage
	// CreateClinic makes the clinic and its administrator's workstation,
	// logged in.
	CreateClinic(ctx context.Context, c NewClinic) (Session, error)
	// Join makes this workstation a member-to-be of a clinic with a
	// registration token (or its short code). A failed join leaves no
	// profile behind.
	Join(ctx context.Context, j JoinRequest) (Joining, error)
}

// KeyStorage is where a new workstation's keys live, said plainly.
type KeyStorage struct {
	Keyring bool   // the OS keyring (Secret Service); else a file
	Where   string // a sentence for the person
}

// ServerMode is how a new clinic reaches its servers.
type ServerMode int

const (
	// WorkOffline keeps the clinic on this computer until servers exist.
	WorkOffline ServerMode = iota
	// RunServersHere starts the clinic's servers on this computer.
	RunServersHere
	// UseServersHere uses servers `medihaven server` runs on this computer.
	UseServersHere
)

// NewClinic is what "Create a clinic" asks for.
type NewClinic struct {
	Clinic, Address, Phone, Zone string
	Admin                        string
	Passphrase                   []byte
	Servers                      ServerMode
	Domain                       string // RunServersHere: the clinic's XMPP domain
	ServerDir                    string // UseServersHere: the server folder ("" for the default)
}

// JoinRequest is what "Join a clinic" asks for.
type JoinRequest struct {
	Token      string // the whole token or its short code
	Name       string
	Passphrase []byte
}

// Joining is a workstation waiting for an administrator's approval.
type Joining interface {
	// Code is the comparison code to read to the administrator.
	Code() string
	// Status says whether the request was approved (the session is then
	// ready), refused (reason in plain words) or still waits.
	Status(ctx context.Context) (approved bool, refused string, err error)
	// Session is the workstation, once approved.
	Session() Session
	// Cancel gives up: the workstation and its profile are removed.
	Cancel() error
}

// AwaitingApproval is a logged-in session whose workstation still waits
// for an administrator to approve it (the window was closed while it
// waited): the login shows the waiting screen again, not the shell.
type AwaitingApproval interface {
	// AwaitingApproval is the request under way, nil once approved.
	AwaitingApproval() Joining
}

// firstRunWidth is the width of the first-run forms.
const firstRunWidth = 560

// showWelcome offers to create or join a clinic on a computer with none.
func (ws *Workstation) showWelcome(ls *loginScreen, f Founding) {
	create := widget.NewButtonWithIcon("Create a clinic", theme.ContentAddIcon(), func() { ws.showCreate(f) })
	create.Importance = widget.HighImportance
	join := widget.NewButtonWithIcon("Join a clinic", theme.LoginIcon(), func() { ws.showJoin(f) })
	body := container.NewVBox(
		heading("Welcome to Medihaven"),
		paragraph("There is no clinic on this computer yet."),
		paragraph("Create a clinic if you are setting Medihaven up for your practice: you become its first administrator."),
		paragraph("Join a clinic if your administrator gave you a registration token (a short code, or the whole token)."),
		container.NewGridWithColumns(2, create, join),
	)
	if r, ok := f.(Restoring); ok { // firstrun_restore.go
		restore := widget.NewButtonWithIcon("Restore from a backup", theme.HistoryIcon(), func() { ws.showRestore(f, r) })
		body.Add(paragraph("Restore from a backup if this computer replaces one that had Medihaven: you need its backup file and your passphrase."))
		body.Add(container.NewHBox(restore))
	}
	card := widget.NewCard("", "", container.NewPadded(body))
	ws.show(loginPage(card), ls, nil, nil)
}

// heading is bold, wrapped text for the top of a card.
func heading(text string) *widget.Label {
	l := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.Wrapping = fyne.TextWrapWord
	l.SizeName = theme.SizeNameSubHeadingText
	return l
}

// firstRunPage is a first-run form in a scrolling column.
func firstRunPage(card fyne.CanvasObject) fyne.CanvasObject {
	return container.NewVScroll(centredColumn(firstRunWidth,
		container.NewCenter(newAppIcon(64)), card))
}

// createForm is "Create a clinic".
type createForm struct {
	clinic, address, phone, zone, admin *kit.Entry
	pass, confirm                       *kit.Entry
	servers                             *kit.Radio
	domain, serverDir                   *kit.Entry
	create, back                        *widget.Button
	message                             *widget.Label
	busy                                busy
}

// Server choices as the form words them.
var serverChoices = []string{
	"Work offline for now",
	"Run the clinic's servers on this computer",
	"Use the servers already running on this computer (medihaven server)",
}

// showCreate shows the "Create a clinic" form.
func (ws *Workstation) showCreate(f Founding) {
	cf := &createForm{}
	entry := func(hint string) *kit.Entry {
		e := kit.NewEntry()
		e.SetPlaceHolder(hint)
		return e
	}
	cf.clinic = entry("e.g. Riverside Family Practice")
	cf.address = entry("Street, town (optional)")
	cf.phone = entry("e.g. +44 20 7946 0000 (optional)")
	cf.zone = entry("e.g. Europe/London")
	cf.zone.SetText(systemZone())
	cf.admin = entry("Your name as colleagues know it")
	cf.pass = kit.NewPasswordEntry()
	cf.pass.SetPlaceHolder("At least 8 characters; a few words are best")
	strength := newStrengthLine(cf.pass)
	cf.confirm = kit.NewPasswordEntry()
	cf.confirm.SetPlaceHolder("The same passphrase again")
	keys := paragraph("")
	cf.domain = entry("e.g. clinic.example")
	cf.domain.SetText("clinic.localhost")
	cf.serverDir = entry("Server folder (empty: the default)")
	cf.servers = kit.NewRadio(serverChoices, func(string) { cf.showServerFields() })
	cf.servers.SetSelected(serverChoices[0])
	cf.message = newMessage(widget.DangerImportance)
	cf.create = widget.NewButtonWithIcon("Create the clinic", theme.ConfirmIcon(), func() { ws.submitCreate(cf, f) })
	cf.create.Importance = widget.HighImportance
	cf.back = widget.NewButtonWithIcon("Back", theme.NavigateBackIcon(), func() { ws.showLogin("", "") })
	cf.busy = newBusy(cf.clinic, cf.address, cf.phone, cf.zone, cf.admin, cf.pass, cf.confirm, cf.servers,
		cf.domain, cf.serverDir, cf.create, cf.back)
	cf.confirm.OnSubmitted = func(string) { ws.submitCreate(cf, f) }

	card := widget.NewCard("", "", container.NewPadded(container.NewVBox(
		heading("Create a clinic"),
		widget.NewForm(
			widget.NewFormItem("Clinic name", cf.clinic),
			widget.NewFormItem("Address", cf.address),
			widget.NewFormItem("Phone", cf.phone),
			widget.NewFormItem("Time zone", cf.zone),
		),
		heading("You, the first administrator"),
		widget.NewForm(
			widget.NewFormItem("Your name", cf.admin),
			widget.NewFormItem("Passphrase", cf.pass),
			widget.NewFormItem("", strength),
			widget.NewFormItem("Again", cf.confirm),
		),
		keys,
		heading("The clinic's servers"),
		paragraph("Workstations share records through the clinic's servers. You can start without them."),
		cf.servers, cf.domain, cf.serverDir,
		cf.message,
		container.NewBorder(nil, nil, cf.back, cf.create, cf.busy.activity),
	)))
	cf.showServerFields()
	ws.show(firstRunPage(card), nil, nil, nil)
	ws.win.Canvas().Focus(cf.clinic)
	ws.sayKeyStorage(f, keys)
}

func (cf *createForm) showServerFields() {
	cf.domain.Hide()
	cf.serverDir.Hide()
	switch cf.servers.Selected {
	case serverChoices[RunServersHere]:
		cf.domain.Show()
	case serverChoices[UseServersHere]:
		cf.serverDir.Show()
	}
}

// sayKeyStorage writes in l where a new workstation's keys would live,
// asked off the UI goroutine.
func (ws *Workstation) sayKeyStorage(f Founding, l *widget.Label) {
	ws.background(func() {
		k := f.KeyStorage(ws.ctx)
		kit.OnUI(func() { l.SetText(k.Where) })
	})
}

// checkPassphrases says what is wrong with a new passphrase and its
// confirmation, "" when nothing is.
func checkPassphrases(pass, confirm string) string {
	switch {
	case pass == "":
		return "Choose a passphrase."
	case len(pass) < minPassphrase:
		return fmt.Sprintf("The passphrase must have at least %d characters.", minPassphrase)
	case pass != confirm:
		return "The two passphrases differ. Type the same one twice."
	}
	return ""
}

// submitCreate checks the form and creates the clinic off the UI goroutine.
func (ws *Workstation) submitCreate(cf *createForm, f Founding) {
	if cf.create.Disabled() {
		return
	}
	c := NewClinic{
		Clinic: strings.TrimSpace(cf.clinic.Text), Address: cf.address.Text, Phone: cf.phone.Text,
		Zone: strings.TrimSpace(cf.zone.Text), Admin: strings.TrimSpace(cf.admin.Text),
		Domain: strings.TrimSpace(cf.domain.Text), ServerDir: strings.TrimSpace(cf.serverDir.Text),
	}
	for i, choice := range serverChoices {
		if cf.servers.Selected == choice {
			c.Servers = ServerMode(i)
		}
	}
	problem := ""
	switch {
	case c.Clinic == "":
		problem = "Enter the clinic's name."
	case c.Admin == "":
		problem = "Enter your name."
	case c.Servers == RunServersHere && c.Domain == "":
		problem = "Enter the clinic's domain for its servers, e.g. clinic.example."
	default:
		problem = checkPassphrases(cf.pass.Text, cf.confirm.Text)
	}
	if problem != "" {
		say(cf.message, problem)
		return
	}
	c.Passphrase = []byte(cf.pass.Text)
	var s Session
	ws.submitForm(cf.busy, cf.message, func() error {
		var err error
		s, err = f.CreateClinic(ws.ctx, c)
		clear(c.Passphrase)
		if err == nil && !ws.adopt(s) {
			return errClosed
		}
		return err
	}, func() { ws.showShell(s) })
}

// errClosed means the window closed while a form's work ran.
var errClosed = errors.New("the window closed")

// submitForm runs a first-run form's work off the UI goroutine with the
// form busy, then shows its error in plain words, or calls done.
func (ws *Workstation) submitForm(b busy, message *widget.Label, work func() error, done func()) {
	say(message, "")
	b.set(true)
	ws.background(func() {
		err := work()
		if errors.Is(err, errClosed) {
			return
		}
		kit.OnUI(func() {
			b.set(false)
			if err != nil {
				say(message, kit.ErrorText(err))
				return
			}
			done()
		})
	})
}
