package chat

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/chart"
	appchat "github.com/medihaven/medihaven/app/chat"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/ui/kit"
)

// Session is what the panel needs of the logged-in session itself.
type Session interface {
	StaffName() string
	OnChange(fn func([]app.Changed)) (stop func())
}

// Service is what the panel needs of the session's chat (app/chat).
type Service interface {
	Conversations(ctx context.Context) ([]appchat.Conversation, error)
	History(ctx context.Context, conversation string) ([]appchat.Message, error)
	MarkRead(ctx context.Context, conversation string) error
	Send(ctx context.Context, conversation, text, mrn string) (appchat.Message, error)
	SetAway(ctx context.Context, away bool) error
	Online() bool
}

// Chat is a session with its chat.
type Chat interface {
	Session
	Service
}

// Of is the chat of a session: the session itself when it serves Chat (a
// test's fake), else the session with its chat (appchat.Of); false when
// it has none.
func Of(s any) (Chat, bool) {
	if c, ok := s.(Chat); ok {
		return c, true
	}
	se, ok := s.(Session)
	if !ok {
		return nil, false
	}
	svc, ok := appchat.Of(s)
	if !ok {
		return nil, false
	}
	return struct {
		Session
		*appchat.Service
	}{se, svc}, true
}

// PatientLookup is what a chat offers when its session's role may look
// patients up (receptionists, physicians): the patient an MRN names.
type PatientLookup interface {
	Patient(ctx context.Context, mrn string) (app.Patient, error)
}

// ChartReader is what a physician's session offers: opening a chart
// (audited).
type ChartReader interface {
	OpenChart(ctx context.Context, patientID string) (chart.Chart, error)
}

// timeout bounds each use case the panel runs.
const timeout = 20 * time.Second

// panel is the chat screen's state; every field is touched on the UI
// goroutine only.
type panel struct {
	// Only the newest load draws (kit.Newest): of the conversations, and
	// of the open conversation's messages.
	convLoads, msgLoads kit.Newest
	c                   Chat
	s                   any // the session, for what a role may do beyond the chat (ChartReader)
	win                 fyne.Window
	inline              bool // work and its results run in place (tests)

	convs    []appchat.Conversation
	open     string           // conversation shown
	drafts   map[string]draft // typed and not sent, by conversation, but the one open
	messages []appchat.Message
	online   bool // connected to the chat server, at the last refresh

	list     *widget.List
	msgs     *widget.List
	title    *widget.Label
	subtitle *widget.Label
	status   *widget.Label
	away     *widget.Check
	text     *widget.Entry
	field    *composer // the widget of text, in the layout (it takes Ctrl+Enter)
	shown    bool      // the first conversation was chosen (the one with unread messages)
	mrn      *kit.Entry
	send     *widget.Button
	problem  *widget.Label
}

// New builds the chat panel for a session, or returns nil when the
// session has no chat (Of).
func New(s Session, w fyne.Window) fyne.CanvasObject {
	c, ok := Of(s)
	if !ok {
		return nil
	}
	return newPanel(c, s, w, false)
}

