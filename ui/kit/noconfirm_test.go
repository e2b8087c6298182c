package kit_test

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/ui/kit"
	"github.com/medihaven/medihaven/ui/kit/kittest"
)

// TestNoBareConfirm: every yes-or-no question of ui is a kit.Confirm;
// Fyne's confirm dialogs take neither Enter nor Esc.
func TestNoBareConfirm(t *testing.T) {
	bare := func(name string) bool {
		switch name {
		case "NewConfirm", "ShowConfirm", "NewCustomConfirm", "ShowCustomConfirm":
			return true
		}
		return false
	}
	for _, at := range uses(t, "dialog", bare) {
		t.Errorf("%s: Fyne's confirm dialog ignores Enter and Esc; use kit.Confirm", at)
	}
}

// TestConfirmLooks: the default answer is the one drawn as such, a
// dangerous yes is red, No says Cancel unless told, and a Large question
// takes most of the window.
func TestConfirmLooks(t *testing.T) {
	test.NewTempApp(t)
	w := test.NewTempWindow(t, widget.NewLabel("behind"))
	w.Resize(fyne.NewSize(1280, 800))
	cd := kit.Confirm{Title: "Revoke?", Message: "Cannot be undone.", Yes: "Revoke access", Danger: true, Large: true}.Show(w)
	top := w.Canvas().Overlays().Top()
	yes, no := kittest.Button(top, "Revoke access"), kittest.Button(top, "Cancel")
	if yes == nil || no == nil {
		t.Fatalf("the buttons read %q", kittest.Texts(top))
	}
	if cd.Default().Plain() != no || no.Importance != widget.HighImportance || yes.Importance != widget.DangerImportance {
		t.Errorf("default %q, importances no %v yes %v", cd.Default().Text, no.Importance, yes.Importance)
	}
	if s := kittest.DialogSize(w); s.Height < 700 || s.Width < 900 {
		t.Errorf("a large question is %v in a 1280x800 window", s)
	}
}

// TestDayText: stored dates are read in the workstation's format, a
// month alone in words, anything else as it is.
func TestDayText(t *testing.T) {
	defer kit.SetDateFormat(kit.CurrentDateFormat())
	kit.SetDateFormat(kit.DayMonthYear)
	for _, tt := range []struct{ in, want, field string }{
		{"1942-06-09", "09/06/1942", "09/06/1942"},
		{"2019-03", "Mar 2019", "2019-03"},
		{"2019", "2019", "2019"},
		{"", "", ""},
		{"not a date", "not a date", "not a date"},
	} {
		if got := kit.DayText(tt.in); got != tt.want {
			t.Errorf("DayText(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := kit.FieldDate(tt.in); got != tt.field {
			t.Errorf("FieldDate(%q) = %q, want %q", tt.in, got, tt.field)
		}
	}
}

// TestNoBareNotice: every information or error dialog of ui is a
// kit.Notice (kit.ShowError is one); Fyne's take no Enter, and Esc only
// while nothing in them has the keyboard.
func TestNoBareNotice(t *testing.T) {
	bare := func(name string) bool {
		switch name {
		case "ShowInformation", "NewInformation", "ShowError", "NewError", "ShowCustom", "NewCustom":
			return true
		}
		return false
	}
	for _, at := range uses(t, "dialog", bare) {
		t.Errorf("%s: Fyne's information or error dialog ignores Enter; use kit.Notice or kit.ShowError", at)
	}
}
