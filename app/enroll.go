package app

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/medihaven/medihaven/app/store"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// Redemption is a newcomer's request to join a clinic with a token.
type Redemption struct {
	Dir        string // new profile folder
	Token      string // the registration token as given
	Name       string // the newcomer's name
	Passphrase []byte
	Keystore   string
}

// ParseToken reads a registration token as a person pasted it and checks
// what can be checked without the clinic: its form and its expiry.
func ParseToken(s string, now func() time.Time) (crypto.Token, error) {
	t, err := crypto.ParseToken(s)
	if err != nil {
		return crypto.Token{}, fmt.Errorf("%w: %w: ask your administrator for the token again and paste it whole", ErrTokenMalformed, err)
	}
	if !roles.Role(t.Role).Valid() {
		return crypto.Token{}, fmt.Errorf("%w: it names no known role: ask your administrator for a new one", ErrTokenMalformed)
	}
	if now().After(t.Expires) {
		return crypto.Token{}, fmt.Errorf("%w on %s: ask your administrator for a new one", ErrTokenExpired, t.Expires.Local().Format("2 Jan 2006 15:04"))
	}
	return t, nil
}

// Redeem creates a newcomer's workstation profile from a registration token:
// a fresh identity, and an enrollment request bound to the token's secret,
// waiting for an administrator's workstation to admit it.
func Redeem(ctx context.Context, env Env, r Redemption) (*Session, error) {
	env = env.defaults()
	t, err := ParseToken(r.Token, env.Now)
	if err != nil {
		return nil, err
	}
	name, err := checkName("name", r.Name)
	if err != nil {
		return nil, err
	}
	role := roles.Role(t.Role)
	p := Profile{ClinicID: t.Clinic, Keystore: r.Keystore, Servers: Servers{IPFS: t.IPFS, XMPP: t.XMPP, Domain: t.Domain,
		XMPPCertPin: t.XMPPCertPin, OpenRegistration: t.OpenRegistration}}
	who := me{Name: name, Role: role, Token: t.ID}
	return newProfile(ctx, env, r.Dir, p, r.Passphrase, who, []string{t.Issuer}, func(s *Session) error {
		fields, err := replica.F(map[string]any{"name": name, "role": role, "device": s.prof.Device})
		if err != nil {
			return err
		}
		_, err = s.rep.Enroll(ctx, t.ID, crypto.TokenKey(t.Secret[:]), fields)
		return err
	})
}

// Admission is the outcome of one enrollment request.
type Admission struct {
	Token       string
	Name        string
	Role        roles.Role
	Fingerprint string
	Err         error // nil when admitted
}

// Admit admits every enrollment request that arrived for an active token:
// a countersigned directory entry, the token marked used, and the directory
// keys granted. A request for a revoked, used, expired or unknown token is
// refused with its reason, and nothing is written for it.
func (s *Session) Admit(ctx context.Context) ([]Admission, error) {
	r, err := s.can(roles.AdmitStaff)
	if err != nil {
		return nil, err
	}
	var requests []store.Envelope
	err = r.DB().View(ctx, func(tx *store.Tx) error {
		rows, err := tx.EnvelopesInState(ctx, store.Applied, -1)
		for _, e := range rows {
			if e.Kind == replica.KindEnroll {
				requests = append(requests, e)
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(requests, func(i, j int) bool { return requests[i].Lamport < requests[j].Lamport })
	var out []Admission
	for _, e := range requests {
		if m, ok := r.Member(e.Author); ok && m.Token == e.Entity {
			continue // admitted already
		}
		a := s.admit(ctx, r, e)
		out = append(out, a)
	}
	return out, nil
}

func (s *Session) admit(ctx context.Context, r *replica.Replica, e store.Envelope) Admission {
	a := Admission{Token: e.Entity, Fingerprint: e.Author}
	t, err := s.token(ctx, r, e.Entity)
	if err != nil {
		a.Err = err
		return a
	}
	env, err := crypto.ParseEnvelope(e.Raw)
	if err != nil {
		a.Err = fmt.Errorf("%w: enrollment damaged: %w", ErrTokenMalformed, err)
		return a
	}
	var secret [32]byte
	copy(secret[:], t.secret)
	plain, err := env.Open(crypto.TokenKey(secret[:]))
	if err != nil {
		a.Err = fmt.Errorf("%w: the enrollment was not made with this token's secret", ErrTokenUnknown)
		return a
	}
	var req struct {
		Name string     `json:"name"`
		Role roles.Role `json:"role"`
	}
	if err := json.Unmarshal(plain, &req); err != nil {
		a.Err = fmt.Errorf("%w: the enrollment cannot be read", ErrTokenMalformed)
		return a
	}
	a.Name, a.Role = req.Name, req.Role
	switch t.Status {
	case TokenRevoked:
		a.Err = fmt.Errorf("%w: the newcomer needs a new token", ErrTokenRevoked)
	case TokenUsed:
		a.Err = fmt.Errorf("%w by another workstation: the newcomer needs a new token", ErrTokenUsed)
	case TokenExpired:
		a.Err = fmt.Errorf("%w: issue a new token", ErrTokenExpired)
	}
	if a.Err != nil {
		return a
	}
	if req.Role != t.Role {
		a.Err = fmt.Errorf("%w: the enrollment asks for another role than the token grants", ErrTokenUnknown)
		return a
	}
	if _, err := checkName("name", req.Name); err != nil {
		a.Err = err
		return a
	}
	now := s.env.Now().UnixMilli()
	member, err := replica.F(map[string]any{
		"name": req.Name, "role": req.Role, "status": replica.StatusActive, "token": t.ID,
		"admitted_by": r.Fingerprint(), "joined": now,
	})
	if err != nil {
		a.Err = err
		return a
	}
	used, err := replica.F(map[string]any{"used_by": e.Author, "used_at": now})
	if err != nil {
		a.Err = err
		return a
	}
	// The directory entry, the token's use and the directory keys: together or not at all.
	b := r.Batch().
		Append(replica.Change{Entity: t.ID, Kind: "token", Scope: roles.Admin, Fields: used}).
		Append(replica.Change{Entity: e.Author, Kind: replica.KindMember, Scope: roles.Directory, Fields: member})
	for _, k := range r.Keys(roles.Directory) {
		b.Grant(k, e.Author)
	}
	if _, err := b.Commit(ctx); err != nil {
		a.Err = fmt.Errorf("app: admit %s: %w", req.Name, err)
	}
	return a
}
