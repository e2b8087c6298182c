package admin

import (
	"context"
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/ui/kit"
)

// JoinDesk is what the list of newcomers waiting to join needs of a
// session (app.Session): their requests, and approving or refusing one.
type JoinDesk interface {
	Changes
	Waiting(ctx context.Context) ([]app.Joiner, error)
	Approve(ctx context.Context, fingerprint, code string) error
	Refuse(ctx context.Context, fingerprint string) error
}

// RoleDesk is what changing a member's role needs of a session.
type RoleDesk interface {
	ChangeRole(ctx context.Context, fingerprint string, role roles.Role) error
}

var (
	_ JoinDesk = (*app.Session)(nil)
	_ RoleDesk = (*app.Session)(nil)
)

// waitingList shows the newcomers waiting for approval above the
// directory: name, the role their token offers, their key and the
// comparison code their own screen shows. Approving asks for the code as
// the newcomer reads it; refusing asks first, in red.
type waitingList struct {
	loads kit.Newest // only the newest load draws (load)
	d     JoinDesk
	win   fyne.Window
	box   *fyne.Container
	card  *fyne.Container
}

// NewWaiting builds the list of newcomers waiting to join; it hides itself
// while nobody waits.
func NewWaiting(d JoinDesk, w fyne.Window) fyne.CanvasObject { return newWaiting(d, w).content() }

