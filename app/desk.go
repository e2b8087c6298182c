package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
)

// The clinic server's join desk (sync/server desk.go): administrators
// deposit each token there sealed under its short code's key; a newcomer
// types the short code, and its workstation fetches and opens the token.
// The desk also keeps each deposited token's state, so a newcomer whose
// request was refused learns it before any directory entry exists.

// deskTimeout bounds each call to the join desk.
const deskTimeout = 10 * time.Second

// Desk states (sync/server).
const (
	deskActive  = "active"
	deskUsed    = "used"
	deskRevoked = "revoked"
	deskRefused = "refused"
	deskExpired = "expired"
)

// deskCall makes one call to the join desk at addr; secret, when not
// empty, is sent as the bearer secret. It returns the status and the
// decoded answer.
func deskCall(ctx context.Context, addr, secret, method, path string, in any) (int, map[string]json.RawMessage, error) {
	ctx, cancel := context.WithTimeout(ctx, deskTimeout)
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
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return 0, nil, err
	}
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	// The desk is on the clinic's network: never through a proxy.
	client := &http.Client{Transport: &http.Transport{Proxy: nil}}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%w: the clinic's server at %s does not answer; check that this computer is on "+
			"the clinic's network and that the server is running, then try again: %w", ErrServersUnreachable, addr, err)
	}
	defer resp.Body.Close()
	var out map[string]json.RawMessage
	if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<10)).Decode(&out); err != nil {
		return resp.StatusCode, nil, fmt.Errorf("%w: the clinic's server at %s gave an answer that is not the join desk's", ErrServersRefused, addr)
	}
	return resp.StatusCode, out, nil
}

func field(m map[string]json.RawMessage, name string) string {
	var s string
	_ = json.Unmarshal(m[name], &s)
	return s
}

// Deposit leaves token t at the clinic's join desk, sealed under a fresh
// short code, and returns the code (crypto.ShortCode: MH2-XXXX-...) to
// read to the newcomer; the whole token stays valid too.
func (s *Session) Deposit(ctx context.Context, t crypto.Token) (string, error) {
	if _, err := s.can(roles.IssueToken); err != nil {
		return "", err
	}
	v := s.Profile().Servers
	if v.Desk == "" {
		return "", fmt.Errorf("%w: the clinic's servers have no join desk; give the newcomer the whole token", ErrInvalidInput)
	}
	code, err := crypto.NewShortCode(v.Desk)
	if err != nil {
		return "", err
	}
	sealed, err := code.Seal(t)
	if err != nil {
		return "", err
	}
	status, out, err := deskCall(ctx, v.Desk, v.IPFSSecret, http.MethodPut, "/v1/code/"+code.ID(),
		map[string]any{"token": t.ID, "expires": t.Expires.Unix(), "sealed": sealed})
	if err != nil {
		return "", err
	}
	if status != http.StatusCreated {
		return "", fmt.Errorf("%w: the join desk did not take the token (%d: %s); give the newcomer the whole token",
			ErrServersRefused, status, field(out, "error"))
	}
	return code.String(), nil
}

// resolveShortCode fetches and opens the token a short code stands for.
func resolveShortCode(ctx context.Context, text string) (crypto.Token, error) {
	code, err := crypto.ParseShortCode(text)
	if err != nil {
		return crypto.Token{}, fmt.Errorf("%w: %w: ask your administrator to read it again", ErrTokenMalformed, err)
	}
	status, out, err := deskCall(ctx, code.Desk, "", http.MethodGet, "/v1/code/"+code.ID(), nil)
	if err != nil {
		return crypto.Token{}, err
	}
	switch status {
	case http.StatusOK:
	case http.StatusNotFound:
		return crypto.Token{}, fmt.Errorf("%w: no token waits under this code at the clinic's server: check each "+
			"character with your administrator (a typo here goes unnoticed), or ask for a new one", ErrTokenUnknown)
	case http.StatusGone:
		return crypto.Token{}, stateError(field(out, "state"))
	default:
		return crypto.Token{}, fmt.Errorf("%w: the join desk answered %d", ErrServersRefused, status)
	}
	var sealed []byte
	if err := json.Unmarshal(out["sealed"], &sealed); err != nil {
		return crypto.Token{}, fmt.Errorf("%w: the join desk's answer cannot be read", ErrServersRefused)
	}
	t, err := code.Open(sealed)
	if err != nil {
		return crypto.Token{}, fmt.Errorf("%w: %w: check the code with your administrator", ErrTokenMalformed, err)
	}
	return t, nil
}

// stateError says why a token the desk holds can no longer be used.
func stateError(state string) error {
	switch state {
	case deskUsed:
		return fmt.Errorf("%w: ask your administrator for a new one", ErrTokenUsed)
	case deskExpired:
		return fmt.Errorf("%w: ask your administrator for a new one", ErrTokenExpired)
	case deskRefused:
		return fmt.Errorf("%w: an administrator refused the request made with it; speak to them", ErrTokenRevoked)
	}
	return fmt.Errorf("%w: ask your administrator for a new one", ErrTokenRevoked)
}

// tellDesk records a token's new state at the join desk, when the
// profile names one. The clinic's log is what counts: the desk only tells
// newcomers early, so a desk that does not answer is not an error.
func (s *Session) tellDesk(ctx context.Context, tokenID, state string) {
	v := s.Profile().Servers
	if v.Desk == "" {
		return
	}
	_, _, _ = deskCall(ctx, v.Desk, v.IPFSSecret, http.MethodPut, "/v1/state/"+tokenID, map[string]string{"state": state})
}

// deskVerdict asks the join desk about this newcomer's token: refused,
// revoked or expired make JoinRefused with the reason; anything else (the
// desk knows nothing, or does not answer) leaves it waiting.
func (s *Session) deskVerdict(ctx context.Context, tokenID string) (JoinState, string) {
	v := s.Profile().Servers
	if v.Desk == "" {
		return JoinWaiting, ""
	}
	status, out, err := deskCall(ctx, v.Desk, "", http.MethodGet, "/v1/state/"+tokenID, nil)
	if err != nil || status != http.StatusOK {
		return JoinWaiting, ""
	}
	switch state := field(out, "state"); state {
	case deskRefused, deskRevoked, deskExpired:
		return JoinRefused, capitalized(stateError(state))
	}
	return JoinWaiting, ""
}

// capitalized is an error's message as a sentence for a person: without
// the "app: " prefix, capital first.
func capitalized(err error) string {
	msg := err.Error()
	for _, p := range []string{"app: "} {
		if len(msg) > len(p) && msg[:len(p)] == p {
			msg = msg[len(p):]
		}
	}
	if msg != "" && msg[0] >= 'a' && msg[0] <= 'z' {
		msg = string(msg[0]-'a'+'A') + msg[1:]
	}
	return msg + "."
}
