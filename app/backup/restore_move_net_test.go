package backup

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/store"
)

// TestRestoreMissedEventsKeepsEveryWrite (h-restore22, F3 of h-sec15e;
// it replaces TestForkProvenOverTheNetwork, whose fork no longer
// happens): the receptionist's workstation is backed up, then writes a
// patient the physician receives, then writes another with its sync off;
// the computer dies. The backup is restored on a new computer that writes
// after its first catch-up, which cannot bring the unsent one (with the
// old rule it wrote at its place of the chain: a fork, both branches set
// aside everywhere once the old computer came back). The restore
// moves the workstation onto a new chain bound to her key: it writes
// there, every workstation keeps all three patients over the clinic's real
// Kubo and Prosody, and none records a fork, also once the old computer
// came back and sent what it wrote offline.
func TestRestoreMissedEventsKeepsEveryWrite(t *testing.T) {
	ctx := context.Background()
	c, n, file := backedUpLiveClinic(t)
	heard, err := c.Recep.RegisterPatient(ctx, app.Patient{Family: "Heard", Given: "After", Birth: "1980-05-06"})
	if err != nil {
		t.Fatal(err)
	}
	holds := func(s *app.Session, id string) bool { _, err := s.Patient(ctx, id); return err == nil }
	apptest.WaitFor(t, "the physician holding the old computer's last sent patient", 60*time.Second, func() bool {
		return holds(c.Phys, heard.ID)
	})
	n.Syncers[c.Recep].Stop()
	unsent, err := c.Recep.RegisterPatient(ctx, app.Patient{Family: "Unsent", Given: "Offline", Birth: "1980-05-07"})
	if err != nil {
		t.Fatal(err)
	}
	oldRep, _ := c.Recep.Replica()
	oldChain := oldRep.Device()

	s, err := Restore(ctx, c.Env, Restoration{File: file, Dir: filepath.Join(t.TempDir(), "restored"), Passphrase: []byte(apptest.Passphrase)})
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	r, _ := s.Replica()
	if r.Device() == oldChain || !crypto.DeviceBoundTo(r.Device(), r.Fingerprint()) || r.MovedFrom() != oldChain {
		t.Fatalf("the restored workstation writes in %s (moved from %q), the old computer in %s", r.Device(), r.MovedFrom(), oldChain)
	}
	if r.Account() != s.Profile().Device {
		t.Errorf("the restored workstation speaks as %s, its profile's account is %s", r.Account(), s.Profile().Device)
	}
	n.Start(t, s)
	apptest.WaitFor(t, "the restored workstation catching up", 60*time.Second, func() bool {
		return n.Syncers[s].Status().CaughtUp
	})
	// It never hears of the unsent patient: with the old rule its next
	// event took that one's place in the chain.
	mine, err := s.RegisterPatient(ctx, app.Patient{Family: "Restored", Given: "First", Birth: "1991-02-03"})
	if err != nil {
		t.Fatalf("the restored workstation's first write: %v", err)
	}
	everyone := []*app.Session{c.Admin, c.Phys, s}
	defer func() {
		if t.Failed() {
			for _, who := range everyone {
				wr, _ := who.Replica()
				var rows []string
				wr.DB().View(ctx, func(tx *store.Tx) error { //nolint:errcheck
					for _, d := range []string{r.Device(), oldChain} {
						for seq := uint64(1); seq < 40; seq++ {
							e, err := tx.EnvelopeAt(ctx, d, seq)
							if err != nil {
								break
							}
							rows = append(rows, fmt.Sprintf("%.8s/%d %s %v %s %s", d, seq, e.Kind, e.State, e.Rule, e.Reason))
						}
					}
					return nil
				})
				t.Logf("%s: mine %v heard %v unsent %v; status %+v\n%s", who.StaffName(), holds(who, mine.ID), holds(who, heard.ID), holds(who, unsent.ID),
					n.Syncers[who].Status(), strings.Join(rows, "\n"))
			}
		}
	}()
	// The administrator holds no front-desk key: she keeps the patients
	// sealed (checked below by their chains' states).
	readers := []*app.Session{c.Phys, s}
	for _, who := range readers {
		apptest.WaitFor(t, who.StaffName()+" holding the restored workstation's patient and the old computer's", 90*time.Second, func() bool {
			return holds(who, mine.ID) && holds(who, heard.ID)
		})
	}
	// The old computer comes back, once, while the new one is off (both
	// speak under the profile's one XMPP account: never beside each other).
	n.Syncers[s].Stop()
	n.Start(t, c.Recep)
	apptest.WaitFor(t, "the physician holding the old computer's unsent patient", 90*time.Second, func() bool {
		return holds(c.Phys, unsent.ID)
	})
	// (It learns of the move only once it fetches the new chain, which
	// only the profile's own account announces: not while the other copy
	// is off. Proven on replicas: TestAttackS22cRestoreForksNoMore.)
	n.Syncers[c.Recep].Stop()
	n.Start(t, s)
	apptest.WaitFor(t, "the restored workstation holding the old computer's unsent patient", 90*time.Second, func() bool {
		return holds(s, unsent.ID)
	})
	for _, who := range []*app.Session{c.Admin, c.Phys, c.Recep, s} {
		r, _ := who.Replica()
		if fs := r.Forks(); len(fs) != 0 {
			t.Errorf("%s records forks %+v", who.StaffName(), fs)
		}
		if st := n.Syncers[who].Status(); st.Forked != "" {
			t.Errorf("%s's sync says %q", who.StaffName(), st.Forked)
		}
		if who == c.Admin || who == c.Recep {
			continue
		}
		for _, id := range []string{heard.ID, unsent.ID, mine.ID} {
			if !holds(who, id) {
				t.Errorf("%s lost patient %s", who.StaffName(), id)
			}
		}
	}
	// The administrator keeps both chains whole, as the physician does.
	chains := func(who *app.Session) (out []string) {
		wr, _ := who.Replica()
		wr.DB().View(ctx, func(tx *store.Tx) error { //nolint:errcheck
			for _, d := range []string{r.Device(), oldChain} {
				for seq := uint64(1); ; seq++ {
					e, err := tx.EnvelopeAt(ctx, d, seq)
					if err != nil {
						break
					}
					kept := e.State == store.Applied || e.State == store.Sealed
					out = append(out, fmt.Sprintf("%.8s/%d %v", d, seq, kept))
				}
			}
			return nil
		})
		return out
	}
	apptest.WaitFor(t, "the administrator keeping both chains as the physician does", 60*time.Second, func() bool {
		return strings.Join(chains(c.Admin), ",") == strings.Join(chains(c.Phys), ",")
	})
	for _, row := range chains(c.Phys) {
		if strings.HasSuffix(row, "false") {
			t.Errorf("the physician refused event %s", row)
		}
	}
	if _, err := s.RegisterPatient(ctx, app.Patient{Family: "Restored", Given: "Second", Birth: "1991-02-04"}); err != nil {
		t.Errorf("the restored workstation writes no more: %v", err)
	}
}
