package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/joindesk"
)

// The clinic server's join desk (its client is sync/joindesk):
// administrators deposit each token there sealed under its short code's
// key; a newcomer types the short code, and its workstation fetches and
// opens the token. The desk also keeps each deposited token's state, so a
// newcomer whose request was refused learns it before any directory entry
// exists.

// deskErrors are the app's errors for the join desk's, and what a person
// can do about each.
var deskErrors = []struct {
	desk, app error
	advice    string
}{
	{joindesk.ErrUnreachable, ErrServersUnreachable, ""}, // it says what to do before the network's error
	{joindesk.ErrAnswer, ErrServersRefused, ""},
	{joindesk.ErrNotTaken, ErrServersRefused, "give the newcomer the whole token"},
	{joindesk.ErrNoCode, ErrTokenUnknown, "check each character with your administrator (a typo here goes unnoticed), or ask for a new one"},
	{joindesk.ErrBadCode, ErrTokenMalformed, "ask your administrator to read it again"},
	{joindesk.ErrUsed, ErrTokenUsed, "ask your administrator for a new one"},
	{joindesk.ErrExpired, ErrTokenExpired, "ask your administrator for a new one"},
	{joindesk.ErrRefused, ErrTokenRevoked, "speak to your administrator"},
	{joindesk.ErrRevoked, ErrTokenRevoked, "ask your administrator for a new one"},
}

// deskError is err of the join desk as the app's error, saying what to do.
func deskError(err error) error {
	for _, e := range deskErrors {
		switch {
		case errors.Is(err, e.desk) && e.advice == "":
			return fmt.Errorf("%w: %w", e.app, err)
		case errors.Is(err, e.desk):
			return fmt.Errorf("%w: %w; %s", e.app, err, e.advice)
		}
	}
	return err
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
	code, err := joindesk.Deposit(ctx, v.Desk, v.XMPPCertPin, v.IPFSSecret, t)
	if err != nil {
		return "", deskError(err)
	}
	return code, nil
}

// tellDesk records token t's new state at the join desk, when the
// profile names one, with the token's desk key (derived from its secret,
// which every administrator holds in the token's record, so any of them
// may tell, after any restart). The clinic's log is what counts: the desk
// only tells newcomers early, so a desk that does not answer is not an
// error.
func (s *Session) tellDesk(ctx context.Context, t TokenInfo, state string) {
	if v := s.Profile().Servers; v.Desk != "" {
		_ = joindesk.Tell(ctx, v.Desk, v.XMPPCertPin, v.IPFSSecret, t.ID, joindesk.WriteKey(t.secret, t.ID), state)
	}
}

// deskVerdict asks the join desk about this newcomer's token (tokenID,
// with writeHash the hash of its desk key, joindesk.WriteHash): refused,
// revoked or expired make JoinRefused with the reason; anything else (the
// desk knows nothing of the token under that hash, does not answer, or
// answers for another hash) leaves it waiting. A request kept before the
// hash was (writeHash "") does not ask: whoever holds the desk's bearer
// secret can deposit the token's id and mark it refused, and without the
// hash the answer cannot be told from hers, so it waits for the directory.
func (s *Session) deskVerdict(ctx context.Context, tokenID, writeHash string) (JoinState, string) {
	v := s.Profile().Servers
	if v.Desk == "" || writeHash == "" {
		return JoinWaiting, ""
	}
	switch state, err := joindesk.StateOf(ctx, v.Desk, v.XMPPCertPin, tokenID, writeHash); {
	case err == nil && (state == joindesk.Refused || state == joindesk.Revoked || state == joindesk.Expired):
		return JoinRefused, Capitalise(strings.TrimPrefix(deskError(joindesk.Gone(state)).Error(), "app: ")) + "."
	}
	return JoinWaiting, ""
}
