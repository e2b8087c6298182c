package replica

// Session 17 hostile review h-sec17c (this session's fixes).

import (
	"context"
	"testing"

	"github.com/medihaven/medihaven/roles"
)

// TestAttackS17cReceptionistFillsSetAside: SetAside (setaside.go) lists
// every member entry refused by the role or revocation rule as one "an
// administrator wrote ... refused for its writer: he was revoked, or moved
// out of the administrators", and the staff directory shows it "Set aside:
// admitted by X, whose authority was withdrawn before it". But the role
// rule refuses a member entry written by anyone whose role may not write
// one (rules.go roleAllows: "a receptionist may not write member
// records"), and the revocation rule anything a revoked member writes. So
// Rita, an active receptionist who was never an administrator, writes
// directory entries for fingerprints of her choosing, names of her
// choosing, role administrator: every administrator's directory lists
// them as staff set aside, admitted by Rita. A control: an administrator's
// entry of a member written after he was moved to the desk is listed (the
// case SetAside was written for, TestAttackS16cDemotingTheAdmitterErasesTheRevoker).
func TestAttackS17cReceptionistFillsSetAside(t *testing.T) {
	for _, tc := range []struct {
		name   string
		writer func(c *clinic) *station
		listed bool
	}{
		{name: "Rita, an active receptionist", writer: func(c *clinic) *station { return c.sRecep }},
		{name: "Rita, revoked", writer: func(c *clinic) *station {
			c.revoke(c.recep)
			exchange(t, c.stations()...)
			return c.sRecep
		}},
		{name: "Paul, an active physician", writer: func(c *clinic) *station { return c.sPhys }},
		{name: "control: Bob, an administrator moved to the desk", listed: true, writer: func(c *clinic) *station {
			sBob := c.anotherAdmin(t, "Bob Admin", c.stations()...)
			bob := sBob.p
			c.changeRole(bob, roles.Receptionist)
			exchange(t, append(c.stations(), sBob)...)
			return sBob
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			c := newClinic(t)
			s := tc.writer(c)
			mallory := newPerson(t, "Mallory", roles.Administrator)
			s.forge(forged{Entity: mallory.fp(), Kind: KindMember, Scope: string(roles.Directory),
				Fields: fields(t, map[string]any{"name": "Dr. Mallory (chief of staff)", "role": roles.Administrator})})
			all := c.stations()
			if s != c.sRecep && s != c.sPhys {
				all = append(all, s)
			}
			exchange(t, all...)
			aside, err := c.sAdmin.r.SetAside(ctx)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("set aside on Ada's workstation: %+v", aside)
			if got := len(aside) > 0; got != tc.listed {
				t.Errorf("an entry written by %s listed as staff set aside: %v, want %v (%+v)", s.p.name, got, tc.listed, aside)
			}
		})
	}
}
