package app

// Recovery lets a clinic that lost every physician's key read its clinical
// (and front-desk) records again, without any administrator ever holding a
// patient key, or the means to rebuild one, on their own.
//
// Design (issue 13, finding 5). There is no clinic recovery key any more:
// a recovery key made by one administrator and then split is a secret that
// administrator saw whole, and could have kept. Instead every escrow is
// split where the key already is, by its holder:
//
//  1. Split (recovery.go): an active administrator records in the directory
//     which administrators share the recovery and how many of them are
//     needed (k of n, 2 <= k <= n), signed with their key. It carries no
//     secret. Every workstation trusts it only while its signer and every
//     administrator it names are active administrators, with k >= 2: the
//     rule rests on directory data every workstation has, so revoking an
//     administrator stops escrow to that split on every workstation at once,
//     and the security screen asks the remaining administrators to set up
//     recovery again (RecoveryStatus.NeedsNewSplit).
//  2. Escrow (recovery_escrow.go): every workstation holding the clinical or
//     front-desk key splits each epoch key it holds k-of-n itself
//     (crypto.SplitSecret) and seals each share to one named administrator
//     (one raw "recovery-escrow" event per epoch and split, with a hash that
//     commits to the key). So no administrator ever holds more than one
//     share of any key, and no long-lived recovery secret exists to leak.
//     A new split makes every holder escrow every epoch again, split among
//     the new set of administrators.
//  3. Release (recovery_release.go): to recover, k-1 administrators each
//     re-seal their shares to one coordinating administrator
//     ("recovery-release", admin scope).
//  4. Recover: the coordinator's workstation combines, per escrow, its own
//     share and the released ones (only shares of active administrators
//     count), checks each rebuilt key against its escrow's commitment, and
//     re-grants the keys to a physician (or receptionist) of the
//     administrators' choice ("recovery-handover"). That member's
//     workstation takes a key only if an escrow written by a holder of the
//     scope commits to it, so an administrator cannot plant a key of their
//     own. An administrator's role cannot hold clinical keys (every
//     workstation rejects such a grant), so the keys always end with an
//     entitled member.
//
// A revoked administrator keeps the shares they were sent, but: one share
// opens nothing (k >= 2); honest workstations neither release to them nor
// count their releases; and revoking an administrator starts a new epoch of
// the clinical and front-desk scopes (grants.go rotate, via
// sharesRecovery), escrowed only once the remaining administrators set up
// recovery again, among themselves. So what a revoked administrator kept
// opens, even with the help of another administrator, only records written
// before the revocation, as a physician's revocation also leaves its
// holder's old epochs behind.
//
// The split, each release and the recovery are audit events.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// Entities and kinds of the recovery scheme.
const (
	entityRecovery       = "7ec0e700000000000000000000007ec0" // directory: the split in force
	kindRecoveryEscrow   = "recovery-escrow"
	kindRecoveryHandover = "recovery-handover"
	scopeRecovery        = "recovery" // raw events: sealed to named keys, not a data scope
	minRecoveryThreshold = 2
)

// recoverable are the scopes whose keys are escrowed.
var recoverable = []roles.Scope{roles.Clinical, roles.FrontDesk}

// ErrNoRecovery means no recovery has been set up in this clinic.
var ErrNoRecovery = errors.New("app: no recovery has been set up in this clinic")

// ErrRecoveryUntrusted means the clinic's split is no longer trusted (an
// administrator it names was revoked, or nobody entitled signed it): no key
// is escrowed to it, and an administrator must set up recovery again.
var ErrRecoveryUntrusted = errors.New("app: recovery must be set up again")

// RecoveryStatus is what the security screen shows of the recovery.
type RecoveryStatus struct {
	Set       bool // a split is in force: keys are escrowed to it
	ID        string
	Threshold int
	Shares    int
	SetBy     string // administrator's name
	SetAt     time.Time
	Released  int // administrators whose shares are at hand on this workstation, own included
	Admins    int // the clinic's active administrators

	// NeedsNewSplit: a split was recorded but is no longer trusted, so no
	// key is escrowed until an administrator sets up recovery again.
	NeedsNewSplit bool
	Reason        string // why, for people; also says when a second administrator is needed
}

