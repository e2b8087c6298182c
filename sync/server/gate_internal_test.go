package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestGateChecksTheSecretAndBoundsBodies: the gate refuses a request
// without the workstations' current secret itself (a revoked member's old
// one, an outsider's none) before Kubo sees it, and forwards at most
// gateMaxBodies bodies at once; the others wait, none is refused.
func TestGateChecksTheSecretAndBoundsBodies(t *testing.T) {
	var inFlight, most, seen atomic.Int32
	release := make(chan struct{})
	kubo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Add(1)
		n := inFlight.Add(1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		_, _ = io.Copy(io.Discard, r.Body)
		<-release
		inFlight.Add(-1)
		_, _ = io.WriteString(w, `{"Key":"x"}`)
	}))
	defer kubo.Close()
	var secret atomic.Pointer[string]
	now := "current"
	secret.Store(&now)
	g := newGate("servers-own", false, &secret)
	up := strings.TrimPrefix(kubo.URL, "http://")
	g.upstream.Store(&up)
	front := httptest.NewServer(g)
	defer front.Close()

	call := func(bearer string) int {
		req, _ := http.NewRequest(http.MethodPost, front.URL+"/api/v0/block/put?cid-codec=raw&pin=true", strings.NewReader("sealed"))
		req.Header.Set("Authorization", "Bearer "+bearer)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, bad := range []string{"revoked-old", ""} {
		if st := call(bad); st != http.StatusForbidden {
			t.Errorf("bearer %q: %d, want 403", bad, st)
		}
	}
	if seen.Load() != 0 {
		t.Fatalf("Kubo saw %d refused requests", seen.Load())
	}

	var wg sync.WaitGroup
	const n = gateMaxBodies + 8
	codes := make(chan int, n)
	for range n {
		wg.Add(1)
		go func() { defer wg.Done(); codes <- call("current") }()
	}
	deadline := time.Now().Add(10 * time.Second)
	for seen.Load() < gateMaxBodies && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	if got := seen.Load(); got != gateMaxBodies {
		t.Errorf("Kubo holds %d bodies at once, want %d", got, gateMaxBodies)
	}
	close(release)
	wg.Wait()
	close(codes)
	for st := range codes {
		if st != http.StatusOK {
			t.Errorf("a waiting body: %d, want 200", st)
		}
	}
	if most.Load() > gateMaxBodies {
		t.Errorf("at most %d at once, want %d", most.Load(), gateMaxBodies)
	}
}

// TestGateRefusesWithoutAWorkstationSecret: before the workstations'
// secret is known (none stored) or when it is empty, "Bearer " alone or
// nothing reaches no command, and the gate does not panic.
func TestGateRefusesWithoutAWorkstationSecret(t *testing.T) {
	empty := ""
	for _, tc := range []struct {
		name   string
		secret *string
	}{{"none stored", nil}, {"empty", &empty}} {
		t.Run(tc.name, func(t *testing.T) {
			var secret atomic.Pointer[string]
			if tc.secret != nil {
				secret.Store(tc.secret)
			}
			g := newGate("servers-own", false, &secret)
			for _, auth := range []string{"", "Bearer ", "Bearer"} {
				r := httptest.NewRequest(http.MethodPost, "/api/v0/version", nil)
				if auth != "" {
					r.Header.Set("Authorization", auth)
				}
				w := httptest.NewRecorder()
				g.ServeHTTP(w, r)
				if w.Code != http.StatusForbidden {
					t.Errorf("Authorization %q: %d, want 403", auth, w.Code)
				}
			}
		})
	}
}
