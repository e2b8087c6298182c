package recovery

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// Entities and kinds of the recovery scheme.
const (
	entityRecovery       = roles.RecoveryID // directory: the split in force
	kindRecoveryEscrow   = "recovery-escrow"
	kindRecoveryHandover = "recovery-handover"
	scopeRecovery        = "recovery" // roles.RecoveryEscrow: raw events: sealed to named keys, not a data scope
	minRecoveryThreshold = 2
)

// recoverable are the scopes whose keys are escrowed: the clinic core's,
// since revoking an administrator rotates them.
var recoverable = app.RecoverableScopes()

// ErrNoRecovery means no recovery has been set up in this clinic.
var ErrNoRecovery = errors.New("recovery: no recovery has been set up in this clinic")

// ErrUntrusted means the clinic's split is no longer trusted (an
// administrator it names was revoked, or nobody entitled signed it): no key
// is escrowed to it, and an administrator must set up recovery again.
var ErrUntrusted = errors.New("recovery: recovery must be set up again")

// ErrDisputed means the escrows of an epoch rebuild no key that opens the
// records written with it, or several that open as many: a member
// escrowed a false key, and that epoch was not recovered.
var ErrDisputed = errors.New("recovery: a false key was escrowed")

// ErrUnconfirmed means a key was recovered and handed over on the word of
// members nobody vouches for: no confirmation links those who wrote with
// it to the member who made the clinic's key (release.go, clinicReach).
var ErrUnconfirmed = errors.New("recovery: a key was chosen on the word of members nobody vouches for")

// Service is the clinic's recovery as an administrator runs it from a
// logged-in session.
type Service struct {
	c app.Core
}

// New returns the recovery of a session (s.Core()).
func New(c app.Core) *Service { return &Service{c: c} }

// Of is the recovery of s when s is an *app.Session or holds one embedded
// (as the GUI's synced session does): how the UI, which sees a session
// only through interfaces, finds it.
func Of(s any) (*Service, bool) {
	c, ok := app.CoreOf(s)
	if !ok {
		return nil, false
	}
	return New(c), true
}

