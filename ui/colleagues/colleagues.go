package colleagues

import (
	"context"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/ui/kit"
)

// Session is what the Colleagues screen and the waiting note need of a
// physician's or receptionist's session (app/colleagues.go).
type Session interface {
	Colleagues() ([]app.Colleague, error)
	ConfirmColleague(ctx context.Context, fingerprint, code string) error
	AwaitingColleague() bool
	OnChange(fn func([]app.Changed)) (stop func())
}

// Runner runs work off the UI goroutine, then done on it (kit.Background
// with the screen's own choice of running in place, for tests).
type Runner func(work func(ctx context.Context), done func())

// Background is the Runner of a screen in a window: work in a goroutine
// with a minute to finish, done on the UI goroutine.
func Background(work func(ctx context.Context), done func()) {
	kit.Background(false, time.Minute, work, done)
}

// Screen is the Colleagues screen: why colleagues confirm each other,
// then each other active physician and receptionist with the code both
// screens show for the two of them, whether they confirmed each other,
// what it counts for, and Confirm…. A colleague's confirmation appears
// as soon as it syncs.
type Screen struct {
	s    Session
	win  fyne.Window
	do   Runner
	list *fyne.Container
	fb   *widget.Label
	ask  *codeDialog // the last Confirm… dialog opened
}

// New is the Colleagues screen of s in window w; do runs its work.
func New(s Session, w fyne.Window, do Runner) *Screen {
	cs := &Screen{s: s, win: w, do: do, list: container.NewVBox(), fb: feedback()}
	cs.load()
	return cs
}

// Section is the Colleagues section of a session (the shell's screen):
// the screen alone, without a role's own cards.
func Section(s Session, w fyne.Window) fyne.CanvasObject {
	return New(s, w, Background).Content(nil, nil)
}

// Content is the screen to place: the explanation, the list, and below it
// more (a role's own card, or nil), whose reload runs with the list's
// after every change to the directory (confirmations, members, keys
// acknowledged).
func (cs *Screen) Content(more fyne.CanvasObject, reload func()) fyne.CanvasObject {
	why := widget.NewCard("Confirm colleagues in person", "", container.NewVBox(
		wrapped("Patients' records open only to staff who know each other. An administrator admits a new physician or "+
			"receptionist, but patients' records open to them only after a colleague who already reads them and the newcomer meet, "+
			"compare the code beside each other's name and confirm each other."),
		quiet("Confirm only someone you have met in person. If the codes differ, do not confirm: tell your clinic's administrator.")))
	objs := []fyne.CanvasObject{why, cs.fb, widget.NewCard("Your colleagues", "", cs.list)}
	if more != nil {
		objs = append(objs, more)
	}
	return kit.Live(container.NewVBox(objs...), func() func() {
		return cs.s.OnChange(func(ch []app.Changed) {
			for _, x := range ch {
				if x.Scope == string(roles.Directory) {
					kit.OnUI(func() {
						cs.load()
						if reload != nil {
							reload()
						}
					})
					return
				}
			}
		})
	})
}

// load reads the colleagues and draws them.
func (cs *Screen) load() {
	var got []app.Colleague
	var err error
	cs.do(func(context.Context) { got, err = cs.s.Colleagues() }, func() {
		cs.list.Objects = nil
		if err != nil {
			fail(cs.fb, err)
			cs.list.Refresh()
			return
		}
		if len(got) == 0 {
			cs.list.Add(quiet("No other physician or receptionist works in this clinic yet. When one joins, you confirm each other here."))
		}
		for i, c := range got {
			if i > 0 {
				cs.list.Add(widget.NewSeparator())
			}
			cs.list.Add(cs.row(c))
		}
		cs.list.Refresh()
	})
}

// Status says in words who confirmed whom, with the importance it is
// drawn with.
func Status(c app.Colleague) (string, widget.Importance) {
	switch {
	case c.YouConfirmed && c.ConfirmedYou:
		return "You confirmed each other", widget.SuccessImportance
	case c.YouConfirmed:
		return "You confirmed them — they have not confirmed you yet", widget.MediumImportance
	case c.ConfirmedYou:
		return "They confirmed you — confirm them when you have compared codes", widget.WarningImportance
	case c.Confirmed:
		return "Not confirmed by you; colleagues you confirmed have confirmed them", widget.LowImportance
	default:
		return "Not confirmed", widget.LowImportance
	}
}

