package replica

import (
	"context"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
)

// TestPullFrom: a workstation pulls what another holds beyond its own
// heads, once: a second pull moves nothing, and a new event moves alone.
func TestPullFrom(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	late := join(t, newPerson(t, "Lee Late", roles.Receptionist), c.id, c.admin.fp())
	pull := func(want string) int {
		t.Helper()
		n, err := late.r.PullFrom(ctx, c.sRecep.r)
		if err != nil {
			t.Fatalf("PullFrom (%s): %v", want, err)
		}
		return n
	}
	all, err := c.sRecep.r.Everything(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := pull("everything"); n != len(all) {
		t.Errorf("the first pull applied %d events of the %d the receptionist holds", n, len(all))
	}
	if n := pull("nothing"); n != 0 {
		t.Errorf("a second pull applied %d events", n)
	}
	c.sRecep.append(Change{Entity: crypto.NewEventID(), Kind: "patient", Scope: roles.FrontDesk, Fields: Fields{}})
	if n := pull("the new event"); n != 1 {
		t.Errorf("a pull after one new event applied %d", n)
	}
}