// newWaiting builds the list; it hides itself while nobody waits.
func newWaiting(d JoinDesk, w fyne.Window) *waitingList {
	l := &waitingList{d: d, win: w, box: container.NewVBox()}
	title := widget.NewLabelWithStyle("Waiting to join", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	hint := newNote("Ask each newcomer to read the six-digit code on their own screen, and approve only when it is the code shown here.")
	l.card = container.NewVBox(title, hint, l.box, widget.NewSeparator())
	l.card.Hide()
	l.refresh()
	return l
}

func (l *waitingList) content() fyne.CanvasObject {
	return kit.Live(l.card, func() func() {
		return liveRefresh(l.d, map[string]bool{"enroll": true, "member": true, "token": true}, l.refresh)
	})
}

func (l *waitingList) refresh() {
	load(&l.loads, l.d.Waiting, func(js []app.Joiner, err error) {
		l.box.RemoveAll()
		if err != nil {
			l.box.Add(newNote("The requests to join cannot be read: " + kit.ErrorText(err)))
			l.card.Show()
			return
		}
		for _, j := range js {
			l.box.Add(l.row(j))
		}
		if len(js) == 0 {
			l.card.Hide()
		} else {
			l.card.Show()
		}
		l.card.Refresh()
	})
}

func (l *waitingList) row(j app.Joiner) fyne.CanvasObject {
	name := widget.NewLabelWithStyle(j.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	name.Truncation = fyne.TextTruncateEllipsis
	role := widget.NewLabel("as " + j.Role.Title())
	key := widget.NewLabelWithStyle("Key "+groupsOf4(j.Fingerprint, 16), fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	code := widget.NewLabelWithStyle(j.Code, fyne.TextAlignCenter, fyne.TextStyle{Monospace: true})
	code.SizeName = theme.SizeNameSubHeadingText
	var refuse *widget.Button
	refuse = widget.NewButtonWithIcon("Refuse…", theme.CancelIcon(), func() { l.confirmRefuse(j, refuse) })
	refuse.Importance = widget.DangerImportance
	var action fyne.CanvasObject
	if j.Err == nil {
		var approve *widget.Button
		approve = widget.NewButtonWithIcon("Approve…", theme.ConfirmIcon(), func() { l.askCode(j, approve) })
		approve.Importance = widget.HighImportance
		action = container.NewHBox(approve, refuse)
	} else {
		why := newNote(kit.ErrorText(j.Err))
		why.Importance = widget.WarningImportance
		action = container.NewHBox(refuse)
		return container.NewVBox(container.NewBorder(nil, nil, nil, action,
			container.NewHBox(kit.AtLeast(180, 0, name), kit.AtLeast(120, 0, role), key)), why)
	}
	left := container.NewHBox(kit.AtLeast(180, 0, name), kit.AtLeast(120, 0, role), key)
	return container.NewBorder(nil, nil, nil, container.NewHBox(kit.AtLeast(90, 0, code), action), left)
}

// askCode asks for the code the newcomer reads from their screen, and
// approves when it matches; back gets the keyboard when it closes.
func (l *waitingList) askCode(j app.Joiner, back fyne.Focusable) {
	entry := kit.NewEntry()
	entry.SetPlaceHolder("the six digits they read")
	msg := newNote(fmt.Sprintf("Ask %s to read the code on their screen, and type it here. "+
		"They join as %s and get the keys of that role.", j.Name, j.Role.Title()))
	form := container.NewVBox(msg, widget.NewForm(widget.NewFormItem("Their code", entry)))
	// Enter in the code field approves: the code they read is the check.
	var d *kit.ConfirmDialog
	entry.OnSubmitted = func(string) { d.Answer(true) }
	d = kit.Confirm{Title: "Approve " + j.Name + "?", Content: kit.AtLeast(420, 0, form), Yes: "Approve", Back: back, Answer: func(ok bool) {
		if !ok {
			return
		}
		typed := entry.Text
		background(func(ctx context.Context) (struct{}, error) {
			return struct{}{}, l.d.Approve(ctx, j.Fingerprint, typed)
		}, func(_ struct{}, err error) {
			if err != nil {
				kit.ShowError("Could not approve "+j.Name, kit.ErrorText(err), l.win).Back(back)
			}
			l.refresh()
		})
	}}.Show(l.win)
	l.win.Canvas().Focus(entry)
}

func (l *waitingList) confirmRefuse(j app.Joiner, back fyne.Focusable) {
	msg := newNote(fmt.Sprintf("%s's request is refused and the token they used is revoked, so nobody can join with it. "+
		"Their screen says so. If they should join after all, issue them a new token.", j.Name))
	kit.Confirm{Title: "Refuse " + j.Name + "?", Content: kit.AtLeast(420, 0, msg), Yes: "Refuse and revoke the token", Danger: true, Back: back, Answer: func(ok bool) {
		if !ok {
			return
		}
		background(func(ctx context.Context) (struct{}, error) {
			return struct{}{}, l.d.Refuse(ctx, j.Fingerprint)
		}, func(_ struct{}, err error) {
			if err != nil {
				kit.ShowError("Could not refuse "+j.Name+"'s request", kit.ErrorText(err), l.win).Back(back)
			}
			l.refresh()
		})
	}}.Show(l.win)
}

// roleHolder is the member whose role changes.
type roleHolder struct {
	Fingerprint, Name string
	Role              roles.Role
}

// changeRole asks which role to give member m, says what changes with it,
// and changes it; done runs after (on the UI goroutine). back gets the
// keyboard when the question closes.
func changeRole(d RoleDesk, m roleHolder, w fyne.Window, back fyne.Focusable, done func()) {
	var titles []string
	byTitle := map[string]roles.Role{}
	for _, r := range roles.All {
		if r != m.Role {
			titles = append(titles, r.Title())
			byTitle[r.Title()] = r
		}
	}
	pick := kit.NewRadio(titles, nil) // Esc with a role chosen by keyboard cancels
	msg := newNote(fmt.Sprintf("%s's role is %s. With another role their workstation gets that role's keys; "+
		"the keys of what they no longer do are replaced by new ones they do not get (as when revoking), "+
		"so they keep only what they could read before. Their screens change when they next unlock.", m.Name, m.Role.Title()))
	body := container.NewVBox(msg, pick)
	kit.Confirm{Title: "Change " + m.Name + "'s role?", Content: kit.AtLeast(440, 0, body), Yes: "Change role", Back: back, Answer: func(ok bool) {
		role, chosen := byTitle[pick.Selected]
		if !ok || !chosen {
			return
		}
		background(func(ctx context.Context) (struct{}, error) {
			return struct{}{}, d.ChangeRole(ctx, m.Fingerprint, role)
		}, func(_ struct{}, err error) {
			if err != nil {
				kit.ShowError("Could not change "+m.Name+"'s role", kit.ErrorText(err), w).Back(back)
			}
			done()
		})
	}}.Show(w)
}

// groupsOf4 is the start of a fingerprint (n hex digits) in groups of
// four, as the newcomer's own screen shows it.
func groupsOf4(fp string, n int) string {
	var out []byte
	for i := 0; i < len(fp) && i < n; i++ {
		if i > 0 && i%4 == 0 {
			out = append(out, ' ')
		}
		out = append(out, fp[i])
	}
	return string(out)
}
