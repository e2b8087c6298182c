package ui

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// TestStoreAlteredSaysWhatToDo: the dialog of a records file found
// altered at login does not repeat its title, says what to do apart, and
// keeps the seal's findings (its own words: "chain", "generation") last,
// for the administrator. MEDIHAVEN_UI_SHOTS names a folder for pictures of
// it, light and dark, at 1280x800.
func TestStoreAlteredSaysWhatToDo(t *testing.T) {
	const say = "This workstation's records file was altered or put back while Medihaven was closed"
	full := say + ": its own chain ends at 12, sealed at 10; directory rows changed. Nothing in it was trusted: it is " +
		"being rebuilt from the clinic's signed records, every key it held is retired (new ones follow), and it fetches what " +
		"it is missing from the clinic's servers before it writes. Changes made on this workstation that had not reached the " +
		"clinic's servers before then may be missing: check your latest work. " + say + ": its search index changed. It was " +
		"written again from the records."
	indexOnly := say + ": its search index changed. It was written again from the records."
	for _, tc := range []struct {
		msg, details string
		check        bool
	}{
		{full, "Details for the administrator: its own chain ends at 12, sealed at 10; directory rows changed; its search index changed.", true},
		{indexOnly, "Details for the administrator: its search index changed.", false},
		{"something else entirely", "Details for the administrator: something else entirely", false},
	} {
		got := renderedText(alteredBody(tc.msg))
		for _, want := range []string{"What to do", "Tell your clinic's administrator", tc.details} {
			if !strings.Contains(got, want) {
				t.Errorf("%.40q…: the dialog does not say %q: %q", tc.msg, want, got)
			}
		}
		if strings.Contains(got, "altered or put back") {
			t.Errorf("the dialog repeats its title: %q", got)
		}
		if strings.Contains(got, "Check the work you did last") != tc.check {
			t.Errorf("%.40q…: 'check your work' shown %v, want %v", tc.msg, !tc.check, tc.check)
		}
	}

	out := os.Getenv("MEDIHAVEN_UI_SHOTS")
	if out == "" {
		return
	}
	for _, name := range []string{"light", "dark"} {
		th, err := newTheme(name)
		if err != nil {
			t.Fatal(err)
		}
		test.NewTempApp(t).Settings().SetTheme(th)
		w := test.NewTempWindow(t, widget.NewLabel("The shell is behind this dialog."))
		w.Resize(fyne.NewSize(1280, 800))
		dialog.NewCustom(alteredTitle, "Close", alteredBody(full), w).Show()
		f, err := os.Create(filepath.Join(out, "store-altered-"+name+".png"))
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, w.Canvas().Capture()); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
}
