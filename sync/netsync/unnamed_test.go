package netsync

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
)

// TestMemberBeforeAdmissionFetchedAgain: over a real Kubo and Prosody, a
// workstation behind on the directory hears Nina's chain (her key and 40
// events written after her admission) before her admission: it stores
// what the bound of a device no entry names allows and takes her heads as
// held (replica.OverBound). Her admission arrives (the founder's
// workstation comes online): the mark is lifted, and her next
// announcement brings the rest of her chain, none of it left pending.
func TestMemberBeforeAdmissionFetchedAgain(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Kubo and Prosody")
	}
	ctx := context.Background()
	cfg := realServers(t)
	id, err := crypto.GenerateIdentity("Ada Admin")
	if err != nil {
		t.Fatal(err)
	}
	params := replica.Params{Identity: id, Clinic: id.Fingerprint()[:32], Anchors: []string{id.Fingerprint()}}
	founder := openNetStation(t, params)
	founding(t, founder, id)
	newcomer := func(name string) (station, *crypto.Identity) {
		t.Helper()
		nid, err := crypto.GenerateIdentity(name)
		if err != nil {
			t.Fatal(err)
		}
		return openNetStation(t, replica.Params{Identity: nid, Clinic: params.Clinic, Anchors: params.Anchors}), nid
	}
	here, hereID := newcomer("Hal Here")
	nina, ninaID := newcomer("Nina Newadmin")
	hand := func(to, from station) {
		t.Helper()
		raws, err := from.r.EnvelopesAfter(ctx, from.r.Device(), 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := to.r.Apply(ctx, raws); err != nil {
			t.Fatal(err)
		}
	}
	admit := func(s station, nid *crypto.Identity, role roles.Role, scopes ...roles.Scope) {
		t.Helper()
		hand(founder, s)
		entry, err := replica.F(map[string]any{"name": nid.Fingerprint()[:8], "role": role, "status": replica.StatusActive})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := founder.r.Append(ctx, replica.Change{Entity: nid.Fingerprint(), Kind: replica.KindMember, Scope: roles.Directory, Fields: entry}); err != nil {
			t.Fatal(err)
		}
		for _, scope := range scopes {
			k, _ := founder.r.Key(scope)
			if _, err := founder.r.Grant(ctx, k, nid.Fingerprint()); err != nil {
				t.Fatal(err)
			}
		}
		hand(s, founder)
	}
	admit(here, hereID, roles.Physician, roles.Directory) // this workstation: admitted, then offline
	if _, ok := here.r.Member(hereID.Fingerprint()); !ok {
		t.Fatal("this workstation is not admitted")
	}
	admit(nina, ninaID, roles.Administrator, roles.Directory, roles.Admin) // her admission: not handed here
	b := nina.r.Batch()
	for i := range 40 {
		f, err := replica.F(map[string]any{"status": fmt.Sprint(i)})
		if err != nil {
			t.Fatal(err)
		}
		b.Append(replica.Change{Entity: crypto.NewEventID()[:16], Kind: "token", Scope: roles.Admin, Fields: f}) // a token's id: 16 hex digits
	}
	if _, err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	device := nina.r.Device()
	chain := storedOf(t, nina, device)

	yn, err := Start(ctx, cfg, nina, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer yn.Stop()
	yh, err := Start(ctx, cfg, here, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer yh.Stop()
	waitUntil(t, "her device past its bound here", 60*time.Second, func() bool { return here.r.OverBound(device) })
	before := storedOf(t, here, device)
	t.Logf("before her admission: %d of her %d events stored", before, chain)
	if before >= chain {
		t.Fatalf("all %d of her events stored before her admission: no bound", before)
	}
	yf, err := Start(ctx, cfg, founder, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer yf.Stop()
	start := time.Now()
	waitUntil(t, "her whole chain here after her admission", 90*time.Second, func() bool {
		return storedOf(t, here, device) == chain
	})
	var pending int
	err = here.r.DB().View(ctx, func(tx *store.Tx) error {
		rows, err := tx.EnvelopesAfter(ctx, device, 0, -1)
		for _, r := range rows {
			if r.State == store.Pending {
				pending++
			}
		}
		return err
	})
	t.Logf("after her admission: %d of %d stored in %v, %d pending", storedOf(t, here, device), chain, time.Since(start), pending)
	if err != nil || pending > 0 || here.r.OverBound(device) {
		t.Fatalf("%d of her events left pending (%v), device marked %v", pending, err, here.r.OverBound(device))
	}
}
