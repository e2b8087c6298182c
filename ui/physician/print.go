package physician

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app/prescribing"
	"github.com/medihaven/medihaven/ui/kit"
)

// Printing a prescription leaves no copy of it on this computer. The PDF
// is written only where CUPS's lp must read it from: a folder of its own
// (medihaven-print-…, made 0700 by os.MkdirTemp) in the user's runtime
// folder (XDG_RUNTIME_DIR: a per-user tmpfs, 0700, emptied at logout) or,
// without one, in the temporary folder, as a 0600 file. The folder is
// removed as soon as lp has returned, whether it printed, failed or was
// cancelled. lp hands the job to CUPS, which copies it into its own spool
// until the printer has it: that copy is the system's printing, outside
// the app, as for any printed page. Keeping a PDF is a separate action
// (Save as PDF…): a file where the physician chooses, audited as saved.
//
// A crash between writing and removing leaves a folder behind. The next
// print, and the physician's next login, remove such folders once no
// print can still be using them (spoolStale): only folders named like
// ours and of mode 0700, and in them only the file named like ours.

const (
	spoolPattern = "medihaven-print-*" // a print's own folder (os.MkdirTemp)
	spoolFile    = "prescription.pdf"  // the one file in it
	printTimeout = time.Minute         // lp has this long to take the job
	spoolStale   = 2 * printTimeout    // older folders are a crash's leftovers
)

// spoolBase is the folder a print's own folder is made in.
func spoolBase() string {
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return d
	}
	return os.TempDir()
}

// sweepSpool removes what a crashed print left in base: folders named
// like ours, of mode 0700, older than spoolStale, with our file in them
// (a folder holding anything else keeps it and stays). It is best effort:
// what it cannot remove it leaves, and the next sweep tries again.
func sweepSpool(base string, now time.Time) {
	entries, err := os.ReadDir(base)
	if err != nil {
		return
	}
	for _, e := range entries {
		if ok, _ := filepath.Match(spoolPattern, e.Name()); !ok || !e.IsDir() {
			continue
		}
		dir := filepath.Join(base, e.Name())
		fi, err := os.Lstat(dir)
		if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 || now.Sub(fi.ModTime()) < spoolStale {
			continue
		}
		os.Remove(filepath.Join(dir, spoolFile)) //nolint:errcheck // best effort, see above
		os.Remove(dir)                           //nolint:errcheck // only when empty
	}
}

// printer sends a PDF file to the printer; tests replace it.
type printer func(ctx context.Context, path string) error

// printError is an error of the printing itself (no CUPS, the printer
// refused), after the PDF was made: saving it is then offered.
type printError struct{ err error }

func (e printError) Error() string { return e.err.Error() }
func (e printError) Unwrap() error { return e.err }

// lp prints with CUPS's lp on the default printer.
func lp(ctx context.Context, path string) error {
	bin, err := exec.LookPath("lp")
	if err != nil {
		return errors.New("this computer has no printing system (CUPS lp): ask for CUPS to be installed, or save the prescription as a PDF and print it elsewhere")
	}
	out, err := exec.CommandContext(ctx, bin, "--", path).CombinedOutput()
	if err != nil {
		return fmt.Errorf("the printer refused it (%s): check the printer and try again", strings.TrimSpace(string(out)))
	}
	return nil
}

