package app

import (
	"context"
	"errors"
	"fmt"
	"log"
	"sort"
	"time"

	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/joindesk"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/xmpp"
)

// Token statuses as the administrator's list shows them.
const (
	TokenActive  = "active"
	TokenUsed    = "used"
	TokenExpired = "expired"
	TokenRevoked = "revoked"
)

// Default and longest lifetime of a registration token.
const (
	DefaultTokenTTL = 72 * time.Hour
	MaxTokenTTL     = 30 * 24 * time.Hour
)

// TokenInfo is one registration token in the administrator's list. Its
// secret never leaves the admin scope except inside the token string.
type TokenInfo struct {
	ID       string
	Role     roles.Role
	Status   string
	IssuedBy string // fingerprint
	Issued   time.Time
	Expires  time.Time
	UsedBy   string // fingerprint of the member who joined with it
	UsedAt   time.Time
	// IssuerRevoked: the administrator who issued the token was revoked,
	// so the token counts as revoked (Status) unless it was used before.
	IssuerRevoked bool
	secret        []byte
}

// IssueToken creates a single-use registration token for role, valid for
// ttl (DefaultTokenTTL when zero).
func (s *Session) IssueToken(ctx context.Context, role roles.Role, ttl time.Duration) (crypto.Token, error) {
	r, err := s.can(roles.IssueToken)
	if err != nil {
		return crypto.Token{}, err
	}
	if !role.Valid() {
		return crypto.Token{}, fmt.Errorf("%w: %w", ErrInvalidInput, roles.ErrUnknownRole)
	}
	if ttl == 0 {
		ttl = DefaultTokenTTL
	}
	if ttl < time.Minute || ttl > MaxTokenTTL {
		return crypto.Token{}, fmt.Errorf("%w: a token must be valid for between a minute and 30 days", ErrInvalidInput)
	}
	now := s.env.Now().UTC()
	t := crypto.Token{
		ID: newID(8), Clinic: s.prof.ClinicID, Role: string(role), Issuer: r.Fingerprint(),
		Expires: now.Add(ttl).Truncate(time.Second), IPFS: s.prof.Servers.IPFS, IPFSSecret: s.prof.Servers.IPFSSecret,
		XMPP: s.prof.Servers.XMPP, Domain: s.prof.Servers.Domain, Desk: s.prof.Servers.Desk,
		XMPPCertPin: s.prof.Servers.certPin(), OpenRegistration: s.prof.Servers.OpenRegistration,
	}
	if _, err := randRead(t.Secret[:]); err != nil {
		return crypto.Token{}, err
	}
	// The newcomer's XMPP account invite, from the clinic's server, before
	// anything is written: no server, no token.
	if t.Invite, err = s.accountInvite(ctx); errors.Is(err, xmpp.ErrNoInviteRight) {
		return crypto.Token{}, fmt.Errorf("%w: the chat server does not let this workstation invite newcomers yet. "+
			"Another administrator's workstation gives it that right once it is online and has seen that you are an "+
			"administrator; try again in a few minutes: %w", ErrServersRefused, err)
	} else if err != nil {
		return crypto.Token{}, err
	}
	// The server's Kubo secret now: asking for the invite took it (a new
	// one since a revocation this workstation's sync has not met yet).
	t.IPFSSecret = s.Profile().Servers.IPFSSecret
	fields, err := records.Token{Role: role, Status: TokenActive, IssuedBy: r.Fingerprint(), Issued: now,
		Expires: t.Expires, Secret: t.Secret[:]}.Fields()
	if err != nil {
		return crypto.Token{}, err
	}
	if t.Invite != "" {
		// A real clinic's token: its newcomer waits for approval
		// (approval.go).
		fields[tokenApproval] = []byte(`"` + approvalCompare + `"`)
	}
	if _, err := r.Append(ctx, replica.Change{Entity: t.ID, Kind: records.KindToken, Scope: roles.Admin, Fields: fields}); err != nil {
		return crypto.Token{}, fmt.Errorf("app: record token: %w", err)
	}
	if t.Invite != "" {
		// Kept here, sealed, so that the upkeep has the server forget it
		// once the token is revoked or expires (keepServerAdmins). The
		// token is recorded already, so it is handed over even when this
		// fails: its invite then lasts until the server's expiry.
		if err := s.keepInvite(ctx, t.ID, t.Invite); err != nil {
			log.Printf("medihaven: token %s: its account invite cannot be withdrawn early if the token is revoked: %v", t.ID, err)
		}
	}
	return t, nil
}

