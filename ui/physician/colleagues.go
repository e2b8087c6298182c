package physician

import (
	"context"
	"errors"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/recovery"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/ui/kit"
)

// A new physician reads no chart until a physician who does and she have
// confirmed each other in person (app/colleagues.go): the Colleagues
// screen shows the code to compare beside each colleague's name and asks
// for the code the other's screen shows; the Calendar and Patients say why
// no chart opens while she waits.

// awaitingText is what a physician who waits for a colleague's
// confirmation reads instead of a chart.
const awaitingText = "Clinical records open once a physician colleague confirms you in person. " +
	"Open Colleagues, compare codes with a colleague, and confirm each other."

// errAwaiting is why no chart opens for a physician who waits for a
// colleague's confirmation (the session's "holds no key" said in words).
var errAwaiting = errors.New(awaitingText)

// clinicalErr is err, or errAwaiting when this physician waits for a
// colleague's confirmation, which is then why the clinical read failed.
func (s *screen) clinicalErr(err error) error {
	if err != nil && s.c.AwaitingColleague() {
		return errAwaiting
	}
	return err
}

// awaitingWords is the note of a physician who waits, given her
// colleagues: once she and one confirmed each other, the key comes with
// that colleague's next sync.
func awaitingWords(cs []app.Colleague) string {
	for _, c := range cs {
		if c.YouConfirmed && c.ConfirmedYou {
			return fmt.Sprintf("You and %s confirmed each other: clinical records open here when %s's workstation next syncs with this one.", c.Name, c.Name)
		}
	}
	return awaitingText
}

// awaitingNote is a note at the top of a screen while this physician waits
// for a colleague's confirmation, with a button to Colleagues where the
// screen has one (s.toColleagues); it hides itself otherwise, and looks
// again after every change (a confirmation, the key arriving).
func (s *screen) awaitingNote() fyne.CanvasObject {
	text := wrapped(awaitingText)
	var open fyne.CanvasObject
	if s.toColleagues != nil {
		b := widget.NewButtonWithIcon("Open Colleagues", theme.ConfirmIcon(), s.toColleagues)
		b.Importance = widget.HighImportance
		open = container.NewCenter(b)
	}
	card := widget.NewCard("", "", container.NewBorder(nil, nil, widget.NewIcon(theme.InfoIcon()), open, text))
	card.Hide()
	look := func() {
		var waiting bool
		var cs []app.Colleague
		s.do(func(context.Context) {
			if waiting = s.c.AwaitingColleague(); waiting {
				cs, _ = s.c.Colleagues() // without them the general words
			}
		}, func() {
			text.SetText(awaitingWords(cs))
			card.Hidden = !waiting
			card.Refresh()
		})
	}
	look()
	return kit.Live(card, func() func() {
		return s.c.OnChange(func([]app.Changed) { kit.OnUI(look) })
	})
}

// colleaguesScreen lists the clinic's other physicians with the code to
// compare and who confirmed whom; Confirm… asks for the code.
type colleaguesScreen struct {
	*screen
	list     *fyne.Container
	fb       feedback
	ask      *codeDialog       // the last Confirm… dialog opened
	rec      *recovery.Service // the key recovery card's, or nil
	recovery *recoveryCard     // as content built it
}

// NewColleagues builds the Colleagues screen: why colleagues confirm each
// other, then each other active physician with the code both screens show
// for the two of them, whether they confirmed each other, and Confirm….
// A colleague's confirmation appears as soon as it syncs.
func NewColleagues(s Session, w fyne.Window) fyne.CanvasObject {
	rec, _ := recovery.Of(s) // nil on a session without recovery: no card
	return build(s, w, func(sc *screen) fyne.CanvasObject { return newColleagues(sc, rec).content() })
}

func newColleagues(s *screen, rec *recovery.Service) *colleaguesScreen {
	cs := &colleaguesScreen{screen: s, list: container.NewVBox(), fb: newFeedback(), rec: rec}
	cs.load()
	return cs
}

