package server

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestAttackS22eFetchesOfNothingTieUpKubo: a member (any holder of the
// workstations' secret) asks the record store for CIDs nobody holds, as
// many at once as she likes: each cat or block/get without offline waits
// in Kubo (a goroutine and a bitswap want) as long as she keeps the
// connection, and the gate forwarded them all. An honest workstation has
// at most a few such fetches at once (netsync: slowWorkers); one address
// must be bounded, while another address's fetch, and her own fetches
// from the node's store (offline), still pass.
func TestAttackS22eFetchesOfNothingTieUpKubo(t *testing.T) {
	var waiting atomic.Int32
	release := make(chan struct{})
	kubo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("offline") != "true" {
			waiting.Add(1)
			select { // a CID nobody holds: Kubo looks until the client leaves
			case <-release:
			case <-r.Context().Done():
			}
			waiting.Add(-1)
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer kubo.Close()
	defer close(release)
	var secret atomic.Pointer[string]
	now := "current"
	secret.Store(&now)
	g := newGate("servers-own", false, &secret)
	up := strings.TrimPrefix(kubo.URL, "http://")
	g.upstream.Store(&up)

	const cid = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"
	fetch := func(from, cmd, query string) int {
		r := httptest.NewRequest(http.MethodPost, "/api/v0/"+cmd+"?arg="+cid+query, nil)
		r.RemoteAddr = from
		r.Header.Set("Authorization", "Bearer current")
		w := httptest.NewRecorder()
		g.ServeHTTP(w, r)
		return w.Code
	}
	const asked = 200
	var wg sync.WaitGroup
	refused := atomic.Int32{}
	for i := range asked {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := []string{"cat", "block/get"}[i%2]
			if fetch("10.0.0.7:40000", cmd, "") == http.StatusTooManyRequests {
				refused.Add(1)
			}
		}()
	}
	waitUntil := func(cond func() bool) {
		deadline := time.Now().Add(10 * time.Second)
		for !cond() && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond)
	}
	waitUntil(func() bool { return int(waiting.Load()+refused.Load()) >= asked })
	held := waiting.Load()
	if held > 32 {
		t.Errorf("one address has Kubo wait on %d fetches at once (of %d asked), want a bound", held, asked)
	}
	// Her own fetches from the node's store still pass, and so does
	// another workstation's fetch from the network.
	if st := fetch("10.0.0.7:40001", "cat", "&offline=true"); st != http.StatusOK {
		t.Errorf("her fetch from the node's store: %d, want 200", st)
	}
	go fetch("10.0.0.8:40000", "block/get", "")
	waitUntil(func() bool { return waiting.Load() > held })
	if waiting.Load() != held+1 {
		t.Errorf("another address's fetch does not reach Kubo (%d waiting, %d before)", waiting.Load(), held)
	}
}

// TestAttackS22eDeskFilledFromTwentyAddresses: any holder of the
// workstations' secret may deposit at the join desk, deskMaxPerSource
// entries per address; from deskMaxEntries/deskMaxPerSource (20) addresses
// of the clinic's LAN (a member takes them at will) she fills the whole
// desk with junk kept up to 38 days, and no administrator can deposit a
// token's short code any more. An administrator, who keeps a few tokens
// there, must still get hers in.
func TestAttackS22eDeskFilledFromTwentyAddresses(t *testing.T) {
	now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	d, err := openDesk(t.TempDir(), "s3cret", func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	// As her deposits from 20 addresses leave the desk (the handler
	// writes the file each time; the entries are what counts).
	for a := range deskMaxEntries / deskMaxPerSource {
		for i := range deskMaxPerSource {
			id := fmt.Sprintf("%032x", a*deskMaxPerSource+i)
			d.entries[id] = &deskEntry{Token: fmt.Sprintf("%016x", a*deskMaxPerSource+i), Expires: now.Add(deskMaxTTL).Unix(),
				Sealed: []byte("junk"), WriteHash: writeHash("hers"), From: fmt.Sprintf("10.0.1.%d", a+1)}
		}
	}
	const admin = "10.0.0.2:40000"
	for i := range 3 {
		deposit := fmt.Sprintf(`{"token":"%016x","expires":%d,"sealed":"c2VhbGVk"}`, 0xad00+i, now.Add(7*24*time.Hour).Unix())
		status, out := deskCall(t, d, admin, "PUT", "/v1/code/"+fmt.Sprintf("%032x", 0xad00+i), deposit, HeaderWriteHash, writeHash("k"))
		if status != http.StatusCreated {
			t.Errorf("the administrator's deposit %d at a desk she filled: %d %v", i, status, out)
		}
	}
	if len(d.entries) > deskMaxEntries {
		t.Errorf("the desk keeps %d entries, more than %d", len(d.entries), deskMaxEntries)
	}
}
