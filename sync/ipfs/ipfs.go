package ipfs

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	files "github.com/ipfs/boxo/files"
	gocid "github.com/ipfs/go-cid"
	shell "github.com/ipfs/go-ipfs-api"
	"github.com/multiformats/go-multihash"

	"github.com/medihaven/medihaven/internal/pinned"
)

var (
	// ErrBadCID means a string is not a content id (CID).
	ErrBadCID = errors.New("ipfs: not a valid content id (CID)")
	// ErrTooLarge means a block is larger than the caller allows.
	ErrTooLarge = errors.New("ipfs: block is larger than allowed")
	// ErrNotFound means neither the node nor any peer it is connected to
	// provided the block before the deadline; it may come later, when the
	// workstation that holds it is online.
	ErrNotFound = errors.New("ipfs: block not found on the clinic's IPFS node or its peers")
	// ErrUnavailable means the clinic's Kubo node did not answer.
	ErrUnavailable = errors.New("ipfs: the clinic's IPFS node (Kubo) is not reachable; check that it is running and its API address is right")
	// ErrForbidden means the node's API is protected (Kubo's
	// API.Authorizations) and refused this workstation's secret, or it
	// sent none.
	ErrForbidden = errors.New("ipfs: the clinic's IPFS node (Kubo) refused this workstation's API secret; ask your administrator")
	// ErrPlain means the clinic's server and this workstation do not
	// agree on TLS: its record store speaks only TLS and this workstation
	// knows no pin for it, or the other way round (a server older than
	// session 22). Nothing was sent in clear in the second case.
	ErrPlain = errors.New("ipfs: the clinic's record store and this workstation do not speak the same way (TLS or plain HTTP): " +
		"update Medihaven on both the server's computer and this workstation, and if it still fails " +
		"give it the server certificate's pin with `medihaven settings --xmpp-cert-pin PIN` (the pin `medihaven server run` prints, in xmpp-cert.sha256)")
)

// Option changes how New talks to the node.
type Option func(*options)

type options struct {
	bearer    string
	pin       string
	forbidden func()
}

// WithBearer sends `Authorization: Bearer secret` with every request, for
// a node whose API is protected by API.Authorizations with the
// AuthSecret "bearer:secret" (as `medihaven server init` configures it).
// Kubo's own API is plain HTTP: use WithPin too with the clinic's
// server (its API gate speaks TLS), or the secret crosses the network in
// clear.
func WithBearer(secret string) Option {
	return func(o *options) { o.bearer = secret }
}

// WithPin speaks to the node's API over TLS (https) and accepts only the
// certificate whose SHA-256 (DER, 64 hex digits) is pin: the clinic's
// server (sync/server) serves its API gate under its chat server's
// certificate, which the workstations pin (internal/pinned). On a
// loopback address whose node answers in plain HTTP (a test's node, a
// clinic server of this computer older than its TLS) it speaks plain:
// loopback traffic does not cross the LAN. "" keeps plain HTTP (a Kubo
// of one's own).
func WithPin(pin string) Option {
	return func(o *options) { o.pin = pin }
}

// WithOnForbidden calls fn (it must not block) whenever the node refuses
// the secret: the clinic's server makes a new one when a member is
// revoked, and the workstation then asks for it (SetBearer).
func WithOnForbidden(fn func()) Option {
	return func(o *options) { o.forbidden = fn }
}

// auth adds the bearer secret to every request and turns the node's 403
// into ErrForbidden, before go-ipfs-api reads the answer.
type auth struct {
	next      http.RoundTripper
	https     bool // WithPin: every request goes over TLS
	tls       *tls.Config
	mode      *atomic.Int32           // with https: modeUnknown, modeTLS, modePlain (pinned.LoopbackPlain)
	header    *atomic.Pointer[string] // "Bearer SECRET", "" for none
	forbidden func()
}

func (a auth) RoundTrip(req *http.Request) (*http.Response, error) {
	if h := *a.header.Load(); h != "" || a.https {
		req = req.Clone(req.Context())
		if h != "" {
			req.Header.Set("Authorization", h)
		}
		if a.https && a.overTLS(req) {
			req.URL.Scheme = "https"
		}
	}
	resp, err := a.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusUpgradeRequired {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		resp.Body.Close()
		return nil, ErrPlain
	}
	if resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusUnauthorized {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		resp.Body.Close()
		if a.forbidden != nil {
			a.forbidden()
		}
		return nil, fmt.Errorf("%w (%s)", ErrForbidden, resp.Status)
	}
	return resp, nil
}

const (
	modeUnknown = iota
	modeTLS
	modePlain
)

// overTLS reports whether req goes over TLS: always, but to a loopback
// address whose server answers in plain HTTP (pinned.LoopbackPlain: a
// server of the same computer older than its TLS, a test's node), which
// is found once.
func (a auth) overTLS(req *http.Request) bool {
	switch a.mode.Load() {
	case modeTLS:
		return true
	case modePlain:
		return false
	}
	if ip := net.ParseIP(req.URL.Hostname()); ip == nil || !ip.IsLoopback() {
		a.mode.Store(modeTLS)
		return true
	}
	if pinned.LoopbackPlain(req.Context(), req.URL.Host, a.tls) {
		a.mode.Store(modePlain)
		return false
	}
	return true // TLS, or nothing answers yet: asked again next time
}

