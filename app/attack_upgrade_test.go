package app

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
)

// TestAttackLateUpgradeTrustsNoClaim: Attack (session 11 review, finding
// 5): a physician's profile that
// reaches its first upkeep of this version later than the others (left
// off over a holiday, or restored from a backup made before the upgrade)
// confirms "every colleague who acknowledged holding" the clinical key.
// An acknowledgement is the member's own key-held record: the
// administrator's stand-in writes one naming the live epoch (she never
// held it; RetireExposed ignores such claims for that reason, this does
// not), is confirmed by the late profile, confirms it back one way, and
// every physician's workstation grants her the clinical key.
func TestAttackLateUpgradeTrustsNoClaim(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	tok, err := c.admin.IssueToken(ctx, roles.Physician, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	standIn, err := Redeem(ctx, c.env, Redemption{Dir: filepath.Join(c.dir, "stand-in"), Token: tok.String(),
		Name: "Dr Sam Standin", Passphrase: []byte(testPass)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { standIn.Close() })
	everyone := append(c.all(), standIn)
	mustSync(t, everyone...)
	s := rep(t, standIn)
	live, _ := rep(t, c.phys).Key(roles.Clinical)
	// Her modified software acknowledges the live epoch she never held.
	if _, err := s.Append(ctx, replica.Change{Entity: replica.HeldEntity(s.Fingerprint()), Kind: replica.KindKeyHeld,
		Scope: roles.Directory, Fields: replica.Fields{fmt.Sprintf("%s/%d", roles.Clinical, live.Epoch): []byte("true")}}); err != nil {
		t.Fatal(err)
	}
	// She confirms Petra one way (the code is computed from public fingerprints).
	if err := standIn.ConfirmColleague(ctx, c.phys2.Fingerprint(), ColleagueCode(s.Fingerprint(), c.phys2.Fingerprint())); err != nil {
		t.Fatal(err)
	}
	mustSync(t, everyone...)
	// Petra's profile reaches this version's first upkeep only now.
	if err := rep(t, c.phys2).DB().Update(ctx, func(tx *store.Tx) error { return tx.DeleteMeta(ctx, colleaguesMeta) }); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		mustSync(t, everyone...)
	}
	if s.Holds(roles.Clinical) || rep(t, c.phys).Confirmed(roles.Clinical, s.Fingerprint()) {
		t.Errorf("the stand-in's own key-held claim made a late-upgrading physician confirm her: confirmed on Paul's workstation %v, holds the clinical key %v",
			rep(t, c.phys).Confirmed(roles.Clinical, s.Fingerprint()), s.Holds(roles.Clinical))
	}
}
