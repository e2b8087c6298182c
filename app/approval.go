package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/joindesk"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
)

// Approval (issue 16): a newcomer's request waits until an administrator
// approves it, after comparing a short code both screens show; only then
// is the directory entry written and keys granted. Every rule of Admit
// still holds (only the issuing administrator admits, one token one
// member), and every workstation checks the entry again on apply.
//
// Tokens issued while the profile names real servers (accounts by invite
// only) need approval; a loopback demo with open registration and the
// in-process clinics of tests admit valid requests at once (Admit).

// Approval modes of a token, in its record's "approval" field.
const (
	tokenApproval   = "approval"
	approvalCompare = "compare" // an administrator approves after comparing codes
)

// Errors of approval.
var (
	// ErrNeedsApproval means a request waits for an administrator to
	// approve it (Approve).
	ErrNeedsApproval = errors.New("app: waiting for an administrator to approve")
	// ErrCodeMismatch means the code the administrator typed is not the
	// request's comparison code.
	ErrCodeMismatch = errors.New("app: the comparison code does not match")
	// ErrTwoRequests means two workstations asked to join with one token.
	ErrTwoRequests = errors.New("app: two workstations asked to join with the same token")
	// ErrNoRequest means no waiting request has the fingerprint given.
	ErrNoRequest = errors.New("app: no request to join from this key is waiting")
)

// ComparisonCode is the short code a newcomer's screen and the
// administrator's both show for one request: six digits of an HMAC, under
// the token's secret, of the token id and the newcomer's key fingerprint.
// Someone else holding the token gets another code for their own key; a
// key ground to match a code shows as a second request on the same token
// (ErrTwoRequests).
func ComparisonCode(secret []byte, tokenID, fingerprint string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("medihaven/compare/v1\n" + tokenID + "\n" + fingerprint))
	n := binary.BigEndian.Uint32(m.Sum(nil)) % 1_000_000
	return fmt.Sprintf("%03d %03d", n/1000, n%1000)
}

// sameCode compares two six-digit comparison codes as people type them.
func sameCode(a, b string) bool { return sameDigits(a, b, 6) }

// Joiner is a request to join as an administrator sees it.
type Joiner struct {
	Token       string
	Name        string
	Role        roles.Role // the role the token offers
	Fingerprint string
	Device      string
	Code        string    // the comparison code the newcomer's screen shows
	Asked       time.Time // when the request was made
	// Err is why this workstation cannot approve it (ErrAwaitingIssuer,
	// ErrTwoRequests, ErrNameRefused); nil when it can.
	Err error
}

// Waiting lists the requests to join that wait for approval: those of
// tokens still active, not copied, not admitted yet. A request this
// workstation cannot approve says why in Err.
func (s *Session) Waiting(ctx context.Context) ([]Joiner, error) {
	r, err := s.can(roles.AdmitStaff)
	if err != nil {
		return nil, err
	}
	requests, err := s.requests(ctx, r)
	if err != nil {
		return nil, err
	}
	perToken := map[string]int{}
	var out []Joiner
	for _, e := range requests {
		a, t, req := s.judge(ctx, r, e)
		badName := errors.Is(a.Err, ErrNameRefused) // shown, so the administrator can refuse it and say why
		if a.Err != nil && !errors.Is(a.Err, ErrAwaitingIssuer) && !errors.Is(a.Err, ErrNeedsApproval) && !badName {
			continue // refused for good: revoked, used, expired, copied
		}
		j := Joiner{Token: t.ID, Name: a.Name, Role: req.Role, Fingerprint: e.Author, Device: e.Device,
			Code: ComparisonCode(t.secret, t.ID, e.Author), Asked: time.UnixMilli(e.Time)}
		if errors.Is(a.Err, ErrAwaitingIssuer) || badName {
			j.Err = a.Err
		}
		perToken[t.ID]++
		out = append(out, j)
	}
	for i := range out {
		if perToken[out[i].Token] > 1 && out[i].Err == nil {
			out[i].Err = fmt.Errorf("%w: refuse them and issue a new token; someone else may hold a copy of it", ErrTwoRequests)
		}
	}
	return out, nil
}

// Approve admits the waiting request of the newcomer with key fingerprint
// fp, once code is its comparison code (as the newcomer reads it from
// their screen): the directory entry naming their workstation, the token
// marked used, and the directory keys granted, together. The other keys
// of their role follow at the next upkeep of the workstations that hold
// them.
func (s *Session) Approve(ctx context.Context, fp, code string) error {
	j, err := s.waitingFrom(ctx, fp)
	if err != nil {
		return err
	}
	if j.Err != nil {
		return j.Err
	}
	if !sameCode(code, j.Code) {
		return fmt.Errorf("%w: ask %s to read the code on their screen again; if it differs, refuse the request", ErrCodeMismatch, j.Name)
	}
	r, err := s.can(roles.AdmitStaff)
	if err != nil {
		return err
	}
	requests, err := s.requests(ctx, r)
	if err != nil {
		return err
	}
	for _, e := range requests {
		if e.Author != fp || e.Entity != j.Token {
			continue
		}
		a, t, req := s.judge(ctx, r, e)
		if a.Err != nil && !errors.Is(a.Err, ErrNeedsApproval) {
			return a.Err
		}
		if err := s.writeAdmission(ctx, r, e, t, req); err != nil {
			return err
		}
		s.tellDesk(ctx, t, joindesk.Used)
		return nil
	}
	return fmt.Errorf("%w: %s", ErrNoRequest, short(fp))
}