// Client stores and fetches blocks on one Kubo node through its RPC API.
// It is safe for concurrent use.
type Client struct {
	sh     *shell.Shell
	header *atomic.Pointer[string]
}

// SetBearer makes every later request carry secret instead (WithBearer):
// the clinic's server made a new one.
func (c *Client) SetBearer(secret string) {
	h := bearerHeader(secret)
	c.header.Store(&h)
}

func bearerHeader(secret string) string {
	if secret == "" {
		return ""
	}
	return "Bearer " + secret
}

// New returns a client for the Kubo RPC API at api, a multiaddr such as
// /ip4/127.0.0.1/tcp/5001 or host:port. Connections are kept alive and
// reused; every call's time limit comes from its context. New does not
// contact the node: use Ping. A node whose API asks for a secret needs
// WithBearer; without the right one every call fails with ErrForbidden.
func New(api string, opts ...Option) *Client {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	header := new(atomic.Pointer[string])
	h := bearerHeader(o.bearer)
	header.Store(&h)
	transport := &http.Transport{
		// The RPC API is the node's admin interface: never through a proxy.
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 32,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
	}
	if o.pin != "" {
		// A pin that is not one refuses every server (pinned.Config).
		transport.TLSClientConfig, _ = pinned.Config(o.pin, "")
	}
	a := auth{next: transport, header: header, https: o.pin != "", tls: transport.TLSClientConfig, mode: new(atomic.Int32),
		forbidden: o.forbidden}
	return &Client{sh: shell.NewShellWithClient(api, &http.Client{Transport: a}),
		header: header}
}

// rawBlockMax is the chunk size of Kubo's add (size-262144): data up to it
// is a single raw block, which Put stores with block/put.
const rawBlockMax = 256 << 10

// minKubo is the oldest Kubo whose block/put takes --cid-codec and --pin
// as Put uses them (--cid-codec came in go-ipfs 0.13, kubo#8568).
const minKubo = "v0.13.0"

// Put stores data on the node, pinned so that garbage collection keeps it,
// and returns its CID. Blocks are CIDv1 with raw leaves and SHA2-256, as
// `ipfs add --cid-version 1 --raw-leaves` makes them: data up to the chunk
// size (256 KiB) is a single raw block whose CID is the hash of exactly
// these bytes, stored with block/put (a third less of Kubo's CPU than add,
// no UnixFS importer); larger data becomes a UnixFS DAG whose root is
// pinned recursively.
func (c *Client) Put(ctx context.Context, data []byte) (string, error) {
	dir := files.NewSliceDirectory([]files.DirEntry{files.FileEntry("", files.NewBytesFile(data))})
	// Kubo from 0.23 on expects percent-encoded paths (rawAbsPath false).
	body := files.NewMultiFileReader(dir, true, false)
	var out struct{ Hash, Key string }
	var err error
	if len(data) <= rawBlockMax {
		err = c.sh.Request("block/put").
			Option("pin", true).
			Option("cid-codec", "raw").
			Option("mhtype", "sha2-256").
			Body(body).
			Exec(ctx, &out)
		out.Hash = out.Key
	} else {
		err = c.sh.Request("add").
			Option("pin", true).
			Option("cid-version", 1).
			Option("raw-leaves", true).
			Option("hash", "sha2-256").
			Body(body).
			Exec(ctx, &out)
	}
	if err != nil {
		return "", fail(ctx, "put", err)
	}
	if err := CheckCID(out.Hash); err != nil {
		return "", fmt.Errorf("ipfs: put: node answered with %w", err)
	}
	if len(data) <= rawBlockMax {
		// The CID of a raw block is known here: a node that ignored an
		// option (an older Kubo, a proxy) must not have it announced. The
		// block stays pinned there: a workstation's secret does not reach
		// pin/rm (sync/server), and nothing is lost, for it is sealed
		// bytes under a CID nobody is told; the operator may unpin it.
		if err := checkRawCID(out.Hash, data); err != nil {
			return "", err
		}
	}
	return out.Hash, nil
}

// checkRawCID reports an error unless id is the CIDv1 of data as one raw
// block hashed with SHA2-256.
func checkRawCID(id string, data []byte) error {
	sum, err := multihash.Sum(data, multihash.SHA2_256, -1)
	if err != nil {
		return fmt.Errorf("ipfs: put: hash the block: %w", err)
	}
	got, err := gocid.Decode(id)
	if err != nil || !got.Equals(gocid.NewCidV1(gocid.Raw, sum)) {
		return fmt.Errorf("ipfs: put: the node stored the block as %s, not as the raw SHA2-256 block asked for: "+
			"use Kubo %s or later (make kubo builds it)", id, minKubo)
	}
	return nil
}

