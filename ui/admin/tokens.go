package admin

import (
	"context"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app"
	appadmin "github.com/medihaven/medihaven/app/admin"
	"github.com/medihaven/medihaven/internal/marks"
	"github.com/medihaven/medihaven/internal/qrtoken"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/ui/kit"
)

// Changed names an entity whose state changed (the app's change feed).
type Changed = app.Changed

// TokenDesk is what the registration tokens screen needs.
type TokenDesk interface {
	TokenSession
	StaffDirectory(ctx context.Context) ([]appadmin.StaffMember, error)
}

// TokenSession is what it needs of the session itself.
type TokenSession interface {
	Changes
	IssueRegistrationToken(ctx context.Context, role roles.Role, ttl time.Duration) (app.IssuedToken, error)
	Tokens(ctx context.Context) ([]app.TokenInfo, error)
	RevokeToken(ctx context.Context, id string) error
}

// validities are the lifetimes offered for a new token.
var validities = []struct {
	label string
	ttl   time.Duration
}{
	{"1 hour", time.Hour}, {"8 hours", 8 * time.Hour}, {"1 day", 24 * time.Hour},
	{"3 days", 72 * time.Hour}, {"7 days", 7 * 24 * time.Hour}, {"30 days", 30 * 24 * time.Hour},
}

// tokenClipboardTTL is how long "Copy token" leaves the token on the
// clipboard: the whole token carries the clinic's Kubo API secret, which
// outlives the token, so the clipboard forgets it a while after the copy
// unless something else was copied meanwhile (h-rev24). A clipboard
// manager's history is beyond reach (Fyne cannot mark a copy as secret);
// the short code carries none of it, and dies with the token's use.
var tokenClipboardTTL = 2 * time.Minute

var issuable = []roles.Role{roles.Receptionist, roles.Physician, roles.Administrator}

type tokensScreen struct {
	loads kit.Newest // only the newest load draws (load)
	d     TokenDesk
	win   fyne.Window

	role, validity *kit.TypeSelect
	issue          *widget.Button
	issueMsg       *widget.Label

	result    *fyne.Container // shown once a token is issued
	qr        *canvas.Image
	text      *kit.Entry
	copy      *widget.Button
	resultFor *widget.Label
	short     *widget.Label // the short code, when the servers have a join desk
	copyShort *widget.Button
	shortMsg  *widget.Label
	hint      *widget.Label // how the newcomer uses what is shown

	list  *widget.List
	rows  []app.TokenInfo
	names map[string]string
	// waiting names, by token id, who asked to join with an open token
	// and waits for approval (from the session's JoinDesk, when it has one).
	join    JoinDesk
	waiting map[string]string
	status  *widget.Label
}

