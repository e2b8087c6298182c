package admin

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app"
	appadmin "github.com/medihaven/medihaven/app/admin"
	"github.com/medihaven/medihaven/app/recovery"
	"github.com/medihaven/medihaven/ui/kit"
)

// SecurityDesk is what the security screen needs.
type SecurityDesk interface {
	SecuritySession
	StaffDirectory(ctx context.Context) ([]appadmin.StaffMember, error)
}

// SecuritySession is what it needs of the session itself: the settings
// are the clinic core's.
type SecuritySession interface {
	Changes
	SecuritySettings(ctx context.Context) (app.SecuritySettings, error)
	SetSecuritySettings(ctx context.Context, c app.SecuritySettings) error
	Fingerprint() string
}

// Recovery is what the security screen needs of the clinic's recovery
// (app/recovery).
type Recovery interface {
	Status(ctx context.Context) (recovery.Status, error)
	Split(ctx context.Context, threshold int) (recovery.Status, error)
	Release(ctx context.Context, to string) error
	Recover(ctx context.Context, to string) (recovery.Handover, error)
}

var _ Recovery = (*recovery.Service)(nil)

// recoveryOf is the recovery of a session: the session's own when it
// serves Recovery (a test's fake), else app/recovery's (recovery.Of).
func recoveryOf(s any) (Recovery, bool) {
	if r, ok := s.(Recovery); ok {
		return r, true
	}
	if svc, ok := recovery.Of(s); ok {
		return svc, true
	}
	return nil, false
}

type securityScreen struct {
	loads kit.Newest // only the newest load draws (load)
	d     SecurityDesk
	rec   Recovery
	win   fyne.Window

	idle, attempts *kit.Entry
	saved          *widget.Label

	recovery          *widget.Label
	threshold         *kit.Entry
	admins, receivers *kit.TypeSelect
	// releaseBtn and recoverBtn work once a recovery is set up; each, as
	// splitBtn, gets the keyboard back when what it asked or said closes.
	splitBtn, releaseBtn, recoverBtn *widget.Button
	staff                            []appadmin.StaffMember
}

// NewSecurity builds the security screen: idle lock and passphrase lockout
// for every workstation, and the clinic recovery key (split among the
// administrators; release a share; recover the clinical keys for a new
// physician).
func NewSecurity(ss SecuritySession, w fyne.Window) fyne.CanvasObject {
	v, ok := viewsOf(ss)
	rec, ok2 := recoveryOf(ss)
	if !ok || !ok2 {
		return nil
	}
	s := &securityScreen{d: struct {
		SecuritySession
		Views
	}{ss, v}, rec: rec, win: w}
	s.idle = kit.NewEntry()
	s.attempts = kit.NewEntry()
	s.saved = newNote("")
	save := widget.NewButton("Save settings", s.save)
	save.Importance = widget.HighImportance
	settings := widget.NewCard("Workstations", "", container.NewVBox(
		container.NewHBox(widget.NewLabel("Lock a workstation after"), kit.AtLeast(70, 0, s.idle), widget.NewLabel("minutes without input")),
		container.NewHBox(widget.NewLabel("Pause the login after"), kit.AtLeast(70, 0, s.attempts),
			widget.NewLabel("wrong passphrases in a row (the pause doubles with each further one)")),
		container.NewHBox(save), s.saved))

	s.recovery = newNote("Loading…")
	s.threshold = kit.NewEntry()
	s.threshold.SetText("2")
	split := widget.NewButton("Set up recovery", s.split)
	s.splitBtn = split
	s.admins = kit.NewTypeSelect(nil, nil)
	s.admins.PlaceHolder = "Administrator"
	release := widget.NewButton("Release my share", s.release)
	s.releaseBtn = release
	s.receivers = kit.NewTypeSelect(nil, nil)
	s.receivers.PlaceHolder = "Physician or receptionist"
	recover := widget.NewButton("Recover keys", s.recoverKeys)
	s.recoverBtn = recover
	recoveryCard := widget.NewCard("Recovery key", "", container.NewVBox(
		newNote("If every physician's key is lost, administrators together can hand the clinical and front-desk keys to a new physician. Each key is split among the administrators by the workstations that hold it: no administrator can recover alone, and none ever holds patient keys. Revoking an administrator means setting recovery up again."),
		s.recovery,
		container.NewHBox(widget.NewLabel("Administrators needed"), kit.AtLeast(60, 0, s.threshold), split),
		container.NewHBox(widget.NewLabel("Release my share to"), kit.AtLeast(220, 0, s.admins), release),
		container.NewHBox(widget.NewLabel("Recover for"), kit.AtLeast(260, 0, s.receivers), recover)))
	s.refresh()
	return kit.Live(container.NewVBox(settings, recoveryCard), func() func() {
		// A physician's approval ("confirms") changes what the recovery
		// says of the clinical key. The escrows that follow are raw events,
		// which the change feed does not name: the screen says them when
		// it is next drawn or another change comes.
		return liveRefresh(ss, map[string]bool{"security": true, "recovery": true, "recovery-release": true, "confirms": true,
			"member": true}, s.refresh)
	})
}

