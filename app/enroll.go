package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
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
// waiting for an administrator to approve it. It does not contact the
// clinic's servers (Join does).
func Redeem(ctx context.Context, env Env, r Redemption) (*Session, error) {
	env = env.defaults()
	t, err := ParseToken(r.Token, env.Now)
	if err != nil {
		return nil, err
	}
	return redeem(ctx, env, r, t, nil)
}

// tokenServers are the clinic's servers as a token names them.
func tokenServers(t crypto.Token) Servers {
	return Servers{IPFS: t.IPFS, IPFSSecret: t.IPFSSecret, XMPP: t.XMPP, Domain: t.Domain, Desk: t.Desk,
		XMPPCertPin: t.XMPPCertPin, OpenRegistration: t.OpenRegistration, InviteOnly: t.Invite != ""}
}

// redeem makes the newcomer's profile for token t; then, when not nil,
// online runs last (a failure removes the profile).
func redeem(ctx context.Context, env Env, r Redemption, t crypto.Token, online func(*Session) error) (*Session, error) {
	name, err := checkName("name", r.Name)
	if err != nil {
		return nil, err
	}
	role := roles.Role(t.Role)
	p := Profile{ClinicID: t.Clinic, Keystore: r.Keystore, Servers: tokenServers(t)}
	who := me{Name: name, Role: role, Token: t.ID}
	return newProfile(ctx, env, r.Dir, p, r.Passphrase, who, []string{t.Issuer}, func(s *Session) error {
		fields, err := boundRequest(t, name, role, s.rep.Fingerprint(), s.prof.Device)
		if err != nil {
			return err
		}
		if _, err = s.rep.Enroll(ctx, t.ID, crypto.TokenKey(t.Secret[:]), fields); err != nil {
			return err
		}
		if err := s.keepJoinCode(ctx, t); err != nil {
			return err
		}
		if online != nil {
			return online(s)
		}
		return nil
	})
}

// ErrEnrollmentCopied means an enrollment request is not bound to the key
// and device that signed it: someone who could read the clinic's packs
// copied another newcomer's sealed request into an envelope of their own.
var ErrEnrollmentCopied = errors.New("app: this enrollment request was copied from another newcomer's")

// ErrAwaitingIssuer means an enrollment request waits for the workstation
// of the administrator who issued its token: only that workstation admits
// it, so two administrators never admit two newcomers with one token.
var ErrAwaitingIssuer = errors.New("app: waiting for the administrator who issued the token")

// enrollRequest is an enrollment as the newcomer seals it with the token
// key. Fingerprint and Device name the key and the workstation that sign
// the envelope; MAC (crypto.EnrollmentMAC) binds them to the token's
// secret, so the request is worth nothing in an envelope signed by anyone
// else.
type enrollRequest struct {
	Name        string     `json:"name"`
	Role        roles.Role `json:"role"`
	Fingerprint string     `json:"fingerprint"`
	Device      string     `json:"device"`
	MAC         []byte     `json:"mac"`
}

// boundRequest builds the sealed fields of an enrollment for token t by
// the newcomer with key fingerprint on device.
func boundRequest(t crypto.Token, name string, role roles.Role, fingerprint, device string) (replica.Fields, error) {
	return replica.F(map[string]any{
		"name": name, "role": role, "fingerprint": fingerprint, "device": device,
		"mac": crypto.EnrollmentMAC(t.Secret[:], t.ID, fingerprint, device),
	})
}

// checkBoundRequest opens the enrollment env for token tokenID with the
// token's secret and checks that it is bound to the key and the device
// that signed env.
func checkBoundRequest(env *crypto.Envelope, tokenID string, secret []byte) (enrollRequest, error) {
	var req enrollRequest
	plain, err := env.Open(crypto.TokenKey(secret))
	if err != nil {
		return req, fmt.Errorf("%w: the enrollment was not made with this token's secret", ErrTokenUnknown)
	}
	if err := json.Unmarshal(plain, &req); err != nil {
		return req, fmt.Errorf("%w: the enrollment cannot be read", ErrTokenMalformed)
	}
	h := env.Header
	if req.Fingerprint != h.Author || req.Device != h.Device {
		return req, fmt.Errorf("%w: it names key %s on workstation %s but key %s on workstation %s sent it; "+
			"refused, and the registration token stays good for the newcomer it was given to",
			ErrEnrollmentCopied, short(req.Fingerprint), short(req.Device), short(h.Author), short(h.Device))
	}
	if !crypto.CheckEnrollmentMAC(secret, tokenID, req.Fingerprint, req.Device, req.MAC) {
		return req, fmt.Errorf("%w: its binding to the signing key does not match the token's secret; "+
			"refused, and the registration token stays good for the newcomer it was given to", ErrEnrollmentCopied)
	}
	return req, nil
}

