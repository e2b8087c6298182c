package replica

import (
	"testing"

	"github.com/medihaven/medihaven/roles"
)

// TestClinicOfReplicas: the test clinic holds the keys the roles entitle,
// agrees on its directory, and every member acknowledged its keys.
func TestClinicOfReplicas(t *testing.T) {
	c := newClinic(t)
	for _, s := range c.stations() {
		for _, scope := range roles.Scopes {
			if got, want := s.r.Holds(scope), s.p.role.Holds(scope); got != want {
				t.Errorf("%s holds %s: %v, want %v", s.p.name, scope, got, want)
			}
		}
		if n := len(s.r.Members()); n != 4 {
			t.Errorf("%s sees %d members, want 4", s.p.name, n)
		}
		k, _ := c.sPhys.r.Key(roles.Clinical)
		if !s.r.Granted(c.phys2.fp(), roles.Clinical, k.Epoch) {
			t.Errorf("%s does not count the second physician as holding the clinical key", s.p.name)
		}
	}
	want := c.sPhys.snapshot()
	if d := c.sPh2.snapshot().diff(want); d != "" {
		t.Errorf("the physicians disagree:\n%s", d)
	}
}
