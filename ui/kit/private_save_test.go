package kit

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// TestSavedFilesArePrivate (sec-s15b G3): an export saved through
// the save dialog (a patient's or the whole clinic's FHIR bundle in clear,
// a patient copy's handout with its passphrase) is a file only its owner
// may read, as the prescription's Save as PDF… (ui/physician/print.go)
// and the command line's exports (0600) are: on a computer the clinic's
// staff share, under the usual umask 022, nobody else reads it.
func TestSavedFilesArePrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	a := test.NewTempApp(t)
	dir := t.TempDir()
	a.Preferences().SetString("fyne:fileDialogLastFolder", storage.NewFileURI(dir).String())
	w := a.NewWindow("export")
	w.Resize(fyne.NewSize(1000, 800))
	done := make(chan string, 1)
	SaveDialog(w)("MH0000001.json", []byte(`{"resourceType":"Bundle","entry":[{"resource":{"name":[{"family":"Zqxvortle"}]}}]}`),
		func(where string, err error) {
			if err != nil {
				t.Error(err)
			}
			done <- where
		})
	top := w.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("no save dialog shown")
	}
	var save *widget.Button
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && b.Text == "Save" {
			save = b
		}
		if c, ok := o.(*fyne.Container); ok {
			for _, x := range c.Objects {
				walk(x)
			}
		}
		if wd, ok := o.(fyne.Widget); ok {
			if r := test.TempWidgetRenderer(t, wd); r != nil {
				for _, x := range r.Objects() {
					walk(x)
				}
			}
		}
	}
	walk(top)
	if save == nil {
		t.Fatal("the save dialog has no Save button")
	}
	test.Tap(save)
	var where string
	select {
	case where = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("nothing saved")
	}
	if where == "" {
		where = filepath.Join(dir, "MH0000001.json")
	}
	fi, err := os.Stat(where)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("the export %s holding records in clear has mode %v: other users of this computer read it", where, fi.Mode().Perm())
	}
}
