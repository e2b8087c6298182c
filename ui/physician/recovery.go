package physician

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app/recovery"
	"github.com/medihaven/medihaven/ui/kit"
)

// recoveryCard is the Colleagues screen's "Key recovery" card: which
// administrators may together rebuild the clinical key if every
// physician's key is lost, and whether a physician approved them. The
// physicians' workstations escrow the clinical key's shares only to a
// split a confirmed physician approved (app/recovery/approve.go). Hidden
// while no recovery is set up, or on a session without recovery.
type recoveryCard struct {
	*screen
	svc     *recovery.Service
	card    *widget.Card
	text    *widget.Label
	status  *widget.Label
	approve *widget.Button
	fb      feedback
	split   recovery.Approval // as last read
	// The last Approve… dialog's button and question (tests tap it).
	asking *widget.Button
	asked  *widget.Label
}

// newRecoveryCard is the card of svc; nil when the session has no
// recovery (svc nil: a test's fake).
func newRecoveryCard(s *screen, svc *recovery.Service) *recoveryCard {
	if svc == nil {
		return nil
	}
	rc := &recoveryCard{screen: s, svc: svc, text: wrapped(""), status: wrapped(""), fb: newFeedback()}
	rc.approve = widget.NewButtonWithIcon("Approve…", theme.ConfirmIcon(), rc.ask)
	rc.approve.Importance = widget.HighImportance
	rc.card = widget.NewCard("Key recovery", "", container.NewVBox(rc.text,
		container.NewBorder(nil, nil, nil, rc.approve, rc.status), rc.fb.Label))
	rc.card.Hide()
	rc.load()
	return rc
}

// object is what the screen places: the card, or nothing.
func (rc *recoveryCard) object() fyne.CanvasObject {
	if rc == nil {
		return container.NewVBox()
	}
	return rc.card
}

// load reads the split in force and draws it.
func (rc *recoveryCard) load() {
	if rc == nil {
		return
	}
	var a recovery.Approval
	var err error
	rc.do(func(ctx context.Context) { a, err = rc.svc.ClinicalApproval(ctx) }, func() {
		if err != nil || !a.Set {
			rc.card.Hide()
			return
		}
		rc.split = a
		rc.text.SetText(fmt.Sprintf("If every physician's key were lost, %d of these administrators together could recover "+
			"the patients' clinical records (set up by %s):\n%s\nEach key must match the one that administrator's own Staff directory shows for her.",
			a.Threshold, a.SetBy, adminLines(a.Admins)))
		switch {
		case a.You:
			rc.status.SetText("You approved them.")
			rc.status.Importance = widget.SuccessImportance
			rc.approve.SetText("Approved")
			rc.approve.Disable()
		case len(a.ApprovedBy) > 0:
			rc.status.SetText("Approved by " + strings.Join(a.ApprovedBy, ", ") + ".")
			rc.status.Importance = widget.SuccessImportance
			rc.approve.Hide()
		case a.Again:
			rc.status.SetText("Approve again: your earlier approval named only the recovery's number, which an administrator " +
				"could reuse for other administrators, so it no longer counts and the clinical records' key is not kept for recovery. " +
				"Check each name and key, then approve.")
			rc.status.Importance = widget.WarningImportance
			rc.approve.SetText("Approve…")
			rc.approve.Enable()
			rc.approve.Show()
		default:
			rc.status.SetText("Not approved yet: the clinical records' key is not kept for recovery. " +
				"Approve only if these are your clinic's administrators, each with the key shown.")
			rc.status.Importance = widget.WarningImportance
			rc.approve.SetText("Approve…")
			rc.approve.Enable()
			rc.approve.Show()
		}
		rc.status.Refresh()
		rc.card.Show()
	})
}

// ask confirms the approval in a dialog that names the administrators.
func (rc *recoveryCard) ask() {
	a := rc.split
	msg := wrapped(fmt.Sprintf("Do you know these as your clinic's administrators, each with this key?\n%s\n"+
		"Ask each to read you the key her own Staff directory shows for her: a look-alike name can hide another person. "+
		"Once you approve, %d of them together could read patients' clinical records if every physician's key were lost. "+
		"If a name or key is unknown to you, do not approve: tell a physician colleague.", adminLines(a.Admins), a.Threshold))
	d := dialog.NewCustomWithoutButtons("Approve key recovery?", kit.AtLeast(460, 0, msg), rc.win)
	yes := widget.NewButtonWithIcon("Approve", theme.ConfirmIcon(), func() {
		d.Hide()
		var err error
		rc.do(func(ctx context.Context) { err = rc.svc.ApproveClinical(ctx, a.ID) }, func() {
			if err != nil {
				rc.fb.fail(err)
				return
			}
			rc.fb.ok("You approved the key recovery.")
			rc.load()
		})
	})
	yes.Importance = widget.HighImportance
	d.SetButtons([]fyne.CanvasObject{widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), d.Hide), yes})
	rc.asking, rc.asked = yes, msg
	d.Show()
}

// adminLines lists a split's administrators, each with her key (as
// recovery.Approval has them), one a line.
func adminLines(admins []string) string {
	return "• " + strings.Join(admins, "\n• ")
}
