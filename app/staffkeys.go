package app

import (
	"context"
	"io"
)

// ExportStaffKeys writes the armored OpenPGP public keys of the staff
// directory (fingerprint "" for everyone, else that member only).
func (s *Session) ExportStaffKeys(ctx context.Context, w io.Writer, fingerprint string) (int, error) {
	return 0, errNotBuilt
}
