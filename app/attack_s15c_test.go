package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
)

// TestAttackS15cDeletedOutboxRowsNeverLeave: what a workstation wrote
// reached the others only through its outbox, a table of clear rows that
// someone with the profile folder could delete while it was offline: the
// receptionist's patient never left her workstation (sec-s15c H6). Push
// now sends the own chain above the last pushed seq and the table is
// gone: the patient reaches the others.
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
	// Not sent yet is the own chain above what was pushed: no table of
	// clear rows lists it (the outbox table is gone, store migration 0012).
	if st, err := c.Recep.LogStatus(ctx); err != nil || st.Waiting == 0 {
		t.Errorf("the receptionist's workstation shows %d changes waiting (%v); want her whole unpushed chain", st.Waiting, err)
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
