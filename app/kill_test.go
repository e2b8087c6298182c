package app

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/netsync"
	"github.com/medihaven/medihaven/sync/store"
)

// The child workstation of TestKilledWorkstationConverges: it logs in,
// syncs, and registers patients until it is killed (or, with count set,
// writes nothing and reports what it holds once its outbox is empty).
const childEnv = "MEDIHAVEN_TEST_CHILD"

type childSpec struct {
	Dir    string
	Run    int
	Config netsync.Config
	Final  bool
}

func init() {
	spec := os.Getenv(childEnv)
	if spec == "" {
		return
	}
	var c childSpec
	if err := json.Unmarshal([]byte(spec), &c); err != nil {
		fmt.Println("bad spec:", err)
		os.Exit(2)
	}
	os.Exit(runChild(c))
}

func runChild(c childSpec) int {
	ctx := context.Background()
	s, err := Login(ctx, Env{}, c.Dir, "", []byte(testPass))
	if err != nil {
		fmt.Println("login:", err)
		return 2
	}
	y, err := s.StartSync(ctx, c.Config, nil)
	if err != nil {
		fmt.Println("sync:", err)
		return 2
	}
	if c.Final {
		// Stay until every change is on IPFS and the head announced.
		r, _ := s.Replica()
		deadline := time.Now().Add(2 * time.Minute)
		for {
			st := y.Status()
			if time.Now().After(deadline) {
				fmt.Printf("not done after 2 minutes: %+v\n", st)
				return 2
			}
			heads, _ := r.Heads(ctx)
			var mine uint64
			for _, h := range heads {
				if h.Device == r.Device() {
					mine = h.Seq
				}
			}
			if st.Waiting == 0 && st.IPFSUp && st.Announced == mine {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		y.Stop()
		fmt.Println("done")
		return 0
	}
	r, _ := s.Replica()
	for !r.Holds(roles.FrontDesk) { // the first run waits to be admitted
		time.Sleep(10 * time.Millisecond)
	}
	for i := 0; ; i++ {
		if _, err := s.RegisterPatient(ctx, Patient{Family: fmt.Sprintf("Killed%d-%d", c.Run, i), Given: "K", Birth: "1990-01-01"}); err != nil {
			fmt.Println("register:", err)
			return 2
		}
		fmt.Println("committed", i)
		time.Sleep(time.Duration(rand.IntN(3)) * time.Millisecond)
	}
}

// TestKilledWorkstationConverges kills a receptionist's workstation with
// SIGKILL in the middle of writing and syncing, again and again: in the end
// the physician holds exactly what the receptionist's workstation holds,
// nothing lost and nothing twice.
func TestKilledWorkstationConverges(t *testing.T) {
	ctx := context.Background()
	c := newNetClinic(t)
	tok, err := c.admin.IssueToken(ctx, roles.Receptionist, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(c.dir, "killed")
	s, err := Redeem(ctx, Env{}, Redemption{Dir: dir, Token: tok.String(), Name: "Kim Killed", Passphrase: []byte(testPass), Keystore: KeystoreFile})
	if err != nil {
		t.Fatal(err)
	}
	// She and the receptionist meet and confirm each other, so the front
	// desk's key passes between them (her workstation sends hers on its
	// first run).
	y, err := s.StartSync(ctx, c.config(), nil)
	if err != nil {
		t.Fatal(err)
	}
	c.confirm(t, c.recep, s)
	y.Stop()
	s.Close()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	child := func(run int, final bool) (*exec.Cmd, *bufio.Scanner) {
		spec, _ := json.Marshal(childSpec{Dir: dir, Run: run, Config: c.config(), Final: final})
		cmd := exec.Command(self, "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+string(spec))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, bufio.NewScanner(out)
	}
	rng := rand.New(rand.NewPCG(5, 5))
	committed := 0
	for run := 0; run < 5; run++ {
		cmd, lines := child(run, false)
		// Let it log in (the first run: be admitted and granted) and
		// start writing, write for a while, then kill it mid-flight. The
		// while starts at its first commit, not at its start: on a loaded
		// machine the login alone can outlast a fixed pause.
		wait := time.Duration(300+rng.IntN(700)) * time.Millisecond
		first, ended := make(chan struct{}), make(chan struct{})
		n := 0
		go func() {
			defer close(ended)
			for lines.Scan() {
				if strings.HasPrefix(lines.Text(), "committed") {
					if n == 0 {
						close(first)
					}
					n++
				} else {
					t.Log("child:", lines.Text())
				}
			}
		}()
		select {
		case <-first:
		case <-ended: // it stopped by itself: the check below says so
		case <-time.After(time.Minute):
		}
		time.Sleep(wait)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		<-ended
		committed += n
	}
	if committed == 0 {
		t.Fatal("the child never committed anything")
	}
	cmd, lines := child(99, true)
	for lines.Scan() {
		t.Log("child:", lines.Text())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("final run of the child: %v", err)
	}
	var holds int
	db, err := store.Open(ctx, filepath.Join(dir, storeFile))
	if err != nil {
		t.Fatal(err)
	}
	db.View(ctx, func(tx *store.Tx) error {
		holds, err = tx.CountEntities(ctx, records.KindPatient)
		return err
	})
	db.Close()
	if holds < committed {
		t.Fatalf("the killed workstation holds %d patients, but reported %d committed", holds, committed)
	}
	rp, _ := c.phys.Replica()
	defer func() {
		if t.Failed() {
			ps, _ := rp.Entities(ctx, records.KindPatient)
			counts := map[store.EnvelopeState]int{}
			var reasons []string
			rp.DB().View(ctx, func(tx *store.Tx) error {
				counts, _ = tx.CountEnvelopes(ctx)
				pend, _ := tx.EnvelopesInState(ctx, store.Pending, 5)
				for _, e := range pend {
					reasons = append(reasons, fmt.Sprintf("%s seq %d: %s", e.Device[:6], e.Seq, e.Reason))
				}
				return nil
			})
			t.Logf("physician holds %d patients; envelopes %v; pending: %v; problems %v", len(ps), counts, reasons, c.syncer[c.phys].Problems())
		}
	}()
	waitFor(t, fmt.Sprintf("the physician to hold all %d patients", holds), 60*time.Second, func() bool {
		ps, err := rp.Entities(ctx, records.KindPatient)
		return err == nil && len(ps) == holds
	})
	t.Logf("%d patients committed across 5 kills; converged", holds)
}
