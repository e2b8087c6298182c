package ui

import (
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/internal/marks"
	"github.com/medihaven/medihaven/ui/kit"
)

// errNoSession stands in for a Backend that returned neither a session nor
// an error.
var errNoSession = errors.New("The login did not open the workstation; please try again")

// loginWidth is the width of the login column.
const loginWidth = 460

// loginScreen is the login form, or the message shown instead of it when
// this computer has no clinic profile yet.
type loginScreen struct {
	profiles []Profile
	options  []string // the clinic Select's options, one per profile

	clinic  *kit.TypeSelect // nil unless there are several profiles
	form    *widget.Form
	staff   *kit.Entry    // asked for when the profile does not name its person
	person  *widget.Label // the profile's staff member otherwise
	pass    *kit.Entry
	submit  *widget.Button
	message *widget.Label // errors, in plain words
	busy    busy

	retry *widget.Button // "Look again", when there is no form
}

// showLogin shows the login screen: first a short wait while the profiles
// are listed, then the form. staffName prefills the form; message, if not
// empty, is shown as an error under it. When Run listed the profiles while
// the window was being made (listed), the form comes at once, without the
// wait's extra frame.
func (ws *Workstation) showLogin(staffName, message string) {
	ls := &loginScreen{}
	ws.win.SetTitle(ws.opts.Title)
	if pre := ws.listed; pre != nil {
		ws.listed = nil
		select {
		case l := <-pre:
			ws.showProfiles(ls, l.profiles, l.err, staffName, message)
			return
		default: // not there yet: wait for it as for a listing of our own
		}
		ws.showWaiting("Looking for clinic profiles on this computer…", ls)
		ws.background(func() {
			l := <-pre
			kit.OnUI(func() {
				if ws.login == ls {
					ws.showProfiles(ls, l.profiles, l.err, staffName, message)
				}
			})
		})
		return
	}
	ws.showWaiting("Looking for clinic profiles on this computer…", ls)
	ws.background(func() {
		profiles, err := ws.backend.Profiles(ws.ctx)
		kit.OnUI(func() {
			if ws.login == ls {
				ws.showProfiles(ls, profiles, err, staffName, message)
			}
		})
	})
}

// listing is the backend's list of profiles, or why there is none.
type listing struct {
	profiles []Profile
	err      error
}

// showProfiles shows the login form for the profiles listed, or says why
// there is none (the first run offers to create or join a clinic).
func (ws *Workstation) showProfiles(ls *loginScreen, profiles []Profile, err error, staffName, message string) {
	switch {
	case err != nil:
		ws.showNoForm(ls, "Medihaven could not list the clinic profiles on this computer",
			staffName, paragraph(kit.ErrorText(err)))
	case len(profiles) == 0:
		if f, ok := ws.backend.(Founding); ok {
			ws.showWelcome(ls, f) // firstrun.go
			return
		}
		ws.showNoForm(ls, "No clinic on this computer yet", staffName, noProfileHelp()...)
	default:
		ws.showForm(ls, profiles, staffName, message)
	}
}

// noProfileHelp tells a person with no clinic profile what to do.
func noProfileHelp() []fyne.CanvasObject {
	return []fyne.CanvasObject{
		paragraph("Medihaven keeps each clinic's records in a profile on this computer, and there is none here yet."),
		paragraph("To start a new clinic, run in a terminal:"),
		command("medihaven init --clinic NAME --admin NAME"),
		paragraph("To try Medihaven with a demo clinic, run in the Medihaven source folder:"),
		command("make run"),
		paragraph("Then choose Look again."),
	}
}

// paragraph is wrapped body text.
func paragraph(text string) *widget.Label {
	l := widget.NewLabel(text)
	l.Wrapping = fyne.TextWrapWord
	return l
}

// command shows a command to type, in monospace on a tinted strip, and
// selectable so that it can be copied.
func command(text string) fyne.CanvasObject {
	l := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	l.Selectable = true
	return newBackdrop(theme.ColorNameInputBackground, l)
}