// NewTokens builds the registration tokens screen: issue a token for a role
// with an expiry, shown as text and as a QR code with a copy button; the
// list of tokens with their status; revoke an unused one.
func NewTokens(ts TokenSession, w fyne.Window) fyne.CanvasObject {
	v, ok := viewsOf(ts)
	if !ok {
		return nil
	}
	s := &tokensScreen{d: struct {
		TokenSession
		Views
	}{ts, v}, win: w, names: map[string]string{}}
	s.join, _ = ts.(JoinDesk)
	roleNames := make([]string, len(issuable))
	for i, r := range issuable {
		roleNames[i] = r.Title()
	}
	s.role = kit.NewTypeSelect(roleNames, nil)
	s.role.SetSelectedIndex(0)
	valid := make([]string, len(validities))
	for i, v := range validities {
		valid[i] = v.label
	}
	s.validity = kit.NewTypeSelect(valid, nil)
	s.validity.SetSelected("3 days")
	s.issue = widget.NewButtonWithIcon("Issue token", theme.ContentAddIcon(), s.issueToken)
	s.issue.Importance = widget.HighImportance
	s.issueMsg = newNote("")
	s.issueMsg.Hide()

	s.qr = canvas.NewImageFromResource(nil)
	s.qr.FillMode = canvas.ImageFillContain
	s.qr.ScaleMode = canvas.ImageScalePixels
	s.qr.SetMinSize(fyne.NewSize(200, 200))
	s.text = kit.NewMultiLineEntry()
	s.text.Wrapping = fyne.TextWrapBreak
	s.text.SetMinRowsVisible(4)
	s.copy = widget.NewButtonWithIcon("Copy token", theme.ContentCopyIcon(), func() {
		copyForAWhile(s.text.Text, tokenClipboardTTL)
		s.copy.SetText("Copied (for 2 minutes)")
	})
	s.resultFor = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.resultFor.Wrapping = fyne.TextWrapWord
	// Monospace from the first code shown (show), not before: Fyne lays
	// out the hidden result too, and the first monospace text of the
	// window parses its mono faces (Noto Sans Mono and the system's,
	// 3 MB of heap) for a code the administrator's home does not show
	// (issue 17).
	s.short = widget.NewLabel("")
	s.short.SizeName = theme.SizeNameSubHeadingText
	s.short.Wrapping = fyne.TextWrapBreak
	s.copyShort = widget.NewButtonWithIcon("Copy code", theme.ContentCopyIcon(), func() {
		// While the token waits, its code opens it at the desk.
		copyForAWhile(s.short.Text, tokenClipboardTTL)
		s.copyShort.SetText("Copied (for 2 minutes)")
	})
	s.shortMsg = newNote("")
	s.hint = newNote("")
	s.result = container.NewBorder(nil, nil, s.qr, nil,
		container.NewVBox(s.resultFor, container.NewBorder(nil, nil, nil, s.copyShort, s.short), s.shortMsg,
			widget.NewLabel("The whole token:"), s.text, container.NewHBox(s.copy), s.hint))
	s.result.Hide()

	form := container.NewHBox(widget.NewLabel("Role"), kit.AtLeast(170, 0, s.role),
		widget.NewLabel("Valid for"), kit.AtLeast(120, 0, s.validity), s.issue)
	issueCard := widget.NewCard("Issue a registration token", "", container.NewVBox(form, s.issueMsg, s.result))

	s.status = widget.NewLabel("Loading…")
	s.list = widget.NewList(func() int { return len(s.rows) }, s.newRow, s.updateRow)
	s.list.HideSeparators = false
	listCard := widget.NewCard("Tokens", "", container.NewBorder(s.status, nil, nil, nil, kit.AtLeast(0, 320, s.list)))

	content := container.NewVBox(issueCard, listCard)
	s.refresh()
	return kit.Live(content, func() func() {
		return liveRefresh(ts, map[string]bool{"token": true, "member": true, "enroll": true}, s.refresh)
	})
}

// copyForAWhile puts text on the clipboard and takes it off again after
// ttl, unless the clipboard holds something else by then.
func copyForAWhile(text string, ttl time.Duration) {
	cb := fyne.CurrentApp().Clipboard()
	cb.SetContent(text)
	time.AfterFunc(ttl, func() {
		onUI(func() {
			if cb.Content() == text {
				cb.SetContent("")
			}
		})
	})
}

func (s *tokensScreen) selectedRole() roles.Role {
	return issuable[s.role.SelectedIndex()]
}

func (s *tokensScreen) selectedTTL() time.Duration {
	for _, v := range validities {
		if v.label == s.validity.Selected {
			return v.ttl
		}
	}
	return app.DefaultTokenTTL
}

func (s *tokensScreen) issueToken() {
	role, ttl := s.selectedRole(), s.selectedTTL()
	s.issue.Disable()
	s.issueMsg.Hide()
	background(func(ctx context.Context) (app.IssuedToken, error) {
		return s.d.IssueRegistrationToken(ctx, role, ttl)
	}, func(t app.IssuedToken, err error) {
		s.issue.Enable()
		if err != nil {
			s.issueMsg.SetText("The token was not issued: " + kit.ErrorText(err))
			s.issueMsg.Importance = widget.DangerImportance
			s.issueMsg.Show()
			return
		}
		s.show(t)
		s.refresh()
	})
}

