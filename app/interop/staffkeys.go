package interop

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/roles"
)

// ExportStaffKeys writes the armored OpenPGP public keys of the staff
// directory (fingerprint "" for every active member, else that member
// only), one "-----BEGIN PGP PUBLIC KEY BLOCK-----" block each, each after
// a line naming the member, role and fingerprint (the user id of a key
// made since issue 19 names them too, "Dr Ana Souza (Medihaven physician)";
// older keys keep "Medihaven staff"). GnuPG and other OpenPGP tools import
// the file whole. It returns how many keys it wrote.
func (s *Service) ExportStaffKeys(ctx context.Context, w io.Writer, fingerprint string) (int, error) {
	r, err := s.c.ReplicaFor(roles.ReadDirectory)
	if err != nil {
		return 0, err
	}
	fingerprint = strings.ToLower(strings.Join(strings.Fields(fingerprint), ""))
	var b strings.Builder
	n := 0
	for _, m := range r.Members() {
		if fingerprint != "" && m.Fingerprint != fingerprint {
			continue
		}
		if !m.Active() {
			if fingerprint != "" {
				return 0, fmt.Errorf("%w: %s's access was revoked, so their key is not exported", app.ErrInvalidInput, m.Name)
			}
			continue
		}
		pub, ok := r.PublicKey(m.Fingerprint)
		if !ok {
			continue // admitted, key not yet arrived: the next sync brings it
		}
		armored, err := pub.Armored()
		if err != nil {
			return 0, err
		}
		fmt.Fprintf(&b, "%s (%s), OpenPGP fingerprint %s\n%s\n", m.Name, m.Role, app.SpacedFingerprint(m.Fingerprint), strings.TrimSpace(armored))
		n++
	}
	if n == 0 {
		if fingerprint != "" {
			return 0, fmt.Errorf("%w: no staff member with the key %s in the directory on this workstation", app.ErrInvalidInput, fingerprint)
		}
		return 0, fmt.Errorf("%w: no staff keys have arrived on this workstation yet: sync and try again", app.ErrInvalidInput)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return 0, fmt.Errorf("app: write the staff keys: %w", err)
	}
	return n, nil
}
