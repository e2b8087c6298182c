package admin

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	appadmin "github.com/medihaven/medihaven/app/admin"
	"github.com/medihaven/medihaven/app/interop"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/ui/kit"
)

// DirectoryDesk is what the staff directory screen needs of a session.
type DirectoryDesk interface {
	DirectorySession
	StaffDirectory(ctx context.Context) ([]appadmin.StaffMember, error)
}

// DirectorySession is what it needs of the session itself.
type DirectorySession interface {
	Changes
	RevokeMember(ctx context.Context, fingerprint string) error
	Fingerprint() string
}

// KeyExport is what it needs of the session's interop service
// (app/interop).
type KeyExport interface {
	ExportStaffKeys(ctx context.Context, w io.Writer, fingerprint string) (int, error)
}

var _ KeyExport = (*interop.Service)(nil)

type directoryScreen struct {
	loads  kit.Newest // only the newest load draws (load)
	d      DirectoryDesk
	keys   KeyExport
	win    fyne.Window
	rows   []appadmin.StaffMember
	list   *widget.List
	status *widget.Label
	now    func() time.Time
	// files saves exported keys (a dialog); tests replace its Save.
	files   kit.Files
	allKeys *widget.Button
	// join and role are the session's approvals and role changes; nil
	// when it offers none (a test's fake).
	join JoinDesk
	role RoleDesk
	// shortRow and tallRow are the heights of a row without and with
	// the line that says who confirmed a physician.
	shortRow, tallRow float32
}

// NewDirectory builds the staff directory: everyone with role, key
// fingerprint, when and by which token they joined and when they were last
// seen; revoking a member asks for confirmation first.
// Public keys export as armored OpenPGP, all or one member's.
// A session without an interop service gets no screen (nil).
func NewDirectory(ds DirectorySession, w fyne.Window) fyne.CanvasObject {
	keys, ok := kit.InteropOf[KeyExport](ds)
	v, hasViews := viewsOf(ds)
	if !ok || !hasViews {
		return nil
	}
	d := struct {
		DirectorySession
		Views
	}{ds, v}
	s := newDirectory(d, keys, w)
	s.join, _ = ds.(JoinDesk)
	s.role, _ = ds.(RoleDesk)
	return s.content()
}

func newDirectory(d DirectoryDesk, keys KeyExport, w fyne.Window) *directoryScreen {
	s := &directoryScreen{d: d, keys: keys, win: w, now: time.Now, files: kit.NewFiles(w, run)}
	s.status = widget.NewLabel("Loading…")
	s.list = widget.NewList(func() int { return len(s.rows) }, s.newRow, s.updateRow)
	row := s.newRow()
	s.shortRow = row.MinSize().Height
	confirmLabel(row).Show()
	s.tallRow = row.MinSize().Height
	s.allKeys = widget.NewButtonWithIcon("Export public keys…", theme.DocumentSaveIcon(), func() { s.exportKeys(nil) })
	s.refresh()
	return s
}

func (s *directoryScreen) content() fyne.CanvasObject {
	hint := newNote("Compare the key with the one shown on the person's own workstation (Settings) before trusting what they sign. Revoking someone locks their workstation out and replaces every key they held with a new one they do not get.")
	hint.Importance = widget.LowImportance
	top := container.NewBorder(nil, nil, nil, s.allKeys, s.status)
	if s.join != nil {
		top = container.NewVBox(NewWaiting(s.join, s.win), top)
	}
	content := container.NewBorder(top, hint, nil, nil, kit.AtLeast(0, 300, s.list))
	return kit.Live(content, func() func() {
		return liveRefresh(s.d, map[string]bool{"member": true, "confirms": true}, s.refresh)
	})
}