// printPDF prints data from a private file that is gone when it returns
// (see above).
func (s *screen) printPDF(ctx context.Context, data []byte) (err error) {
	base := spoolBase()
	sweepSpool(base, time.Now())
	dir, err := os.MkdirTemp(base, spoolPattern)
	if err != nil {
		return fmt.Errorf("there is no private folder to print from in %s: %w", base, err)
	}
	defer func() {
		if rerr := os.RemoveAll(dir); rerr != nil && err == nil {
			err = fmt.Errorf("printed, but its temporary copy in %s could not be removed: delete that folder: %w", dir, rerr)
		}
	}()
	path := filepath.Join(dir, spoolFile)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("the prescription cannot be handed to the printer: %w", err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("the prescription cannot be handed to the printer: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, printTimeout)
	defer cancel()
	if err := s.print(ctx, path); err != nil {
		return printError{err}
	}
	return nil
}

// printButton prints the prescription (audited as printed) and keeps no
// copy; when the printing fails it offers Save as PDF….
func (v *chartView) printButton(p prescribing.Prescription) *widget.Button {
	var b *widget.Button
	b = widget.NewButtonWithIcon("Print", theme.DocumentPrintIcon(), func() {
		var err error
		v.do(func(ctx context.Context) {
			var data []byte
			if data, err = v.c.PrescriptionPDF(ctx, p.ID, prescribing.PDFPrint); err == nil {
				err = v.printPDF(ctx, data)
			}
		}, func() {
			var pe printError
			switch {
			case errors.As(err, &pe):
				v.status.fail(fmt.Errorf("the prescription was not printed: %w. No copy is kept on this computer: Save as PDF… keeps one to print elsewhere", err))
				v.offerSave(p, err, b)
			case err != nil:
				v.status.fail(fmt.Errorf("the prescription was not printed: %w", err))
			default:
				v.status.ok("Prescription sent to the printer. No copy is kept on this computer.")
			}
		})
	})
	return b
}

// offerSave asks, after a failed print, whether to save the prescription
// as a PDF instead; back (Print) gets the keyboard when it closes.
func (v *chartView) offerSave(p prescribing.Prescription, err error, back fyne.Focusable) {
	kit.Confirm{Title: "Not printed", Message: fmt.Sprintf("The prescription %s was not printed.\n\n%s\n\nSave it as a PDF instead? The file is not encrypted.",
		p.Code, kit.ErrorText(err)), Yes: "Save as PDF…", No: "Close", Back: back,
		Answer: func(save bool) {
			if save {
				v.saveAsPDF(p)
			}
		}}.Show(v.win)
}

// saveButton saves the prescription as a PDF where the physician chooses.
func (v *chartView) saveButton(p prescribing.Prescription) *widget.Button {
	return widget.NewButtonWithIcon("Save as PDF…", theme.DocumentSaveIcon(), func() { v.saveAsPDF(p) })
}

// saveAsPDF asks where to save the prescription, then makes its PDF
// (audited as saved) and writes it there, and says where in the status
// line and in a dialog (as an export does). Nothing is made or audited when
// the physician cancels; when the audit or the write fails, the file the
// dialog made is removed.
func (v *chartView) saveAsPDF(p prescribing.Prescription) {
	v.chooseSave("prescription-"+p.Code+".pdf", func(w fyne.URIWriteCloser, err error) {
		if err != nil {
			v.status.fail(fmt.Errorf("the prescription was not saved: %w", err))
			return
		}
		if w == nil {
			return
		}
		v.do(func(ctx context.Context) {
			// The chooser made the file private (kit.Private). err is the
			// callback's: the second func reports it.
			var data []byte
			data, err = v.c.PrescriptionPDF(ctx, p.ID, prescribing.PDFSave)
			if err == nil {
				_, err = w.Write(data)
			}
			if cerr := w.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				storage.Delete(w.URI()) //nolint:errcheck // best effort: it holds nothing or part of the PDF
			}
		}, func() {
			if err != nil {
				err = fmt.Errorf("the prescription was not saved: %w", err)
				v.status.fail(err)
				v.files.Tell("Save as PDF", kit.ErrorText(err), widget.DangerImportance)
				return
			}
			msg := "Prescription saved as " + w.URI().Path() + ". The file is not encrypted: keep it where only you can read it, and delete it once it has served."
			v.status.ok(msg)
			v.files.Tell("Save as PDF", msg, widget.SuccessImportance)
		})
	})
}