// show puts an issued token on screen: its short code and a QR code of
// it (of the whole token when there is no short code), and the whole
// token as text.
func (s *tokensScreen) show(t app.IssuedToken) {
	inQR := t.Text
	s.shortMsg.Hide()
	if t.Short != "" {
		inQR = t.Short
		s.short.TextStyle = fyne.TextStyle{Monospace: true}
		s.short.SetText(t.Short)
		s.copyShort.SetText("Copy code")
		s.short.Show()
		s.copyShort.Show()
	} else {
		s.short.Hide()
		s.copyShort.Hide()
		if t.ShortErr != nil {
			s.shortMsg.SetText("No short code this time (" + kit.ErrorText(t.ShortErr) + "); give the whole token below.")
			s.shortMsg.Importance = widget.WarningImportance
			s.shortMsg.Show()
		}
	}
	if png, err := qrtoken.PNG(inQR); err == nil { // the picture "Join a clinic" reads back
		s.qr.Resource = fyne.NewStaticResource("token-"+t.ID+".png", png)
		s.qr.Image = nil
		s.qr.Show()
	} else {
		s.qr.Hide()
	}
	s.qr.Refresh()
	s.hint.SetText(tokenHint(t.Short != ""))
	s.text.SetText(t.Text)
	s.copy.SetText("Copy token")
	s.resultFor.SetText(fmt.Sprintf("Token for a new %s, valid until %s", t.Role.Title(), when(t.Expires)))
	s.result.Show()
}

func (s *tokensScreen) refresh() {
	type loaded struct {
		rows           []app.TokenInfo
		names, waiting map[string]string
	}
	load(&s.loads, func(ctx context.Context) (loaded, error) {
		rows, err := s.d.Tokens(ctx)
		if err != nil {
			return loaded{}, err
		}
		got := loaded{rows: rows} // names and waiting stay as shown when they cannot be read
		if staff, err := s.d.StaffDirectory(ctx); err == nil {
			got.names = map[string]string{}
			for _, m := range staff {
				got.names[m.Fingerprint] = m.Name
			}
		}
		if s.join != nil {
			if js, err := s.join.Waiting(ctx); err == nil {
				got.waiting = map[string]string{}
				for _, j := range js {
					got.waiting[j.Token] = j.Name
				}
			}
		}
		return got, nil
	}, func(got loaded, err error) {
		if err != nil {
			s.status.SetText("The tokens cannot be listed: " + kit.ErrorText(err))
			return
		}
		rows := got.rows
		if got.names != nil {
			s.names = got.names
		}
		if got.waiting != nil {
			s.waiting = got.waiting
		}
		s.rows = rows
		active := 0
		for _, t := range rows {
			if t.Status == app.TokenActive {
				active++
			}
		}
		switch {
		case len(rows) == 0:
			s.status.SetText("No token issued yet.")
		default:
			s.status.SetText(fmt.Sprintf("%s, %d still open", kit.Count(len(rows), "token", "tokens"), active))
		}
		s.list.Refresh()
		marks.Shown("Registration tokens") // the window benchmark's home mark (internal/marks)
	})
}

