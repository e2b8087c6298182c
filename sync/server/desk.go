package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/medihaven/medihaven/internal/atomicfile"
)

// The join desk is a small HTTP service the supervisor runs beside Prosody
// and Kubo, on the same address: it is where a registration token's short
// code resolves (crypto.ShortCode) and where a newcomer learns that its
// request was refused. It holds only what administrators' workstations
// deposit: each token sealed under its code's key (the desk cannot open
// it), filed under an id derived from that key, with the token's id, its
// expiry and its state. Writing needs the workstations' Kubo API secret
// (every admitted workstation has it, and a revoked member keeps it; what
// it writes is sealed anyway), so the desk does not trust it alone:
//
//   - A deposit names the SHA-256 of the token's desk key (joindesk.WriteKey,
//     an HMAC under the token's secret, which only the administrators, in
//     the admin scope, and the newcomer hold), and a state change for that
//     token must show the key. The desk keeps the deposits of one token by
//     that hash: deposits under another hash (a member who saw the token
//     id in a clear header and deposited junk under it first, with a key
//     of her own) neither block the administrator's deposit nor share its
//     state. A deposit an older workstation made names none: its state
//     changes need the secret only, as before.
//   - One address (one workstation; an IPv6 /64) keeps at most
//     deskMaxPerSource deposits at a time, so one member cannot fill the
//     desk; the desk as a whole keeps deskMaxEntries.
//
// Reading needs the code's id (128 bits derived from the code's key, not
// guessable) or the token id (which is in clear envelope headers already,
// and tells only whether the token waits, was used, revoked, refused or
// expired). A token's state is asked with the hash of its desk key, which
// the newcomer derives from the token it holds; the answer names the hash
// it is for, and the newcomer believes it only when that is its own. A
// question without a hash (an older newcomer's) is answered from deposits
// that name none only.
//
//	PUT /v1/code/ID    {"token": TOKENID, "expires": UNIX, "sealed": BASE64}   (bearer secret; Medihaven-Write-Hash: HEX)
//	GET /v1/code/ID    200 {"sealed": ...}; 410 {"state": "used"|"revoked"|"refused"|"expired"}; 404
//	PUT /v1/state/TOKENID {"state": "used"|"revoked"|"refused"}                 (bearer secret; Medihaven-Write-Key: HEX)
//	GET /v1/state/TOKENID (Medihaven-Write-Hash: HEX)
//	                   200 {"state": "active"|"used"|"revoked"|"refused"|"expired", "write_hash": HEX}; 404

// Desk limits.
const (
	deskMaxBody    = 8 << 10
	deskMaxSealed  = 4 << 10
	deskMaxEntries = 2000
	// deskMaxPerSource bounds the entries one address keeps: a clinic
	// issues a few tokens a week, each kept until a week after it expires.
	deskMaxPerSource = 100
	deskMaxTTL       = 31 * 24 * time.Hour
	deskKeepAfter    = 7 * 24 * time.Hour // how long an expired entry still answers "expired"
	deskFile         = "desk.json"
)

// The headers that carry a token's desk key (joindesk.WriteKey): its
// SHA-256 with a deposit and a question about its state, the key itself
// with a state change. Headers, not fields, so that a desk older than them
// takes the call as before.
const (
	HeaderWriteHash = "Medihaven-Write-Hash"
	HeaderWriteKey  = "Medihaven-Write-Key"
)

// Desk states of a deposited token.
const (
	DeskActive  = "active"
	DeskUsed    = "used"
	DeskRevoked = "revoked"
	DeskRefused = "refused"
	DeskExpired = "expired"
)

type deskEntry struct {
	Token   string `json:"token"`
	Expires int64  `json:"expires"`
	Sealed  []byte `json:"sealed,omitempty"`
	State   string `json:"state,omitempty"` // "" while active
	// WriteHash is the SHA-256 (hex) of the token's desk key; "" for a
	// deposit an older workstation made.
	WriteHash string `json:"write_hash,omitempty"`
	// From is the depositor's address (deskSource); "" for a deposit an
	// older desk took.
	From string `json:"from,omitempty"`
}

// desk serves the join desk of one server directory.
type desk struct {
	file   string
	secret atomic.Pointer[string] // bearer secret for writes; "" asks none (loopback demo); a new one after a revocation
	now    func() time.Time

	mu      sync.Mutex
	entries map[string]*deskEntry // by code id
}

func openDesk(dir, secret string, now func() time.Time) (*desk, error) {
	d := &desk{file: filepath.Join(dir, deskFile), now: now, entries: map[string]*deskEntry{}}
	d.secret.Store(&secret)
	b, err := os.ReadFile(d.file)
	if errors.Is(err, os.ErrNotExist) {
		return d, nil
	}
	if err == nil {
		err = json.Unmarshal(b, &d.entries)
	}
	if err != nil {
		return nil, fmt.Errorf("server: the join desk's file %s is damaged (%w): move it aside to start an empty desk", d.file, err)
	}
	return d, nil
}

