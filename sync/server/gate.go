package server

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	gocid "github.com/ipfs/go-cid"
)

// The API gate (session 21, h-sec21b). Kubo's API port serves, besides
// /api/v0, its debug pages (Prometheus metrics of every request, pprof,
// expvar, goroutine stacks, profiling-rate setters), the WebUI and a
// version page to anyone, with no secret: API.Authorizations guards
// /api/v0 only, and no setting turns the rest off. Its allowed commands
// take options no workstation sends (add's to-files writes the node's
// file tree, a 1-byte chunker, block/put's allow-big-block, /ipns/ paths
// resolved through DNS), and block/put reads the whole body into memory,
// and stores it, before it checks the size. So the supervisor listens on
// the clinic's API address itself and Kubo's API listens on a loopback
// port of its own (chosen at each start, written in the repository's
// api file, where the ipfs command finds it): the gate forwards
//
//   - with the server's own secret (FileAPIServerSecret), or any request
//     when the API asks no secret (the loopback demo), every /api/v0
//     command as it is;
//   - otherwise only what a workstation sends (sync/ipfs): POST to
//     exactly block/put, add, block/get, cat or version, with the options
//     it uses and their values, arguments that are CIDs, and a body of at
//     most gateMaxBlockPut (block/put) or gateMaxAdd (add) bytes;
//
// and refuses everything else itself (outside /api/v0 404, another
// command 403 as Kubo would, an option 400, a body 413), before Kubo
// reads a byte. Kubo still checks the secret behind it. An operator's
// own API.Authorizations entry reaches Kubo's own address (the api file,
// which the ipfs command reads), no longer the clinic's.
const (
	// gateMaxBlockPut bounds a block/put's body: a workstation puts
	// blocks of at most 256 KiB (sync/ipfs rawBlockMax) that way; Kubo's
	// own bound is 1 MiB, checked only after it read the whole body.
	gateMaxBlockPut = 1 << 20
	// gateMaxAdd bounds an add's body: a pack is at most 16 MiB
	// (replica.MaxPackBytes) and a patient's copy a record and a summary.
	gateMaxAdd = 64 << 20
)

// gateCommand is what a workstation sends to one command: the options and
// the values each may take (nil: any), whether it takes CID arguments,
// and its body's bound (0: no body).
type gateCommand struct {
	options map[string][]string
	args    bool
	maxBody int64
}

var (
	gateTrue = []string{"true"}
	// gateCommon are go-ipfs-api's options on every request.
	gateCommon = map[string][]string{"encoding": {"json"}, "stream-channels": {"true", "false"}}
)

var gateCommands = map[string]gateCommand{
	"/api/v0/block/put": {maxBody: gateMaxBlockPut, options: map[string][]string{
		"pin": {"true", "false"}, "cid-codec": {"raw"}, "mhtype": {"sha2-256"}}},
	"/api/v0/add": {maxBody: gateMaxAdd, options: map[string][]string{
		"pin": {"true", "false"}, "cid-version": {"1"}, "raw-leaves": gateTrue, "hash": {"sha2-256"},
		"wrap-with-directory": {"true", "false"}}},
	"/api/v0/block/get": {args: true, options: map[string][]string{"offline": {"true", "false"}}},
	"/api/v0/cat":       {args: true, options: map[string][]string{"offline": {"true", "false"}, "length": nil, "offset": nil}},
	"/api/v0/version":   {options: map[string][]string{}},
}

// gateMaxBodies bounds the requests with a body (block/put, add) the
// gate forwards at once; more wait. Kubo holds a block/put's body in
// memory (about twice over, measured), so this bounds what the
// workstations' secret can make it hold to some 16 MiB of bodies.
const gateMaxBodies = 16

// gateMaxWaits bounds the fetches from the network (cat or block/get
// without offline) one address (deskSource: an IPv6 /64) has the gate
// forward at once: each may wait in Kubo, a goroutine and a bitswap want,
// as long as its client keeps the connection, and a member may name CIDs
// nobody holds. An honest workstation has at most netsync's slowWorkers
// (2) of them at once, besides an export's or a patient copy's few; the
// rest are answered 429 at once (the workstation tries again later), and
// fetches from the node's own store (offline) are not counted.
const gateMaxWaits = 16

// gate is the clinic's Kubo API address, in front of Kubo.
type gate struct {
	mu    sync.Mutex
	waits map[string]int // fetches from the network forwarded now, by address (gateMaxWaits)

	own      string                  // the server's own secret; "" when the API asks none
	open     bool                    // no secret at all (loopback demo): /api/v0 passes as it is
	secret   *atomic.Pointer[string] // the workstations' secret now (Supervisor.secret)
	upstream atomic.Pointer[string]  // Kubo's own API, host:port on loopback
	bodies   chan struct{}           // gateMaxBodies
	proxy    *httputil.ReverseProxy
}