// short is the start of a fingerprint or device id, enough to tell two apart.
func short(id string) string {
	if len(id) > 16 {
		return id[:16]
	}
	if id == "" {
		return "(none)"
	}
	return id
}

// Admission is the outcome of one enrollment request.
type Admission struct {
	Token       string
	Name        string
	Role        roles.Role
	Fingerprint string
	Err         error // nil when admitted
}

// Admit admits every enrollment request that arrived for an active token
// this administrator issued without the need for approval (a demo or test
// clinic; see approval.go): a countersigned directory entry, the token
// marked used, and the directory keys granted; the entry names the
// newcomer's workstation, so nobody else's events can take its device.
// Only the issuer's workstation admits, so two administrators never admit
// two newcomers with one token; on the others a request waits
// (ErrAwaitingIssuer), and when the issuer was revoked their tokens count
// as revoked. A request that is not bound to its signer
// (ErrEnrollmentCopied), or for a revoked, used, expired or unknown token,
// is refused with its reason, and nothing is written for it; one whose
// token needs approval waits (ErrNeedsApproval) for Approve. Requests are
// taken in one order on every workstation: Lamport clock, then device,
// then sequence.
func (s *Session) Admit(ctx context.Context) ([]Admission, error) {
	r, err := s.can(roles.AdmitStaff)
	if err != nil {
		return nil, err
	}
	requests, err := s.requests(ctx, r)
	if err != nil {
		return nil, err
	}
	var out []Admission
	for _, e := range requests {
		a, t, req := s.judge(ctx, r, e)
		if a.Err == nil {
			if err := s.writeAdmission(ctx, r, e, t, req); err != nil {
				a.Err = err
			}
		}
		out = append(out, a)
	}
	return out, nil
}