// DeskHandler is the join desk of the server folder dir (writes need
// secret unless it is ""), for tests of its client, sync/joindesk; Run
// serves it.
func DeskHandler(dir, secret string, now func() time.Time) (http.Handler, error) {
	d, err := openDesk(dir, secret, now)
	if err != nil {
		return nil, err
	}
	return d.handler(), nil
}

func (d *desk) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /v1/code/{id}", d.putCode)
	mux.HandleFunc("GET /v1/code/{id}", d.getCode)
	mux.HandleFunc("PUT /v1/state/{token}", d.putState)
	mux.HandleFunc("GET /v1/state/{token}", d.getState)
	return mux
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func replyError(w http.ResponseWriter, status int, msg string) {
	reply(w, status, map[string]string{"error": msg})
}

// authorized checks the bearer secret in constant time.
func (d *desk) authorized(w http.ResponseWriter, r *http.Request) bool {
	secret := *d.secret.Load()
	if secret == "" {
		return true
	}
	got := r.Header.Get("Authorization")
	if subtle.ConstantTimeCompare([]byte(got), []byte("Bearer "+secret)) == 1 {
		return true
	}
	replyError(w, http.StatusForbidden, "the join desk takes deposits only from the clinic's workstations")
	return false
}

func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(io.LimitReader(r.Body, deskMaxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		replyError(w, http.StatusBadRequest, "not a valid request")
		return false
	}
	return true
}

// state is an entry's state now.
func (d *desk) state(e *deskEntry) string {
	switch {
	case e.State != "":
		return e.State
	case d.now().Unix() >= e.Expires:
		return DeskExpired
	}
	return DeskActive
}

func (d *desk) putCode(w http.ResponseWriter, r *http.Request) {
	if !d.authorized(w, r) {
		return
	}
	id := r.PathValue("id")
	var in struct {
		Token   string `json:"token"`
		Expires int64  `json:"expires"`
		Sealed  []byte `json:"sealed"`
	}
	if !isHex(id, 32) {
		replyError(w, http.StatusBadRequest, "not a valid deposit")
		return
	}
	if !readJSON(w, r, &in) {
		return
	}
	now := d.now()
	switch {
	case !isHex(in.Token, 16), len(in.Sealed) == 0, len(in.Sealed) > deskMaxSealed,
		in.Expires <= now.Unix(), in.Expires > now.Add(deskMaxTTL).Unix():
		replyError(w, http.StatusBadRequest, "not a valid deposit")
		return
	}
	hash := r.Header.Get(HeaderWriteHash)
	if hash != "" && !isHex(hash, 64) {
		replyError(w, http.StatusBadRequest, "not a valid deposit")
		return
	}
	from := deskSource(r)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.sweep()
	if _, ok := d.entries[id]; ok {
		replyError(w, http.StatusConflict, "a token is filed under this code already")
		return
	}
	// Another deposit of the token under another hash is kept beside it,
	// not refused: refusing would let whoever deposits a token id first
	// (any holder of the bearer secret) keep its administrator from
	// depositing it. The per-address and total bounds below still hold.
	held := map[string]int{} // entries by address
	for _, e := range d.entries {
		if e.From != "" {
			held[e.From]++
		}
	}
	mine := 0
	if from != "" {
		mine = held[from]
	}
	if mine >= deskMaxPerSource {
		replyError(w, http.StatusTooManyRequests, fmt.Sprintf("this workstation keeps %d tokens at the join desk already; "+
			"revoke unused ones, or wait until they expire", mine))
		return
	}
	if len(d.entries) >= deskMaxEntries && !d.evictFromTheMost(held, mine) {
		replyError(w, http.StatusInsufficientStorage, "the join desk is full; revoke unused tokens")
		return
	}
	d.entries[id] = &deskEntry{Token: in.Token, Expires: in.Expires, Sealed: in.Sealed, WriteHash: hash, From: from}
	if err := d.save(); err != nil {
		delete(d.entries, id)
		replyError(w, http.StatusInternalServerError, "the join desk cannot keep it")
		return
	}
	reply(w, http.StatusCreated, map[string]string{"state": DeskActive})
}

func (d *desk) getCode(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, ok := d.entries[r.PathValue("id")]
	if !ok {
		replyError(w, http.StatusNotFound, "no token is filed under this code")
		return
	}
	if st := d.state(e); st != DeskActive {
		reply(w, http.StatusGone, map[string]string{"state": st})
		return
	}
	reply(w, http.StatusOK, map[string][]byte{"sealed": e.Sealed})
}

