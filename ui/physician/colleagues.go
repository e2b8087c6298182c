package physician

import (
	"errors"

	"fyne.io/fyne/v2"

	"github.com/medihaven/medihaven/app/recovery"
	"github.com/medihaven/medihaven/ui/colleagues"
)

// A new physician reads no chart until a physician who does and she have
// confirmed each other in person (app/colleagues.go): the Colleagues
// screen (ui/colleagues, shared with receptionists) shows the code to
// compare beside each colleague's name and asks for the code the other's
// screen shows; the Calendar and Patients say why no chart opens while
// she waits.

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

// waiting is what a physician who waits for a colleague's confirmation
// reads on her screens (colleagues.Note).
var waiting = colleagues.Waiting{Text: awaitingText, Opens: "clinical records"}

// awaitingNote is a note at the top of a screen while this physician waits
// for a colleague's confirmation, with a button to Colleagues where the
// screen has one (s.toColleagues).
func (s *screen) awaitingNote() fyne.CanvasObject {
	return colleagues.Note(s.c, s.do, waiting, s.toColleagues)
}

// NewColleagues builds the physician's Colleagues screen: the screen
// physicians and receptionists share (ui/colleagues), then the Key
// recovery card, where physicians approve the administrators who may
// rebuild the keys.
func NewColleagues(s Session, w fyne.Window) fyne.CanvasObject {
	rec, _ := recovery.Of(s) // nil on a session without recovery: no card
	return build(s, w, func(sc *screen) fyne.CanvasObject { return newColleagues(sc, newRecoveryCard(sc, rec)) })
}

// newColleagues is the Colleagues screen of sc with the Key recovery card
// (none when nil).
func newColleagues(sc *screen, card *recoveryCard) fyne.CanvasObject {
	cs := colleagues.New(sc.c, sc.win, sc.do)
	if card == nil {
		return cs.Content(nil, nil)
	}
	return cs.Content(card.object(), card.load)
}
