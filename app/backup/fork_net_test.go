package backup

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/sync/replica"
)

// TestForkProvenOverTheNetwork: the receptionist's old computer writes a
// patient while its sync is off; a restore of its backup on a new
// computer, which never hears of it, writes another in the same place of
// the chain (the F3 case of ARCHITECTURE.md, still open: both are her
// device). When the old computer comes back and sends its event, the
// workstations that meet both prove the fork in their own chains over the
// clinic's real Kubo and Prosody: every workstation records it, sets aside
// both branches from that place, and both copies of her profile say so
// and write no more there. No workstation keeps a branch of its own.
func TestForkProvenOverTheNetwork(t *testing.T) {
	ctx := context.Background()
	c, n, file := backedUpLiveClinic(t)
	n.Syncers[c.Recep].Stop()
	lost, err := c.Recep.RegisterPatient(ctx, app.Patient{Family: "Lost", Given: "Branch", Birth: "1980-05-06"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := Restore(ctx, c.Env, Restoration{File: file, Dir: filepath.Join(t.TempDir(), "restored"), Passphrase: []byte(apptest.Passphrase)})
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	n.Start(t, s)
	apptest.WaitFor(t, "the restored workstation catching up", 60*time.Second, func() bool {
		return n.Syncers[s].Status().CaughtUp
	})
	other, err := s.RegisterPatient(ctx, app.Patient{Family: "Other", Given: "Branch", Birth: "1981-05-06"})
	if err != nil {
		t.Fatalf("the restored workstation's first write: %v", err)
	}
	holds := func(s *app.Session, id string) bool { _, err := s.Patient(ctx, id); return err == nil }
	apptest.WaitFor(t, "the physician holding the restored workstation's patient", 60*time.Second, func() bool {
		return holds(c.Phys, other.ID)
	})
	n.Syncers[s].Stop() // the new computer is off while the old one is back
	n.Start(t, c.Recep)
	forked := func(s *app.Session) bool { r, err := s.Replica(); return err == nil && len(r.Forks()) == 1 }
	for _, who := range []*app.Session{c.Admin, c.Phys, c.Recep} {
		apptest.WaitFor(t, who.StaffName()+"'s workstation recording the fork", 90*time.Second, func() bool { return forked(who) })
	}
	n.Start(t, s)
	apptest.WaitFor(t, "the restored workstation recording the fork", 90*time.Second, func() bool { return forked(s) })
	apptest.WaitFor(t, "the physician setting aside both branches", 60*time.Second, func() bool {
		return !holds(c.Phys, lost.ID) && !holds(c.Phys, other.ID)
	})
	ra, _ := c.Admin.Replica()
	for _, who := range []*app.Session{c.Phys, c.Recep, s} {
		r, _ := who.Replica()
		if got, want := r.Forks(), ra.Forks(); got[0] != want[0] {
			t.Errorf("%s records %+v, the administrator %+v", who.StaffName(), got, want)
		}
	}
	for _, copy := range []*app.Session{c.Recep, s} {
		if _, err := copy.RegisterPatient(ctx, app.Patient{Family: "After", Given: "Fork", Birth: "1982-05-06"}); !errors.Is(err, replica.ErrForked) {
			t.Errorf("a copy of the forked chain writes on: %v", err)
		}
	}
	apptest.WaitFor(t, "the restored workstation's status saying so", 30*time.Second, func() bool {
		return n.Syncers[s].Status().Forked == replica.ErrForked.Error()
	})
}
