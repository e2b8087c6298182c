package netsync

import (
	"context"
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