func (s *directoryScreen) refresh() {
	load(&s.loads, s.d.StaffDirectory, func(rows []appadmin.StaffMember, err error) {
		if err != nil {
			s.status.SetText("The directory cannot be read: " + kit.ErrorText(err))
			return
		}
		s.rows = rows
		active := 0
		for i, m := range rows {
			if m.Active {
				active++
			}
			// A row has a line more for what to do about a member who
			// does not stand, or for who confirmed a physician.
			if line, _ := noteLine(m, rows); line != "" {
				s.list.SetItemHeight(i, s.tallRow)
			} else {
				s.list.SetItemHeight(i, s.shortRow)
			}
		}
		s.status.SetText(fmt.Sprintf("%s, %d with access", kit.Count(len(rows), "staff member", "staff members"), active))
		s.list.Refresh()
	})
}

func (s *directoryScreen) newRow() fyne.CanvasObject {
	name := widget.NewLabelWithStyle("Dr Somebody Longname", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	name.Truncation = fyne.TextTruncateEllipsis
	role := widget.NewLabel("Receptionist")
	roleWidth := widget.NewLabel(roles.Administrator.Title()).MinSize().Width // the longest title: every status lines up
	status := widget.NewLabel("Active")
	key := widget.NewLabelWithStyle("0000 0000 0000 0000", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	joined := widget.NewLabel("")
	joined.Truncation = fyne.TextTruncateEllipsis
	seen := widget.NewLabel("")
	keyBtn := widget.NewButtonWithIcon("Key", theme.DocumentSaveIcon(), nil)
	roleBtn := widget.NewButton("Role…", nil)
	revoke := widget.NewButtonWithIcon("Revoke", theme.CancelIcon(), nil)
	revoke.Importance = widget.DangerImportance
	var widest float32 // the longest status: every key lines up
	for _, st := range []string{"Not admitted", "Conflicting"} {
		widest = max(widest, widget.NewLabel(st).MinSize().Width)
	}
	top := container.NewHBox(kit.AtLeast(180, 0, name), kit.AtLeast(roleWidth, 0, role), kit.AtLeast(widest, 0, status), key)
	bottom := container.NewBorder(nil, nil, nil, seen, joined)
	confirmed := widget.NewLabel("")
	confirmed.Truncation = fyne.TextTruncateEllipsis
	confirmed.Hide()
	// The buttons keep their width when Revoke is hidden, so every Key
	// button lines up.
	w := keyBtn.MinSize().Width + roleBtn.MinSize().Width + revoke.MinSize().Width + 2*theme.Padding()
	buttons := container.NewCenter(kit.AtLeast(w, 0, container.NewHBox(keyBtn, roleBtn, revoke)))
	return container.NewBorder(nil, nil, nil, buttons, container.NewVBox(top, bottom, confirmed))
}

// confirmLabel is the line of a row made by newRow that says what to do
// about a member who does not stand (noteLine), or who confirmed a
// physician or receptionist.
func confirmLabel(row fyne.CanvasObject) *widget.Label {
	return row.(*fyne.Container).Objects[0].(*fyne.Container).Objects[2].(*widget.Label)
}

// noteLine is a row's third line: what to do about a member who does not
// stand (her second line says what happened, in one short line, so it is
// not cut off beside "Last seen"), else confirmLine.
func noteLine(m appadmin.StaffMember, rows []appadmin.StaffMember) (string, widget.Importance) {
	switch {
	case m.Active && len(m.Forked) > 0:
		return "A copied profile or modified software: its work from there is set aside. Revoke, or give them a new workstation.",
			widget.DangerImportance
	case !m.Active && len(m.HeldBy) > 0 && m.Revoked.IsZero():
		return "Their access is on hold: revoke them for good, or issue them a new token.", widget.DangerImportance
	case m.SetAsideBy != "", m.TokenTakenBy != "" && m.Revoked.IsZero():
		return "Nothing they wrote counts: issue them a new token.", widget.DangerImportance
	}
	return confirmLine(m, rows)
}

// confirmLine says who confirmed a physician or receptionist in person,
// the condition of the clinical records for a physician and of the front
// desk for a receptionist (app/colleagues.go), whether they confirmed one
// of them in turn, or that they wait for it, with the importance it is
// drawn with; "" for a member who is neither, or not active. rows is the
// whole directory.
//
// A disputed role history comes first: administrators recorded
// different changes of the member's role, so some of what she wrote is
// held on every workstation (replica's rolecells.go).
func confirmLine(m appadmin.StaffMember, rows []appadmin.StaffMember) (string, widget.Importance) {
	switch {
	case m.HistoryDisputed:
		return "Role history disputed: administrators recorded different changes of this role, and some of this " +
			"member's work is held. Issue them a new token.", widget.DangerImportance
	case m.RoleRewritten && m.Active:
		return "Role written without a recorded change: colleagues who confirmed them before confirm them again " +
			"in person (Colleagues).", widget.WarningImportance
	}
	scope, confirmer, only := roles.Clinical, "a physician", "The clinic's only physician"
	if !m.Role.Holds(roles.Clinical) {
		scope, confirmer, only = roles.FrontDesk, "a receptionist or physician", "The clinic's only receptionist"
	}
	if !m.Active || !m.Role.Holds(scope) {
		return "", widget.MediumImportance
	}
	if len(m.ConfirmedBy) > 0 {
		line := "Confirmed by " + andList(m.ConfirmedBy)
		for _, name := range m.ConfirmedBy {
			if slices.Contains(m.Confirms, name) { // they confirmed each other: the key goes to them
				return line, widget.SuccessImportance
			}
		}
		return line + "; they have yet to confirm that colleague in turn", widget.WarningImportance
	}
	for _, o := range rows {
		if o.Fingerprint != m.Fingerprint && o.Active && o.Role.Holds(scope) {
			return "Waiting for " + confirmer + " to confirm them in person", widget.WarningImportance
		}
	}
	return only + ": the next to join and they confirm each other in person", widget.LowImportance
}

// roleLine is a member's role, with the roles she held before: "Physician
// (was Receptionist, then Administrator)".
func roleLine(m appadmin.StaffMember) string {
	line := m.Role.Title()
	if len(m.FormerRoles) > 0 {
		was := make([]string, len(m.FormerRoles))
		for i, r := range m.FormerRoles {
			was[i] = r.Title()
		}
		line = fmt.Sprintf("%s (was %s)", line, strings.Join(was, ", then "))
	}
	return line
}

// andList joins names as a sentence does: "A", "A and B", "A, B and C".
func andList(names []string) string {
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

func (s *directoryScreen) updateRow(i widget.ListItemID, o fyne.CanvasObject) {
	if i >= len(s.rows) {
		return
	}
	m := s.rows[i]
	c := o.(*fyne.Container)
	body := c.Objects[0].(*fyne.Container)
	buttons := c.Objects[1].(*fyne.Container).Objects[0].(*fyne.Container).Objects[0].(*fyne.Container)
	keyBtn, roleBtn, revoke := buttons.Objects[0].(*widget.Button), buttons.Objects[1].(*widget.Button), buttons.Objects[2].(*widget.Button)
	keyBtn.OnTapped = func() { s.exportKeys(&m) }
	top := body.Objects[0].(*fyne.Container)
	bottom := body.Objects[1].(*fyne.Container)
	top.Objects[0].(*fyne.Container).Objects[0].(*widget.Label).SetText(m.Name)
	top.Objects[1].(*fyne.Container).Objects[0].(*widget.Label).SetText(roleLine(m))
	status := top.Objects[2].(*fyne.Container).Objects[0].(*widget.Label)
	switch {
	case m.Active && len(m.Forked) > 0:
		status.SetText("Conflicting")
		status.Importance = widget.DangerImportance
	case m.Active:
		status.SetText("Active")
		status.Importance = widget.SuccessImportance
	case len(m.HeldBy) > 0 && m.Revoked.IsZero():
		status.SetText("Held")
		status.Importance = widget.DangerImportance
	case m.SetAsideBy != "":
		status.SetText("Set aside")
		status.Importance = widget.DangerImportance
	case m.TokenTakenBy != "" && m.Revoked.IsZero():
		status.SetText("Not admitted")
		status.Importance = widget.DangerImportance
	default:
		status.SetText("Revoked")
		status.Importance = widget.DangerImportance
	}
	status.Refresh()
	top.Objects[3].(*widget.Label).SetText(appadmin.ShortFingerprint(m.Fingerprint))
	joined := bottom.Objects[0].(*widget.Label)
	switch {
	case len(m.Forked) > 0:
		f := m.Forked[0]
		joined.SetText(fmt.Sprintf("Workstation %s wrote two different versions of its change no. %d",
			appadmin.ShortFingerprint(f.Device), f.Seq))
	case !m.Active && len(m.HeldBy) > 0 && m.Revoked.IsZero():
		joined.SetText(fmt.Sprintf("Revoked by %s, who has since lost that authority", andList(m.HeldBy)))
	case m.SetAsideBy != "":
		joined.SetText(fmt.Sprintf("Admitted by %s, whose authority was withdrawn before that", m.SetAsideBy))
	case m.TokenTakenBy != "" && m.Revoked.IsZero():
		joined.SetText(fmt.Sprintf("Their token %s was used first, by %s", m.Token, m.TokenTakenBy))
	case !m.Active:
		joined.SetText(fmt.Sprintf("Revoked %s by %s", when(m.Revoked), m.RevokedBy))
	case m.Token == "":
		joined.SetText(fmt.Sprintf("Founded the clinic %s", when(m.Joined)))
	default:
		joined.SetText(fmt.Sprintf("Joined %s, admitted by %s", when(m.Joined), m.AdmittedBy)) // the token's id is in the audit log, not for people
	}
	bottom.Objects[1].(*widget.Label).SetText("Last seen " + ago(m.LastSeen, s.now()))
	confirmed := confirmLabel(o)
	if line, imp := noteLine(m, s.rows); line != "" {
		confirmed.Importance = imp
		confirmed.SetText(line)
		confirmed.Show()
	} else {
		confirmed.Hide()
	}
	rd, canChange := s.role, s.role != nil
	if (m.Active || len(m.HeldBy) > 0 && m.Revoked.IsZero()) && m.Fingerprint != s.d.Fingerprint() {
		revoke.Show()
		revoke.OnTapped = func() { s.confirmRevoke(m, revoke) }
		if canChange {
			roleBtn.Show()
			roleBtn.OnTapped = func() {
				changeRole(rd, roleHolder{Fingerprint: m.Fingerprint, Name: m.Name, Role: m.Role}, s.win, roleBtn, s.refresh)
			}
		}
	} else {
		revoke.Hide()
	}
	if !canChange || !m.Active || m.Fingerprint == s.d.Fingerprint() {
		roleBtn.Hide()
	}
}

// confirmRevoke asks before revoking m; back (the row's Revoke) gets the
// keyboard when the question closes.
func (s *directoryScreen) confirmRevoke(m appadmin.StaffMember, back fyne.Focusable) {
	msg := newNote(fmt.Sprintf("%s (%s) will be locked out of the clinic on every workstation: "+
		"anything their workstation writes from now on is refused, and every key they held is replaced by a new one they do not get. "+
		"This cannot be undone; to come back they need a new registration token.", m.Name, m.Role.Title()))
	kit.Confirm{Title: "Revoke " + m.Name + "?", Content: kit.AtLeast(420, 0, msg), Yes: "Revoke access", Danger: true, Back: back, Answer: func(ok bool) {
		if !ok {
			return
		}
		s.status.SetText("Revoking " + m.Name + "…")
		background(func(ctx context.Context) (struct{}, error) {
			return struct{}{}, s.d.RevokeMember(ctx, m.Fingerprint)
		}, func(_ struct{}, err error) {
			if err != nil {
				kit.ShowError("Could not revoke "+m.Name, kit.ErrorText(err), s.win).Back(back)
			}
			s.refresh()
		})
	}}.Show(s.win)
}
