package kit

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app/interop"
)

// FHIRPreviewer is what the preview of a transfer needs of a session's
// interop service: what a bundle would bring, then the import itself with
// its progress (app/interop's PreviewFHIR and ImportFHIRProgress).
type FHIRPreviewer interface {
	PreviewFHIR(ctx context.Context, r io.Reader) (interop.FHIRImport, error)
	ImportFHIRProgress(ctx context.Context, r io.Reader, progress func(done, total int)) (interop.FHIRImport, error)
}

// maxBundleBytes is the largest file the preview reads (the importer's own
// limit; it refuses a larger one with a reason).
const maxBundleBytes = 50<<20 + 1

// ImportFHIRPreviewed asks for a FHIR bundle, checks it off the UI
// goroutine and shows what an import would keep and leave out ("This
// bundle holds 1 patient, 174 records Medihaven keeps and 139 it leaves
// out: …; import?"). On Import it imports with a progress bar and shows
// the summary; a broken bundle is refused before anything is asked.
func (f Files) ImportFHIRPreviewed(btn *widget.Button, p FHIRPreviewer) {
	f = f.from(btn)
	f.openBundle(btn, func(name string, r io.ReadCloser) {
		var err error
		checking := dialog.NewProgressInfinite("Import transfer (FHIR)", "Checking "+name+"…", f.Win)
		checking.Show()
		var raw []byte
		var got interop.FHIRImport
		f.Run(func(ctx context.Context) {
			defer r.Close()
			if raw, err = io.ReadAll(io.LimitReader(r, maxBundleBytes)); err != nil {
				return
			}
			got, err = p.PreviewFHIR(ctx, bytes.NewReader(raw))
		}, func() {
			checking.Hide()
			if err != nil {
				if btn != nil {
					btn.Enable()
				}
				f.importFailed(name, err)
				return
			}
			// The question is modal: btn may work again behind it, so that
			// Cancel gives it the keyboard back (a disabled button takes none).
			if btn != nil {
				btn.Enable()
			}
			f.previewFHIR(name, got, func(ok bool) {
				if !ok {
					f.ended()
					return
				}
				if btn != nil {
					btn.Disable()
				}
				f.importWithProgress(name, raw, btn, p)
			})
		})
	})
}

// openBundle asks for a FHIR bundle's file and hands it to read, with btn
// (which may be nil) disabled; a file that cannot be opened is said.
func (f Files) openBundle(btn *widget.Button, read func(name string, r io.ReadCloser)) {
	f.Open([]string{".json"}, func(name string, r io.ReadCloser, err error) {
		if err != nil {
			f.Tell("Import transfer (FHIR)", "The file cannot be read, and nothing was imported.\n\n"+ErrorText(err), widget.DangerImportance)
			return
		}
		if r == nil {
			f.ended() // no file chosen
			return
		}
		if btn != nil {
			btn.Disable()
		}
		read(name, r)
	})
}

// PreviewContent is the body of the preview dialog for what an import of
// the file name would bring.
func PreviewContent(name string, got interop.FHIRImport) fyne.CanvasObject {
	// The sentence without its list: the lists follow.
	summary, _, _ := strings.Cut(got.Summary(), ":")
	head := Wrapped(strings.TrimSuffix(summary, ".")+".", widget.MediumImportance)
	head.TextStyle.Bold = true
	objs := []fyne.CanvasObject{Wrapped(name, widget.MediumImportance), head, countColumns("Kept", got.Resources)}
	if got.LeftOutTotal > 0 {
		objs = append(objs, widget.NewSeparator(), countColumns("Left out, not written anywhere here", got.LeftOut))
	}
	objs = append(objs, Wrapped("Nothing is written until you import; then every kept record is written, or none.", widget.MediumImportance))
	return AtLeast(dialogWidth+160, 0, container.NewVBox(objs...))
}

// countColumns lists counts by resource type in three columns under a
// title.
func countColumns(title string, m map[string]int) fyne.CanvasObject {
	types := make([]string, 0, len(m))
	for t, n := range m {
		if n > 0 {
			types = append(types, t)
		}
	}
	sort.Slice(types, func(i, j int) bool {
		if m[types[i]] != m[types[j]] {
			return m[types[i]] > m[types[j]]
		}
		return types[i] < types[j]
	})
	grid := container.NewGridWithColumns(3)
	for _, t := range types {
		grid.Add(container.NewBorder(nil, nil, AtLeast(48, 0,
			widget.NewLabelWithStyle(fmt.Sprint(m[t]), fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})), nil,
			widget.NewLabel(t)))
	}
	return container.NewVBox(widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), grid)
}

// previewFHIR asks whether to import what the preview found.
func (f Files) previewFHIR(name string, got interop.FHIRImport, answer func(bool)) {
	// Enter cancels: an import is not undone, so it takes Tab, or the pointer.
	Confirm{Title: "Import this transfer?", Content: PreviewContent(name, got), Yes: "Import", Back: f.opener, Answer: answer}.Show(f.Win)
}

// importWithProgress imports with a progress bar, then shows the summary.
func (f Files) importWithProgress(name string, raw []byte, btn *widget.Button, p FHIRPreviewer) {
	bar := widget.NewProgressBar()
	d := dialog.NewCustomWithoutButtons("Importing "+name,
		AtLeast(dialogWidth, 0, container.NewVBox(Wrapped("Writing the records, signed by you…", widget.MediumImportance), bar)), f.Win)
	d.Show()
	var got interop.FHIRImport
	var err error
	f.Run(func(ctx context.Context) {
		got, err = p.ImportFHIRProgress(ctx, bytes.NewReader(raw), func(done, total int) {
			if total > 0 {
				v := float64(done) / float64(total)
				OnUI(func() { bar.SetValue(v) })
			}
		})
	}, func() {
		d.Hide()
		if btn != nil {
			btn.Enable()
		}
		if err != nil {
			f.importFailed(name, err)
			return
		}
		f.imported(name, got)
	})
}
