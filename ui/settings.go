package ui

import (
	"context"
	"fmt"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/ui/kit"
)

// PassphraseChanging is a session whose passphrase Settings can change:
// the current one is checked, the keys are locked again under the new one.
type PassphraseChanging interface {
	ChangePassphrase(ctx context.Context, old, next []byte) error
}

// Preference keys (Fyne's per-user preferences of the app). The idle lock
// is per profile: two workstations on one computer may differ.
const (
	prefTheme      = "theme"      // "light", "dark" or "" (system)
	prefDateFormat = "dateFormat" // a kit.DateFormat, "" for the system's
	prefIdleLock   = "idleLockMinutes:"
)

// settingsWidth keeps the settings cards a readable width.
const settingsWidth = 640

// themeChoices are the theme options, by the Options.Theme value each sets.
var themeChoices = []struct{ label, value string }{
	{"Light", "light"}, {"Dark", "dark"}, {"Follow the system", ""},
}

// idleChoices are the idle-lock times offered, in minutes, up to the
// clinic's limit.
var idleChoices = []int{1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120, 240, 480}

// settingsScreen is what the Settings section shows: this person's
// choices on this workstation.
type settingsScreen struct {
	theme *kit.Radio
	dates *kit.TypeSelect
	idle  *kit.TypeSelect

	current, next, confirm *kit.Entry
	change                 *widget.Button
	changed                *widget.Label // success, in plain words
	message                *widget.Label // errors
	busy                   busy
	backup                 *backupCard // nil when the session makes no backups
}

// newSettings builds the Settings screen of a shell.
func (ws *Workstation) newSettings(sh *shellScreen) fyne.CanvasObject {
	st := &settingsScreen{}
	sh.settings = st
	prefs := fyne.CurrentApp().Preferences()

	labels := make([]string, len(themeChoices))
	for i, c := range themeChoices {
		labels[i] = c.label
	}
	st.theme = kit.NewRadio(labels, nil)
	st.theme.Horizontal = true
	for _, c := range themeChoices {
		if c.value == prefs.StringWithFallback(prefTheme, ws.opts.Theme) {
			st.theme.Selected = c.label
		}
	}
	st.theme.OnChanged = func(label string) {
		for _, c := range themeChoices {
			if c.label == label {
				ws.setTheme(c.value)
			}
		}
	}

	system := fmt.Sprintf("As this computer writes them (%s)", kit.SystemDateFormat().Example())
	options := []string{system}
	for _, f := range kit.DateFormats {
		options = append(options, f.Example())
	}
	st.dates = kit.NewTypeSelect(options, nil)
	st.dates.SetSelectedIndex(0)
	for i, f := range kit.DateFormats {
		if string(f) == prefs.String(prefDateFormat) {
			st.dates.SetSelectedIndex(i + 1)
		}
	}
	st.dates.OnChanged = func(string) {
		f := kit.DateFormat("")
		if i := st.dates.SelectedIndex(); i > 0 {
			f = kit.DateFormats[i-1]
		}
		prefs.SetString(prefDateFormat, string(f))
		kit.SetDateFormat(f)
	}

	st.idle = kit.NewTypeSelect(nil, func(string) {
		minutes := idleOptions(sh.clinicIdle)[st.idle.SelectedIndex()]
		prefs.SetInt(prefIdleLock+ws.opts.Profile, minutes)
		if sh.idle != nil {
			sh.idle.setAfter(ws.idleLimit(sh.clinicIdle))
		}
	})
	st.showIdle(ws, sh)
	idleNote := paragraph(fmt.Sprintf("Your clinic locks every workstation after at most %s without input; you may choose less.",
		minutesWords(int(sh.clinicIdle/time.Minute))))
	idleNote.Importance = widget.LowImportance

	cards := []fyne.CanvasObject{
		widget.NewCard("Appearance", "", widget.NewForm(
			widget.NewFormItem("Theme", st.theme),
			widget.NewFormItem("Dates", st.dates),
		)),
		widget.NewCard("Idle lock", "", container.NewVBox(
			widget.NewForm(widget.NewFormItem("Lock after", st.idle)), idleNote)),
	}
	if pc, ok := sh.session.(PassphraseChanging); ok {
		cards = append(cards, st.passphraseCard(ws, pc))
	}
	if b, ok := backingUpOf(sh.session); ok {
		cards = append(cards, st.newBackupCard(ws, b, ws.win))
	}
	return container.NewHBox(container.New(columnLayout(settingsWidth), container.NewVBox(cards...)))
}