func newGate(own string, open bool, secret *atomic.Pointer[string]) *gate {
	g := &gate{own: own, open: open, secret: secret, bodies: make(chan struct{}, gateMaxBodies), waits: map[string]int{}}
	g.proxy = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(&url.URL{Scheme: "http", Host: *g.upstream.Load()})
			r.Out.Host = r.In.Host
		},
		FlushInterval: -1, // cat streams; a fetch may wait for a peer
		// Kubo down (restarting after a rotation): the connection is
		// dropped, as Kubo's own refusal would be, so a workstation sees
		// the node unreachable and tries again.
		ErrorHandler: func(http.ResponseWriter, *http.Request, error) { panic(http.ErrAbortHandler) },
	}
	empty := ""
	g.upstream.Store(&empty)
	return g
}

func gateRefuse(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	fmt.Fprintln(w, "medihaven server: "+msg)
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.EscapedPath()
	whole := len(p) > len("/api/v0/") && p[:len("/api/v0/")] == "/api/v0/"
	if whole && (g.open || g.own != "" &&
		subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte("Bearer "+g.own)) == 1) {
		g.proxy.ServeHTTP(w, r)
		return
	}
	cmd, ok := gateCommands[p]
	switch {
	case !whole:
		gateRefuse(w, http.StatusNotFound, "the record store answers only what a workstation asks")
		return
	case !ok || r.Method != http.MethodPost:
		// As Kubo refuses a command its secret does not reach.
		gateRefuse(w, http.StatusForbidden, "the record store answers only what a workstation asks")
		return
	}
	// The workstations' secret is checked here too, as Kubo checks it
	// (it refuses version as well without it): a revoked member's old
	// secret or none waits for no slot below and reaches nothing.
	if !g.open && !g.workstation(r) {
		gateRefuse(w, http.StatusForbidden, "the record store refuses this secret")
		return
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		gateRefuse(w, http.StatusBadRequest, "not a workstation's request")
		return
	}
	for name, values := range q {
		if name == "arg" {
			if !cmd.args || len(values) != 1 {
				gateRefuse(w, http.StatusBadRequest, "not a workstation's request: arguments")
				return
			}
			if _, err := gocid.Decode(values[0]); err != nil || len(values[0]) > 256 {
				gateRefuse(w, http.StatusBadRequest, "not a workstation's request: the argument is not a CID")
				return
			}
			continue
		}
		allowed, ok := cmd.options[name]
		if !ok {
			allowed, ok = gateCommon[name]
		}
		if !ok || len(values) != 1 || !gateValue(allowed, values[0]) {
			gateRefuse(w, http.StatusBadRequest, fmt.Sprintf("not a workstation's request: option %q", name))
			return
		}
	}
	if cmd.args && len(q["arg"]) != 1 {
		gateRefuse(w, http.StatusBadRequest, "not a workstation's request: a CID is needed")
		return
	}
	if cmd.args && q.Get("offline") != "true" {
		from := deskSource(r)
		if !g.wait(from) {
			gateRefuse(w, http.StatusTooManyRequests, fmt.Sprintf("more than %d fetches from the network at once from this address", gateMaxWaits))
			return
		}
		defer g.waited(from)
	}
	if cmd.maxBody == 0 {
		r.Body = http.NoBody
		r.ContentLength = 0
	} else {
		if r.ContentLength > cmd.maxBody {
			gateRefuse(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("more than %d bytes", cmd.maxBody))
			return
		}
		// A body longer than it said, or sent in chunks past the bound,
		// is cut: Kubo then fails on an unfinished form and keeps no
		// block of it pinned.
		r.Body = http.MaxBytesReader(w, r.Body, cmd.maxBody)
		select {
		case g.bodies <- struct{}{}:
			defer func() { <-g.bodies }()
		case <-r.Context().Done():
			return
		}
	}
	g.proxy.ServeHTTP(w, r)
}

// wait counts a fetch from the network from address from, false when
// that address has gateMaxWaits already.
func (g *gate) wait(from string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.waits[from] >= gateMaxWaits {
		return false
	}
	g.waits[from]++
	return true
}

func (g *gate) waited(from string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.waits[from]--; g.waits[from] <= 0 {
		delete(g.waits, from)
	}
}

// workstation reports whether r carries the workstations' current
// secret (never an empty one: "Bearer " alone reaches nothing).
func (g *gate) workstation(r *http.Request) bool {
	s := g.secret.Load()
	return s != nil && *s != "" &&
		subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte("Bearer "+*s)) == 1
}

func gateValue(allowed []string, v string) bool {
	if allowed == nil { // a number
		n, err := strconv.ParseInt(v, 10, 64)
		return err == nil && n >= 0
	}
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return false
}

// serveGate runs g on l until ctx ends, over TLS under tc (tls.go):
// every /api/v0 request carries a secret, so none is served in clear;
// but for the loopback demo's, which asks none (`make run`'s profiles
// pin the chat server's certificate file, not its hash, and so speak
// plain HTTP).
func serveGate(ctx context.Context, g *gate, l net.Listener, tc *tls.Config) {
	l = tlsOrPlain(l, tc)
	plain := func(*http.Request) bool { return g.open }
	srv := &http.Server{Handler: needTLS(g, plain, false), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 16 << 10}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	_ = srv.Serve(l)
}