// newPanel builds the panel of chat c of session s; use cases run off the
// UI goroutine, or in place when inline (tests, so nothing races the
// test).
func newPanel(c Chat, s any, w fyne.Window, inline bool) fyne.CanvasObject {
	p := &panel{c: c, s: s, win: w, open: appchat.Room, inline: inline}
	p.list = widget.NewList(func() int { return len(p.convs) }, p.newConvRow, p.updateConvRow)
	p.list.OnSelected = func(i widget.ListItemID) {
		if i < len(p.convs) && p.convs[i].ID != p.open {
			p.switchTo(p.convs[i].ID)
			p.loadMessages()
		}
	}
	p.msgs = widget.NewList(func() int { return len(p.messages) }, p.newMessageRow, p.updateMessageRow)
	p.title = widget.NewLabelWithStyle("Clinic room", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	p.title.SizeName = theme.SizeNameSubHeadingText
	p.subtitle = widget.NewLabel("")
	p.subtitle.Importance = widget.LowImportance
	p.status = widget.NewLabel("")
	p.status.Wrapping = fyne.TextWrapWord
	p.away = widget.NewCheck("Show me as away", func(on bool) {
		p.run(func(ctx context.Context) error { return c.SetAway(ctx, on) }, nil)
	})
	p.field = newComposer(p.sendMessage) // compose.go: Ctrl+Enter sends
	p.text = &p.field.Entry
	p.text.SetPlaceHolder("Write a message — Ctrl+Enter sends")
	p.text.SetMinRowsVisible(2)
	p.mrn = kit.NewEntry()
	p.mrn.SetPlaceHolder("Patient MRN (optional)")
	p.send = widget.NewButtonWithIcon("Send", theme.MailSendIcon(), p.sendMessage)
	p.send.Importance = widget.HighImportance
	p.problem = widget.NewLabel("")
	p.problem.Wrapping = fyne.TextWrapWord
	p.problem.Importance = widget.DangerImportance
	p.problem.Hide()
	p.text.OnSubmitted = func(string) { p.sendMessage() }

	privacy := widget.NewLabel("Only the recipients can read messages: the chat server keeps them encrypted. " +
		"Refer to patients by MRN, not by name.")
	privacy.Wrapping = fyne.TextWrapWord
	privacy.Importance = widget.LowImportance

	left := container.NewBorder(
		container.NewVBox(widget.NewLabelWithStyle("Conversations", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), p.away),
		nil, nil, nil, p.list)
	composer := container.NewBorder(nil, nil, nil,
		container.NewVBox(container.New(layout.NewGridWrapLayout(fyne.NewSize(200, p.mrn.MinSize().Height)), p.mrn), p.send),
		p.field)
	// The shell gives a screen its minimum height: ask for room to read.
	room := canvas.NewRectangle(color.Transparent)
	room.SetMinSize(fyne.NewSize(420, 420))
	right := container.NewBorder(
		container.NewVBox(container.NewHBox(p.title, layout.NewSpacer(), p.subtitle), p.status),
		container.NewVBox(p.problem, composer, privacy),
		nil, nil, container.NewStack(room, p.msgs))
	split := container.NewHSplit(left, right)
	split.Offset = 0.28

	// Notifications and the unread count on "Chat" are the shell's, on
	// every screen (Watch).
	live := kit.Live(split, func() func() {
		p.refresh()
		return kit.OnChanges(c, p.refresh, appchat.Kind)()
	})
	// A message typed and not sent (in any conversation) is asked about
	// before the shell swaps Chat away (kit.Unsaved).
	return kit.WithUnsaved(live, p.unsent)
}

// draft is a message typed and not sent, kept while another conversation
// is open.
type draft struct{ text, mrn string }

func (d draft) empty() bool {
	return strings.TrimSpace(d.text) == "" && strings.TrimSpace(d.mrn) == ""
}

// switchTo opens conversation id in the message field: what was typed for
// the one open is kept as its draft, and id's draft (if any) comes back.
// Switching conversations cleared a message half typed.
func (p *panel) switchTo(id string) {
	if id == p.open {
		return
	}
	if p.drafts == nil {
		p.drafts = map[string]draft{}
	}
	if d := (draft{p.text.Text, p.mrn.Text}); d.empty() {
		delete(p.drafts, p.open)
	} else {
		p.drafts[p.open] = d
	}
	p.open = id
	d := p.drafts[id]
	delete(p.drafts, id)
	p.text.SetText(d.text)
	p.mrn.SetText(d.mrn)
}

// unsent says, for kit.Unsaved, the messages typed and not sent: the open
// conversation's and the other drafts ("" with none).
func (p *panel) unsent() string {
	n := len(p.drafts)
	if !(draft{p.text.Text, p.mrn.Text}).empty() {
		n++
	}
	switch n {
	case 0:
		return ""
	case 1:
		return kit.Unsent("The message you started is not sent yet.")
	}
	return kit.Unsent(fmt.Sprintf("The messages you started in %d conversations are not sent yet.", n))
}

// run does work off the UI goroutine, then done on it (kit.Background);
// with no done, a failure is shown.
func (p *panel) run(work func(ctx context.Context) error, done func(error)) {
	var err error
	kit.Background(p.inline, timeout, func(ctx context.Context) { err = work(ctx) }, func() {
		if done != nil {
			done(err)
		} else if err != nil {
			p.showProblem(err)
		}
	})
}

func (p *panel) showProblem(err error) {
	if err == nil {
		p.problem.Hide()
		return
	}
	p.problem.SetText(kit.ErrorText(err))
	p.problem.Show()
}

// refresh reloads the conversations and the open one's messages.
func (p *panel) refresh() {
	var convs []appchat.Conversation
	var msgs []appchat.Message
	open, first := p.open, !p.shown
	online := false
	newestConvs, newestMsgs := p.convLoads.Begin(), p.msgLoads.Begin()
	p.run(func(ctx context.Context) error {
		var err error
		if convs, err = p.c.Conversations(ctx); err != nil {
			return err
		}
		if first { // opened from the unread badge: the conversation with the unread message
			open = unreadFirst(convs, open)
		}
		online = p.c.Online()
		msgs, err = p.c.History(ctx, open)
		return err
	}, func(err error) {
		if err != nil {
			p.showProblem(err)
			return
		}
		if first && !p.shown {
			p.shown = true
			p.switchTo(open)
		}
		if newestConvs() { // else a later load draws the list
			p.showConversations(convs, online)
		}
		if open == p.open && newestMsgs() {
			p.showMessages(msgs)
		}
	})
}

// showConversations shows the list of conversations, the open one
// selected, and whether the chat server is reached.
func (p *panel) showConversations(convs []appchat.Conversation, online bool) {
	p.convs = convs
	p.online = online
	p.list.Refresh()
	for i, c := range convs {
		if c.ID == p.open {
			p.list.Select(i)
		}
	}
	if online {
		p.status.SetText("")
		p.status.Hide()
	} else {
		p.status.SetText("Not connected to the clinic's chat server: your messages wait on this workstation and are sent when the connection is back.")
		p.status.Show()
	}
}

// unreadFirst is the conversation whose unread message is the newest, or
// open when nothing is unread.
func unreadFirst(convs []appchat.Conversation, open string) string {
	var newest time.Time
	found := false
	for _, c := range convs {
		if c.Unread == 0 {
			continue
		}
		var at time.Time
		if c.Last != nil {
			at = c.Last.At
		}
		if !found || at.After(newest) {
			open, newest, found = c.ID, at, true
		}
	}
	return open
}

func (p *panel) loadMessages() {
	open := p.open
	var msgs []appchat.Message
	newest := p.msgLoads.Begin()
	p.run(func(ctx context.Context) error {
		var err error
		msgs, err = p.c.History(ctx, open)
		return err
	}, func(err error) {
		if err != nil {
			p.showProblem(err)
			return
		}
		if open == p.open && newest() {
			p.showMessages(msgs)
		}
	})
}

// showMessages shows the open conversation and marks it read.
func (p *panel) showMessages(msgs []appchat.Message) {
	p.messages = msgs
	p.msgs.Refresh()
	if len(msgs) > 0 {
		p.msgs.ScrollToBottom()
	}
	for _, c := range p.convs {
		if c.ID != p.open {
			continue
		}
		p.title.SetText(c.Title)
		p.subtitle.SetText(describe(c))
		if c.Unread > 0 {
			id := c.ID
			p.run(func(ctx context.Context) error { return p.c.MarkRead(ctx, id) }, nil)
		}
	}
	external := strings.HasPrefix(p.open, "xmpp:")
	if external {
		p.text.Disable()
		p.mrn.Disable()
		p.send.Disable()
		p.text.SetPlaceHolder("This address is outside the staff directory: Medihaven does not send to it.")
	} else {
		p.text.Enable()
		p.mrn.Enable()
		p.send.Enable()
		p.text.SetPlaceHolder("Write a message — Ctrl+Enter sends")
	}
}

func describe(c appchat.Conversation) string {
	switch {
	case c.ID == appchat.Room:
		return "Everyone on the staff"
	case strings.HasPrefix(c.ID, "xmpp:"):
		return "Outside the staff directory"
	}
	return fmt.Sprintf("%s · %s", roleName(string(c.Role)), c.Presence)
}

// sender is how a message row names who wrote it. In the room a
// colleague's verified message carries their role beside the name ("Rita
// Reception · Receptionist"), as a 1:1 conversation's title does: a name
// alone may be chosen to look like a colleague's, the role may not. A name
// the directory took before names were judged has its hidden runes
// written out (roles.VisibleName).
func (p *panel) sender(m appchat.Message) string {
	if m.Mine {
		return "You"
	}
	name := roles.VisibleName(m.FromName)
	if m.Conversation != appchat.Room || m.From == "" || !m.Verified {
		return name
	}
	for _, c := range p.convs {
		if c.ID == m.From && c.Role != "" {
			return name + " · " + roleName(string(c.Role))
		}
	}
	return name
}

func roleName(r string) string {
	if r == "" {
		return ""
	}
	return strings.ToUpper(r[:1]) + r[1:]
}

func (p *panel) sendMessage() {
	text, mrn, conv := p.text.Text, p.mrn.Text, p.open
	if strings.TrimSpace(text) == "" && strings.TrimSpace(mrn) == "" {
		return
	}
	p.send.Disable()
	p.run(func(ctx context.Context) error {
		_, err := p.c.Send(ctx, conv, text, mrn)
		return err
	}, func(err error) {
		p.send.Enable()
		if err != nil && !errors.Is(err, appchat.ErrOffline) {
			p.showProblem(err)
			return
		}
		p.showProblem(nil)
		if conv == p.open {
			p.text.SetText("")
			p.mrn.SetText("")
		} else if p.drafts[conv] == (draft{text, mrn}) { // switched away while it was sent
			delete(p.drafts, conv)
		}
		p.refresh()
	})
}

// ---- conversation rows ----

func (p *panel) newConvRow() fyne.CanvasObject {
	dot := canvas.NewCircle(theme.Color(theme.ColorNameDisabled))
	name := widget.NewLabel("Colleague name")
	name.Truncation = fyne.TextTruncateEllipsis
	return container.NewBorder(nil, nil,
		container.NewCenter(container.NewGridWrap(fyne.NewSize(10, 10), dot)),
		kit.NewCount(),
		name)
}

func (p *panel) updateConvRow(i widget.ListItemID, o fyne.CanvasObject) {
	if i >= len(p.convs) {
		return
	}
	c := p.convs[i]
	b := o.(*fyne.Container)
	name := b.Objects[0].(*widget.Label)
	dot := b.Objects[1].(*fyne.Container).Objects[0].(*fyne.Container).Objects[0].(*canvas.Circle)
	title := c.Title
	if c.Role != "" {
		title += " · " + roleName(string(c.Role))
	}
	name.TextStyle.Bold = c.Unread > 0
	name.SetText(title)
	name.Refresh() // the style may change with the same text
	switch c.Presence {
	case appchat.PresenceOnline:
		dot.FillColor = theme.Color(theme.ColorNameSuccess)
	case appchat.PresenceAway:
		dot.FillColor = theme.Color(theme.ColorNameWarning)
	default:
		dot.FillColor = theme.Color(theme.ColorNameDisabled)
	}
	dot.Refresh()
	kit.SetCount(b.Objects[2].(*fyne.Container), c.Unread)
}

// ---- message rows ----

func (p *panel) newMessageRow() fyne.CanvasObject {
	who := widget.NewLabelWithStyle("Name", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	when := widget.NewLabel("00:00")
	when.Importance = widget.LowImportance
	// The mark takes the room the name and time leave, and a long one is
	// cut with an ellipsis rather than widening every row past the pane.
	mark := widget.NewLabel("")
	mark.Alignment = fyne.TextAlignTrailing
	mark.Truncation = fyne.TextTruncateEllipsis
	text := widget.NewLabel("")
	text.Wrapping = fyne.TextWrapWord
	patient := widget.NewButtonWithIcon("", theme.AccountIcon(), nil)
	patient.Importance = widget.LowImportance
	return container.NewVBox(
		container.NewBorder(nil, nil, container.NewHBox(who, when), nil, mark),
		text,
		container.NewHBox(patient),
	)
}

func (p *panel) updateMessageRow(i widget.ListItemID, o fyne.CanvasObject) {
	if i >= len(p.messages) {
		return
	}
	m := p.messages[i]
	v := o.(*fyne.Container)
	head := v.Objects[0].(*fyne.Container)
	mark, left := head.Objects[0].(*widget.Label), head.Objects[1].(*fyne.Container) // NewBorder: the centre first
	who, when := left.Objects[0].(*widget.Label), left.Objects[1].(*widget.Label)
	text := v.Objects[1].(*widget.Label)
	patientRow := v.Objects[2].(*fyne.Container)
	patient := patientRow.Objects[0].(*widget.Button)

	who.SetText(p.sender(m))
	when.SetText(rowTime(m))
	switch {
	case m.Mine && m.NotSent != "":
		mark.SetText("Not sent: " + m.NotSent)
		mark.Importance = widget.DangerImportance
	case m.Queued && m.WaitingFor != "" && m.Conversation == appchat.Room:
		// The room refused it: more than its limit at once (mod_medihaven_rooms).
		mark.SetText("Held back: too many messages at once; it goes when you reconnect")
		mark.Importance = widget.WarningImportance
	case m.Queued && m.WaitingFor != "":
		// The server refused it: their chat account does not exist yet.
		mark.SetText("Waiting for " + m.WaitingFor + "'s workstation to connect for the first time")
		mark.Importance = widget.WarningImportance
	case m.Queued && !p.online:
		mark.SetText("Waiting to send: not connected")
		mark.Importance = widget.WarningImportance
	case m.Queued:
		mark.SetText("Sending…")
		mark.Importance = widget.LowImportance
	case m.Mine:
		mark.SetText("Sent")
		mark.Importance = widget.LowImportance
	case m.Verified:
		mark.SetText("✔ Verified")
		mark.Importance = widget.SuccessImportance
	default:
		mark.SetText("⚠ Unverified")
		mark.Importance = widget.DangerImportance
	}
	mark.Refresh()
	body := m.Text
	if !m.Verified && m.Problem != "" {
		body += "\n(" + m.Problem + ")"
	}
	text.SetText(body)
	text.Importance = widget.MediumImportance
	if !m.Verified {
		text.Importance = widget.WarningImportance
	}
	text.Refresh()
	if m.MRN == "" {
		patientRow.Hide()
	} else {
		patient.SetText("Patient " + m.MRN)
		mrn := m.MRN
		patient.OnTapped = func() { p.showPatient(mrn, patient) }
		patientRow.Show()
	}
	p.msgs.SetItemHeight(i, v.MinSize().Height)
}

// writtenApart is how far apart a message's arrival and the time its
// sender's workstation says it wrote it must be for the row to show both.
const writtenApart = 5 * time.Minute

// rowTime is a message row's time: when it reached the server or this
// workstation, which orders the conversation, and, when the sender's
// own (signed) time is well apart from it (written while offline, or a
// sender's clock that is wrong), that time as a detail.
func rowTime(m appchat.Message) string {
	if m.Written.IsZero() || m.At.Sub(m.Written).Abs() <= writtenApart {
		return stamp(m.At)
	}
	return stamp(m.At) + " (written " + stamp(m.Written) + " by the sender's clock)"
}

func stamp(t time.Time) string {
	t = t.Local()
	now := time.Now()
	if t.YearDay() == now.YearDay() && t.Year() == now.Year() {
		return t.Format("15:04")
	}
	return t.Format("2 Jan 15:04")
}

// showPatient shows the patient an MRN names, for roles that may see it;
// a physician may open the chart (audited). back, the message's patient
// button, gets the keyboard when what it shows closes.
func (p *panel) showPatient(mrn string, back fyne.Focusable) {
	look, ok := p.c.(PatientLookup)
	if !ok {
		kit.Notice{Title: "Patient " + mrn, Message: "Your role does not open patient records. Ask a receptionist or physician.", Back: back}.Show(p.win)
		return
	}
	var pt app.Patient
	p.run(func(ctx context.Context) error {
		var err error
		pt, err = look.Patient(ctx, mrn)
		return err
	}, func(err error) {
		if err != nil {
			kit.ShowError("Could not find patient "+mrn, kit.ErrorText(err), p.win).Back(back)
			return
		}
		info := widget.NewLabel(fmt.Sprintf("%s\nBorn %s · MRN %s", pt.Name(), kit.DayText(pt.Birth), pt.MRN))
		reader, canChart := kit.ChartOf[ChartReader](p.s)
		if !canChart {
			kit.Notice{Title: "Patient " + mrn, Close: "Close", Content: info, Back: back}.Show(p.win)
			return
		}
		kit.Confirm{Title: "Patient " + mrn, Content: info, Yes: "Open chart", No: "Close", EnterYes: true, Back: back,
			Answer: func(open bool) {
				if open {
					p.openChart(reader, pt, back)
				}
			}}.Show(p.win)
	})
}

// openChart shows what the chart of pt holds; back gets the keyboard when
// it closes.
func (p *panel) openChart(r ChartReader, pt app.Patient, back fyne.Focusable) {
	var ch chart.Chart
	p.run(func(ctx context.Context) error {
		var err error
		ch, err = r.OpenChart(ctx, pt.ID)
		return err
	}, func(err error) {
		if err != nil {
			kit.ShowError("Could not open the chart", kit.ErrorText(err), p.win).Back(back)
			return
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%s, born %s (MRN %s)\n\n", ch.Patient.Name(), kit.DayText(ch.Patient.Birth), ch.Patient.MRN)
		fmt.Fprintf(&b, "Active problems: %d · Allergies: %d · Medications: %d · Notes: %d\n",
			len(ch.Problems), len(ch.Allergies), len(ch.Medications), len(ch.Notes))
		for _, a := range ch.Allergies {
			fmt.Fprintf(&b, "Allergy: %s\n", a.Substance)
		}
		b.WriteString("\nThe full chart is under Patients. This read was recorded in the audit log.")
		l := widget.NewLabel(b.String())
		l.Wrapping = fyne.TextWrapWord
		kit.Notice{Title: "Chart", Close: "Close", Content: l, Back: back}.Show(p.win).Resize(fyne.NewSize(520, 320))
	})
}
