package colleagues

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/ui/kit"
)

// Waiting is what a role's newcomer reads while she waits for a
// colleague's confirmation: Text in general, and what opens (Opens, "clinical
// records") once she and a colleague confirmed each other.
type Waiting struct {
	Text, Opens string
}

// Words is the note of a member who waits, given her colleagues: once she
// and one confirmed each other, the key comes with that colleague's next
// sync.
func (wt Waiting) Words(cs []app.Colleague) string {
	for _, c := range cs {
		if c.YouConfirmed && c.ConfirmedYou {
			return fmt.Sprintf("You and %s confirmed each other: %s open here when %s's workstation next syncs with this one.", c.Name, wt.Opens, c.Name)
		}
	}
	return wt.Text
}

// Note is a card at the top of a screen while this member waits for a
// colleague's confirmation (Session.AwaitingColleague), with a button to
// Colleagues where the screen has one (open, else nil); it hides itself
// otherwise, and looks again after every change (a confirmation, the key
// arriving).
func Note(s Session, do Runner, wt Waiting, open func()) fyne.CanvasObject {
	text := wrapped(wt.Text)
	var button fyne.CanvasObject
	if open != nil {
		b := widget.NewButtonWithIcon("Open Colleagues", theme.ConfirmIcon(), open)
		b.Importance = widget.HighImportance
		button = container.NewCenter(b)
	}
	card := widget.NewCard("", "", container.NewBorder(nil, nil, widget.NewIcon(theme.InfoIcon()), button, text))
	card.Hide()
	// The card's own box: showing a hidden card redraws it, but only its
	// container's refresh lays the page out again around it (else, shown
	// after the page was laid out, it could keep no room at all).
	box := container.NewVBox(card)
	look := func() {
		var waiting bool
		var cs []app.Colleague
		do(func(context.Context) {
			if waiting = s.AwaitingColleague(); waiting {
				cs, _ = s.Colleagues() // without them the general words
			}
		}, func() {
			text.SetText(wt.Words(cs))
			if waiting {
				card.Show()
			} else {
				card.Hide()
			}
			box.Refresh()
		})
	}
	look()
	return kit.Live(box, func() func() {
		return s.OnChange(func([]app.Changed) { kit.OnUI(look) })
	})
}
