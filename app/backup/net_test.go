package backup

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
)

// backedUpLiveClinic is a clinic syncing over real Kubo and Prosody
// (administrator, receptionist, physician), the receptionist's
// workstation backed up to file once its sync is connected.
func backedUpLiveClinic(t *testing.T) (*apptest.Clinic, *apptest.Net, string) {
	t.Helper()
	c := apptest.NewLiveClinic(t)
	n := apptest.NewNet(t)
	for _, s := range []*app.Session{c.Admin, c.Recep, c.Phys} {
		n.Start(t, s)
	}
	apptest.WaitFor(t, "the receptionist's sync connected", 30*time.Second, func() bool {
		return n.Syncers[c.Recep].Status().Connected
	})
	file := filepath.Join(t.TempDir(), "recep.mhbackup")
	if err := New(c.Recep.Core()).BackupTo(context.Background(), file, []byte(apptest.Passphrase)); err != nil {
		t.Fatal(err)
	}
	return c, n, file
}

// TestRestoreContinuesTheChain: a receptionist's workstation is backed up,
// then writes on (a patient registered after the backup) before the
// computer is replaced. The restored workstation, syncing with the
// clinic's real Kubo and Prosody, refuses to write until its first
// catch-up is done, receives the old computer's event (in the old chain:
// since session 22 the restore moved it onto a new chain of its own,
// app/move.go), and then writes in its new chain: every workstation keeps
// both, and nobody reports a fork.
func TestRestoreContinuesTheChain(t *testing.T) {
	ctx := context.Background()
	c, n, file := backedUpLiveClinic(t)
	after, err := c.Recep.RegisterPatient(ctx, app.Patient{Family: "After", Given: "Backup", Birth: "1980-05-06"})
	if err != nil {
		t.Fatal(err)
	}
	holds := func(s *app.Session, id string) bool { _, err := s.Patient(ctx, id); return err == nil }
	apptest.WaitFor(t, "the physician holding the old computer's last patient", 60*time.Second, func() bool {
		return holds(c.Phys, after.ID)
	})
	n.Syncers[c.Recep].Stop() // the old computer is replaced

	s, err := Restore(ctx, c.Env, Restoration{File: file, Dir: filepath.Join(t.TempDir(), "restored"), Passphrase: []byte(apptest.Passphrase)})
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	r, _ := s.Replica()
	oldRep, _ := c.Recep.Replica()
	if _, marked := r.Restored(); !marked {
		t.Fatal("the restored workstation is not marked restored")
	}
	if r.MovedFrom() != oldRep.Device() || r.Device() == oldRep.Device() {
		t.Fatalf("the restored workstation writes in %s, moved from %q; the old computer wrote in %s", r.Device(), r.MovedFrom(), oldRep.Device())
	}
	n.Start(t, s)
	if _, err := s.RegisterPatient(ctx, app.Patient{Family: "Too", Given: "Early", Birth: "1990-01-02"}); !errors.Is(err, app.ErrRestoredFetching) {
		t.Fatalf("a write before the restored workstation caught up: %v, want ErrRestoredFetching", err)
	}
	apptest.WaitFor(t, "the restored workstation catching up", 60*time.Second, func() bool {
		return n.Syncers[s].Status().CaughtUp
	})
	if !holds(s, after.ID) {
		t.Fatal("the restored workstation caught up without the old computer's last patient")
	}
	next, err := s.RegisterPatient(ctx, app.Patient{Family: "Next", Given: "Event", Birth: "1991-02-03"})
	if err != nil {
		t.Fatalf("the restored workstation's first write: %v", err)
	}
	if _, marked := r.Restored(); marked {
		t.Error("the restore mark stays after the first write")
	}
	// The move and the restored one's event.
	if own, err := r.EnvelopesAfter(ctx, r.Device(), 0, -1); err != nil || len(own) != 2 {
		t.Errorf("the restored chain holds %d events (%v), want 2", len(own), err)
	}
	apptest.WaitFor(t, "the physician holding the restored workstation's patient", 60*time.Second, func() bool {
		return holds(c.Phys, next.ID)
	})
	for _, who := range []*app.Session{c.Admin, c.Phys, s} {
		st := n.Syncers[who].Status()
		if st.Forked != "" || st.Problems != 0 {
			t.Errorf("%s's sync reports %d problems (fork: %q): %v", who.StaffName(), st.Problems, st.Forked, n.Syncers[who].Problems())
		}
	}
	rep, _ := c.Phys.Replica()
	if problems, err := rep.Verify(ctx); err != nil || len(problems) != 0 {
		t.Errorf("the physician's log: %v, %v", problems, err)
	}
}
