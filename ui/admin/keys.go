package admin

import (
	"context"
	"fmt"
	"io"
	"strings"
	"unicode"

	appadmin "github.com/medihaven/medihaven/app/admin"
	"github.com/medihaven/medihaven/ui/kit"
)

// run is background as a kit.Runner, for the shared file dialogs.
func run(work func(context.Context), done func()) {
	background(func(ctx context.Context) (struct{}, error) { work(ctx); return struct{}{}, nil },
		func(struct{}, error) { done() })
}

// exportKeys saves the armored OpenPGP public keys of one member, or of
// everyone when m is nil, for standard tools (gpg --import).
func (s *directoryScreen) exportKeys(m *appadmin.StaffMember) {
	fp, file, btn := "", "staff-public-keys.asc", s.allKeys
	if m != nil {
		fp, btn = m.Fingerprint, nil
		short := m.Fingerprint
		if len(short) > 8 {
			short = short[:8]
		}
		file = fileSafe(m.Name) + "-" + short + ".asc"
	}
	s.files.Export(kit.Export{
		Title:  "Export public keys",
		File:   file,
		Button: btn,
		Write: func(ctx context.Context, w io.Writer) (int, error) {
			return s.keys.ExportStaffKeys(ctx, w, fp)
		},
		Saved: func(n int, where string) string {
			return fmt.Sprintf("%s exported to %s.\n\nImport them with any OpenPGP tool (gpg --import %s) and compare each fingerprint with the directory before trusting it.",
				kit.Count(n, "public key", "public keys"), where, where)
		},
	})
}

// fileSafe turns a person's name into a file name: letters and digits,
// the rest as dashes.
func fileSafe(name string) string {
	f := strings.FieldsFunc(name, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	if len(f) == 0 {
		return "staff"
	}
	return strings.Join(f, "-")
}
