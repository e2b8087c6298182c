package app

// Recovery lets a clinic that lost every physician's key read its clinical
// (and front-desk) records again, without any administrator holding patient
// keys on their own:
//
//  1. Split: an administrator makes a recovery key (an OpenPGP key pair). Its
//     public half goes into the directory, signed by that administrator; its
//     private half is locked with a random passphrase kept in the admin scope,
//     and that passphrase is split k-of-n (crypto.SplitSecret) among the
//     active administrators, each share encrypted to one administrator's key.
//  2. Escrow: every workstation holding the clinical or front-desk key grants
//     each epoch of it to the recovery key (events of kind "recovery-escrow",
//     sealed grants only the recovery key opens), at its next upkeep.
//  3. Release: to recover, k-1 administrators each re-encrypt their share to
//     one coordinating administrator (kind "recovery-release", admin scope).
//  4. Recover: the coordinator's workstation combines k shares, unlocks the
//     recovery key in memory, opens the escrowed grants and re-grants every
//     epoch to a physician (or receptionist) of the administrators' choice
//     ("recovery-handover"); the recovery key is forgotten again. That
//     member's workstation claims the keys at its next upkeep and reads every
//     record again. An administrator's own role cannot hold clinical keys
//     (every workstation rejects an administrator's clinical grant), so the
//     keys always end with an entitled member.
//
// The split, each release and the recovery are audit events.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/medihaven/medihaven/app/store"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// Entities and kinds of the recovery scheme.
const (
	entityRecovery       = "7ec0e700000000000000000000007ec0" // directory: the recovery key's public half
	entityRecoveryShares = "7ec0e700000000000000000000005a7e" // admin: the locked private half and the shares
	kindRecovery         = "recovery"
	kindRecoveryShares   = "recovery-shares"
	kindRecoveryRelease  = "recovery-release"
	kindRecoveryEscrow   = "recovery-escrow"
	kindRecoveryHandover = "recovery-handover"
	scopeRecovery        = "recovery" // raw events: sealed to one key, not a data scope
)

// recoverable are the scopes the recovery key keeps.
var recoverable = []roles.Scope{roles.Clinical, roles.FrontDesk}

// ErrNoRecovery means no recovery key has been split in this clinic.
var ErrNoRecovery = errors.New("app: no recovery key has been set up in this clinic")

// RecoveryStatus is what the security screen shows of the recovery key.
type RecoveryStatus struct {
	Set       bool
	ID        string
	Threshold int
	Shares    int
	SetBy     string // administrator's name
	SetAt     time.Time
	Released  int // shares released to this administrator so far, own share included
}

// recoveryPublic is the directory's record of the recovery key.
type recoveryPublic struct {
	id        string
	pub       *crypto.PublicKey
	threshold int
	shares    int
	setBy     string
	setAt     time.Time
}

func recoverySigned(id, pub string, threshold, shares int) []byte {
	return []byte(fmt.Sprintf("medihaven recovery v1|%s|%s|%d|%d", id, pub, threshold, shares))
}

// recoveryKey reads the recovery key from the directory and checks that an
// administrator of the clinic signed it: anyone may write the directory
// scope, so the signature is what keeps a receptionist from publishing a key
// of their own and collecting the clinical keys.
func recoveryKey(ctx context.Context, r *replica.Replica) (recoveryPublic, error) {
	kind, st, err := r.Entity(ctx, entityRecovery)
	if errors.Is(err, replica.ErrNotFound) || err == nil && kind != kindRecovery {
		return recoveryPublic{}, ErrNoRecovery
	}
	if err != nil {
		return recoveryPublic{}, err
	}
	var rp recoveryPublic
	var at int64
	st.Get("threshold", &rp.threshold) //nolint:errcheck // missing reads as zero, refused below
	st.Get("shares", &rp.shares)       //nolint:errcheck
	st.Get("set_at", &at)              //nolint:errcheck
	rp.id, rp.setBy, rp.setAt = st.String("id"), st.String("set_by"), time.UnixMilli(at)
	b64 := st.String("pub")
	sig, err1 := base64.StdEncoding.DecodeString(st.String("sig"))
	raw, err2 := base64.StdEncoding.DecodeString(b64)
	m, ok := r.Member(rp.setBy)
	signer, known := r.PublicKey(rp.setBy)
	if err1 != nil || err2 != nil || !ok || m.Role != roles.Administrator || !known ||
		signer.Verify(recoverySigned(rp.id, b64, rp.threshold, rp.shares), sig) != nil {
		return recoveryPublic{}, fmt.Errorf("app: the clinic's recovery key is not signed by an administrator: set it up again")
	}
	if rp.pub, err = crypto.ParsePublicKey(raw); err != nil {
		return recoveryPublic{}, fmt.Errorf("app: recovery key: %w", err)
	}
	return rp, nil
}

