package recovery

// Session 12 hostile review (h-sec12): throw-away proofs, each failing on
// main at the commit the review began.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
)

// TestAttackS12HandoverOfAStandInsEscrowPlantsTheClinicalKey: a
// recovered key is taken (claimRecovered) when an escrow "written by a
// holder of its scope" commits to it, and readEscrow asks only the
// escrow author's role, never whether anyone confirmed her. The
// administrator's stand-in physician (nobody confirmed her) writes an
// escrow committing to a clinical key of her own making under a new,
// high epoch; the administrator hands that key to Paul as a recovered
// one. Paul's workstation grants it to itself (its own source, so
// trusted), retires it only on his workstation, and its grant pass hands
// it to Petra, who takes it from a confirmed colleague, does not retire
// it, and writes her next note with it: the administrator reads it.
func TestAttackS12HandoverOfAStandInsEscrowPlantsTheClinicalKey(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	patient, _ := c.Visit(t)
	standIn := c.Join(t, "Dr Stand In", roles.Physician)
	everyone := append(c.All(), standIn)
	mustSync(t, everyone...)
	if rep(t, standIn).Holds(roles.Clinical) {
		t.Fatal("setup: the stand-in holds the clinical key")
	}

	// The stand-in escrows a key of her own making.
	live, _ := rep(t, c.Phys).Key(roles.Clinical)
	epoch := (live.Epoch>>16+40)<<16 | 0x5eed
	planted, err := crypto.NewScopeKey(string(roles.Clinical), epoch)
	if err != nil {
		t.Fatal(err)
	}
	body, err := json.Marshal(escrowBody{Policy: "0123456789abcdef0123456789abcdef", Scope: planted.Scope, Epoch: planted.Epoch,
		Commit: escrowCommit(planted), Shares: map[string]string{}})
	if err != nil {
		t.Fatal(err)
	}
	envs, err := rep(t, standIn).Batch().Raw(kindRecoveryEscrow, scopeRecovery,
		escrowEntity("0123456789abcdef0123456789abcdef", planted.Scope, planted.Epoch), body).Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The administrator hands it to Paul as a recovered key.
	ra := rep(t, c.Admin)
	mustSync(t, c.Admin, standIn)
	physPub, _ := ra.PublicKey(c.Phys.Fingerprint())
	sealed, err := crypto.SealGrant(planted, physPub, ra.Identity())
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(map[string]any{"grants": []handoverGrant{{Escrow: envs[0].Header.ID,
		Grant: base64.StdEncoding.EncodeToString(sealed)}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ra.Batch().Raw(kindRecoveryHandover, scopeRecovery, handoverEntity(c.Phys.Fingerprint()), payload).Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		mustSync(t, everyone...)
		for _, s := range []*app.Session{c.Phys, c.Phys2} {
			if _, err := s.Maintain(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	env := note(t, c.Phys2, patient.ID, "written after the handover")
	if env.Header.Epoch == planted.Epoch || opens([]crypto.ScopeKey{planted}, env) {
		t.Errorf("Petra's new note is sealed under the key the administrator's stand-in made (epoch %#x): the administrator reads it", env.Header.Epoch)
	}
	for _, s := range []*app.Session{c.Phys, c.Phys2} {
		for _, k := range rep(t, s).Keys(roles.Clinical) {
			if k.Epoch == planted.Epoch && k.Secret == planted.Secret {
				t.Logf("%s holds the planted key (retired here: %v)", s.StaffName(), rep(t, s).Retired(roles.Clinical, k.Epoch))
			}
		}
	}
}
