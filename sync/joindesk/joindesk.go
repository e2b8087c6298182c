package joindesk

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/internal/pinned"
)

// Timeout bounds each call to the join desk.
const Timeout = 10 * time.Second

// States of a deposited token, as the desk keeps them.
const (
	Active  = "active"
	Used    = "used"
	Revoked = "revoked"
	Refused = "refused"
	Expired = "expired"
)

// Errors of the join desk.
var (
	ErrUnreachable = errors.New("the clinic's join desk does not answer")
	ErrAnswer      = errors.New("the clinic's server gave an answer that is not the join desk's")
	ErrNotTaken    = errors.New("the join desk did not take the token")
	ErrNoCode      = errors.New("no token waits under this code at the clinic's server")
	ErrBadCode     = errors.New("the short code is mistyped")
	// A token the desk holds that can no longer be used (Gone).
	ErrUsed    = errors.New("the token was used already")
	ErrExpired = errors.New("the token has expired")
	ErrRefused = errors.New("an administrator refused the request made with the token")
	ErrRevoked = errors.New("the token was revoked")
)

// Gone is the error of a token in state, which can no longer be used.
func Gone(state string) error {
	switch state {
	case Used:
		return ErrUsed
	case Expired:
		return ErrExpired
	case Refused:
		return ErrRefused
	}
	return ErrRevoked
}

// Deposit leaves token t at the join desk at addr (with the bearer
// secret), sealed under a fresh short code, and returns the code. pin,
// the SHA-256 (hex) of the clinic's server certificate (its chat
// server's, which the desk serves TLS under since session 22), makes the
// call over TLS to that certificate only; "" speaks plain HTTP (a test's
// desk): the secret then crosses the network in clear, and the clinic's
// server refuses it.
func Deposit(ctx context.Context, addr, pin, secret string, t crypto.Token) (string, error) {
	code, err := crypto.NewShortCode(addr)
	if err != nil {
		return "", err
	}
	sealed, err := code.Seal(t)
	if err != nil {
		return "", err
	}
	status, out, err := call(ctx, addr, pin, secret, http.MethodPut, "/v1/code/"+code.ID(),
		map[string]any{"token": t.ID, "expires": t.Expires.Unix(), "sealed": sealed},
		http.Header{headerWriteHash: {WriteHash(t.Secret[:], t.ID)}})
	if err != nil {
		return "", err
	}
	if status != http.StatusCreated {
		return "", fmt.Errorf("%w (%d: %s)", ErrNotTaken, status, field(out, "error"))
	}
	return code.String(), nil
}

// Resolve fetches and opens the token the short code text stands for, at
// the desk the code names.
func Resolve(ctx context.Context, text string) (crypto.Token, error) {
	code, err := crypto.ParseShortCode(text)
	if err != nil {
		return crypto.Token{}, fmt.Errorf("%w: %w", ErrBadCode, err)
	}
	// In plain HTTP: the code names no pin, and what the desk answers is
	// sealed under the code's key (whoever reads or changes it on the way
	// can neither open it nor make one that opens); the desk answers this
	// question in clear (it carries no secret).
	status, out, err := call(ctx, code.Desk, "", "", http.MethodGet, "/v1/code/"+code.ID(), nil, nil)
	if err != nil {
		return crypto.Token{}, err
	}
	switch status {
	case http.StatusOK:
	case http.StatusNotFound:
		return crypto.Token{}, ErrNoCode
	case http.StatusGone:
		return crypto.Token{}, Gone(field(out, "state"))
	default:
		return crypto.Token{}, fmt.Errorf("%w: it answered %d", ErrAnswer, status)
	}
	var sealed []byte
	if err := json.Unmarshal(out["sealed"], &sealed); err != nil {
		return crypto.Token{}, fmt.Errorf("%w: its token cannot be read", ErrAnswer)
	}
	t, err := code.Open(sealed)
	if err != nil {
		return crypto.Token{}, fmt.Errorf("%w: %w", ErrBadCode, err)
	}
	return t, nil
}

// Tell records state (Used, Revoked or Refused) as token tokenID's at
// the desk at addr (pin as with Deposit); writeKey is the token's desk key
// (WriteKey), which the desk asks of every state change of a token
// deposited with it.
func Tell(ctx context.Context, addr, pin, secret, tokenID, writeKey, state string) error {
	status, out, err := call(ctx, addr, pin, secret, http.MethodPut, "/v1/state/"+tokenID, map[string]string{"state": state},
		http.Header{headerWriteKey: {writeKey}})
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("%w: it answered %d: %s", ErrAnswer, status, field(out, "error"))
	}
	return err
}

// WriteKey is the desk key of the token with id tokenID and one-time
// secret tokenSecret: an HMAC-SHA256 under the secret, 64 hex digits.
// Deposit leaves its SHA-256 with the token, and Tell shows it, so that
// only who holds the token (its administrators, in the admin scope, and
// its newcomer) can change the token's state at the desk, not every
// holder of the Kubo API secret. It is derived, so it needs no keeping:
// every administrator's workstation has it after any restart.
func WriteKey(tokenSecret []byte, tokenID string) string {
	m := hmac.New(sha256.New, tokenSecret)
	m.Write([]byte("medihaven join desk write key\x00" + tokenID))
	return hex.EncodeToString(m.Sum(nil))
}

