package admin

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	appadmin "github.com/medihaven/medihaven/app/admin"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/ui/kit"
)

// ClinicSession is what the Clinic screen needs of a session: the
// clinic's address and phone and each physician's licence number, as
// printed on prescriptions (issue 14).
type ClinicSession interface {
	Changes
	ClinicContact(ctx context.Context) (address, phone string, err error)
	SetClinicContact(ctx context.Context, address, phone string) error
	LicenceOf(ctx context.Context, fp string) (string, error)
	SetLicence(ctx context.Context, fp, number string) error
}

// ClinicDesk is the session with its staff directory.
type ClinicDesk interface {
	ClinicSession
	StaffDirectory(ctx context.Context) ([]appadmin.StaffMember, error)
}

// The limits app enforces, checked here first to say so beside the field.
const (
	maxAddress = 300
	maxPhone   = 40
	maxLicence = 64
)

type clinicScreen struct {
	loads          kit.Newest // only the newest load draws (load)
	d              ClinicDesk
	address, phone *kit.Entry
	save           *widget.Button
	saved          *widget.Label
	licences       *fyne.Container
	status         *widget.Label
	servers        *serversCard // nil unless this computer keeps the clinic's servers
}

// NewClinic builds the Clinic screen: the clinic's address and phone and
// each active physician's licence or registration number, which every
// printed prescription carries. A session without administration views
// gets no screen (nil).
func NewClinic(c ClinicSession, w fyne.Window) fyne.CanvasObject {
	v, ok := viewsOf(c)
	if !ok {
		return nil
	}
	s := newClinic(struct {
		ClinicSession
		Views
	}{c, v})
	s.servers = newServersCard(c)
	return kit.Live(s.content(), func() func() {
		return liveRefresh(c, map[string]bool{"clinic": true, "licence": true, "member": true}, s.refresh)
	})
}

func newClinic(d ClinicDesk) *clinicScreen {
	s := &clinicScreen{d: d}
	s.address = kit.NewEntry()
	s.address.SetPlaceHolder("12 River Road, Springfield")
	s.address.Validator = maxChars("The address", maxAddress)
	s.phone = kit.NewEntry()
	s.phone.SetPlaceHolder("+1 555 0100")
	s.phone.Validator = phoneCheck
	s.save = widget.NewButtonWithIcon("Save address and phone", theme.DocumentSaveIcon(), s.saveContact)
	s.save.Importance = widget.HighImportance
	s.saved = newNote("")
	s.saved.Hide()
	s.status = widget.NewLabel("Loading…")
	s.licences = container.NewVBox()
	s.refresh()
	return s
}

func (s *clinicScreen) content() fyne.CanvasObject {
	hint := newNote("Printed on every prescription and patient handout. Every workstation of the clinic receives it.")
	hint.Importance = widget.LowImportance
	contact := widget.NewCard("Address and phone", "", container.NewVBox(
		widget.NewForm(widget.NewFormItem("Address", s.address), widget.NewFormItem("Phone", s.phone)),
		container.NewHBox(s.save), s.saved, hint))
	lhint := newNote("Each physician's licence or registration number, printed under their name on their prescriptions. Leave it empty to print none.")
	lhint.Importance = widget.LowImportance
	licences := widget.NewCard("Physicians' licence numbers", "", container.NewVBox(lhint, s.status, s.licences))
	column := container.NewVBox(contact, licences)
	if s.servers != nil {
		column.Objects = append([]fyne.CanvasObject{s.servers.object()}, column.Objects...)
	}
	return container.NewVScroll(kit.AtLeast(0, 0, column))
}

// maxChars checks an entry's length.
func maxChars(what string, n int) fyne.StringValidator {
	return func(text string) error {
		if utf8.RuneCountInString(strings.TrimSpace(text)) > n {
			return fmt.Errorf("%s has at most %d characters", what, n)
		}
		return nil
	}
}

// phoneCheck accepts digits, spaces and + ( ) - . / only.
func phoneCheck(text string) error {
	text = strings.TrimSpace(text)
	if len(text) > maxPhone {
		return fmt.Errorf("The phone has at most %d characters", maxPhone)
	}
	for _, r := range text {
		if !strings.ContainsRune("0123456789 +()-./", r) {
			return fmt.Errorf("A phone number has only digits, spaces and + ( ) - . /")
		}
	}
	return nil
}