// Refuse refuses the waiting request of the newcomer with key fingerprint
// fp: its token is revoked, so nobody joins with it. The newcomer needs a
// new token.
func (s *Session) Refuse(ctx context.Context, fp string) error {
	j, err := s.waitingFrom(ctx, fp)
	if err != nil {
		return err
	}
	t, err := s.revokeToken(ctx, j.Token)
	if err != nil {
		return err
	}
	s.tellDesk(ctx, t, joindesk.Refused)
	return nil
}

func (s *Session) waitingFrom(ctx context.Context, fp string) (Joiner, error) {
	all, err := s.Waiting(ctx)
	if err != nil {
		return Joiner{}, err
	}
	for _, j := range all {
		if j.Fingerprint == fp {
			return j, nil
		}
	}
	return Joiner{}, fmt.Errorf("%w: %s (it may have been approved or refused on another workstation)", ErrNoRequest, short(fp))
}

// needsApproval reports whether a token's requests wait for Approve.
func needsApproval(ctx context.Context, r *replica.Replica, tokenID string) bool {
	_, st, err := r.Entity(ctx, tokenID)
	return err == nil && st.String(tokenApproval) == approvalCompare
}

// JoinState is where a newcomer's workstation stands.
type JoinState int

const (
	// JoinWaiting: the request waits for an administrator.
	JoinWaiting JoinState = iota
	// JoinApproved: the directory names this workstation's member; keys
	// arrive with the upkeep of the workstations holding them.
	JoinApproved
	// JoinRefused: the token was revoked, used by someone else, or this
	// member's access was revoked.
	JoinRefused
)

// JoinStatus is what a newcomer's screen shows while it waits.
type JoinStatus struct {
	State JoinState
	Code  string // the comparison code to read to the administrator
	// Reason says, in plain words, why the request was refused.
	Reason string
}

// secretJoinCode names the newcomer's comparison code among its sealed
// secrets.
const secretJoinCode = "join/code"

// joinRecord is what a newcomer's workstation keeps of its request.
type joinRecord struct {
	Code  string `json:"code"`
	Token string `json:"token"`
	// DeskHash is the hash of the token's desk key (joindesk.WriteHash),
	// which the join desk's answers about the token must name; "" in a
	// record kept before it was.
	DeskHash string `json:"desk_hash,omitempty"`
}

// keepJoinCode keeps the comparison code and token id of this newcomer's
// request, and the hash of the token's desk key, to ask the desk with.
func (s *Session) keepJoinCode(ctx context.Context, t crypto.Token) error {
	b, err := json.Marshal(joinRecord{Code: ComparisonCode(t.Secret[:], t.ID, s.rep.Fingerprint()), Token: t.ID,
		DeskHash: joindesk.WriteHash(t.Secret[:], t.ID)})
	if err != nil {
		return err
	}
	return s.keepSealed(ctx, secretJoinCode, b)
}

// joinRecord reads what keepJoinCode kept; zero for a workstation that did
// not join with a token (the founder's).
func (s *Session) joinRecord(ctx context.Context) (joinRecord, error) {
	var rec joinRecord
	r, err := s.live()
	if err != nil {
		return rec, err
	}
	err = r.DB().View(ctx, func(tx *store.Tx) error {
		sealed, err := tx.Secret(ctx, secretJoinCode)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		plain, err := s.deviceKey().Open(sealed, []byte(secretJoinCode))
		if err != nil {
			return err
		}
		return json.Unmarshal(plain, &rec)
	})
	return rec, err
}

// ComparisonCode returns the code this newcomer's screen shows for its
// request ("123 456"); "" for a workstation that did not join with a
// token (the founder's).
func (s *Session) ComparisonCode(ctx context.Context) (string, error) {
	rec, err := s.joinRecord(ctx)
	return rec.Code, err
}

// JoinStatus says whether this workstation's request to join was approved.
func (s *Session) JoinStatus(ctx context.Context) (JoinStatus, error) {
	r, err := s.live()
	if err != nil {
		return JoinStatus{}, err
	}
	rec, err := s.joinRecord(ctx)
	if err != nil {
		return JoinStatus{}, err
	}
	st := JoinStatus{Code: rec.Code}
	m, ok := r.Member(r.Fingerprint())
	switch {
	case !ok:
		st.State = JoinWaiting
		if rec.Token != "" {
			// The clinic's join desk knows whether the token was refused,
			// revoked or ran out; the directory cannot say before admission.
			st.State, st.Reason = s.deskVerdict(ctx, rec.Token, rec.DeskHash)
		}
	case m.Revoked(), m.Held():
		st.State = JoinRefused
		st.Reason = "Your access to this clinic was revoked: speak to your administrator."
	case !m.Active():
		st.State = JoinRefused
		st.Reason = "Another workstation joined with this token first: ask your administrator for a new token."
	default:
		st.State = JoinApproved
	}
	return st, nil
}