// SplitRecoveryKey makes a new clinic recovery key and splits it among the
// active administrators so that any threshold of them can recover the
// clinical and front-desk scopes. It replaces an earlier split.
func (s *Session) SplitRecoveryKey(ctx context.Context, threshold int) (RecoveryStatus, error) {
	r, err := s.can(roles.SplitRecover)
	if err != nil {
		return RecoveryStatus{}, err
	}
	var admins []*crypto.PublicKey
	for _, m := range r.Members() {
		if pub, ok := r.PublicKey(m.Fingerprint); ok && m.Active() && m.Role == roles.Administrator {
			admins = append(admins, pub)
		}
	}
	if threshold < 1 || threshold > len(admins) {
		return RecoveryStatus{}, fmt.Errorf("%w: the number of administrators needed must be between 1 and %d (the clinic's active administrators)",
			ErrInvalidInput, len(admins))
	}
	pass := []byte(newID(32))
	defer clear(pass)
	id, locked, err := crypto.NewIdentity("Medihaven recovery", pass)
	if err != nil {
		return RecoveryStatus{}, fmt.Errorf("app: make the recovery key: %w", err)
	}
	defer id.Clear()
	parts, err := crypto.SplitSecret(pass, threshold, len(admins))
	if err != nil {
		return RecoveryStatus{}, fmt.Errorf("app: split the recovery key: %w", err)
	}
	shares := map[string]string{}
	for i, pub := range admins {
		b, err := parts[i].MarshalBinary()
		if err != nil {
			return RecoveryStatus{}, err
		}
		sealed, err := pub.Encrypt(b, r.Identity())
		clear(b)
		if err != nil {
			return RecoveryStatus{}, fmt.Errorf("app: seal a recovery share: %w", err)
		}
		shares[pub.Fingerprint()] = base64.StdEncoding.EncodeToString(sealed)
	}
	splitID, now := newID(16), s.env.Now()
	pubB64 := base64.StdEncoding.EncodeToString(id.Public().Bytes())
	sig, err := r.Identity().Sign(recoverySigned(splitID, pubB64, threshold, len(admins)))
	if err != nil {
		return RecoveryStatus{}, fmt.Errorf("app: sign the recovery key: %w", err)
	}
	public, err := replica.F(map[string]any{"id": splitID, "pub": pubB64, "threshold": threshold, "shares": len(admins),
		"set_by": r.Fingerprint(), "set_at": now.UnixMilli(), "sig": base64.StdEncoding.EncodeToString(sig)})
	if err != nil {
		return RecoveryStatus{}, err
	}
	private, err := replica.F(map[string]any{"id": splitID, "locked": base64.StdEncoding.EncodeToString(locked), "shares": shares})
	if err != nil {
		return RecoveryStatus{}, err
	}
	b := r.Batch().
		Append(replica.Change{Entity: entityRecovery, Kind: kindRecovery, Scope: roles.Directory, Fields: public}).
		Append(replica.Change{Entity: entityRecoveryShares, Kind: kindRecoveryShares, Scope: roles.Admin, Fields: private})
	if err := s.auditEvent(r, b, AuditRecord{Action: "recovery.split", Entity: entityRecovery,
		Detail: fmt.Sprintf("split the clinic recovery key: %d of %d administrators needed", threshold, len(admins))}); err != nil {
		return RecoveryStatus{}, err
	}
	if _, err := b.Commit(ctx); err != nil {
		return RecoveryStatus{}, fmt.Errorf("app: record the recovery key: %w", err)
	}
	return s.RecoveryStatus(ctx)
}

