package netsync

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	gocid "github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/ipfs"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
	"github.com/medihaven/medihaven/sync/synctest"
)

// TestMovedWorkstationAnswersForItsOldChain: a workstation that moved
// from its random id X onto a bound id D answers wants for X as for D
// (resend.go answersFor), and only for them: a want for another chain is
// not queued, one for a seq past X's last pushed event puts nothing on
// IPFS, and each chain keeps its own wants and recent packs.
//
// No servers: the Syncer's IPFS node is a loopback stand-in that takes
// every pack.
func TestMovedWorkstationAnswersForItsOldChain(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	id, err := crypto.GenerateIdentity("Ada Admin")
	if err != nil {
		t.Fatal(err)
	}
	w := synctest.NewWorkstation(t)
	p := replica.Params{DB: w.DB, Device: w.Device, DeviceKey: w.DeviceKey, Identity: id, Clinic: id.Fingerprint()[:32]}
	r, err := replica.Open(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	founding(t, station{r}, id)
	for i := range 3 {
		f, _ := replica.F(map[string]any{"name": "Ada Admin " + strconv.Itoa(i)})
		if _, err := r.Append(ctx, replica.Change{Entity: id.Fingerprint(), Kind: replica.KindMember, Scope: roles.Directory, Fields: f}); err != nil {
			t.Fatal(err)
		}
	}
	old := r.Device()
	var tip store.Tip
	err = w.DB.Update(ctx, func(tx *store.Tx) error {
		var err error
		if tip, _, err = tx.ChainTip(ctx, old); err != nil {
			return err
		}
		if err := tx.SetMeta(ctx, MetaPackHead, []byte("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku")); err != nil {
			return err
		}
		if err := tx.SetMeta(ctx, MetaPackSeq, []byte(strconv.FormatUint(tip.Seq, 10))); err != nil {
			return err
		}
		return MoveChain(ctx, tx)
	})
	if err != nil || tip.Seq < 2 {
		t.Fatalf("the old chain's tip %d: %v", tip.Seq, err)
	}
	p.Device = crypto.NewDeviceID(id.Fingerprint())
	moved, err := replica.Open(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := moved.MoveFrom(ctx, old); err != nil {
		t.Fatal(err)
	}
	if moved.Account() != old {
		t.Fatalf("the moved workstation's account is %s, want its old id %s", moved.Account(), old)
	}
	var puts atomic.Int64
	kubo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		puts.Add(1)
		var data []byte
		if mr, err := r.MultipartReader(); err == nil {
			if part, err := mr.NextPart(); err == nil {
				data, _ = io.ReadAll(part)
			}
		}
		sum, _ := multihash.Sum(data, multihash.SHA2_256, -1)
		cid := gocid.NewCidV1(gocid.Raw, sum).String()                        // the raw block's, as Kubo names it
		json.NewEncoder(w).Encode(map[string]string{"Key": cid, "Hash": cid}) //nolint:errcheck
	}))
	defer kubo.Close()
	y := applySyncer(station{moved})
	y.ctx, y.ipf, y.resend = ctx, ipfs.New(kubo.URL), make(chan struct{}, 1)
	y.wg.Add(1)
	go y.resendLoop()
	defer func() { cancel(); y.wg.Wait() }()
	waitIdle := func() {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			y.mu.Lock()
			n := len(y.wants)
			y.mu.Unlock()
			if n == 0 {
				return
			}
		}
		t.Fatal("wants still waiting after 10 s")
	}

	y.wanted(replica.Want{Device: crypto.NewEventID(), Seq: 1}, "mallory@clinic") // another's chain
	y.mu.Lock()
	queued, answered := len(y.wants), len(y.answered)
	y.mu.Unlock()
	if queued != 0 || answered != 0 {
		t.Errorf("a want for another chain: %d queued, %d requesters noted", queued, answered)
	}
	y.wanted(replica.Want{Device: old, Seq: 1 << 62}, "mallory@clinic") // past what X pushed
	waitIdle()
	if n := puts.Load(); n != 0 {
		t.Errorf("a want past the old chain's last pushed event put %d packs on IPFS", n)
	}
	y.wanted(replica.Want{Device: old, Seq: 2}, "nina@clinic")
	waitIdle()
	rp, ok := y.recentRepack(old, 2)
	if !ok || rp.device != old || rp.from != 2 || rp.to != tip.Seq || puts.Load() != 1 {
		t.Fatalf("a want for the old chain's seq 2: pack %+v (%v), %d put, want %d..%d of %s (last error %q)", rp, ok, puts.Load(), 2, tip.Seq, old, y.Status().LastError)
	}
	if _, ok := y.recentRepack(moved.Device(), 2); ok {
		t.Errorf("the old chain's pack counts as one of the new chain's")
	}
}
