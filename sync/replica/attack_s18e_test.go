package replica

import (
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// TestAttackS18eMoveFoldedRevocation (holds on main: a guard, no finding):
// Nina, on a random (legacy) device id X her entry names, wrote a patient
// every workstation applied. Ada revokes her keeping all of X. Bob, an
// administrator Ada revokes too, has his modified software revoke Nina
// naming none of X (what every revocation lets stand narrows: X is
// dropped). Nina's modified software moves X with head 1. Ada's
// revocation of Bob folds his out, and X's head is what Ada's keeps
// (h-sec18d F1).
//
// In session 18 a workstation that heard the move while Nina was active
// refused her patient by the rule "moved", and the fold-out had to send
// it back; since h-sec19a a move refuses nothing. Both orders keep it.
func TestAttackS18eMoveFoldedRevocation(t *testing.T) {
	c := newClinic(t)
	nina := c.newcomer(t, "Nina Newcomer")
	c.sAdmin.apply(nina.own()...)
	c.sAdmin.entry(nina.p, crypto.NewEventID(), nina.r.Device())
	sBob := c.anotherAdmin(t, "Bob Admin")
	all := append(c.stations(), nina, sBob)
	exchange(t, all...)
	work := nina.patient("Nina's patient, kept by Ada's revocation")
	exchange(t, all...)
	base := c.sAdmin.everything()

	// Bob's revocation of Nina names none of X.
	heads := memberHeads(t, sBob, nina.p)
	if heads[nina.r.Device()] == 0 {
		t.Fatalf("Bob does not know Nina's chain: %v", heads)
	}
	delete(heads, nina.r.Device())
	m, _ := sBob.r.Member(nina.p.fp())
	heads[RevokedChanges], heads[RevokedRole+string(m.Role)] = uint64(len(m.Changes)), 1
	bobs := sBob.forge(forged{Entity: nina.p.fp(), Kind: KindMember, Scope: string(roles.Directory),
		Fields: fields(t, map[string]any{"status": StatusRevoked, "revoked_heads": heads})})
	adas := c.revoke(nina.p)       // keeps all of X
	bobRevoked := c.revoke(sBob.p) // before Bob's revocation of Nina in his chain
	move := nina.forgeMove(nina.r.Device(), 1)

	orders := []struct {
		name  string
		steps [][][]byte
	}{
		{"the move heard while she was active", [][][]byte{raws(move), raws(bobs), raws(adas), raws(bobRevoked)}},
		{"Ada's word heard first", [][][]byte{raws(adas), raws(bobRevoked), raws(bobs), raws(move)}},
	}
	var got []*station
	for _, o := range orders {
		s := c.observer(t)
		s.apply(base...)
		if st, why := s.state(work.Header.ID); st != store.Applied {
			t.Fatalf("%s: before the attack Nina's patient is %v (%s)", o.name, st, why)
		}
		for _, step := range o.steps {
			s.apply(step...)
		}
		if st, why := s.state(bobs.Header.ID); st == store.Applied {
			t.Fatalf("%s: Bob's revocation of Nina is applied after his own (%s)", o.name, why)
		}
		if st, why := s.state(move.Header.ID); st != store.Applied {
			t.Fatalf("%s: Nina's move is %v (%s)", o.name, st, why)
		}
		if st, why := s.state(work.Header.ID); st != store.Applied {
			t.Errorf("%s: Nina's patient Ada's revocation keeps is %v (%s)", o.name, st, why)
		}
		got = append(got, s)
	}
	if d := got[0].snapshot().diff(got[1].snapshot()); d != "" {
		t.Errorf("the two workstations disagree:\n%s", d)
	}
}