// RecoveryStatus says whether a recovery key is set up and how many shares
// this administrator can already combine.
func (s *Session) RecoveryStatus(ctx context.Context) (RecoveryStatus, error) {
	r, err := s.can(roles.SplitRecover)
	if err != nil {
		return RecoveryStatus{}, err
	}
	rp, err := recoveryKey(ctx, r)
	if errors.Is(err, ErrNoRecovery) {
		return RecoveryStatus{}, nil
	}
	if err != nil {
		return RecoveryStatus{}, err
	}
	st := RecoveryStatus{Set: true, ID: rp.id, Threshold: rp.threshold, Shares: rp.shares, SetAt: rp.setAt, SetBy: rp.setBy}
	if m, ok := r.Member(rp.setBy); ok {
		st.SetBy = m.Name
	}
	if parts, err := s.collectShares(ctx, r, rp.id); err == nil {
		st.Released = len(parts)
		for _, p := range parts {
			clear(p.Y)
		}
	}
	return st, nil
}

// ownShare opens this administrator's share of split id.
func (s *Session) ownShare(ctx context.Context, r *replica.Replica, id string) (crypto.Share, error) {
	kind, st, err := r.Entity(ctx, entityRecoveryShares)
	if err != nil || kind != kindRecoveryShares || st.String("id") != id {
		return crypto.Share{}, fmt.Errorf("app: the recovery shares have not arrived on this workstation yet: sync and try again")
	}
	var shares map[string]string
	st.Get("shares", &shares) //nolint:errcheck // missing reads as empty
	sealed, err := base64.StdEncoding.DecodeString(shares[r.Fingerprint()])
	if err != nil || len(sealed) == 0 {
		return crypto.Share{}, fmt.Errorf("app: you hold no share of this recovery key (it was split before you joined): ask an administrator who does")
	}
	pub, _ := r.PublicKey(s.setterOf(ctx, r))
	return openShare(r.Identity(), sealed, pub)
}

func (s *Session) setterOf(ctx context.Context, r *replica.Replica) string {
	if rp, err := recoveryKey(ctx, r); err == nil {
		return rp.setBy
	}
	return ""
}

func openShare(me *crypto.Identity, sealed []byte, from *crypto.PublicKey) (crypto.Share, error) {
	if from == nil {
		return crypto.Share{}, fmt.Errorf("app: the key of the administrator who sealed a recovery share is unknown here")
	}
	plain, err := me.Decrypt(sealed, from)
	if err != nil {
		return crypto.Share{}, fmt.Errorf("app: open a recovery share: %w", err)
	}
	defer clear(plain)
	return crypto.ParseShare(plain)
}

// ReleaseRecoveryShare hands this administrator's share of the recovery key
// to the administrator to (fingerprint) who coordinates a recovery: it is
// encrypted to their key. The release is audited.
func (s *Session) ReleaseRecoveryShare(ctx context.Context, to string) error {
	r, err := s.can(roles.SplitRecover)
	if err != nil {
		return err
	}
	rp, err := recoveryKey(ctx, r)
	if err != nil {
		return err
	}
	m, ok := r.Member(to)
	pub, known := r.PublicKey(to)
	switch {
	case !ok || !known || !m.Active() || m.Role != roles.Administrator:
		return fmt.Errorf("%w: a share can only be released to an active administrator", ErrInvalidInput)
	case to == r.Fingerprint():
		return fmt.Errorf("%w: your own share is used already; release it to the administrator who coordinates the recovery", ErrInvalidInput)
	}
	share, err := s.ownShare(ctx, r, rp.id)
	if err != nil {
		return err
	}
	b, err := share.MarshalBinary()
	clear(share.Y)
	if err != nil {
		return err
	}
	sealed, err := pub.Encrypt(b, r.Identity())
	clear(b)
	if err != nil {
		return fmt.Errorf("app: seal the recovery share: %w", err)
	}
	fields, err := replica.F(map[string]any{"recovery": rp.id, "from": r.Fingerprint(), "to": to,
		"share": base64.StdEncoding.EncodeToString(sealed)})
	if err != nil {
		return err
	}
	entity := "recovery-release:" + rp.id + ":" + r.Fingerprint()[:16]
	batch := r.Batch().Append(replica.Change{Entity: entity, Kind: kindRecoveryRelease, Scope: roles.Admin, Fields: fields})
	if err := s.auditEvent(r, batch, AuditRecord{Action: "recovery.release", Entity: entityRecovery,
		Detail: "released a recovery share to " + m.Name}); err != nil {
		return err
	}
	if _, err := batch.Commit(ctx); err != nil {
		return fmt.Errorf("app: release the recovery share: %w", err)
	}
	return nil
}

