package recovery

// Session 12 hostile review (h-sec12), finding 7: proof, with its
// neighbouring case.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
)

// TestAttackS12HandoverOfAStandInsEscrowPlantsTheClinicalKey: a
// recovered key was taken (claimRecovered) when an escrow "written by a
// holder of its scope" committed to it, and readEscrow asked only the
// escrow author's role, never whether anyone confirmed her. The
// administrator's stand-in physician (nobody confirmed her) writes an
// escrow committing to a clinical key of her own making under a new,
// high epoch; the administrator hands that key over as a recovered one.
// To Paul, a confirmed physician: his workstation granted it to itself
// (its own source, so trusted), retired it only there, and its grant pass
// handed it to Petra, who wrote her next note with it. Now Paul takes no
// key from an escrow by someone he does not reach. To a newcomer nobody
// confirmed yet (the recovery's own case: she reaches nobody), the key is
// taken but only to read: never written with, never handed on, even once
// she is confirmed.
func TestAttackS12HandoverOfAStandInsEscrowPlantsTheClinicalKey(t *testing.T) {
	for _, tc := range []struct {
		name    string
		to      func(t *testing.T, c *apptest.Clinic) *app.Session
		takes   bool // the recipient holds the planted key (to read only)
		confirm bool // the recipient is confirmed with Paul after the handover
	}{
		{"to a confirmed physician", func(t *testing.T, c *apptest.Clinic) *app.Session { return c.Phys }, false, false},
		{"to a newcomer nobody confirmed", func(t *testing.T, c *apptest.Clinic) *app.Session {
			return c.Join(t, "Dr Nadia New", roles.Physician)
		}, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			c := newClinic(t)
			patient, _ := c.Visit(t)
			standIn := c.Join(t, "Dr Stand In", roles.Physician)
			to := tc.to(t, c)
			everyone := append(c.All(), standIn)
			if to != c.Phys {
				everyone = append(everyone, to)
			}
			mustSync(t, everyone...)
			if rep(t, standIn).Holds(roles.Clinical) {
				t.Fatal("setup: the stand-in holds the clinical key")
			}
			live, _ := rep(t, c.Phys).Key(roles.Clinical)
			planted := plantHandover(t, c.Admin, standIn, to, (live.Epoch>>16+40)<<16|0x5eed)
			rounds := func() {
				for range 3 {
					mustSync(t, everyone...)
					for _, s := range []*app.Session{c.Phys, c.Phys2, to} {
						if _, err := s.Maintain(ctx); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
			rounds()
			rt := rep(t, to)
			if held := holds(rt.Keys(roles.Clinical), planted); held != tc.takes {
				t.Errorf("%s holds the planted key: %v, want %v", to.StaffName(), held, tc.takes)
			}
			if holds(rt.Keys(roles.Clinical), planted) && (rt.Trusted(roles.Clinical, planted.Epoch) || !rt.Retired(roles.Clinical, planted.Epoch)) {
				t.Errorf("%s holds the planted key trusted (%v) or not retired", to.StaffName(), rt.Trusted(roles.Clinical, planted.Epoch))
			}
			if tc.confirm {
				c.Confirm(t, c.Phys, to)
				rounds()
				if env := note(t, to, patient.ID, "the newcomer writes, confirmed"); env.Header.Epoch == planted.Epoch {
					t.Errorf("%s's note is sealed under the planted epoch", to.StaffName())
				}
			}
			env := note(t, c.Phys2, patient.ID, "written after the handover")
			if env.Header.Epoch == planted.Epoch || opens([]crypto.ScopeKey{planted}, env) {
				t.Errorf("Petra's new note is sealed under the key the administrator's stand-in made (epoch %#x): the administrator reads it", env.Header.Epoch)
			}
			for _, s := range []*app.Session{c.Phys, c.Phys2} {
				if s != to && holds(rep(t, s).Keys(roles.Clinical), planted) {
					t.Errorf("%s holds the planted key: it was handed on", s.StaffName())
				}
			}
		})
	}
}

// plantHandover has the administrator's stand-in escrow a clinical key of
// her own making under epoch, and the administrator hand it over to
// recipient as a recovered key. It returns the key.
func plantHandover(t *testing.T, admin, standIn, recipient *app.Session, epoch uint32) crypto.ScopeKey {
	t.Helper()
	ctx := context.Background()
	planted, err := crypto.NewScopeKey(string(roles.Clinical), epoch)
	if err != nil {
		t.Fatal(err)
	}
	const policy = "0123456789abcdef0123456789abcdef"
	body, err := json.Marshal(escrowBody{Policy: policy, Scope: planted.Scope, Epoch: planted.Epoch,
		Commit: escrowCommit(planted), Shares: map[string]string{}})
	if err != nil {
		t.Fatal(err)
	}
	envs, err := rep(t, standIn).Batch().Raw(kindRecoveryEscrow, scopeRecovery,
		escrowEntity(policy, planted.Scope, planted.Epoch), body).Commit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ra := rep(t, admin)
	mustSync(t, admin, standIn, recipient)
	pub, _ := ra.PublicKey(recipient.Fingerprint())
	sealed, err := crypto.SealGrant(planted, pub, ra.Identity())
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(map[string]any{"grants": []handoverGrant{{Escrow: envs[0].Header.ID,
		Grant: base64.StdEncoding.EncodeToString(sealed)}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ra.Batch().Raw(kindRecoveryHandover, scopeRecovery, handoverEntity(recipient.Fingerprint()), payload).Commit(ctx); err != nil {
		t.Fatal(err)
	}
	return planted
}

// holds reports whether keys hold k itself (its epoch and secret).
func holds(keys []crypto.ScopeKey, k crypto.ScopeKey) bool {
	for _, h := range keys {
		if h.Epoch == k.Epoch && h.Secret == k.Secret {
			return true
		}
	}
	return false
}
