package server_test

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gocid "github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"

	"github.com/medihaven/medihaven/sync/server"
)

// The hostile review of session 21 (h-sec21b): the Kubo API port as an
// outsider on the clinic's network (no secret) and as a member, or a
// revoked member before the rotation, holding the workstations' secret.

// apiBase is https://HOST:PORT of a multiaddr /ip4/HOST/tcp/PORT, the API
// gate of a server the tests started (http:// for another API).
func apiBase(t testing.TB, api string) string {
	t.Helper()
	base, _ := gateBase(t, api)
	return base
}

// rawCall posts body (a one-file multipart form when not nil) to
// base+path with the query q and the bearer secret (none when "").
func rawCall(t testing.TB, method, base, path string, q url.Values, secret string, body []byte) (int, []byte) {
	t.Helper()
	return rawCallChunked(t, method, base, path, q, secret, body, false)
}

func rawCallChunked(t testing.TB, method, base, path string, q url.Values, secret string, body []byte, chunked bool) (int, []byte) {
	t.Helper()
	var rd io.Reader
	ctype := ""
	if body != nil {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, err := mw.CreateFormFile("file", "file")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fw.Write(body)
		_ = mw.Close()
		rd, ctype = &buf, mw.FormDataContentType()
		if chunked {
			rd = io.MultiReader(rd) // no length: sent in chunks
		}
	}
	u := base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(testContext(t), method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	var tc *tls.Config
	if strings.HasPrefix(base, "https://") {
		_, tc = gateBase(t, "/ip4/"+strings.Replace(strings.TrimPrefix(base, "https://"), ":", "/tcp/", 1))
	}
	client := http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{TLSClientConfig: tc},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil && chunked {
		return 0, []byte(err.Error()) // the gate cut the body and dropped the connection
	}
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, out
}

// TestAttackS21bOutsiderReadsKuboDebug: Kubo's API port also serves, to
// anyone who reaches it and without any secret (API.Authorizations guards
// /api/v0 only), its debug pages: Prometheus metrics counting every
// request with its body size and duration (an outsider on the clinic's
// network polls the clinic's writes and their sizes), expvar, pprof (CPU
// profiles and traces on demand, costing the node's CPU), every
// goroutine's stack, and setters of the block and mutex profiling rates
// (which slow the node down), besides its WebUI redirect and version.
// The workstations use none of them.
func TestAttackS21bOutsiderReadsKuboDebug(t *testing.T) {
	res, _ := startServer(t, nil)
	ctx := testContext(t)
	secret, _ := server.APISecret(res.Dir)
	base := apiBase(t, res.Config.APIAddr())
	// A workstation at work, as the outsider would watch it.
	if _, err := gateIPFS(t, res.Config.APIAddr(), secret).Put(ctx, []byte("sealed pack")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ method, path, q string }{
		{"GET", "/debug/metrics/prometheus", ""},
		{"GET", "/debug/vars", ""},
		{"GET", "/debug/pprof/", ""},
		{"GET", "/debug/pprof/goroutine", "debug=2"},
		{"GET", "/debug/stack", ""},
		{"POST", "/debug/pprof-block/", "rate=1"},
		{"POST", "/debug/pprof-mutex/", "fraction=1"},
		{"GET", "/webui", ""},
		{"GET", "/version", ""},
		{"GET", "/ipfs/bafkqaaa", ""},
	} {
		q, _ := url.ParseQuery(c.q)
		status, body := rawCall(t, c.method, base, c.path, q, "", nil)
		if status < 400 {
			t.Errorf("an outsider's %s %s?%s: %d %.120q, want refused", c.method, c.path, c.q, status, body)
		}
	}
}

// rawBlockCID is the CIDv1 of data as one raw SHA2-256 block.
func rawBlockCID(t testing.TB, data []byte) string {
	t.Helper()
	sum, err := multihash.Sum(data, multihash.SHA2_256, -1)
	if err != nil {
		t.Fatal(err)
	}
	return gocid.NewCidV1(gocid.Raw, sum).String()
}

// TestAttackS21bBlockPutReadWholeBeforeItsBound: Kubo's block/put reads
// the whole body into memory and stores and pins it before it checks the
// block's size (measured: a 300 MB body took Kubo from 69 MB to 687 MB
// resident, was answered "produced block is over 2MiB" and stayed
// pinned), so one member's request of a few GB has the node killed for
// memory, and again at each restart. A workstation's blocks are at most
// 256 KiB.
func TestAttackS21bBlockPutReadWholeBeforeItsBound(t *testing.T) {
	res, _ := startServer(t, nil)
	secret, _ := server.APISecret(res.Dir)
	own, _ := server.ServerAPISecret(res.Dir)
	base := apiBase(t, res.Config.APIAddr())
	for _, chunked := range []bool{false, true} {
		data := make([]byte, 4<<20)
		_, _ = rand.Read(data)
		cid := rawBlockCID(t, data)
		q := url.Values{"cid-codec": {"raw"}, "mhtype": {"sha2-256"}, "pin": {"true"}}
		status, body := rawCallChunked(t, "POST", base, "/api/v0/block/put", q, secret, data, chunked)
		if status == http.StatusOK {
			t.Errorf("a 4 MiB block/put (chunked %v): %d %.200s", chunked, status, body)
		}
		if status, _ := kuboCall(t, res.Config.APIAddr(), own, "pin/ls", cid); status == http.StatusOK {
			t.Errorf("the refused 4 MiB block %s (chunked %v) is stored and pinned", cid, chunked)
		}
	}
}

// TestAttackS21bOptionsBeyondAWorkstations: the allowed commands take
// options no workstation sends: add's to-files writes the node's own
// file tree (MFS, kept from garbage collection, a place nothing of the
// clinic reads), a 1-byte chunker turns each byte into a block (an
// amplification of the store's object count), block/put's
// allow-big-block lifts the block size bound, and cat resolves /ipns/
// names (DNSLink: the server then asks DNS for any name she gives).
func TestAttackS21bOptionsBeyondAWorkstations(t *testing.T) {
	res, _ := startServer(t, nil)
	secret, _ := server.APISecret(res.Dir)
	own, _ := server.ServerAPISecret(res.Dir)
	api := res.Config.APIAddr()
	base := apiBase(t, api)
	small := []byte("junk of a hostile member")

	status, body := rawCall(t, "POST", base, "/api/v0/add", url.Values{"to-files": {"/s21b"}}, secret, small)
	if status == http.StatusOK {
		t.Errorf("add with to-files: %d %.200s", status, body)
	}
	if status, body := kuboCall(t, api, own, "files/stat", "/s21b"); status == http.StatusOK {
		t.Errorf("the member's file is in the node's MFS: %.200s", body)
	}
	for _, c := range []struct {
		path string
		q    url.Values
		body []byte
	}{
		{"/api/v0/add", url.Values{"chunker": {"size-1"}}, small},
		{"/api/v0/add", url.Values{"nocopy": {"true"}}, small},
		{"/api/v0/add", url.Values{"inline": {"true"}}, small},
		{"/api/v0/block/put", url.Values{"allow-big-block": {"true"}, "cid-codec": {"raw"}}, small},
		{"/api/v0/block/put", url.Values{"cid-codec": {"dag-cbor"}}, []byte{0xa0}},
		{"/api/v0/cat", url.Values{"arg": {"/ipns/example.test"}}, nil},
		{"/api/v0/cat", url.Values{"arg": {"/ipfs/bafkqaaa/../x"}}, nil},
		{"/api/v0/block/get", url.Values{"arg": {"/ipns/example.test"}}, nil},
		{"/api/v0/add/extra", nil, small},
		{"/api/v0/catx", nil, nil},
	} {
		if status, body := rawCall(t, "POST", base, c.path, c.q, secret, c.body); status != http.StatusBadRequest && status != http.StatusForbidden {
			t.Errorf("%s?%s with the workstations' secret: %d %.200s, want 400 or 403", c.path, c.q.Encode(), status, body)
		}
	}
	// What a workstation sends still works (TestKuboWorkstationSecretReachesOnlyWhatWorkstationsUse
	// covers the client).
	if status, body := rawCall(t, "POST", base, "/api/v0/block/put",
		url.Values{"cid-codec": {"raw"}, "mhtype": {"sha2-256"}, "pin": {"true"}, "encoding": {"json"}, "stream-channels": {"true"}},
		secret, small); status != http.StatusOK {
		t.Errorf("an honest block/put: %d %.200s", status, body)
	}
}

// TestGateCost measures what the gate adds to a workstation's puts and
// fetches (MEDIHAVEN_MEASURE=1): the same calls through the clinic's
// address and on Kubo's own.
func TestGateCost(t *testing.T) {
	if os.Getenv("MEDIHAVEN_MEASURE") == "" {
		t.Skip("a measurement: MEDIHAVEN_MEASURE=1")
	}
	res, _ := startServer(t, nil)
	ctx := testContext(t)
	secret, _ := server.APISecret(res.Dir)
	own := strings.TrimSpace(readFile(t, filepath.Join(res.Dir, server.DirKubo, "api")))
	const n = 300
	data := make([][]byte, 2*n)
	for round := range 2 {
		for i := range data {
			data[i] = make([]byte, 8<<10)
			_, _ = rand.Read(data[i])
		}
		for i, api := range []string{res.Config.APIAddr(), own} {
			c := gateIPFS(t, api, secret)
			start := time.Now()
			var cids []string
			for _, d := range data[i*n : (i+1)*n] {
				cid, err := c.Put(ctx, d)
				if err != nil {
					t.Fatal(err)
				}
				cids = append(cids, cid)
			}
			put := time.Since(start)
			start = time.Now()
			for _, cid := range cids {
				if _, err := c.GetLocal(ctx, cid, 1<<20); err != nil {
					t.Fatal(err)
				}
			}
			get := time.Since(start)
			t.Logf("round %d %s: %d puts of 8 KiB %v (%v each), %d gets %v (%v each)", round, []string{"gate", "kubo"}[i],
				n, put, put/n, n, get, get/n)
		}
	}
}
