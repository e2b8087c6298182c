package app_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/sync/store"
)

// TestAttackS15cDeletedOutboxRowsNeverLeave: what a workstation wrote
// reaches the others only through its outbox (sync/netsync/push.go), a
// table of clear rows. Someone with the profile folder deletes them while
// the workstation is offline: the receptionist's patient never leaves
// her workstation, which announces its last pushed pack and shows nothing
// waiting; nobody notices until she writes again.
func TestAttackS15cDeletedOutboxRowsNeverLeave(t *testing.T) {
	ctx := context.Background()
	c := apptest.NewLiveClinic(t)
	n := apptest.NewNet(t)
	for _, s := range []*app.Session{c.Admin, c.Phys} {
		n.Start(t, s)
	}
	p, err := c.Recep.RegisterPatient(ctx, app.Patient{Family: "Unsent", Given: "Ursula", Birth: "1975-01-02"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Recep.Replica()
	if err != nil {
		t.Fatal(err)
	}
	// What DELETE FROM outbox does.
	err = r.DB().Update(ctx, func(tx *store.Tx) error {
		due, err := tx.Due(ctx, math.MaxInt64, 0)
		for _, it := range due {
			err = tx.MarkSent(ctx, it.EnvelopeID)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// Not sent yet is the own chain above what was pushed, whatever the
	// outbox lists.
	if st, err := c.Recep.LogStatus(ctx); err != nil || st.Waiting == 0 {
		t.Errorf("with the outbox emptied, the receptionist's workstation shows %d changes waiting (%v); want her whole unpushed chain", st.Waiting, err)
	}
	n.Start(t, c.Recep)
	apptest.WaitFor(t, "the receptionist's sync caught up", 30*time.Second, func() bool {
		return n.Syncers[c.Recep].Status().CaughtUp
	})
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := c.Phys.Patient(ctx, p.ID); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("the receptionist's patient never reached the physician (20 s after her sync caught up); her status: %+v", n.Syncers[c.Recep].Status())
}
