package netsync

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/replica"
)

// TestIPFSUpWithNothingToPush: a workstation whose changes all went out
// before it last stopped, and which has nothing new to fetch, still learns
// that the clinic's IPFS node answers (it waited for it forever in
// TestKilledWorkstationConverges when the kill came right after a push).
func TestIPFSUpWithNothingToPush(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Kubo and Prosody")
	}
	ctx := context.Background()
	cfg := realServers(t)
	founder, err := crypto.GenerateIdentity("Ada Admin")
	if err != nil {
		t.Fatal(err)
	}
	s := openStation(t, replica.Params{Identity: founder, Clinic: founder.Fingerprint()[:32]})
	y, err := Start(ctx, cfg, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(y.Stop)
	deadline := time.Now().Add(30 * time.Second)
	for {
		st := y.Status()
		if st.IPFSUp && st.Waiting == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the IPFS node answers, but the status says %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestAccessEndedSaidPlainly: a workstation whose account the clinic's
// server does not have (an administrator ended a revoked member's
// accounts) says AccessEnded, not the chat server's refusal, and is not
// connected; its next try waits endedRetry, not the backoff.
func TestAccessEndedSaidPlainly(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Kubo and Prosody")
	}
	cfg := realServers(t)
	cfg.Register = false // as on an invite-only server: no account is made here
	founder, err := crypto.GenerateIdentity("Ada Admin")
	if err != nil {
		t.Fatal(err)
	}
	s := openStation(t, replica.Params{Identity: founder, Clinic: founder.Fingerprint()[:32]})
	y, err := Start(context.Background(), cfg, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(y.Stop)
	deadline := time.Now().Add(30 * time.Second)
	for st := y.Status(); st.LastError != AccessEnded; st = y.Status() {
		if time.Now().After(deadline) {
			t.Fatalf("a workstation without an account: status %+v", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if st := y.Status(); st.Connected {
		t.Errorf("connected without an account: %+v", st)
	}
	if endedRetry < time.Minute {
		t.Errorf("endedRetry %v: a workstation whose access ended knocks too often", endedRetry)
	}
}

// TestTroubleGoesWhenItsSourceWorks: the status bar's last error goes once
// what caused it works again (a workstation back online said "the clinic's
// IPFS node is not reachable" under "Connected" for the rest of the day),
// and only then: another part working clears nothing, and an error of no
// source stays until another replaces it.
func TestTroubleGoesWhenItsSourceWorks(t *testing.T) {
	for _, tt := range []struct {
		name       string
		from, then errFrom
		cleared    bool
	}{
		{"record store back", errIPFS, errIPFS, true},
		{"chat server back", errConnect, errConnect, true},
		{"upkeep works", errUpkeep, errUpkeep, true},
		{"record store down, chat server connects", errIPFS, errConnect, false},
		{"chat server down, a push works", errConnect, errIPFS, false},
		{"a refused head", errOther, errOther, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			y := &Syncer{}
			y.fail(tt.from, errors.New("trouble"), nil)
			y.works(tt.then, nil)
			if got := y.Status().LastError; (got == "") != tt.cleared {
				t.Errorf("last error %q, cleared %v", got, tt.cleared)
			}
		})
	}
}