// showIdle offers the idle-lock times within the clinic's limit and shows
// the one in force.
func (st *settingsScreen) showIdle(ws *Workstation, sh *shellScreen) {
	opts := idleOptions(sh.clinicIdle)
	labels := make([]string, len(opts))
	for i, m := range opts {
		labels[i] = minutesWords(m)
	}
	st.idle.Options = labels
	limit := int(ws.idleLimit(sh.clinicIdle) / time.Minute)
	if i := slices.Index(opts, limit); i >= 0 {
		st.idle.Selected = labels[i]
	}
	st.idle.Refresh()
}

// idleOptions are the minutes offered under a clinic limit (the limit last).
func idleOptions(limit time.Duration) []int {
	max := int(limit / time.Minute)
	var out []int
	for _, m := range idleChoices {
		if m < max {
			out = append(out, m)
		}
	}
	return append(out, max)
}

func minutesWords(m int) string {
	switch {
	case m == 1:
		return "1 minute"
	case m >= 60 && m%60 == 0:
		if m == 60 {
			return "1 hour"
		}
		return fmt.Sprintf("%d hours", m/60)
	}
	return fmt.Sprintf("%d minutes", m)
}

// idleLimit is how long this workstation may stay without input: the
// person's choice, within the clinic's limit.
func (ws *Workstation) idleLimit(clinic time.Duration) time.Duration {
	if m := fyne.CurrentApp().Preferences().Int(prefIdleLock + ws.opts.Profile); m > 0 {
		return min(clinic, time.Duration(m)*time.Minute)
	}
	return clinic
}

// setTheme applies a theme at once and keeps it for the next start.
func (ws *Workstation) setTheme(name string) {
	th, err := newTheme(name)
	if err != nil {
		return
	}
	a := fyne.CurrentApp()
	a.Preferences().SetString(prefTheme, name)
	a.Settings().SetTheme(th)
}

// passphraseCard asks for the current passphrase and the new one twice.
func (st *settingsScreen) passphraseCard(ws *Workstation, pc PassphraseChanging) fyne.CanvasObject {
	st.current = kit.NewPasswordEntry()
	st.next = kit.NewPasswordEntry()
	st.confirm = kit.NewPasswordEntry()
	strength := newStrengthLine(st.next)
	st.message = newMessage(widget.DangerImportance)
	st.changed = newMessage(widget.SuccessImportance)
	st.change = widget.NewButtonWithIcon("Change passphrase", lockIcon, func() { st.submit(ws, pc) })
	st.confirm.OnSubmitted = func(string) { st.submit(ws, pc) }
	st.busy = newBusy(st.current, st.next, st.confirm, st.change)
	note := paragraph("Your keys stay the same; only the passphrase that unlocks them on this workstation changes.")
	note.Importance = widget.LowImportance
	return widget.NewCard("Passphrase", "", container.NewVBox(
		widget.NewForm(
			widget.NewFormItem("Current passphrase", st.current),
			widget.NewFormItem("New passphrase", st.next),
			widget.NewFormItem("", strength),
			widget.NewFormItem("New passphrase again", st.confirm),
		),
		note, st.message, st.changed,
		container.NewBorder(nil, nil, nil, st.change, st.busy.activity),
	))
}

// submit checks the form and changes the passphrase off the UI goroutine.
func (st *settingsScreen) submit(ws *Workstation, pc PassphraseChanging) {
	if st.change.Disabled() {
		return
	}
	say(st.changed, "")
	switch {
	case st.current.Text == "":
		say(st.message, "Enter your current passphrase.")
		return
	case len(st.next.Text) < minPassphrase:
		say(st.message, fmt.Sprintf("The new passphrase must have at least %d characters.", minPassphrase))
		return
	case st.next.Text != st.confirm.Text:
		say(st.message, "The two new passphrases differ. Type the same one twice.")
		return
	}
	old, next := []byte(st.current.Text), []byte(st.next.Text)
	say(st.message, "")
	st.busy.set(true)
	ws.background(func() {
		err := pc.ChangePassphrase(ws.ctx, old, next)
		clear(old)
		clear(next)
		kit.OnUI(func() {
			st.busy.set(false)
			if err != nil {
				say(st.message, kit.ErrorText(err))
				return
			}
			for _, e := range []*kit.Entry{st.current, st.next, st.confirm} {
				e.SetText("")
			}
			say(st.changed, "Your passphrase is changed. Use the new one from now on, here and on the lock screen.")
		})
	})
}

// loadPreferences applies the person's saved date format (the theme is
// applied by Run, before the window shows).
func loadPreferences() {
	kit.SetDateFormat(kit.DateFormat(fyne.CurrentApp().Preferences().String(prefDateFormat)))
}