// Tokens lists every registration token, newest first.
func (s *Session) Tokens(ctx context.Context) ([]TokenInfo, error) {
	r, err := s.can(roles.IssueToken)
	if err != nil {
		return nil, err
	}
	rows, err := r.Entities(ctx, records.KindToken)
	if err != nil {
		return nil, err
	}
	now := s.env.Now()
	out := make([]TokenInfo, 0, len(rows))
	for _, e := range rows {
		out = append(out, withIssuer(r, tokenFromState(e.ID, e.State, now)))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Issued.After(out[j].Issued) })
	return out, nil
}

func tokenFromState(id string, st replica.State, now time.Time) TokenInfo {
	rec := records.TokenFromState(id, st)
	t := TokenInfo{ID: id, Role: rec.Role, Status: rec.Status, IssuedBy: rec.IssuedBy, Issued: rec.Issued,
		Expires: rec.Expires, UsedBy: rec.UsedBy, UsedAt: rec.UsedAt, secret: rec.Secret}
	// Revoked wins over used wins over expired: a revoke is deliberate.
	switch {
	case t.Status == TokenRevoked:
	case t.UsedBy != "":
		t.Status = TokenUsed
	case now.After(t.Expires):
		t.Status = TokenExpired
	default:
		t.Status = TokenActive
	}
	return t
}

func (s *Session) token(ctx context.Context, r *replica.Replica, id string) (TokenInfo, error) {
	kind, st, err := r.Entity(ctx, id)
	if err != nil || kind != records.KindToken {
		return TokenInfo{}, fmt.Errorf("%w: no token %s", ErrTokenUnknown, id)
	}
	return withIssuer(r, tokenFromState(id, st, s.env.Now())), nil
}

// withIssuer voids a token whose issuer's access was revoked: only the
// issuer's workstation admits with it (see Admit), so it could never be
// used, and the newcomer needs a new token from another administrator.
func withIssuer(r *replica.Replica, t TokenInfo) TokenInfo {
	if m, ok := r.Member(t.IssuedBy); ok && !m.Active() {
		t.IssuerRevoked = true
		if t.Status != TokenUsed {
			t.Status = TokenRevoked
		}
	}
	return t
}

// RevokeToken revokes an unused registration token.
func (s *Session) RevokeToken(ctx context.Context, id string) error {
	t, err := s.revokeToken(ctx, id)
	if err != nil {
		return err
	}
	s.tellDesk(ctx, t, joindesk.Revoked)
	return nil
}

// revokeToken is RevokeToken without telling the join desk; it returns
// the token as it was.
func (s *Session) revokeToken(ctx context.Context, id string) (TokenInfo, error) {
	r, err := s.can(roles.RevokeToken)
	if err != nil {
		return TokenInfo{}, err
	}
	t, err := s.token(ctx, r, id)
	if err != nil {
		return TokenInfo{}, err
	}
	switch t.Status {
	case TokenRevoked:
		return TokenInfo{}, fmt.Errorf("%w: it was revoked already", ErrTokenRevoked)
	case TokenUsed:
		return TokenInfo{}, fmt.Errorf("%w: revoke the member who joined with it instead", ErrTokenUsed)
	}
	fields, err := records.Some(records.Token{Status: TokenRevoked, RevokedBy: r.Fingerprint(), Revoked: s.env.Now()},
		records.TokenStatus, records.TokenRevokedBy, records.TokenRevoked)
	if err != nil {
		return TokenInfo{}, err
	}
	if _, err = r.Append(ctx, replica.Change{Entity: id, Kind: records.KindToken, Scope: roles.Admin, Fields: fields}); err != nil {
		return TokenInfo{}, err
	}
	return t, nil
}