func (s *securityScreen) refresh() {
	type state struct {
		c     app.SecuritySettings
		r     recovery.Status
		staff []appadmin.StaffMember
	}
	load(&s.loads, func(ctx context.Context) (state, error) {
		var st state
		var err error
		if st.c, err = s.d.SecuritySettings(ctx); err != nil {
			return st, err
		}
		if st.staff, err = s.d.StaffDirectory(ctx); err != nil {
			return st, err
		}
		st.r, err = s.rec.Status(ctx)
		return st, err
	}, func(st state, err error) {
		if err != nil {
			s.recovery.SetText(kit.ErrorText(err))
			return
		}
		s.idle.SetText(strconv.Itoa(int(st.c.IdleLock / time.Minute)))
		s.attempts.SetText(strconv.Itoa(st.c.MaxAttempts))
		s.staff = st.staff
		var admins, receivers []string
		for _, m := range st.staff {
			if !m.Active || m.Fingerprint == s.d.Fingerprint() {
				continue
			}
			label := fmt.Sprintf("%s (%s)", m.Name, appadmin.ShortFingerprint(m.Fingerprint)[:9])
			if m.Role == "administrator" {
				admins = append(admins, label)
			} else {
				receivers = append(receivers, label)
			}
		}
		s.admins.SetOptions(admins)
		s.receivers.SetOptions(receivers)
		// Releasing a share and recovering need a recovery set up (they
		// said only 'Choose the physician or receptionist…' beside 'No
		// recovery yet'); setting one up needs a second administrator.
		for _, b := range []*widget.Button{s.releaseBtn, s.recoverBtn} {
			if st.r.Set || st.r.NeedsNewSplit {
				b.Enable()
			} else {
				b.Disable()
			}
		}
		switch {
		case st.r.Set:
			s.recovery.SetText(fmt.Sprintf("Set up %s by %s: %d of %d administrators needed. Shares at hand on this workstation: %d. %s",
				when(st.r.SetAt), st.r.SetBy, st.r.Threshold, st.r.Shares, st.r.Released, clinicalWords(st.r)))
		case st.r.NeedsNewSplit:
			s.recovery.SetText(st.r.Reason)
		default:
			s.recovery.SetText(strings.TrimSpace("No recovery yet: set it up now, while the physicians' workstations can still escrow their keys. " + st.r.Reason))
		}
	})
}

// clinicalWords says what the physicians' workstations did with the
// clinical key for the split in force: who escrowed it, whose approval
// they count, who did not yet; or, when none did, that the clinical
// records cannot be recovered with it (st.Reason).
func clinicalWords(st recovery.Status) string {
	if len(st.ClinicalEscrowedBy) == 0 {
		return st.Reason
	}
	out := "The clinical key is escrowed to it by the workstations of " + strings.Join(st.ClinicalEscrowedBy, ", ")
	if len(st.ClinicalApprovedBy) > 0 {
		out += " (approved by " + strings.Join(st.ClinicalApprovedBy, ", ") + ")"
	}
	out += "."
	if len(st.ClinicalNotEscrowedBy) > 0 {
		out += " Not yet by " + strings.Join(st.ClinicalNotEscrowedBy, ", ") + ": a clinical key only their workstations hold cannot be recovered."
	}
	return strings.TrimSpace(out + " " + st.Reason)
}

func (s *securityScreen) pick(sel *kit.TypeSelect) string {
	for _, m := range s.staff {
		if sel.Selected == fmt.Sprintf("%s (%s)", m.Name, appadmin.ShortFingerprint(m.Fingerprint)[:9]) {
			return m.Fingerprint
		}
	}
	return ""
}