// recoveryPolicy is the directory's record of a split.
type recoveryPolicy struct {
	id        string
	threshold int
	admins    []string // sorted fingerprints; admin i holds the shares at x = i+1
	setBy     string
	setAt     time.Time
}

func (p recoveryPolicy) signed() []byte {
	return []byte(fmt.Sprintf("medihaven recovery v2|%s|%d|%s|%s|%d",
		p.id, p.threshold, strings.Join(p.admins, ","), p.setBy, p.setAt.UnixMilli()))
}

// x is the share point of administrator fp in this split, 0 if none.
func (p recoveryPolicy) x(fp string) byte {
	if i := slices.Index(p.admins, fp); i >= 0 {
		return byte(i + 1)
	}
	return 0
}

// untrusted says why a recorded split is not trusted.
type untrusted struct {
	reason string
	forged bool // nobody entitled signed it: it names nothing worth reading
}

func (u *untrusted) Error() string { return ErrRecoveryUntrusted.Error() + ": " + u.reason }
func (u *untrusted) Unwrap() error { return ErrRecoveryUntrusted }

// readRecovery reads the split recorded in the directory, and whether this
// workstation trusts it now. Anyone may write the directory scope, so the
// signature of an administrator is what keeps another member from naming
// shareholders of their choice; and since a revocation changes what every
// workstation reads from its directory, the same verdict holds everywhere.
// It returns the record with an *untrusted error when it is genuine but
// superseded, ErrNoRecovery when there is none.
func readRecovery(ctx context.Context, r *replica.Replica) (recoveryPolicy, error) {
	kind, st, err := r.Entity(ctx, entityRecovery)
	if errors.Is(err, replica.ErrNotFound) || err == nil && kind != records.KindRecovery {
		return recoveryPolicy{}, ErrNoRecovery
	}
	if err != nil {
		return recoveryPolicy{}, err
	}
	rec := records.RecoveryFromState(st) // a missing field reads as zero, refused below
	p := recoveryPolicy{id: rec.ID, threshold: rec.Threshold, admins: rec.Admins, setBy: rec.SetBy, setAt: rec.SetAt}
	m, isMember := r.Member(p.setBy)
	signer, known := r.PublicKey(p.setBy)
	if len(rec.Sig) == 0 || !isMember || m.Role != roles.Administrator || !known || signer.Verify(p.signed(), rec.Sig) != nil {
		return recoveryPolicy{}, &untrusted{reason: "the recorded recovery is not signed by an administrator of the clinic", forged: true}
	}
	if !m.Active() {
		return p, &untrusted{reason: "it was set up by " + m.Name + ", whose administrator access has been revoked"}
	}
	n := len(p.admins)
	if p.id == "" || p.threshold < minRecoveryThreshold || p.threshold > n || !slices.IsSorted(p.admins) ||
		len(slices.Compact(slices.Clone(p.admins))) != n || p.x(p.setBy) == 0 || n > 255 {
		return p, &untrusted{reason: "the recorded recovery would let fewer than two administrators recover (a recovery needs at least two)"}
	}
	for _, fp := range p.admins {
		a, ok := r.Member(fp)
		_, known := r.PublicKey(fp)
		switch {
		case !ok || !known:
			return p, &untrusted{reason: "an administrator who shares it is not in this workstation's directory yet (sync, then look again)"}
		case a.Role != roles.Administrator || !a.Active():
			return p, &untrusted{reason: a.Name + ", who holds a share, is no longer an active administrator"}
		}
	}
	return p, nil
}

// activeAdmins are the fingerprints, sorted, of the active administrators
// whose keys this workstation knows.
func activeAdmins(r *replica.Replica) []string {
	var out []string
	for _, m := range r.Members() {
		if _, ok := r.PublicKey(m.Fingerprint); ok && m.Active() && m.Role == roles.Administrator {
			out = append(out, m.Fingerprint)
		}
	}
	slices.Sort(out)
	return out
}

// sharesRecovery reports whether revoking member m must start a new epoch
// of scope because m may hold recovery shares of its keys: an administrator
// (grants.go rotate). The new epoch is escrowed only to a split among the
// remaining administrators, so what m kept never opens a later record.
func sharesRecovery(m replica.Member, scope roles.Scope) bool {
	return m.Role == roles.Administrator && slices.Contains(recoverable, scope)
}

