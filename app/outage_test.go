package app

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/sync/ipfs"
)

func registerN(t testing.TB, s *Session, prefix string, n int) []Patient {
	t.Helper()
	var out []Patient
	for i := 0; i < n; i++ {
		p, err := s.RegisterPatient(context.Background(), Patient{Family: fmt.Sprintf("%s%03d", prefix, i), Given: "Zanzibar", Birth: "1981-02-03", Phone: "555 777 0101"})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

func seesAll(s *Session, ps []Patient) bool {
	for _, p := range ps {
		if _, err := s.Patient(context.Background(), p.ID); err != nil {
			return false
		}
	}
	return true
}

// TestSyncSurvivesOutages: work goes on while Kubo, then Prosody, is down;
// everything waits in the outbox and all converge once they are back.
func TestSyncSurvivesOutages(t *testing.T) {
	c := newNetClinic(t)
	ys := c.syncer[c.recep]

	c.kubo.Stop(t)
	during := registerN(t, c.recep, "KuboDown", 10)
	waitFor(t, "changes waiting while Kubo is down", 10*time.Second, func() bool { return ys.Status().Waiting > 0 })
	time.Sleep(300 * time.Millisecond) // a few failed retries
	if seesAll(c.phys, during) {
		t.Fatal("changes arrived with Kubo down")
	}
	c.kubo.Start(t)
	waitFor(t, "convergence after Kubo restarted", 30*time.Second, func() bool { return seesAll(c.phys, during) })
	waitFor(t, "outbox drained", 10*time.Second, func() bool { return ys.Status().Waiting == 0 })

	c.xmpp.Stop(t)
	waitFor(t, "everyone sees the chat server gone", 10*time.Second, func() bool {
		return !c.syncer[c.recep].Status().Connected && !c.syncer[c.phys].Status().Connected
	})
	during = registerN(t, c.recep, "XmppDown", 10)
	c.xmpp.Start(t)
	waitFor(t, "everyone reconnected", 30*time.Second, func() bool {
		for _, y := range c.syncer {
			if !y.Status().Connected {
				return false
			}
		}
		return true
	})
	waitFor(t, "convergence after Prosody restarted", 30*time.Second, func() bool { return seesAll(c.phys, during) })
}

// TestOnlyCiphertextLeaves reads back every pack the workstations put on
// IPFS, every block file of the Kubo node and Prosody's stored data, and
// finds none of the seeded patient names, birth dates, phones or notes.
func TestOnlyCiphertextLeaves(t *testing.T) {
	ctx := context.Background()
	c := newNetClinic(t)
	ps := registerN(t, c.recep, "Quetzalcoatl", 5)
	waitFor(t, "patients at the physician", 20*time.Second, func() bool { return seesAll(c.phys, ps) })
	if _, err := clin(c.phys).WriteNote(ctx, Note{Patient: ps[0].ID, Subjective: "Xylophonic tremor since Tuesday"}); err != nil {
		t.Fatal(err)
	}
	if _, err := book(ctx, c.recep, Appointment{Patient: ps[1].ID, Physician: c.phys.Fingerprint(), Start: time.Now().Add(time.Hour), Minutes: 15, Reason: "Gallimaufry review"}); err != nil {
		t.Fatal(err)
	}
	for _, y := range c.syncer {
		y := y
		waitFor(t, "outbox drained", 20*time.Second, func() bool { return y.Status().Waiting == 0 })
	}
	needles := []string{"Quetzalcoatl", "Zanzibar", "1981-02-03", "555 777 0101", "5557770101", "Xylophonic", "Gallimaufry", "Rita Reception", "Dr Paul Physician"}
	check := func(where string, b []byte) {
		for _, n := range needles {
			if bytes.Contains(bytes.ToLower(b), []byte(strings.ToLower(n))) {
				t.Errorf("%s contains %q in clear", where, n)
			}
		}
	}
	client := ipfs.New(c.kubo.API)
	packs := 0
	for _, y := range c.syncer {
		for _, cid := range y.Pushed() {
			b, err := client.Get(ctx, cid, 64<<20)
			if err != nil {
				t.Fatal(err)
			}
			check("IPFS "+cid, b)
			packs++
		}
	}
	if packs < 5 {
		t.Fatalf("only %d packs read back", packs)
	}
	for _, dir := range []string{c.kubo.Dir, c.xmpp.DataDir} {
		filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
			if err == nil && !fi.IsDir() {
				if b, err := os.ReadFile(p); err == nil {
					check(p, b)
				}
			}
			return nil
		})
	}
}