func (s *securityScreen) save() {
	idle, err1 := strconv.Atoi(s.idle.Text)
	attempts, err2 := strconv.Atoi(s.attempts.Text)
	if err1 != nil || err2 != nil {
		s.saved.SetText("Type whole numbers, e.g. 10 minutes and 5 attempts.")
		return
	}
	c := app.SecuritySettings{IdleLock: time.Duration(idle) * time.Minute, MaxAttempts: attempts}
	s.do(func(ctx context.Context) error { return s.d.SetSecuritySettings(ctx, c) }, func(err error) {
		if err != nil {
			s.saved.SetText("Not saved: " + kit.ErrorText(err))
			return
		}
		s.saved.SetText("Saved. Every workstation follows them after its next sync.")
	})
}

func (s *securityScreen) split() {
	k, err := strconv.Atoi(s.threshold.Text)
	if err != nil {
		kit.ShowError("Could not set up recovery", "Type how many administrators are needed, e.g. 2.", s.win).Back(s.splitBtn)
		return
	}
	s.do(func(ctx context.Context) error { _, err := s.rec.Split(ctx, k); return err }, s.done(s.splitBtn, "Could not set up recovery", "Recovery is set up. Once a physician has approved its administrators under Colleagues, the receptionists' and physicians' workstations escrow the front desk's and the clinical keys at their next sync."))
}

func (s *securityScreen) release() {
	to := s.pick(s.admins)
	if to == "" {
		kit.ShowError("Could not release the shares", "Choose the administrator who coordinates the recovery.", s.win).Back(s.releaseBtn)
		return
	}
	s.do(func(ctx context.Context) error { return s.rec.Release(ctx, to) }, s.done(s.releaseBtn, "Could not release the shares", "Your shares were released."))
}

func (s *securityScreen) recoverKeys() {
	to := s.pick(s.receivers)
	if to == "" {
		kit.ShowError("Could not recover the keys", "Choose the physician or receptionist who receives the keys.", s.win).Back(s.recoverBtn)
		return
	}
	kit.Confirm{Title: "Recover the keys?", Message: "The clinic's patient keys will be handed to " + s.receivers.Selected +
		". This is recorded in the audit log.", Yes: "Hand over the keys", Back: s.recoverBtn, Answer: func(ok bool) {
		if !ok {
			return
		}
		background(func(ctx context.Context) (recovery.Handover, error) { return s.rec.Recover(ctx, to) },
			func(h recovery.Handover, err error) {
				title, text, failed := recoveryOutcome(h, err)
				if failed {
					kit.ShowError("Could not recover the keys", text, s.win).Back(s.recoverBtn)
				} else {
					kit.Notice{Title: title, Message: text, Back: s.recoverBtn}.Show(s.win)
				}
				s.refresh()
			})
	}}.Show(s.win)
}

// handedOver is what a recovery that handed every key over says.
const handedOver = "The keys were handed over; they arrive at that workstation's next sync."

// recoveryOutcome is what the administrator reads after Recover: done; or
// keys handed over with a warning (some epochs left as disputed, or a key
// taken on the word of members nobody vouches for), which is no failure
// but must be read; or a failure.
func recoveryOutcome(h recovery.Handover, err error) (title, text string, failed bool) {
	switch {
	case err == nil:
		return "Done", handedOver, false
	case h.Epochs > 0 && (errors.Is(err, recovery.ErrDisputed) || errors.Is(err, recovery.ErrUnconfirmed)):
		return "Keys handed over: read this", kit.ErrorText(err), false
	}
	return "", kit.ErrorText(err), true
}

func (s *securityScreen) do(work func(context.Context) error, done func(error)) {
	background(func(ctx context.Context) (struct{}, error) { return struct{}{}, work(ctx) },
		func(_ struct{}, err error) { done(err) })
}

// done says how the work a button started ended; back, the button, gets
// the keyboard when it is read.
func (s *securityScreen) done(back fyne.Focusable, failed, ok string) func(error) {
	return func(err error) {
		if err != nil {
			kit.ShowError(failed, kit.ErrorText(err), s.win).Back(back)
		} else {
			kit.Notice{Title: "Done", Message: ok, Back: back}.Show(s.win)
		}
		s.refresh()
	}
}