func (cs *colleaguesScreen) content() fyne.CanvasObject {
	why := widget.NewCard("Confirm colleagues in person", "", container.NewVBox(
		wrapped("Patients' records open only to physicians who know each other. An administrator admits a new physician, "+
			"but the charts open to them only after a physician who already reads them and the newcomer meet, "+
			"compare the code beside each other's name and confirm each other."),
		quiet("Confirm only someone you have met in person. If the codes differ, do not confirm: tell your clinic's administrator.")))
	list := widget.NewCard("Your colleagues", "", cs.list)
	rec := newRecoveryCard(cs.screen, cs.rec)
	cs.recovery = rec
	return kit.Live(container.NewVBox(why, cs.fb.Label, list, rec.object()), func() func() {
		return cs.c.OnChange(func(ch []app.Changed) {
			for _, x := range ch {
				if x.Scope == string(roles.Directory) { // members, confirmations, keys acknowledged, the recovery
					kit.OnUI(func() { cs.load(); rec.load() })
					return
				}
			}
		})
	})
}

// load reads the colleagues and draws them.
func (cs *colleaguesScreen) load() {
	var got []app.Colleague
	var err error
	cs.do(func(context.Context) { got, err = cs.c.Colleagues() }, func() {
		cs.list.Objects = nil
		if err != nil {
			cs.fb.fail(err)
			cs.list.Refresh()
			return
		}
		if len(got) == 0 {
			cs.list.Add(quiet("No other physician works in this clinic yet. When one joins, you confirm each other here."))
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

// colleagueStatus says in words who confirmed whom, with the importance
// it is drawn with.
func colleagueStatus(c app.Colleague) (string, widget.Importance) {
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

func (cs *colleaguesScreen) row(c app.Colleague) fyne.CanvasObject {
	name := bold(c.Name)
	name.SizeName = theme.SizeNameSubHeadingText
	name.Truncation = fyne.TextTruncateEllipsis
	st, imp := colleagueStatus(c)
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
	return container.NewBorder(nil, nil, nil, right, container.NewVBox(name, status))
}

// codeDialog asks for the code a colleague reads from their screen.
type codeDialog struct {
	d       *dialog.CustomDialog
	entry   *widget.Entry
	fb      feedback
	confirm *widget.Button
}

// askCode asks for the code the colleague reads beside this physician's
// name on their own screen, and confirms them when it matches; a wrong
// code is said in the dialog, which stays open, and nothing is written.
func (cs *colleaguesScreen) askCode(c app.Colleague) {
	a := &codeDialog{entry: widget.NewEntry(), fb: newFeedback()}
	a.entry.SetPlaceHolder("12 digits, e.g. 123 456 789 012")
	msg := wrapped(fmt.Sprintf("Ask %s to read the code beside your name on their screen and type it here.", c.Name))
	form := container.NewVBox(msg, widget.NewForm(widget.NewFormItem("Their code", a.entry)), a.fb.Label)
	a.d = dialog.NewCustomWithoutButtons("Confirm "+c.Name+"?", kit.AtLeast(460, 0, form), cs.win)
	a.confirm = widget.NewButtonWithIcon("Confirm", theme.ConfirmIcon(), func() { cs.confirm(c, a) })
	a.confirm.Importance = widget.HighImportance
	a.entry.OnSubmitted = func(string) { cs.confirm(c, a) }
	a.d.SetButtons([]fyne.CanvasObject{widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), a.d.Hide), a.confirm})
	cs.ask = a
	a.d.Show()
	cs.win.Canvas().Focus(a.entry)
}

func (cs *colleaguesScreen) confirm(c app.Colleague, a *codeDialog) {
	if a.confirm.Disabled() {
		return
	}
	typed := a.entry.Text
	a.confirm.Disable()
	var err error
	cs.do(func(ctx context.Context) { err = cs.c.ConfirmColleague(ctx, c.Fingerprint, typed) }, func() {
		a.confirm.Enable()
		if err != nil {
			a.fb.fail(err)
			a.d.Resize(a.d.MinSize())
			return
		}
		a.d.Hide()
		msg := fmt.Sprintf("You confirmed %s.", c.Name)
		if !c.ConfirmedYou {
			msg += " Once they confirm you on their workstation too, the two of you are confirmed colleagues."
		}
		cs.fb.ok(msg)
		cs.load()
	})
}