// Get fetches the block (or file DAG) with the given CID, from the node or
// through it from a connected peer, waiting at most until ctx ends. It
// refuses data larger than max bytes with ErrTooLarge, and an invalid CID
// with ErrBadCID before any network traffic. When ctx's deadline passes
// while the block is being looked for, the error is ErrNotFound.
func (c *Client) Get(ctx context.Context, cid string, max int64) ([]byte, error) {
	return c.get(ctx, cid, max, false)
}

// GetLocal is Get from the node's own store only: a block the node does
// not hold fails at once with ErrNotFound, without asking any peer. It
// costs one round trip to the node whatever CID it is given.
func (c *Client) GetLocal(ctx context.Context, cid string, max int64) ([]byte, error) {
	return c.get(ctx, cid, max, true)
}

func (c *Client) get(ctx context.Context, cid string, max int64, offline bool) ([]byte, error) {
	id, err := decodeCID(cid)
	if err != nil {
		return nil, err
	}
	if max < 0 {
		max = 0
	}
	limit := max
	if limit < math.MaxInt64 {
		limit++ // one byte more tells "exactly max" from "too large"
	}
	// A raw block is its data: block/get reads it without UnixFS (what
	// Put stores, and what add stored of up to 256 KiB). Anything else is
	// a file DAG, read whole with cat.
	req := c.sh.Request("cat", cid).Option("length", limit)
	if id.Type() == gocid.Raw {
		req = c.sh.Request("block/get", cid)
	}
	if offline {
		req = req.Option("offline", true)
	}
	resp, err := req.Send(ctx)
	if err == nil && resp.Error != nil {
		err = resp.Error
	}
	if err != nil {
		return nil, failGet(ctx, cid, err)
	}
	// Closing without draining: a too-large answer is not read to its end.
	defer resp.Output.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Output, limit))
	if err != nil {
		return nil, failGet(ctx, cid, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%w: %s is more than %d bytes", ErrTooLarge, cid, max)
	}
	return data, nil
}

// Ping checks that the node's API answers; the error wraps ErrUnavailable
// and the cause.
func (c *Client) Ping(ctx context.Context) error {
	var out struct{ Version string }
	if err := c.sh.Request("version").Exec(ctx, &out); err != nil {
		if errors.Is(err, ErrForbidden) {
			return fmt.Errorf("ipfs: ping: %w", ErrForbidden)
		}
		if errors.Is(err, ErrPlain) || isPlainAnswer(err) {
			return fmt.Errorf("ipfs: ping: %w", ErrPlain)
		}
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return nil
}

// maxCIDLen bounds the CID strings worth decoding; real ones are under 100
// characters.
const maxCIDLen = 256

// CheckCID reports whether s is a valid CID string (v0 or v1, any
// multibase), wrapping ErrBadCID if not. Use it on CIDs that arrive from
// outside (sync announcements) before storing or fetching them.
func CheckCID(s string) error {
	_, err := decodeCID(s)
	return err
}

// decodeCID is CheckCID that keeps the decoded CID.
func decodeCID(s string) (gocid.Cid, error) {
	if s == "" || len(s) > maxCIDLen {
		return gocid.Undef, fmt.Errorf("%w: %d characters", ErrBadCID, len(s))
	}
	id, err := gocid.Decode(s)
	if err != nil {
		return gocid.Undef, fmt.Errorf("%w: %q: %w", ErrBadCID, s, err)
	}
	return id, nil
}

// fail maps an error from the node to this package's errors.
func fail(ctx context.Context, op string, err error) error {
	var refused *shell.Error
	switch {
	case errors.As(err, &refused) && kuboSays(err, "not found"):
		return fmt.Errorf("ipfs: %s: %w: %w", op, ErrNotFound, err)
	case errors.As(err, &refused):
		return fmt.Errorf("ipfs: %s: the node refused: %w", op, err)
	case errors.Is(err, ErrForbidden):
		return fmt.Errorf("ipfs: %s: %w", op, ErrForbidden)
	case errors.Is(err, ErrPlain) || isPlainAnswer(err):
		return fmt.Errorf("ipfs: %s: %w", op, ErrPlain)
	case ctx.Err() != nil:
		return fmt.Errorf("ipfs: %s: stopped waiting for the node: %w", op, ctx.Err())
	default:
		return fmt.Errorf("ipfs: %s: %w: %w", op, ErrUnavailable, err)
	}
}

// failGet is fail for Get, where a deadline that passes means nobody
// provided the block in time: the node keeps looking as long as asked.
func failGet(ctx context.Context, cid string, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("ipfs: get %s: %w (gave up: %w)", cid, ErrNotFound, ctx.Err())
	}
	return fail(ctx, "get "+cid, err)
}

// isPlainAnswer reports whether err is a TLS client's on a server that
// answered in plain HTTP (a clinic's server older than its TLS).
func isPlainAnswer(err error) bool {
	var rh tls.RecordHeaderError
	return errors.As(err, &rh) || err != nil && strings.Contains(err.Error(), "server gave HTTP response to HTTPS client")
}

// kuboSays reports whether the node's error message contains s. Kubo's RPC
// errors carry no stable codes, only messages.
func kuboSays(err error, s string) bool {
	var refused *shell.Error
	return errors.As(err, &refused) && strings.Contains(refused.Message, s)
}