func (s *tokensScreen) newRow() fyne.CanvasObject {
	role := widget.NewLabelWithStyle("Receptionist", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	status := widget.NewLabel("active")
	detail := widget.NewLabel("")
	detail.Truncation = fyne.TextTruncateEllipsis
	revoke := widget.NewButtonWithIcon("Revoke", theme.CancelIcon(), nil)
	revoke.Importance = widget.DangerImportance
	return container.NewBorder(nil, nil,
		container.NewHBox(kit.AtLeast(130, 0, role), kit.AtLeast(90, 0, status)),
		revoke, detail)
}

func (s *tokensScreen) updateRow(i widget.ListItemID, o fyne.CanvasObject) {
	if i >= len(s.rows) {
		return
	}
	t := s.rows[i]
	c := o.(*fyne.Container)
	left := c.Objects[1].(*fyne.Container)
	revoke := c.Objects[2].(*widget.Button)
	detail := c.Objects[0].(*widget.Label)
	left.Objects[0].(*fyne.Container).Objects[0].(*widget.Label).SetText(t.Role.Title())
	status := left.Objects[1].(*fyne.Container).Objects[0].(*widget.Label)
	status.SetText(statusWords(t.Status))
	status.Importance = statusImportance(t.Status)
	who, asked := s.waiting[t.ID]
	if asked && t.Status == app.TokenActive {
		status.SetText("Asked")
		status.Importance = widget.WarningImportance
	}
	status.Refresh()
	switch t.Status {
	case app.TokenUsed:
		who := s.names[t.UsedBy]
		if who == "" {
			who = appadmin.ShortFingerprint(t.UsedBy)
		}
		detail.SetText(fmt.Sprintf("used by %s on %s", who, when(t.UsedAt)))
	case app.TokenExpired:
		detail.SetText("expired " + when(t.Expires) + " · issued " + when(t.Issued))
	case app.TokenRevoked:
		detail.SetText("issued " + when(t.Issued) + " · revoked")
	case app.TokenActive:
		if asked {
			detail.SetText(who + " waits for approval in the Staff directory · valid until " + when(t.Expires))
		} else {
			detail.SetText("issued " + when(t.Issued) + " · valid until " + when(t.Expires))
		}
	default:
		detail.SetText("issued " + when(t.Issued) + " · valid until " + when(t.Expires))
	}
	if t.Status == app.TokenActive {
		revoke.Show()
		revoke.OnTapped = func() { s.confirmRevoke(t, revoke) }
	} else {
		revoke.Hide()
	}
}

func statusWords(st string) string {
	switch st {
	case app.TokenActive:
		return "Open"
	case app.TokenUsed:
		return "Used"
	case app.TokenExpired:
		return "Expired"
	case app.TokenRevoked:
		return "Revoked"
	}
	return st
}

func statusImportance(st string) widget.Importance {
	switch st {
	case app.TokenActive:
		return widget.SuccessImportance
	case app.TokenRevoked:
		return widget.DangerImportance
	case app.TokenUsed:
		return widget.MediumImportance
	}
	return widget.LowImportance
}

// confirmRevoke asks before revoking t; back (the row's Revoke) gets the
// keyboard when the question closes.
func (s *tokensScreen) confirmRevoke(t app.TokenInfo, back fyne.Focusable) {
	msg := newNote(fmt.Sprintf("The %s token issued %s will no longer let anyone join. A newcomer who has not joined yet needs a new token.",
		t.Role.Title(), when(t.Issued)))
	kit.Confirm{Title: "Revoke this token?", Content: kit.AtLeast(380, 0, msg), Yes: "Revoke token", No: "Keep it", Danger: true, Back: back, Answer: func(ok bool) {
		if !ok {
			return
		}
		background(func(ctx context.Context) (struct{}, error) {
			return struct{}{}, s.d.RevokeToken(ctx, t.ID)
		}, func(_ struct{}, err error) {
			if err != nil {
				kit.ShowError("Could not revoke the token", kit.ErrorText(err), s.win).Back(back)
			}
			s.refresh()
		})
	}}.Show(s.win)
}

var _ = layout.NewSpacer

// tokenHint tells the administrator how the newcomer uses an issued
// token: the short code only when there is one (a clinic without a join
// desk has none, and its administrator read "type the short code" beside
// no code at all).
func tokenHint(short bool) string {
	how := "scan the QR code or paste the whole token"
	if short {
		how = "type the short code (read it in groups of four; case and dashes do not matter), scan the QR code, or paste the whole token"
	}
	return "Give it to the newcomer only. On their computer they choose \"Join a clinic\" and " + how + ". " +
		"It works once; you then approve them in the Staff directory after comparing the code their screen shows."
}