// collectShares returns this administrator's own share of split id and
// every share released to them.
func (s *Session) collectShares(ctx context.Context, r *replica.Replica, id string) ([]crypto.Share, error) {
	own, err := s.ownShare(ctx, r, id)
	if err != nil {
		return nil, err
	}
	out := []crypto.Share{own}
	rows, err := r.Entities(ctx, kindRecoveryRelease)
	if err != nil {
		return nil, err
	}
	for _, e := range rows {
		if e.State.String("recovery") != id || e.State.String("to") != r.Fingerprint() {
			continue
		}
		sealed, err := base64.StdEncoding.DecodeString(e.State.String("share"))
		if err != nil {
			continue
		}
		from, _ := r.PublicKey(e.State.String("from"))
		if sh, err := openShare(r.Identity(), sealed, from); err == nil {
			out = append(out, sh)
		}
	}
	return out, nil
}

// Recovery is what RecoverScopes did.
type Recovery struct {
	To     string        // the member's name who received the keys
	Scopes []roles.Scope // scopes recovered
	Epochs int           // epoch keys handed over
}

// RecoverScopes combines this administrator's share with the shares other
// administrators released to them, opens every key escrowed to the
// recovery key, and grants those the member to (a physician or a
// receptionist, fingerprint) is entitled to. Their workstation takes the
// keys at its next upkeep. The recovery is audited.
func (s *Session) RecoverScopes(ctx context.Context, to string) (Recovery, error) {
	r, err := s.can(roles.SplitRecover)
	if err != nil {
		return Recovery{}, err
	}
	rp, err := recoveryKey(ctx, r)
	if err != nil {
		return Recovery{}, err
	}
	m, ok := r.Member(to)
	toPub, known := r.PublicKey(to)
	if !ok || !known || !m.Active() || !(m.Role.Holds(roles.Clinical) || m.Role.Holds(roles.FrontDesk)) {
		return Recovery{}, fmt.Errorf("%w: recovered keys can only go to an active physician or receptionist", ErrInvalidInput)
	}
	parts, err := s.collectShares(ctx, r, rp.id)
	if err != nil {
		return Recovery{}, err
	}
	defer func() {
		for _, p := range parts {
			clear(p.Y)
		}
	}()
	if len(parts) < rp.threshold {
		return Recovery{}, fmt.Errorf("%w: %d of the %d needed are here; ask %d more administrators to release their share to you",
			crypto.ErrTooFewShares, len(parts), rp.threshold, rp.threshold-len(parts))
	}
	pass, err := crypto.CombineShares(parts)
	if err != nil {
		return Recovery{}, fmt.Errorf("app: rebuild the recovery key: %w", err)
	}
	defer clear(pass)
	_, st, err := r.Entity(ctx, entityRecoveryShares)
	if err != nil {
		return Recovery{}, err
	}
	locked, _ := base64.StdEncoding.DecodeString(st.String("locked"))
	rid, err := crypto.UnlockIdentity(locked, pass)
	if err != nil {
		return Recovery{}, fmt.Errorf("app: the shares do not rebuild the recovery key (they belong to different splits): %w", err)
	}
	defer rid.Clear()
	keys, err := escrowedKeys(ctx, r, rid)
	if err != nil {
		return Recovery{}, err
	}
	var out Recovery
	out.To = m.Name
	var grants []string
	seen := map[roles.Scope]bool{}
	for _, k := range keys {
		scope := roles.Scope(k.Scope)
		if !m.Role.Holds(scope) {
			continue
		}
		sealed, err := crypto.SealGrant(k, toPub, r.Identity())
		if err != nil {
			return Recovery{}, fmt.Errorf("app: hand over a recovered key: %w", err)
		}
		grants = append(grants, base64.StdEncoding.EncodeToString(sealed))
		if !seen[scope] {
			seen[scope] = true
			out.Scopes = append(out.Scopes, scope)
		}
	}
	if len(grants) == 0 {
		return Recovery{}, fmt.Errorf("app: no key was escrowed to the recovery key yet for a %s: nothing to recover", m.Role)
	}
	out.Epochs = len(grants)
	payload, err := json.Marshal(map[string]any{"grants": grants})
	if err != nil {
		return Recovery{}, err
	}
	b := r.Batch().Raw(kindRecoveryHandover, scopeRecovery, to, payload)
	names := make([]string, len(out.Scopes))
	for i, sc := range out.Scopes {
		names[i] = string(sc)
	}
	if err := s.auditEvent(r, b, AuditRecord{Action: "recovery.recover", Entity: entityRecovery,
		Detail: fmt.Sprintf("recovered the %s keys (%d epochs) with %d administrators and handed them to %s",
			strings.Join(names, " and "), out.Epochs, len(parts), m.Name)}); err != nil {
		return Recovery{}, err
	}
	if _, err := b.Commit(ctx); err != nil {
		return Recovery{}, fmt.Errorf("app: record the recovery: %w", err)
	}
	return out, nil
}