// showNoForm shows a titled message in place of the form, with a button to
// list the profiles again.
func (ws *Workstation) showNoForm(ls *loginScreen, title, staffName string, body ...fyne.CanvasObject) {
	ls.retry = widget.NewButtonWithIcon("Look again", theme.ViewRefreshIcon(), func() {
		ws.showLogin(staffName, "")
	})
	heading := widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	heading.Wrapping = fyne.TextWrapWord
	objects := append([]fyne.CanvasObject{heading}, body...)
	objects = append(objects, container.NewHBox(ls.retry))
	card := widget.NewCard("", "", container.NewPadded(container.NewVBox(objects...)))
	ws.show(loginPage(card), ls, nil, nil)
}

// showForm shows the login form for the given profiles. A profile that
// names its staff member shows the name instead of asking for it.
func (ws *Workstation) showForm(ls *loginScreen, profiles []Profile, staffName, message string) {
	ls.profiles = profiles
	ls.staff = kit.NewEntry()
	ls.staff.SetPlaceHolder("Your name as the clinic knows it")
	ls.staff.SetText(staffName)
	ls.person = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	ls.pass = kit.NewPasswordEntry()
	ls.pass.SetPlaceHolder("Passphrase")
	ls.message = newMessage(widget.DangerImportance)
	ls.submit = widget.NewButtonWithIcon("Log in", theme.LoginIcon(), func() { ws.submitLogin(ls) })
	ls.submit.Importance = widget.HighImportance
	ls.staff.OnSubmitted = func(string) { ws.win.Canvas().Focus(ls.pass) }
	ls.pass.OnSubmitted = func(string) { ws.submitLogin(ls) }

	var clinic fyne.CanvasObject
	inputs := []fyne.Disableable{ls.staff, ls.pass, ls.submit}
	ls.options = profileOptions(profiles)
	if len(profiles) == 1 {
		l := widget.NewLabelWithStyle(profiles[0].Clinic, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		l.Wrapping = fyne.TextWrapWord
		clinic = l
	} else {
		ls.clinic = kit.NewTypeSelect(ls.options, func(string) { ws.showPerson(ls) })
		ls.clinic.PlaceHolder = "Choose your clinic"
		for i, p := range profiles {
			if p.Dir == ws.opts.Profile {
				ls.clinic.SetSelectedIndex(i)
			}
		}
		// As wide as its longest option: in the 460 px column it read
		// "Riverside Family Practice · Rosa Delg…".
		clinic = kit.AtLeast(selectWidth(ls.options), 0, ls.clinic)
		inputs = append(inputs, ls.clinic)
	}
	ls.busy = newBusy(inputs...)

	ls.form = widget.NewForm(widget.NewFormItem("Clinic", clinic))
	card := widget.NewCard("", "", container.NewPadded(container.NewVBox(
		ls.form,
		ls.message,
		container.NewBorder(nil, nil, nil, ls.submit, ls.busy.activity),
	)))
	ws.show(loginPage(card), ls, nil, nil)
	ws.showPerson(ls)
	say(ls.message, message)
	ws.probe.arm("login-form")
}

// showPerson fills the form below the clinic for the chosen profile: the
// staff member's name when the profile says whose it is, else a field for
// it; then the passphrase, which gets the focus when the name is known.
func (ws *Workstation) showPerson(ls *loginScreen) {
	if ls.form == nil {
		return
	}
	who := fyne.CanvasObject(ls.staff)
	staff := ""
	if i := ls.chosen(); i >= 0 {
		staff = ls.profiles[i].Staff
	}
	if staff != "" {
		ls.person.SetText(staff)
		who = ls.person
	}
	ls.form.Items = append(ls.form.Items[:1],
		widget.NewFormItem("Staff member", who),
		widget.NewFormItem("Passphrase", ls.pass))
	ls.form.Refresh()
	if staff == "" && ls.staff.Text == "" {
		ws.win.Canvas().Focus(ls.staff)
	} else {
		ws.win.Canvas().Focus(ls.pass)
	}
}

// profileOptions names each profile by its clinic and staff member,
// adding the folder where two would read the same.
func profileOptions(profiles []Profile) []string {
	options := make([]string, len(profiles))
	count := map[string]int{}
	for i, p := range profiles {
		options[i] = p.Clinic
		if p.Staff != "" {
			options[i] += " · " + p.Staff
		}
		count[options[i]]++
	}
	for i, p := range profiles {
		if p.Clinic == "" || count[options[i]] > 1 {
			options[i] = fmt.Sprintf("%s (%s)", options[i], p.Dir)
		}
	}
	return options
}

// clinicTextMax is the widest a clinic option is shown whole (px); a
// longer one (a folder added) is cut.
const clinicTextMax = 520

// selectWidth is the width a drop-down needs to show the longest of options
// whole, up to clinicTextMax of text (Fyne's Select asks only for its
// placeholder's width).
func selectWidth(options []string) float32 {
	var w float32
	for _, o := range options {
		w = max(w, fyne.MeasureText(o, theme.TextSize(), fyne.TextStyle{}).Width)
	}
	pad := theme.Size(theme.SizeNameInnerPadding)
	return min(w, clinicTextMax) + 4*pad + theme.Size(theme.SizeNameInlineIcon) + 2*theme.InputBorderSize()
}

// chosen is the index of the chosen profile, -1 for none.
func (ls *loginScreen) chosen() int {
	if ls.clinic == nil {
		return 0
	}
	i := ls.clinic.SelectedIndex()
	if i < 0 || i >= len(ls.profiles) {
		return -1
	}
	return i
}

// submitLogin checks the form and runs the login off the UI goroutine.
func (ws *Workstation) submitLogin(ls *loginScreen) {
	if ls.submit.Disabled() {
		return // a login is already under way
	}
	i := ls.chosen()
	if i < 0 {
		say(ls.message, "Choose your clinic.")
		return
	}
	dir, named := ls.profiles[i].Dir, ls.profiles[i].Staff != ""
	name := strings.TrimSpace(ls.staff.Text)
	if named {
		name = "" // the profile says whose it is: nothing to check it against
	}
	switch {
	case name == "" && !named:
		say(ls.message, "Enter your staff name.")
		ws.win.Canvas().Focus(ls.staff)
		return
	case ls.pass.Text == "":
		say(ls.message, "Enter your passphrase.")
		ws.win.Canvas().Focus(ls.pass)
		return
	}
	pass := []byte(ls.pass.Text)
	ls.pass.SetText("")
	say(ls.message, "")
	ls.busy.set(true)
	marks.Mark("login-submit")
	ws.background(func() {
		s, err := ws.backend.Login(ws.ctx, dir, name, pass)
		clear(pass)
		marks.Mark("login-done")
		if err == nil && s == nil {
			err = errNoSession
		}
		if err != nil {
			// The window benchmark stops waiting for home at once, and
			// says why (a mistyped passphrase looked like a hang, session 8).
			marks.Fail("login-failed", kit.ErrorText(err))
		}
		if err == nil && !ws.adopt(s) {
			return
		}
		if err == nil {
			releaseKeyMemory()
		}
		kit.OnUI(func() {
			if err != nil {
				if ws.login == ls {
					ls.busy.set(false)
					say(ls.message, kit.ErrorText(err))
					ws.win.Canvas().Focus(ls.pass)
				}
				return
			}
			ls.busy.set(false)
			ws.opts.Profile, ws.opts.StaffName = dir, s.StaffName()
			if aw, ok := s.(AwaitingApproval); ok {
				if j := aw.AwaitingApproval(); j != nil {
					ws.showWaitingForApproval(j) // firstrun_join.go: still waiting to join
					return
				}
			}
			ws.showShell(s)
			// The store's seal found the records file altered or put
			// back (app StoreAltered): said plainly, once, at login.
			if sa, ok := s.(StoreAltered); ok {
				if msg := sa.StoreAltered(); msg != "" {
					// no Back: shown by the login over the new shell, not by a button; closing it leaves the keyboard where the shell put it.
					kit.Notice{Title: alteredTitle, Close: "Close", Content: alteredBody(msg)}.Show(ws.win)
				}
			}
		})
	})
}

// alteredTitle heads the dialog of a store found altered at login.
const alteredTitle = "This workstation's records file was altered"

// alteredBody lays out what the store's seal found (StoreAltered's
// message, replica's words) for the person at the desk: what happened
// and what Medihaven does, what to do, and the seal's findings, which are
// for the administrator, last and small. The message said the title
// again in its first words and ran its findings ("its own chain ends at
// 12, sealed at 10") and its one piece of advice together in one block.
func alteredBody(msg string) fyne.CanvasObject {
	para := func(text string, imp widget.Importance) *widget.Label {
		l := widget.NewLabel(text)
		l.Wrapping = fyne.TextWrapWord
		l.Importance = imp
		return l
	}
	box := container.NewVBox(para("It was changed or replaced while Medihaven was closed, so Medihaven does not trust it: "+
		"it is rebuilding it from the clinic's signed records and catches up with the clinic's servers before it saves "+
		"anything new.", widget.MediumImportance))
	todo := []string{}
	if strings.Contains(msg, "may be missing") {
		todo = append(todo, "Check the work you did last on this workstation: anything that had not reached the clinic's "+
			"servers may be missing.")
	}
	todo = append(todo, "Tell your clinic's administrator; it is also written in the clinic's audit log.")
	box.Add(widget.NewLabelWithStyle("What to do", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	for _, t := range todo {
		box.Add(para("• "+t, widget.MediumImportance))
	}
	details := para("Details for the administrator: "+alteredFindings(msg), widget.MediumImportance)
	details.SizeName = theme.SizeNameCaptionText
	box.Add(details)
	return container.New(minWidth{480}, box)
}

// alteredFindings is what the seal found, taken from its message ("its
// seal does not match this workstation's key; its search index
// changed."), or the whole message when it reads otherwise.
func alteredFindings(msg string) string {
	const after = " while Medihaven was closed: "
	var found []string
	for rest := msg; ; {
		i := strings.Index(rest, after)
		if i < 0 {
			break
		}
		rest = rest[i+len(after):]
		end := strings.Index(rest, ". ")
		if end < 0 {
			end = len(strings.TrimSuffix(rest, "."))
		}
		found = append(found, rest[:end])
	}
	if len(found) == 0 {
		return msg
	}
	return strings.Join(found, "; ") + "."
}

// StoreAltered is a session that says whether its store was found
// altered or put back at login (app.Session.StoreAltered).
type StoreAltered interface {
	StoreAltered() string
}

// loginPage puts a card under the application's name in the login column.
func loginPage(card fyne.CanvasObject) fyne.CanvasObject {
	tagline := widget.NewLabelWithStyle("Clinic records, kept safe on this workstation",
		fyne.TextAlignCenter, fyne.TextStyle{})
	tagline.Importance = widget.LowImportance
	return centredColumn(loginWidth,
		container.NewCenter(newAppIcon(88)),
		container.New(layout.NewCustomPaddedVBoxLayout(0), newHeading(appName), tagline),
		spacer(8),
		card,
	)
}

// showWaiting shows a short wait with a turning activity indicator, which
// the next screen shown stops. login is the login screen the wait is part
// of, if any.
func (ws *Workstation) showWaiting(text string, login *loginScreen) {
	a := widget.NewActivity()
	ws.show(centredColumn(loginWidth,
		container.NewCenter(newAppIcon(88)),
		newHeading(appName),
		container.NewCenter(container.NewHBox(a, widget.NewLabel(text))),
	), login, nil, nil)
	a.Start()
	ws.waiting = a
}
