package admin

import (
	"context"
	"github.com/medihaven/medihaven/ui/kit"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	appadmin "github.com/medihaven/medihaven/app/admin"
	"github.com/medihaven/medihaven/roles"
)

// fakeClinic is the administrator's session with the clinic's contact and
// licence numbers.
type fakeClinic struct {
	*fakeDesk
	address, phone string
	licences       map[string]string
}

func (f *fakeClinic) ClinicContact(context.Context) (string, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.address, f.phone, nil
}

func (f *fakeClinic) SetClinicContact(_ context.Context, address, phone string) error {
	f.mu.Lock()
	f.address, f.phone = address, phone
	f.mu.Unlock()
	f.changed("clinic")
	return nil
}

func (f *fakeClinic) LicenceOf(_ context.Context, fp string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.licences[fp], nil
}

func (f *fakeClinic) SetLicence(_ context.Context, fp, number string) error {
	f.mu.Lock()
	f.licences[fp] = number
	f.mu.Unlock()
	return nil
}

// entryNear is the entry on the same row as the label text.
func entryNear(o fyne.CanvasObject, text string) *widget.Entry {
	var found *widget.Entry
	walk(o, func(x fyne.CanvasObject) {
		c, ok := x.(*fyne.Container)
		if !ok || found != nil {
			return
		}
		var hasLabel bool
		var e *widget.Entry
		for _, y := range c.Objects {
			walk(y, func(z fyne.CanvasObject) {
				if l, ok := z.(*widget.Label); ok && l.Text == text {
					hasLabel = true
				}
				if ee, ok := kit.AsEntry(z); ok && e == nil {
					e = ee
				}
			})
		}
		if hasLabel && e != nil && len(c.Objects) == 3 {
			found = e
		}
	})
	return found
}

func TestClinicContactAndLicences(t *testing.T) {
	f := &fakeClinic{fakeDesk: newFakeDesk(), address: "1 Old Street", licences: map[string]string{}}
	f.staff = append(f.staff,
		appadmin.StaffMember{Fingerprint: "cccc000000000000000000000000000000000000", Name: "Dr Paula Phys", Role: roles.Physician, Active: true, Joined: time.Now()},
		appadmin.StaffMember{Fingerprint: "dddd000000000000000000000000000000000000", Name: "Dr Gone", Role: roles.Physician, Joined: time.Now()})
	f.licences["cccc000000000000000000000000000000000000"] = "GMC 1234"
	var s *clinicScreen
	w := newWindow(t, func(fyne.Window) fyne.CanvasObject {
		s = newClinic(f)
		return s.content()
	})
	eventually(t, "the clinic's details", func() bool { return s.address.Text == "1 Old Street" && len(s.licences.Objects) == 1 })
	got := lockedTexts(w.Content())
	if !strings.Contains(got, "Dr Paula Phys") || strings.Contains(got, "Dr Gone") || strings.Contains(got, "Rita") {
		t.Fatalf("the licences list only active physicians: %q", got)
	}

	// A phone with letters is refused beside the field, nothing saved.
	locked(func() {
		s.phone.SetText("call me")
		test.Tap(findButton(w.Content(), "Save address and phone"))
	})
	eventually(t, "the phone refused", func() bool { return strings.Contains(s.saved.Text, "only digits") })
	locked(func() {
		s.address.SetText("12 River Road, Springfield")
		s.phone.SetText("+1 555 0100")
		test.Tap(findButton(w.Content(), "Save address and phone"))
	})
	eventually(t, "the contact saved", func() bool { return strings.HasPrefix(s.saved.Text, "Saved") })
	if a, p, _ := f.ClinicContact(context.Background()); a != "12 River Road, Springfield" || p != "+1 555 0100" {
		t.Fatalf("saved %q %q", a, p)
	}

	// A licence number too long is refused; a good one is saved.
	var licence *widget.Entry
	locked(func() { licence = entryNear(s.licences, "Dr Paula Phys") })
	if licence == nil || licence.Text != "GMC 1234" {
		t.Fatalf("no licence entry showing GMC 1234: %v", licence)
	}
	locked(func() {
		licence.SetText(strings.Repeat("9", 65))
		test.Tap(findButton(s.licences, "Save"))
	})
	eventually(t, "the long licence refused", func() bool { return strings.Contains(texts(s.licences), "at most 64") })
	locked(func() {
		licence.SetText("GMC 7654321")
		test.Tap(findButton(s.licences, "Save"))
	})
	eventually(t, "the licence saved", func() bool { return strings.Contains(texts(s.licences), "Saved") })
	if n, _ := f.LicenceOf(context.Background(), "cccc000000000000000000000000000000000000"); n != "GMC 7654321" {
		t.Fatalf("licence saved as %q", n)
	}
}