// requests are the enrollment requests not admitted yet, in (Lamport,
// device, seq) order. An enrollment's entity is its token's id, so only
// the envelopes of the clinic's tokens are read, never the whole log; a
// request for a token whose record has not arrived waits for it.
func (s *Session) requests(ctx context.Context, r *replica.Replica) ([]store.Envelope, error) {
	tokens, err := r.Entities(ctx, records.KindToken)
	if err != nil {
		return nil, err
	}
	var requests []store.Envelope
	err = r.DB().View(ctx, func(tx *store.Tx) error {
		for _, t := range tokens {
			rows, err := tx.EnvelopesForEntity(ctx, t.ID)
			if err != nil {
				return err
			}
			for _, e := range rows {
				if e.Kind != replica.KindEnroll || e.State != store.Applied {
					continue
				}
				if m, ok := r.Member(e.Author); ok && m.Token == e.Entity {
					continue // admitted already
				}
				requests = append(requests, e)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(requests, func(i, j int) bool {
		a, b := requests[i], requests[j]
		if a.Lamport != b.Lamport {
			return a.Lamport < b.Lamport
		}
		if a.Device != b.Device {
			return a.Device < b.Device
		}
		return a.Seq < b.Seq
	})
	return requests, nil
}

// judge checks one enrollment request against its token and the rules of
// admission; a.Err nil means this workstation may admit it now.
func (s *Session) judge(ctx context.Context, r *replica.Replica, e store.Envelope) (a Admission, t TokenInfo, req enrollRequest) {
	a = Admission{Token: e.Entity, Fingerprint: e.Author}
	t, err := s.token(ctx, r, e.Entity)
	if err != nil {
		a.Err = err
		return a, t, req
	}
	env, err := crypto.ParseEnvelope(e.Raw)
	if err != nil {
		a.Err = fmt.Errorf("%w: enrollment damaged: %w", ErrTokenMalformed, err)
		return a, t, req
	}
	req, err = checkBoundRequest(env, t.ID, t.secret)
	// Shown to the administrator before it is judged: hidden runes written out.
	a.Name, a.Role = roles.VisibleName(req.Name), req.Role
	if err != nil {
		a.Err = err
		return a, t, req
	}
	switch t.Status {
	case TokenRevoked:
		a.Err = fmt.Errorf("%w: the newcomer needs a new token", ErrTokenRevoked)
		if t.IssuerRevoked {
			a.Err = fmt.Errorf("%w with its issuer, %s, whose access was revoked: the newcomer needs a new token from another administrator",
				ErrTokenRevoked, s.memberName(r, t.IssuedBy))
		}
	case TokenUsed:
		a.Err = fmt.Errorf("%w by another newcomer: this one needs a new token", ErrTokenUsed)
	case TokenExpired:
		a.Err = fmt.Errorf("%w: issue a new token", ErrTokenExpired)
	}
	if a.Err != nil {
		return a, t, req
	}
	switch {
	case t.IssuedBy != r.Fingerprint():
		a.Err = fmt.Errorf("%w, %s: only their workstation admits it (when it next syncs), so one token admits one newcomer",
			ErrAwaitingIssuer, s.memberName(r, t.IssuedBy))
	case req.Role != t.Role:
		a.Err = fmt.Errorf("%w: the enrollment asks for another role than the token grants", ErrTokenUnknown)
	default:
		name, err := admissibleName(r, req.Name)
		switch {
		case err != nil:
			a.Err = err
		case needsApproval(ctx, r, t.ID):
			a.Err = fmt.Errorf("%w: compare the code on %s's screen, then approve", ErrNeedsApproval, name)
		}
		if err == nil {
			req.Name, a.Name = name, name // as the directory will hold it
		}
	}
	return a, t, req
}

// ErrNameRefused means an enrollment request names the newcomer in a way
// the directory cannot take: a name that could pass for an active
// member's, or one holding characters that are not shown.
var ErrNameRefused = errors.New("app: the newcomer's name cannot stand in the directory")

// admissibleName is the name a newcomer's request gives, as the directory
// will hold it, or why it is refused (ErrNameRefused): checkName's rule,
// and no active member's name may read the same once folded
// (roles.FoldName: compatibility forms, case, spaces), since screens show
// a member by name alone. A revoked member's name may be taken again.
//
// The newcomer's own workstation checks only the first (Redeem): it reads
// no directory before it is admitted. Only the admitting workstation
// judges duplicates, and workstations applying the entry do not (they
// judge the characters alone, sync/replica names.go): two administrators
// may admit two newcomers of one name at the same time, and refusing
// either on apply would depend on which arrived first.
func admissibleName(r *replica.Replica, name string) (string, error) {
	name, err := checkName("name", name)
	if err != nil {
		return "", fmt.Errorf("%w: %w; refuse the request and issue a new token", ErrNameRefused, err)
	}
	folded := roles.FoldName(name)
	for _, m := range r.Members() {
		if m.Active() && roles.FoldName(m.Name) == folded {
			return "", fmt.Errorf("%w: %q reads the same as the name of %s, an active member (%s): refuse the request and issue a new token, "+
				"and ask the newcomer to join under a name that tells them apart (add a middle initial, say)",
				ErrNameRefused, name, roles.VisibleName(m.Name), roleWord(m.Role))
		}
	}
	return name, nil
}

// writeAdmission writes the admission of request e for token t.
func (s *Session) writeAdmission(ctx context.Context, r *replica.Replica, e store.Envelope, t TokenInfo, req enrollRequest) error {
	now := s.env.Now().UnixMilli()
	// The entry names the workstation the request came from (and was bound
	// to): every workstation gives that device to the newcomer, whoever
	// else wrote a first event for it (sync/replica admission.go).
	member, err := replica.F(map[string]any{
		"name": req.Name, "role": req.Role, "status": replica.StatusActive, "token": t.ID,
		"admitted_by": r.Fingerprint(), "joined": now, "devices": []string{req.Device},
	})
	if err != nil {
		return err
	}
	used, err := replica.F(map[string]any{"used_by": e.Author, "used_at": now})
	if err != nil {
		return err
	}
	// The directory entry, the token's use and the directory keys: together or not at all.
	b := r.Batch().
		Append(replica.Change{Entity: t.ID, Kind: "token", Scope: roles.Admin, Fields: used}).
		Append(replica.Change{Entity: e.Author, Kind: replica.KindMember, Scope: roles.Directory, Fields: member})
	for _, k := range r.Keys(roles.Directory) {
		b.Grant(k, e.Author)
	}
	if _, err := b.Commit(ctx); err != nil {
		return fmt.Errorf("app: admit %s: %w", req.Name, err)
	}
	return nil
}

// memberName names a member by their directory name, or by the start of
// their fingerprint when the directory does not know them.
func (s *Session) memberName(r *replica.Replica, fp string) string {
	if m, ok := r.Member(fp); ok && m.Name != "" {
		return m.Name
	}
	return "key " + short(fp)
}
