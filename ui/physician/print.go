package physician

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/medihaven/medihaven/app/prescribing"
)

// Printing a prescription keeps its PDF where a person finds it again
// (Documents/Medihaven in the home folder, never a hidden or temporary
// place) and sends it to the system's printer with CUPS's lp.

// documentsDir is the folder printed prescriptions are kept in.
func documentsDir() (string, error) {
	if d := os.Getenv("XDG_DOCUMENTS_DIR"); d != "" {
		return filepath.Join(d, "Medihaven"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("this computer has no home folder to keep the PDF in: %w", err)
	}
	return filepath.Join(home, "Documents", "Medihaven"), nil
}

// printer sends a PDF file to the printer; tests replace it.
type printer func(ctx context.Context, path string) error

// lp prints with CUPS's lp on the default printer.
func lp(ctx context.Context, path string) error {
	bin, err := exec.LookPath("lp")
	if err != nil {
		return errors.New("this computer has no printing system (CUPS lp): open the file and print it from there, or ask for CUPS to be installed")
	}
	out, err := exec.CommandContext(ctx, bin, "--", path).CombinedOutput()
	if err != nil {
		return fmt.Errorf("the printer refused it (%s): check the printer, then print the file from there", strings.TrimSpace(string(out)))
	}
	return nil
}

// printPDF keeps data as name in the documents folder and prints it; it
// returns where the file is, also when printing failed.
func (s *screen) printPDF(ctx context.Context, name string, data []byte) (string, error) {
	dir, err := documentsDir()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("the folder %s cannot be made: %w", dir, err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return "", fmt.Errorf("the PDF cannot be written to %s: %w", dir, err)
	}
	return path, s.print(ctx, path)
}

// printButton renders the prescription, keeps it and prints it.
func (v *chartView) printButton(p prescribing.Prescription) *widget.Button {
	return widget.NewButtonWithIcon("Print…", theme.DocumentPrintIcon(), func() {
		var path string
		var err error
		v.do(func(ctx context.Context) {
			var data []byte
			if data, err = v.c.PrescriptionPDF(ctx, p.ID); err == nil {
				path, err = v.printPDF(ctx, "prescription-"+p.Code+".pdf", data)
			}
		}, func() {
			switch {
			case err != nil && path != "":
				v.status.fail(fmt.Errorf("the prescription is saved as %s but was not printed: %w", path, err))
			case err != nil:
				v.status.fail(err)
			default:
				v.status.ok("Prescription sent to the printer; the PDF is kept as " + path + ".")
			}
		})
	})
}
