package replica

import (
	"context"
	"testing"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// TestSetAsideListsOnlyAdmissions: a member entry a receptionist writes
// (refused by the role rule, as a demoted administrator's is) names
// nobody the clinic admitted, so the staff directory must not show it as
// a colleague set aside: only entries an administrator, at any time,
// wrote are listed (the cut of an admission, TestAttackS16cDemoting…).
func TestSetAsideListsOnlyAdmissions(t *testing.T) {
	c := newClinic(t)
	fake := newPerson(t, "Fiona Fake", roles.Physician)
	env := c.sRecep.forge(forged{Entity: fake.fp(), Kind: KindMember, Scope: string(roles.Directory), Lamport: 1,
		Fields: fields(t, map[string]any{"name": fake.name, "role": roles.Physician, "status": StatusActive})})
	exchange(t, c.stations()...)
	if st, why := c.sAdmin.state(env.Header.ID); st != store.Rejected {
		t.Fatalf("setup: the receptionist's member entry is %v (%s), want refused", st, why)
	}
	aside, err := c.sAdmin.r.SetAside(context.Background())
	if err != nil || len(aside) != 0 {
		t.Errorf("entries set aside: %+v, %v; want none", aside, err)
	}
}
