package replica

import (
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// TestAttackS12RoleChangeRefusesEarlierWritesOnLaterWorkstations: the
// policy rule judges an event by its author's role when it is applied
// (authorize returns the directory's role now), not the role she held
// when she wrote it. Pia, a physician, writes a note and confirms a
// colleague; the administrator moves her to the front desk (an ordinary
// ChangeRole). Paul's workstation, which applied her events before,
// keeps them; a physician who joins later and hears of the move first
// refuses her note ("a receptionist may not write note records") and,
// had she been made an administrator, her confirmations: the clinic's
// workstations no longer hold the same records, and a newcomer's
// reckoning is not the one her colleagues' MayGrant worked out for her.
func TestAttackS12RoleChangeRefusesEarlierWritesOnLaterWorkstations(t *testing.T) {
	c := newClinic(t)
	note := c.sPh2.append(Change{Entity: crypto.NewEventID(), Kind: "note", Scope: roles.Clinical,
		Fields: fields(t, map[string]any{"plan": "written while a physician"})})
	exchange(t, c.stations()...)
	c.sAdmin.append(Change{Entity: c.phys2.fp(), Kind: KindMember, Scope: roles.Directory,
		Fields: fields(t, map[string]any{"role": roles.Receptionist})})
	exchange(t, c.stations()...)
	_, sZed := c.admitted(t, "Zed Later", roles.Physician)
	// Zed syncs from the administrator first (she admitted him), then
	// from the physicians.
	sZed.apply(c.sAdmin.everything()...)
	sZed.apply(c.sPh2.everything()...)
	sZed.apply(c.sPhys.everything()...)
	for _, s := range []*station{c.sPhys, sZed} {
		if st, reason := s.state(note.Header.ID); st == store.Rejected {
			t.Errorf("%s refuses the note Pia wrote while she was a physician: %s", s.p.name, reason)
		}
	}
}