func (d *desk) putState(w http.ResponseWriter, r *http.Request) {
	if !d.authorized(w, r) {
		return
	}
	var in struct {
		State string `json:"state"`
	}
	if !readJSON(w, r, &in) {
		return
	}
	if in.State != DeskUsed && in.State != DeskRevoked && in.State != DeskRefused {
		replyError(w, http.StatusBadRequest, "not a state a token can be put in")
		return
	}
	key := sha256.Sum256([]byte(r.Header.Get(HeaderWriteKey)))
	shown := hex.EncodeToString(key[:])
	d.mu.Lock()
	defer d.mu.Unlock()
	var mine []*deskEntry
	found := false
	for _, e := range d.entries {
		if e.Token != r.PathValue("token") {
			continue
		}
		found = true
		// A deposit an older workstation made names no key: the secret
		// alone changes its state, as it did.
		if e.WriteHash == "" || subtle.ConstantTimeCompare([]byte(e.WriteHash), []byte(shown)) == 1 {
			mine = append(mine, e)
		}
	}
	switch {
	case !found:
		replyError(w, http.StatusNotFound, "no token with this id was deposited")
		return
	case len(mine) == 0:
		replyError(w, http.StatusForbidden, "only the workstations of the administrators who hold this token may change its state")
		return
	}
	for _, e := range mine {
		e.State, e.Sealed = in.State, nil
	}
	if err := d.save(); err != nil {
		replyError(w, http.StatusInternalServerError, "the join desk cannot keep it")
		return
	}
	reply(w, http.StatusOK, map[string]string{"state": in.State})
}

func (d *desk) getState(w http.ResponseWriter, r *http.Request) {
	hash := r.Header.Get(HeaderWriteHash)
	if hash != "" && !isHex(hash, 64) {
		replyError(w, http.StatusBadRequest, "not a valid question")
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var group []*deskEntry
	for _, e := range d.entries {
		if e.Token == r.PathValue("token") && e.WriteHash == hash {
			group = append(group, e)
		}
	}
	if len(group) == 0 {
		replyError(w, http.StatusNotFound, "no token with this id was deposited")
		return
	}
	reply(w, http.StatusOK, map[string]string{"state": d.groupState(group), "write_hash": hash})
}

// groupState is the state of the deposits of one token under one hash: a
// state one of them was put in (putState puts them all in it), else
// active while one of them has not expired.
func (d *desk) groupState(group []*deskEntry) string {
	st := DeskExpired
	for _, e := range group {
		switch s := d.state(e); s {
		case DeskUsed, DeskRevoked, DeskRefused:
			return s
		case DeskActive:
			st = DeskActive
		}
	}
	return st
}

// evictFromTheMost makes room in a full desk for a deposit from an
// address holding mine entries: it forgets the entry that expires first
// of the address holding the most (held), when that is more than the
// depositor will hold; false when no address holds more. Twenty addresses
// at deskMaxPerSource fill the desk (a member takes LAN addresses at
// will); an administrator, who keeps a few tokens there, still gets hers
// in, at the cost of the junk. (h-gate22, TestAttackS22eDeskFilledFromTwentyAddresses.)
// Callers hold d.mu.
func (d *desk) evictFromTheMost(held map[string]int, mine int) bool {
	most, n := "", mine+1
	for a, c := range held {
		if c > n || c == n && most != "" && a < most {
			most, n = a, c
		}
	}
	if most == "" {
		return false
	}
	var first string
	for id, e := range d.entries {
		if e.From == most && (first == "" || e.Expires < d.entries[first].Expires ||
			e.Expires == d.entries[first].Expires && id < first) {
			first = id
		}
	}
	delete(d.entries, first)
	return true
}

// sweep forgets entries expired for longer than deskKeepAfter. Callers
// hold d.mu.
func (d *desk) sweep() {
	limit := d.now().Add(-deskKeepAfter).Unix()
	for id, e := range d.entries {
		if e.Expires < limit {
			delete(d.entries, id)
		}
	}
}

// save writes the entries atomically, readable by the server's user only.
// Callers hold d.mu.
func (d *desk) save() error {
	b, err := json.Marshal(d.entries)
	if err != nil {
		return err
	}
	return atomicfile.Write(d.file, b, 0o600)
}

// deskSource is who deposits, for deskMaxPerSource: the request's IP
// address, an IPv6 address's /64 (one host may hold a whole /64).
func deskSource(r *http.Request) string {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return ""
	}
	a := ap.Addr().Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// serveDesk runs the join desk on l until ctx ends, over TLS under tc
// (tls.go); in clear it answers only questions (GET), which carry no
// secret, and everything in the loopback demo, which asks none.
func serveDesk(ctx context.Context, d *desk, l net.Listener, tc *tls.Config) {
	l = tlsOrPlain(l, tc)
	plain := func(r *http.Request) bool { return r.Method == http.MethodGet || *d.secret.Load() == "" }
	srv := &http.Server{Handler: needTLS(d.handler(), plain, true), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 10 * time.Second, IdleTimeout: 30 * time.Second, MaxHeaderBytes: 8 << 10}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	_ = srv.Serve(l) // ends with ErrServerClosed at shutdown
}
