package replica

import (
	"context"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// TestAttackGarbageGrant: Attack (issue 13, low): as a physician joins, a
// colleague's modified software hurries to "grant" her the clinical key:
// a grant header naming her, the scope and the epoch, over bytes that do
// not open (one sealed to himself). Her workstation refuses it with a
// reason; the other workstations do not count her as granted, so an
// honest holder grants the real key, which she acknowledges; only then do
// the others count her as holding it.
func TestAttackGarbageGrant(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	newcomer, sNew := c.admitted(t, "Nora Newcomer", roles.Physician)
	exchange(t, append(c.stations(), sNew)...)

	k, _ := c.sPh2.r.Key(roles.Clinical)
	sealedToHimself, err := crypto.SealGrant(k, c.phys2.id.Public(), c.phys2.id)
	if err != nil {
		t.Fatal(err)
	}
	garbage := c.sPh2.forge(forged{Entity: newcomer.fp(), Kind: KindGrant, Scope: "clinical", Raw: sealedToHimself})
	exchange(t, append(c.stations(), sNew)...)
	if st, reason := sNew.state(garbage.Header.ID); st != store.Rejected || !strings.Contains(reason, "grant cannot be opened") {
		t.Errorf("on the newcomer's workstation the garbage grant is %v (%s), want rejected", st, reason)
	}
	// The header alone convinces nobody.
	for _, s := range []*station{c.sAdmin, c.sRecep, c.sPhys} {
		if s.r.Granted(newcomer.fp(), roles.Clinical, k.Epoch) {
			t.Errorf("%s counts the newcomer as granted after a grant that does not open", s.p.name)
		}
	}
	// They met and confirmed each other (a workstation takes the clinical
	// key only from a colleague it reaches by confirmations).
	if err := sNew.r.Confirm(ctx, c.phys.fp()); err != nil {
		t.Fatal(err)
	}
	if err := c.sPhys.r.Confirm(ctx, newcomer.fp()); err != nil {
		t.Fatal(err)
	}
	c.sPhys.grant(roles.Clinical, newcomer)
	exchange(t, append(c.stations(), sNew)...)
	if !sNew.r.Holds(roles.Clinical) {
		t.Fatal("the newcomer did not get the real clinical key")
	}
	if n, err := sNew.r.AcknowledgeKeys(ctx); err != nil || n == 0 {
		t.Fatalf("acknowledge keys: %d, %v", n, err)
	}
	exchange(t, append(c.stations(), sNew)...)
	for _, s := range []*station{c.sAdmin, c.sRecep, c.sPh2} {
		if !s.r.Granted(newcomer.fp(), roles.Clinical, k.Epoch) {
			t.Errorf("%s does not count the newcomer as holding the clinical key after she acknowledged it", s.p.name)
		}
	}
	// The granting workstation counted its own grant from the start, so it
	// never grants twice.
	if !c.sPhys.r.Granted(newcomer.fp(), roles.Clinical, k.Epoch) {
		t.Error("the granting workstation forgot its own grant")
	}
	// Nobody acknowledges for someone else.
	forgedAck := c.sPh2.forge(forged{Entity: HeldEntity(newcomer.fp()), Kind: KindKeyHeld, Scope: "directory",
		Fields: fields(t, map[string]any{heldField("admin", 1): true})})
	c.sAdmin.apply(c.sPh2.own()...)
	if st, _ := c.sAdmin.state(forgedAck.Header.ID); st != store.Rejected || c.sAdmin.r.Acknowledged(newcomer.fp(), roles.Admin, 1) {
		t.Errorf("an acknowledgement written for someone else is %v", st)
	}
}