// Counts says what the two colleagues' confirmation counts for, after
// whom the row names.
func Counts(c app.Colleague) string {
	who := "Receptionist"
	if c.Role == roles.Physician {
		who = "Physician"
	}
	if c.For == roles.Clinical {
		return who + " · your confirmation counts for the charts and the front desk"
	}
	return who + " · your confirmation counts for the front desk"
}

func (cs *Screen) row(c app.Colleague) fyne.CanvasObject {
	name := widget.NewLabelWithStyle(c.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	name.SizeName = theme.SizeNameSubHeadingText
	name.Truncation = fyne.TextTruncateEllipsis
	counts := quiet(Counts(c))
	st, imp := Status(c)
	status := wrapped(st) // wraps in a narrow window rather than widening it
	status.Importance = imp
	code := widget.NewLabelWithStyle(c.Code, fyne.TextAlignCenter, fyne.TextStyle{Monospace: true})
	code.SizeName = theme.SizeNameHeadingText
	btn := widget.NewButtonWithIcon("Confirm…", theme.ConfirmIcon(), func() { cs.askCode(c) })
	btn.Importance = widget.HighImportance
	if c.YouConfirmed {
		btn.SetText("Confirmed")
		btn.Disable()
	}
	// The code keeps one width, so the codes of every row line up.
	right := container.NewHBox(container.NewCenter(kit.AtLeast(260, 0, code)), container.NewCenter(kit.AtLeast(140, 0, btn)))
	return container.NewBorder(nil, nil, nil, right, container.NewVBox(name, counts, status))
}

// codeDialog asks for the code a colleague reads from their screen.
type codeDialog struct {
	d       *dialog.CustomDialog
	entry   *kit.Entry
	fb      *widget.Label
	confirm *widget.Button
}

// askCode asks for the code the colleague reads beside this member's name
// on their own screen, and confirms them when it matches; a wrong code is
// said in the dialog, which stays open, and nothing is written.
func (cs *Screen) askCode(c app.Colleague) {
	a := &codeDialog{entry: kit.NewEntry(), fb: feedback()}
	a.entry.SetPlaceHolder("12 digits, e.g. 123 456 789 012")
	msg := wrapped(fmt.Sprintf("Ask %s to read the code beside your name on their screen and type it here.", c.Name))
	form := container.NewVBox(msg, widget.NewForm(widget.NewFormItem("Their code", a.entry)), a.fb)
	a.d = dialog.NewCustomWithoutButtons("Confirm "+c.Name+"?", kit.AtLeast(460, 0, form), cs.win)
	a.confirm = widget.NewButtonWithIcon("Confirm", theme.ConfirmIcon(), func() { cs.confirm(c, a) })
	a.confirm.Importance = widget.HighImportance
	a.entry.OnSubmitted = func(string) { cs.confirm(c, a) }
	a.d.SetButtons([]fyne.CanvasObject{widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), a.d.Hide), a.confirm})
	cs.ask = a
	a.d.Show()
	cs.win.Canvas().Focus(a.entry)
}

func (cs *Screen) confirm(c app.Colleague, a *codeDialog) {
	if a.confirm.Disabled() {
		return
	}
	typed := a.entry.Text
	a.confirm.Disable()
	var err error
	cs.do(func(ctx context.Context) { err = cs.s.ConfirmColleague(ctx, c.Fingerprint, typed) }, func() {
		a.confirm.Enable()
		if err != nil {
			fail(a.fb, err)
			a.d.Resize(a.d.MinSize())
			return
		}
		a.d.Hide()
		msg := fmt.Sprintf("You confirmed %s.", c.Name)
		if !c.ConfirmedYou {
			msg += " Once they confirm you on their workstation too, the two of you are confirmed colleagues."
		}
		ok(cs.fb, msg)
		cs.load()
	})
}

// feedback is a label that says how the last action went, hidden until
// then.
func feedback() *widget.Label {
	l := wrapped("")
	l.Hide()
	return l
}

func ok(l *widget.Label, msg string) {
	l.Importance = widget.SuccessImportance
	l.SetText(msg)
	l.Show()
}

func fail(l *widget.Label, err error) {
	l.Importance = widget.DangerImportance
	l.SetText(kit.ErrorText(err))
	l.Show()
}

// wrapped is a label that wraps words.
func wrapped(s string) *widget.Label { return kit.Wrapped(s, widget.MediumImportance) }

// quiet is a low-importance wrapped label, for hints.
func quiet(s string) *widget.Label { return kit.Wrapped(s, widget.LowImportance) }
