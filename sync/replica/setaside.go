package replica

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// SetAsideEntry is a directory entry an administrator wrote whose every
// event was refused for its writer: he was revoked, or moved out of the
// administrators, with heads from before it (docs/ARCHITECTURE.md, "What
// may cut a member's acts"). Its member is in no directory, her events
// wait on every workstation alike; the staff directory shows the entry so
// that such a cut is seen, never silent.
type SetAsideEntry struct {
	Fingerprint string
	Name        string     // as the entry's first event wrote it ("" when it wrote none)
	Role        roles.Role // likewise
	WrittenBy   string     // fingerprint of the administrator who wrote that event
	// Rule is why that event was refused: "revoked" (written past its
	// writer's revocation) or "role" (written after he left the
	// administrators, by the heads of that change).
	Rule string
}

// SetAside lists the entries set aside, by fingerprint: refused member
// events, by their own index in the store. An entry's payload that does
// not open is listed without name or role.
func (r *Replica) SetAside(ctx context.Context) ([]SetAsideEntry, error) {
	var out []SetAsideEntry
	err := r.p.DB.View(ctx, func(tx *store.Tx) error {
		rows, err := tx.RefusedOfKind(ctx, KindMember)
		if err != nil {
			return fmt.Errorf("replica: refused events: %w", err)
		}
		seen := map[string]bool{}
		for _, row := range rows { // Lamport order: the first refused event of each entry
			if row.Kind != KindMember || !refusedByWriter(row.State, row.Rule) || row.Rule == ruleToken || seen[row.Entity] {
				continue
			}
			if w, ok := r.Member(row.Author); !ok || !everAdministrator(w) {
				continue // a receptionist's or an outsider's "entry" was never anyone's admission
			}
			seen[row.Entity] = true
			if _, ok := r.Member(row.Entity); ok {
				continue // the entry stands by another event: the directory shows what it says
			}
			e := SetAsideEntry{Fingerprint: row.Entity, WrittenBy: row.Author, Rule: row.Rule}
			if _, fields, err := r.storedFields(row); err == nil {
				json.Unmarshal(fields["name"], &e.Name) //nolint:errcheck // a name that does not read shows as none
				json.Unmarshal(fields["role"], &e.Role) //nolint:errcheck // likewise
			}
			out = append(out, e)
		}
		return nil
	})
	slices.SortFunc(out, func(a, b SetAsideEntry) int { return strings.Compare(a.Fingerprint, b.Fingerprint) })
	return out, err
}