// escrowedKeys opens every grant escrowed to the recovery key rid whose
// author's role held its scope.
func escrowedKeys(ctx context.Context, r *replica.Replica, rid *crypto.Identity) ([]crypto.ScopeKey, error) {
	var rows []store.Envelope
	err := r.DB().View(ctx, func(tx *store.Tx) error {
		return tx.EachEnvelope(ctx, func(e store.Envelope) error {
			if e.Kind == kindRecoveryEscrow && e.State != store.Rejected && e.State != store.Pending {
				rows = append(rows, e)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("app: read escrowed keys: %w", err)
	}
	got := map[string]crypto.ScopeKey{}
	for _, e := range rows {
		author, ok := r.Member(e.Author)
		pub, known := r.PublicKey(e.Author)
		env, err := crypto.ParseEnvelope(e.Raw)
		if !ok || !known || err != nil {
			continue
		}
		k, err := crypto.OpenGrant(env.Ciphertext, rid, pub)
		if err != nil || !author.Role.Holds(roles.Scope(k.Scope)) {
			continue
		}
		got[k.String()] = k
	}
	out := make([]crypto.ScopeKey, 0, len(got))
	for _, k := range got {
		out = append(out, k)
	}
	return out, nil
}

func escrowEntity(id string, k crypto.ScopeKey) string {
	return "recovery:" + id + ":" + k.Scope + ":" + strconv.FormatUint(uint64(k.Epoch), 10)
}

// recoveryUpkeep is this workstation's share of the recovery work, run by
// Maintain: escrow the keys it holds to the clinic's recovery key, and take
// keys an administrator recovered for this member.
func (s *Session) recoveryUpkeep(ctx context.Context, r *replica.Replica) (int, error) {
	n, err := s.escrow(ctx, r)
	if err != nil {
		return n, err
	}
	m, err := s.claimRecovered(ctx, r)
	return n + m, err
}

// escrow grants every epoch of the recoverable scopes this workstation holds
// to the recovery key, unless someone did already.
func (s *Session) escrow(ctx context.Context, r *replica.Replica) (int, error) {
	var keys []crypto.ScopeKey
	for _, scope := range recoverable {
		keys = append(keys, r.Keys(scope)...)
	}
	if len(keys) == 0 {
		return 0, nil
	}
	if m, ok := r.Member(r.Fingerprint()); !ok || !m.Active() {
		return 0, nil
	}
	rp, err := recoveryKey(ctx, r)
	if err != nil {
		// None set up, or one no administrator signed: escrow nothing. The
		// administrators' security screen says which.
		return 0, nil
	}
	var todo []crypto.ScopeKey
	err = r.DB().View(ctx, func(tx *store.Tx) error {
		for _, k := range keys {
			rows, err := tx.EnvelopesForEntity(ctx, escrowEntity(rp.id, k))
			if err != nil {
				return err
			}
			if len(rows) == 0 {
				todo = append(todo, k)
			}
		}
		return nil
	})
	if err != nil || len(todo) == 0 {
		return 0, err
	}
	b := r.Batch()
	for _, k := range todo {
		sealed, err := crypto.SealGrant(k, rp.pub, r.Identity())
		if err != nil {
			return 0, fmt.Errorf("app: escrow a key to the recovery key: %w", err)
		}
		b.Raw(kindRecoveryEscrow, scopeRecovery, escrowEntity(rp.id, k), sealed)
	}
	if _, err := b.Commit(ctx); err != nil {
		return 0, fmt.Errorf("app: escrow keys to the recovery key: %w", err)
	}
	return len(todo), nil
}

// claimRecovered takes the keys an administrator recovered for this member:
// it grants each to itself (a grant by a holder of the scope, accepted by
// every workstation) and opens the records it kept sealed for lack of them.
func (s *Session) claimRecovered(ctx context.Context, r *replica.Replica) (int, error) {
	var rows []store.Envelope
	err := r.DB().View(ctx, func(tx *store.Tx) error {
		all, err := tx.EnvelopesForEntity(ctx, r.Fingerprint())
		for _, e := range all {
			if e.Kind == kindRecoveryHandover && e.State != store.Rejected && e.State != store.Pending {
				rows = append(rows, e)
			}
		}
		return err
	})
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	held := map[string]bool{}
	for _, scope := range recoverable {
		for _, k := range r.Keys(scope) {
			held[k.String()] = true
		}
	}
	b := r.Batch()
	scopes := map[string]bool{}
	for _, e := range rows {
		from, ok := r.Member(e.Author)
		pub, known := r.PublicKey(e.Author)
		env, err := crypto.ParseEnvelope(e.Raw)
		if !ok || !known || from.Role != roles.Administrator || err != nil {
			continue
		}
		var body struct{ Grants []string }
		if json.Unmarshal(env.Ciphertext, &body) != nil {
			continue
		}
		for _, g := range body.Grants {
			sealed, err := base64.StdEncoding.DecodeString(g)
			if err != nil {
				continue
			}
			k, err := crypto.OpenGrant(sealed, r.Identity(), pub)
			if err != nil || held[k.String()] || !s.role.Holds(roles.Scope(k.Scope)) {
				continue
			}
			held[k.String()] = true
			scopes[k.Scope] = true
			b.Grant(k, r.Fingerprint())
		}
	}
	n := b.Len()
	if n == 0 {
		return 0, nil
	}
	if _, err := b.Commit(ctx); err != nil {
		return 0, fmt.Errorf("app: take the recovered keys: %w", err)
	}
	// Records kept sealed for lack of these keys are opened now.
	err = r.DB().Update(ctx, func(tx *store.Tx) error {
		sealed, err := tx.EnvelopesInState(ctx, store.Sealed, -1)
		if err != nil {
			return err
		}
		for _, e := range sealed {
			if scopes[e.Scope] {
				if err := tx.SetEnvelopeState(ctx, e.ID, store.Pending, "key recovered"); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("app: open records with the recovered keys: %w", err)
	}
	if _, err := r.Apply(ctx, nil); err != nil {
		return n, fmt.Errorf("app: open records with the recovered keys: %w", err)
	}
	return n, nil
}