func (s *clinicScreen) refresh() {
	load(&s.loads, func(ctx context.Context) (clinicState, error) { return readClinic(ctx, s.d) }, func(st clinicState, err error) {
		if err != nil {
			s.status.SetText("The clinic's details cannot be read: " + kit.ErrorText(err))
			return
		}
		s.address.SetText(st.address)
		s.phone.SetText(st.phone)
		s.licences.RemoveAll()
		for _, p := range st.physicians {
			s.licences.Add(s.licenceRow(p, st.licence[p.Fingerprint]))
		}
		s.status.SetText(kit.Count(len(st.physicians), "physician", "physicians"))
	})
}

// clinicState is what the screen shows, read off the UI goroutine.
type clinicState struct {
	address, phone string
	physicians     []appadmin.StaffMember
	licence        map[string]string
}

func readClinic(ctx context.Context, d ClinicDesk) (clinicState, error) {
	var st clinicState
	var err error
	if st.address, st.phone, err = d.ClinicContact(ctx); err != nil {
		return st, err
	}
	staff, err := d.StaffDirectory(ctx)
	if err != nil {
		return st, err
	}
	st.licence = map[string]string{}
	for _, m := range staff {
		if !m.Active || m.Role != roles.Physician {
			continue
		}
		st.physicians = append(st.physicians, m)
		if st.licence[m.Fingerprint], err = d.LicenceOf(ctx, m.Fingerprint); err != nil {
			return st, err
		}
	}
	return st, nil
}

func (s *clinicScreen) saveContact() {
	if err := s.address.Validate(); err != nil {
		s.tell(err.Error(), widget.DangerImportance)
		return
	}
	if err := s.phone.Validate(); err != nil {
		s.tell(err.Error(), widget.DangerImportance)
		return
	}
	address, phone := s.address.Text, s.phone.Text
	s.save.Disable()
	background(func(ctx context.Context) (struct{}, error) {
		return struct{}{}, s.d.SetClinicContact(ctx, address, phone)
	}, func(_ struct{}, err error) {
		s.save.Enable()
		if err != nil {
			s.tell("The address and phone were not saved: "+kit.ErrorText(err), widget.DangerImportance)
			return
		}
		s.tell("Saved: prescriptions print the new address and phone from now on.", widget.SuccessImportance)
	})
}

func (s *clinicScreen) tell(text string, imp widget.Importance) {
	s.saved.SetText(text)
	s.saved.Importance = imp
	s.saved.Show()
	s.saved.Refresh()
}

// licenceRow is one physician with their licence number and a Save button.
func (s *clinicScreen) licenceRow(m appadmin.StaffMember, number string) fyne.CanvasObject {
	name := widget.NewLabelWithStyle(m.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	name.Truncation = fyne.TextTruncateEllipsis
	entry := kit.NewEntry()
	entry.SetText(number)
	entry.SetPlaceHolder("Licence or registration number")
	entry.Validator = maxChars("A licence number", maxLicence)
	note := widget.NewLabel("")
	note.Hide()
	save := widget.NewButtonWithIcon("Save", theme.DocumentSaveIcon(), nil)
	save.OnTapped = func() {
		if err := entry.Validate(); err != nil {
			note.SetText(err.Error())
			note.Importance = widget.DangerImportance
			note.Show()
			note.Refresh()
			return
		}
		text := entry.Text
		save.Disable()
		background(func(ctx context.Context) (struct{}, error) {
			return struct{}{}, s.d.SetLicence(ctx, m.Fingerprint, text)
		}, func(_ struct{}, err error) {
			save.Enable()
			note.Importance = widget.SuccessImportance
			note.SetText("Saved")
			if err != nil {
				note.Importance = widget.DangerImportance
				note.SetText("Not saved: " + kit.ErrorText(err))
			}
			note.Show()
			note.Refresh()
		})
	}
	entry.OnSubmitted = func(string) { save.OnTapped() }
	row := container.NewBorder(nil, nil, kit.AtLeast(200, 0, name), save, entry)
	return container.NewVBox(row, note)
}