// WriteHash is the SHA-256 (64 hex digits) of the token's desk key
// (WriteKey): what Deposit leaves with the token, and what StateOf asks
// and checks the desk's answer with. It lets nobody change the token's
// state, so a newcomer may keep it.
func WriteHash(tokenSecret []byte, tokenID string) string {
	h := sha256.Sum256([]byte(WriteKey(tokenSecret, tokenID)))
	return hex.EncodeToString(h[:])
}

// The join desk's headers for a token's desk key (sync/server's
// HeaderWriteHash and HeaderWriteKey; this package imports only crypto).
const (
	headerWriteHash = "Medihaven-Write-Hash"
	headerWriteKey  = "Medihaven-Write-Key"
)

// StateOf asks the desk at addr for the state of token tokenID as its
// administrators left it: writeHash is the hash of the token's desk key
// (WriteHash), which only who holds the token can derive. The desk keeps
// apart what anyone else deposited under the token's id (any holder of
// the bearer secret can, and mark it refused), and StateOf believes only
// an answer that names writeHash: ErrNoCode when the desk holds no such
// token under it, ErrAnswer when the answer is for another hash or none
// (a desk older than the hash answers from any deposit of the token).
//
// pin is as with Deposit: over TLS, nobody on the way can change the
// answer (tell a newcomer it was refused when it was not).
func StateOf(ctx context.Context, addr, pin, tokenID, writeHash string) (string, error) {
	status, out, err := call(ctx, addr, pin, "", http.MethodGet, "/v1/state/"+tokenID, nil, http.Header{headerWriteHash: {writeHash}})
	switch {
	case err != nil:
		return "", err
	case status == http.StatusNotFound:
		return "", ErrNoCode
	case status != http.StatusOK:
		return "", fmt.Errorf("%w: it answered %d", ErrAnswer, status)
	case writeHash == "" || field(out, "write_hash") != writeHash:
		return "", fmt.Errorf("%w: its answer is not for this token's key", ErrAnswer)
	}
	return field(out, "state"), nil
}

// call makes one call to the join desk at addr, over TLS to the
// certificate pinned by pin unless it is ""; secret, when not empty, is
// sent as the bearer secret, and header's fields too. It returns the
// status and the decoded answer.
func call(ctx context.Context, addr, pin, secret, method, path string, in any, header http.Header) (int, map[string]json.RawMessage, error) {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, nil, err
		}
		body = bytes.NewReader(b)
	}
	u := url.URL{Scheme: "http", Host: addr, Path: path}
	// The desk is on the clinic's network: never through a proxy.
	transport := &http.Transport{Proxy: nil}
	if pin != "" {
		// A pin that is not one refuses every server (pinned.Config).
		transport.TLSClientConfig, _ = pinned.Config(pin, "")
		// Plain HTTP only to a loopback desk that speaks nothing else.
		if !pinned.LoopbackPlain(ctx, addr, transport.TLSClientConfig) {
			u.Scheme = "https"
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return 0, nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	client := &http.Client{Transport: transport}
	resp, err := client.Do(req)
	if err != nil && u.Scheme == "https" && plainAnswer(err) {
		return 0, nil, fmt.Errorf("%w at %s: it answers in plain HTTP, and this workstation speaks to it only over TLS: "+
			"update Medihaven on the server's computer (then restart `medihaven server run`)", ErrUnreachable, addr)
	}
	if err != nil {
		return 0, nil, fmt.Errorf("%w at %s; check that this computer is on the clinic's network and that the "+
			"server is running, then try again: %w", ErrUnreachable, addr, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusUpgradeRequired {
		return resp.StatusCode, nil, fmt.Errorf("%w at %s: it takes this only over TLS, and this workstation knows no pin "+
			"for the clinic's server: update Medihaven here, and if it still fails "+
			"give it the server certificate's pin with `medihaven settings --xmpp-cert-pin PIN` (the pin `medihaven server run` prints, in xmpp-cert.sha256)", ErrAnswer, addr)
	}
	var out map[string]json.RawMessage
	if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<10)).Decode(&out); err != nil {
		return resp.StatusCode, nil, fmt.Errorf("%w at %s", ErrAnswer, addr)
	}
	return resp.StatusCode, out, nil
}

// plainAnswer reports whether err is a TLS client's on a server that
// answered in plain HTTP (a clinic's server older than its TLS).
func plainAnswer(err error) bool {
	var rh tls.RecordHeaderError
	return errors.As(err, &rh) || strings.Contains(err.Error(), "server gave HTTP response to HTTPS client")
}

func field(m map[string]json.RawMessage, name string) string {
	var s string
	_ = json.Unmarshal(m[name], &s)
	return s
}
