package admin

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
	"github.com/medihaven/medihaven/ui/kit"
)

// DirectoryDesk is what the staff directory screen needs.
type DirectoryDesk interface {
	Changes
	StaffDirectory(ctx context.Context) ([]app.StaffMember, error)
	RevokeMember(ctx context.Context, fingerprint string) error
	Fingerprint() string
}

type directoryScreen struct {
	d      DirectoryDesk
	win    fyne.Window
	rows   []app.StaffMember
	list   *widget.List
	status *widget.Label
	now    func() time.Time
}

// NewDirectory builds the staff directory: everyone with role, key
// fingerprint, when and by which token they joined and when they were last
// seen; revoking a member asks for confirmation first.
func NewDirectory(d DirectoryDesk, w fyne.Window) fyne.CanvasObject {
	s := &directoryScreen{d: d, win: w, now: time.Now}
	s.status = widget.NewLabel("Loading…")
	s.list = widget.NewList(func() int { return len(s.rows) }, s.newRow, s.updateRow)
	hint := newNote("Compare the key with the one shown on the person's own workstation (Settings) before trusting what they sign. Revoking someone locks their workstation out and moves every key they held to a new epoch.")
	hint.Importance = widget.LowImportance
	content := container.NewBorder(container.NewVBox(s.status), hint, nil, nil, kit.AtLeast(0, 420, s.list))
	s.refresh()
	return kit.Live(content, func() func() {
		return liveRefresh(d, map[string]bool{"member": true}, s.refresh)
	})
}

func (s *directoryScreen) refresh() {
	background(s.d.StaffDirectory, func(rows []app.StaffMember, err error) {
		if err != nil {
			s.status.SetText("The directory cannot be read: " + errorText(err))
			return
		}
		s.rows = rows
		active := 0
		for _, m := range rows {
			if m.Active {
				active++
			}
		}
		s.status.SetText(fmt.Sprintf("%d staff members, %d with access", len(rows), active))
		s.list.Refresh()
	})
}

func (s *directoryScreen) newRow() fyne.CanvasObject {
	name := widget.NewLabelWithStyle("Dr Somebody Longname", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	name.Truncation = fyne.TextTruncateEllipsis
	role := widget.NewLabel("Receptionist")
	status := widget.NewLabel("Active")
	key := widget.NewLabelWithStyle("0000 0000 0000 0000", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	joined := widget.NewLabel("")
	joined.Truncation = fyne.TextTruncateEllipsis
	seen := widget.NewLabel("")
	revoke := widget.NewButtonWithIcon("Revoke", theme.CancelIcon(), nil)
	top := container.NewHBox(kit.AtLeast(220, 0, name), kit.AtLeast(120, 0, role), kit.AtLeast(80, 0, status), key)
	bottom := container.NewBorder(nil, nil, nil, seen, joined)
	return container.NewBorder(nil, nil, nil, container.NewCenter(revoke), container.NewVBox(top, bottom))
}

func (s *directoryScreen) updateRow(i widget.ListItemID, o fyne.CanvasObject) {
	if i >= len(s.rows) {
		return
	}
	m := s.rows[i]
	c := o.(*fyne.Container)
	body := c.Objects[0].(*fyne.Container)
	revoke := c.Objects[1].(*fyne.Container).Objects[0].(*widget.Button)
	top := body.Objects[0].(*fyne.Container)
	bottom := body.Objects[1].(*fyne.Container)
	top.Objects[0].(*fyne.Container).Objects[0].(*widget.Label).SetText(m.Name)
	top.Objects[1].(*fyne.Container).Objects[0].(*widget.Label).SetText(m.Role.Title())
	status := top.Objects[2].(*fyne.Container).Objects[0].(*widget.Label)
	if m.Active {
		status.SetText("Active")
		status.Importance = widget.SuccessImportance
	} else {
		status.SetText("Revoked")
		status.Importance = widget.DangerImportance
	}
	status.Refresh()
	top.Objects[3].(*widget.Label).SetText(app.ShortFingerprint(m.Fingerprint))
	joined := bottom.Objects[0].(*widget.Label)
	switch {
	case !m.Active:
		joined.SetText(fmt.Sprintf("Revoked %s by %s", when(m.Revoked), m.RevokedBy))
	case m.Token == "":
		joined.SetText(fmt.Sprintf("Founded the clinic %s", when(m.Joined)))
	default:
		joined.SetText(fmt.Sprintf("Joined %s with token %s, admitted by %s", when(m.Joined), m.Token, m.AdmittedBy))
	}
	bottom.Objects[1].(*widget.Label).SetText("Last seen " + ago(m.LastSeen, s.now()))
	if m.Active && m.Fingerprint != s.d.Fingerprint() {
		revoke.Show()
		revoke.OnTapped = func() { s.confirmRevoke(m) }
	} else {
		revoke.Hide()
	}
}

func (s *directoryScreen) confirmRevoke(m app.StaffMember) {
	msg := newNote(fmt.Sprintf("%s (%s) will be locked out of the clinic on every workstation: "+
		"anything their workstation writes from now on is refused, and every key they held is replaced by a new one they do not get. "+
		"This cannot be undone; to come back they need a new registration token.", m.Name, m.Role.Title()))
	d := dialog.NewCustomConfirm("Revoke "+m.Name+"?", "Revoke access", "Cancel", kit.AtLeast(420, 0, msg), func(ok bool) {
		if !ok {
			return
		}
		s.status.SetText("Revoking " + m.Name + "…")
		background(func(ctx context.Context) (struct{}, error) {
			return struct{}{}, s.d.RevokeMember(ctx, m.Fingerprint)
		}, func(_ struct{}, err error) {
			if err != nil {
				dialog.ShowError(fmt.Errorf("%s was not revoked: %s", m.Name, errorText(err)), s.win)
			}
			s.refresh()
		})
	}, s.win)
	d.Show()
}