// SplitRecoveryKey sets up recovery among the active administrators: any
// threshold of them (at least two) together can recover the clinical and
// front-desk scopes. No secret is made here: each holder of those keys
// splits them among these administrators at its next upkeep. It replaces
// an earlier split.
func (s *Session) SplitRecoveryKey(ctx context.Context, threshold int) (RecoveryStatus, error) {
	r, err := s.can(roles.SplitRecover)
	if err != nil {
		return RecoveryStatus{}, err
	}
	admins := activeAdmins(r)
	switch {
	case len(admins) < minRecoveryThreshold:
		return RecoveryStatus{}, fmt.Errorf("%w: a recovery needs at least two administrators, and this clinic has one: add a second administrator first, then set up recovery",
			ErrInvalidInput)
	case threshold < minRecoveryThreshold:
		return RecoveryStatus{}, fmt.Errorf("%w: a recovery needs at least two administrators together, so that none can recover alone: choose between 2 and %d",
			ErrInvalidInput, len(admins))
	case threshold > len(admins):
		return RecoveryStatus{}, fmt.Errorf("%w: the number of administrators needed must be between 2 and %d (the clinic's active administrators)",
			ErrInvalidInput, len(admins))
	case !slices.Contains(admins, r.Fingerprint()):
		return RecoveryStatus{}, fmt.Errorf("%w: only an active administrator sets up recovery", ErrInvalidInput)
	}
	p := recoveryPolicy{id: newID(16), threshold: threshold, admins: admins, setBy: r.Fingerprint(),
		setAt: time.UnixMilli(s.env.Now().UnixMilli())}
	sig, err := r.Identity().Sign(p.signed())
	if err != nil {
		return RecoveryStatus{}, fmt.Errorf("app: sign the recovery: %w", err)
	}
	fields, err := records.Recovery{ID: p.id, Threshold: threshold, Admins: admins, SetBy: p.setBy, SetAt: p.setAt, Sig: sig}.Fields()
	if err != nil {
		return RecoveryStatus{}, err
	}
	b := r.Batch().Append(replica.Change{Entity: entityRecovery, Kind: records.KindRecovery, Scope: roles.Directory, Fields: fields})
	if err := s.auditEvent(r, b, AuditRecord{Action: "recovery.split", Entity: entityRecovery,
		Detail: fmt.Sprintf("set up recovery: %d of %d administrators needed", threshold, len(admins))}); err != nil {
		return RecoveryStatus{}, err
	}
	if _, err := b.Commit(ctx); err != nil {
		return RecoveryStatus{}, fmt.Errorf("app: record the recovery: %w", err)
	}
	return s.RecoveryStatus(ctx)
}

// RecoveryStatus says whether recovery is set up and trusted, why it must
// be set up again if not, and how many administrators' shares this
// administrator can already combine.
func (s *Session) RecoveryStatus(ctx context.Context) (RecoveryStatus, error) {
	r, err := s.can(roles.SplitRecover)
	if err != nil {
		return RecoveryStatus{}, err
	}
	st := RecoveryStatus{Admins: len(activeAdmins(r))}
	p, err := readRecovery(ctx, r)
	var u *untrusted
	switch {
	case errors.Is(err, ErrNoRecovery):
	case errors.As(err, &u):
		st.NeedsNewSplit, st.Reason = true, "Set up recovery again: "+u.reason+". Until then no key is escrowed."
	case err != nil:
		return RecoveryStatus{}, err
	default:
		st.Set = true
	}
	if st.Admins < minRecoveryThreshold {
		st.Reason = strings.TrimSpace(st.Reason + " A recovery needs at least two administrators: add a second administrator first.")
	}
	if u != nil && u.forged || p.id == "" {
		return st, nil
	}
	st.ID, st.Threshold, st.Shares, st.SetAt, st.SetBy = p.id, p.threshold, len(p.admins), p.setAt, p.setBy
	if m, ok := r.Member(p.setBy); ok {
		st.SetBy = m.Name
	}
	if p.x(r.Fingerprint()) != 0 {
		st.Released = 1
	}
	st.Released += len(s.releasedToMe(ctx, r))
	return st, nil
}

// escrowEntity names the escrow of key k to split id by its holder.
func escrowEntity(id, scope string, epoch uint32) string {
	return "recovery:" + id + ":" + scope + ":" + strconv.FormatUint(uint64(epoch), 10)
}
