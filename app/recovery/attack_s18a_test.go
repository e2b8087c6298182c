package recovery

// Session 18 review h-sec18a: the event aliases (h-id17) and the recovery
// handover's references to escrow events.

import (
	"context"
	"testing"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// TestAttackS18aEscrowIDCopyBreaksRecovery: an outsider (no entry, a key
// and a device of his own) copies the ids of the physicians' escrow
// events into events of his, which reach Ada's workstation before the
// escrows do. Ada keeps both (store.PutEvent): the copies under the plain
// ids, the escrows under their aliases. A release names each share by the
// escrow's row id on the releasing workstation, and the handover names
// each grant's escrow by its row id on the recovering one, so Ada could
// not use Cleo's released shares (her own escrows had other row ids) and
// the clinic's recovery failed.
func TestAttackS18aEscrowIDCopyBreaksRecovery(t *testing.T) {
	ctx := context.Background()
	c, admin2, admin3, everyone, patient := splitClinic(t, "Copied")
	others := without(everyone, c.Admin)
	approveSplit(t, c.Phys, others...)
	mustSync(t, others...)
	// The escrows as the network carries them: their ids in the clear.
	var escrows []store.Envelope
	err := rep(t, admin3).DB().View(ctx, func(tx *store.Tx) error {
		return tx.EachEnvelope(ctx, func(e store.Envelope) error {
			if e.Kind == kindRecoveryEscrow {
				escrows = append(escrows, e)
			}
			return nil
		})
	})
	if err != nil || len(escrows) == 0 {
		t.Fatalf("no escrow written: %v", err)
	}
	otto, err := crypto.GenerateIdentity("Otto Outsider")
	if err != nil {
		t.Fatal(err)
	}
	device, prev := crypto.NewEventID(), ""
	var copies [][]byte
	for i, e := range escrows {
		h := crypto.Header{ID: e.ID, Entity: "x" + crypto.NewEventID(), Kind: "licence", Scope: "directory",
			Author: otto.Fingerprint(), Device: device, Seq: uint64(i + 1), Prev: prev, Lamport: uint64(i + 1), Time: e.Time}
		env, err := crypto.SealRaw(h, []byte(`{"copied":true}`), otto)
		if err != nil {
			t.Fatal(err)
		}
		copies, prev = append(copies, env.Raw), env.Hash()
	}
	if _, err := rep(t, c.Admin).Apply(ctx, copies); err != nil {
		t.Fatal(err)
	}
	mustSync(t, everyone...)
	// Every physician's workstation is lost.
	c.Phys.Close()
	c.Phys2.Close()
	newcomer := c.Join(t, "Dr Nadia New", roles.Physician)
	alive := []*app.Session{c.Admin, admin2, admin3, c.Recep, newcomer}
	mustSync(t, alive...)
	if err := New(admin3.Core()).Release(ctx, c.Admin.Fingerprint()); err != nil {
		t.Fatal(err)
	}
	mustSync(t, alive...)
	rec, err := New(c.Admin.Core()).Recover(ctx, newcomer.Fingerprint())
	if err != nil {
		t.Fatalf("%d escrow ids copied to the coordinating administrator's workstation first: the recovery fails: %v", len(escrows), err)
	}
	t.Logf("%d escrow ids copied; recovered %+v", len(escrows), rec)
	mustSync(t, alive...)
	ch, err := chart.New(newcomer.Core()).OpenChart(ctx, patient)
	if err != nil || len(ch.Notes) != 1 {
		t.Fatalf("the new physician cannot read the chart after recovery: %+v, %v", ch.Notes, err)
	}
}