// Status is what the security screen shows of the recovery.
type Status struct {
	Set       bool // a split is in force: keys are escrowed to it
	ID        string
	Threshold int
	Shares    int
	SetBy     string // administrator's name
	SetAt     time.Time
	Released  int // administrators whose shares are at hand on this workstation, own included
	Admins    int // the clinic's active administrators
	// The clinical key, as the physicians' workstations handled it (an
	// administrator's workstation confirms nobody, so it reports what
	// theirs did rather than judge approvals itself), by name:
	// ClinicalEscrowedBy: physicians whose workstations escrowed a
	// clinical key to this split; ClinicalNotEscrowedBy: the other active
	// physicians (their workstations hold no clinical key yet, or count no
	// approving physician as confirmed); ClinicalApprovedBy: physicians
	// who approved the split (approve.go) and whom an escrowing
	// workstation counts as confirmed. No escrow: no key of patients'
	// records is escrowed to it (the front desk's waits for the same
	// approval), and Reason says so.
	ClinicalEscrowedBy    []string
	ClinicalNotEscrowedBy []string
	ClinicalApprovedBy    []string

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

func (u *untrusted) Error() string { return ErrUntrusted.Error() + ": " + u.reason }
func (u *untrusted) Unwrap() error { return ErrUntrusted }

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

// Split sets up recovery among the active administrators: any threshold
// of them (at least two) together can recover the clinical and front-desk
// scopes. No secret is made here: each holder of those keys splits them
// among these administrators at its next upkeep. It replaces an earlier
// split.
func (s *Service) Split(ctx context.Context, threshold int) (Status, error) {
	r, err := s.c.ReplicaFor(roles.SplitRecover)
	if err != nil {
		return Status{}, err
	}
	admins := activeAdmins(r)
	switch {
	case len(admins) < minRecoveryThreshold:
		return Status{}, fmt.Errorf("%w: a recovery needs at least two administrators, and this clinic has one: add a second administrator first, then set up recovery",
			app.ErrInvalidInput)
	case threshold < minRecoveryThreshold:
		return Status{}, fmt.Errorf("%w: a recovery needs at least two administrators together, so that none can recover alone: choose between 2 and %d",
			app.ErrInvalidInput, len(admins))
	case threshold > len(admins):
		return Status{}, fmt.Errorf("%w: the number of administrators needed must be between 2 and %d (the clinic's active administrators)",
			app.ErrInvalidInput, len(admins))
	case !slices.Contains(admins, r.Fingerprint()):
		return Status{}, fmt.Errorf("%w: only an active administrator sets up recovery", app.ErrInvalidInput)
	}
	p := recoveryPolicy{id: app.NewID(16), threshold: threshold, admins: admins, setBy: r.Fingerprint(),
		setAt: time.UnixMilli(s.c.Now().UnixMilli())}
	sig, err := r.Identity().Sign(p.signed())
	if err != nil {
		return Status{}, fmt.Errorf("recovery: sign the recovery: %w", err)
	}
	fields, err := records.Recovery{ID: p.id, Threshold: threshold, Admins: admins, SetBy: p.setBy, SetAt: p.setAt, Sig: sig}.Fields()
	if err != nil {
		return Status{}, err
	}
	b := r.Batch().Append(replica.Change{Entity: entityRecovery, Kind: records.KindRecovery, Scope: roles.Directory, Fields: fields})
	if err := s.c.AuditInBatch(r, b, app.AuditRecord{Action: "recovery.split", Entity: entityRecovery,
		Detail: fmt.Sprintf("set up recovery: %d of %d administrators needed", threshold, len(admins))}); err != nil {
		return Status{}, err
	}
	if _, err := b.Commit(ctx); err != nil {
		return Status{}, fmt.Errorf("recovery: record the recovery: %w", err)
	}
	return s.Status(ctx)
}

// Status says whether recovery is set up and trusted, why it must be set
// up again if not, and how many administrators' shares this administrator
// can already combine.
func (s *Service) Status(ctx context.Context) (Status, error) {
	r, err := s.c.ReplicaFor(roles.SplitRecover)
	if err != nil {
		return Status{}, err
	}
	st := Status{Admins: len(activeAdmins(r))}
	p, err := readRecovery(ctx, r)
	var u *untrusted
	switch {
	case errors.Is(err, ErrNoRecovery):
	case errors.As(err, &u):
		st.NeedsNewSplit, st.Reason = true, "Set up recovery again: "+u.reason+". Until then no key is escrowed."
	case err != nil:
		return Status{}, err
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
	if st.Set {
		if err := clinicalEscrows(ctx, r, p, &st); err != nil {
			return Status{}, err
		}
		if len(st.ClinicalEscrowedBy) == 0 {
			st.Reason = strings.TrimSpace(st.Reason + " No physician's workstation has escrowed the clinical key to this recovery, so the patients' clinical records " +
				"cannot be recovered with it, nor (until a physician approves) the front desk's. Ask a physician to look at its administrators under Colleagues and approve it; " +
				"the physicians' workstations escrow the clinical key at their next sync after that.")
		}
	}
	if p.x(r.Fingerprint()) != 0 {
		st.Released = 1
	}
	st.Released += len(releasedToMe(ctx, r))
	return st, nil
}

// escrowEntity names the escrow of key k to split id by its holder.
func escrowEntity(id, scope string, epoch uint32) string {
	return "recovery:" + id + ":" + scope + ":" + strconv.FormatUint(uint64(epoch), 10)
}

// clinicalEscrows fills in st what the physicians' workstations did with
// the clinical key for split p: who escrowed a share of it to exactly p's
// administrators (an escrow under p's id to others was made for another
// split signed under the same id), who did not, and which approvals of p
// an escrowing workstation counts (its member reaches the approver
// through confirmations, as replica's reckoning does). An approval alone
// is a physician's word, which an unconfirmed physician can give too.
func clinicalEscrows(ctx context.Context, r *replica.Replica, p recoveryPolicy, st *Status) error {
	all, err := escrowsFor(ctx, r, "")
	if err != nil {
		return err
	}
	escrowed := map[string]bool{}
	for _, e := range all {
		if e.Policy == p.id && roles.NeedsConfirmation(roles.Scope(e.Scope)) && sharesTo(e, p.admins) {
			escrowed[e.author] = true
		}
	}
	members := r.Members()
	slices.SortFunc(members, func(a, b replica.Member) int { return strings.Compare(a.Fingerprint, b.Fingerprint) })
	approvers := r.RecoveryApprovals(p.approval())
	counted := map[string]bool{}
	for _, m := range members {
		if !m.Active() || !m.Role.Holds(roles.Clinical) {
			continue
		}
		if !escrowed[m.Fingerprint] {
			st.ClinicalNotEscrowedBy = append(st.ClinicalNotEscrowedBy, nameOf(r, m.Fingerprint))
			continue
		}
		st.ClinicalEscrowedBy = append(st.ClinicalEscrowedBy, nameOf(r, m.Fingerprint))
		reached := r.Reaches(roles.Clinical, m.Fingerprint)
		for _, fp := range approvers {
			counted[fp] = counted[fp] || reached[fp]
		}
	}
	for _, fp := range approvers {
		if m, ok := r.Member(fp); ok && counted[fp] && m.Active() && m.Role.Holds(roles.Clinical) {
			st.ClinicalApprovedBy = append(st.ClinicalApprovedBy, nameOf(r, fp))
		}
	}
	return nil
}

// sharesTo reports whether escrow e sealed one share to each of admins and
// to nobody else.
func sharesTo(e escrow, admins []string) bool {
	if len(e.Shares) != len(admins) {
		return false
	}
	for _, fp := range admins {
		if e.Shares[fp] == "" {
			return false
		}
	}
	return true
}
