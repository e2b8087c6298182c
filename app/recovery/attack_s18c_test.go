package recovery

// Session 18 review h-sec18c: what an escrow's author can make of a
// recovery.

import (
	"context"
	"crypto/rand"
	"testing"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
)

// TestAttackS18cBogusEscrowTakesTheKeysPlace: a physician's modified
// software escrows a key of its own making for each clinical epoch (its
// commitment is the bogus key's: the author writes both) instead of the
// real one. Each escrow is checked only against its own commitment, and
// the recovery takes, for each epoch, the first escrow in the log that
// rebuilds: hers, when her device sorts before her colleague's. The
// newcomer physician is handed a key that opens nothing, and the real
// escrow of the honest physician is never tried: the chart is lost.
func TestAttackS18cBogusEscrowTakesTheKeysPlace(t *testing.T) {
	ctx := context.Background()
	c, admin2, admin3, everyone, patient := splitClinic(t, "Bogus")
	// The physician whose events come first in the log writes the bogus
	// escrows, before the split is approved (her software then escrows
	// nothing else: it has an escrow of each epoch).
	mal := c.Phys
	if rep(t, c.Phys2).Device() < rep(t, c.Phys).Device() {
		mal = c.Phys2
	}
	r := rep(t, mal)
	pol, err := readRecovery(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	b := r.Batch()
	for _, k := range r.Keys(roles.Clinical) {
		bogus := crypto.ScopeKey{Scope: k.Scope, Epoch: k.Epoch}
		_, _ = rand.Read(bogus.Secret[:])
		payload, err := splitKey(r, pol, bogus)
		if err != nil {
			t.Fatal(err)
		}
		b.Raw(kindRecoveryEscrow, scopeRecovery, escrowEntity(pol.id, k.Scope, k.Epoch), payload)
	}
	if _, err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	mustSync(t, everyone...)
	others := without(everyone, c.Admin)
	approveSplit(t, c.Phys, others...)
	mustSync(t, everyone...)
	// Every physician's workstation is lost.
	c.Phys.Close()
	c.Phys2.Close()
	newcomer := c.Join(t, "Dr Nadia New", roles.Physician)
	alive := []*app.Session{c.Admin, admin2, admin3, c.Recep, newcomer}
	rec, err := recoverFor(t, c.Admin, admin3, newcomer, alive...)
	if err != nil {
		t.Fatalf("recovery with one physician's bogus escrows: %v", err)
	}
	if n := notesOf(t, newcomer, patient); n != 1 {
		t.Fatalf("recovered %+v, but the new physician reads %d notes of the chart", rec, n)
	}
}
