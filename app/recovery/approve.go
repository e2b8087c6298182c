package recovery

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"

	"github.com/medihaven/medihaven/app"
	appadmin "github.com/medihaven/medihaven/app/admin"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// Physicians approve a split. An administrator can admit a second
// administrator of her own making and split the recovery key between the
// two: then the clinical key's shares, escrowed by every physician's
// workstation, would rebuild whole in her hands. So the clinical key is
// escrowed only to a split that a physician approved (replica's
// confirmations record, "recovery/APPROVAL"), one whom the escrowing
// workstation counts as confirmed: a physician who knows who the clinic's
// administrators are. The front-desk key likewise (it too goes only to
// colleagues confirmed in person): a receptionist's workstation escrows it
// to a split a physician it counts as confirmed for the front desk
// approved. Receptionists do not approve (replica counts a receptionist's
// approval for nothing).
//
// An approval names the split's content, not its id
// (recoveryPolicy.approval): the id is whatever the administrator's signed
// record says, so she could sign a new split under an approved id naming
// herself and a puppet (session 11 review, finding 1). An approval of the
// older form, by the split's id, no longer counts: the physician is asked
// again (Approval.Again). And since names are the administrator's word,
// the physician sees each administrator's key fingerprint beside her name
// (finding 3).

// ErrSplitChanged is returned when the split a physician approves is no
// longer the one in force (an administrator set up recovery again).
var ErrSplitChanged = errors.New("recovery: the recovery was set up again meanwhile")

// Approval is the split in force as a physician sees it.
type Approval struct {
	Set bool // a trusted split is in force
	// ID names what a physician approves: the split's content
	// (recoveryPolicy.approval: its id, threshold, administrators, who set
	// it up and when), so an approval never passes to another split under
	// the same id.
	ID        string
	Threshold int
	// Admins: the administrators who hold shares, each as her name (hidden
	// characters written out) and her key's short fingerprint, e.g.
	// "Ada Admin (key 3f2a 19c0 77b1 0d4e)": a name is the administrator's
	// word, the key is what the physician compares with the one that
	// administrator's own Staff directory shows.
	Admins []string
	SetBy  string
	// ApprovedBy: confirmed physicians who approved it to hold the
	// clinical key's shares, by name; You: this physician did.
	ApprovedBy []string
	You        bool
	// Again: this physician approved this split in the older form, by its
	// id alone, which no longer counts: she must look at it and approve
	// again.
	Again bool
}

// ClinicalApproval says which split is in force and who approved it to
// hold the clinical key's shares (a physician's workstation).
func (s *Service) ClinicalApproval(ctx context.Context) (Approval, error) {
	r, err := s.c.ReplicaFor(roles.ReadDirectory)
	if err != nil {
		return Approval{}, err
	}
	if m, ok := r.Member(r.Fingerprint()); !ok || !m.Active() || !m.Role.Holds(roles.Clinical) {
		return Approval{}, fmt.Errorf("%w: only physicians approve who holds shares of the clinical key", roles.ErrForbidden)
	}
	p, err := readRecovery(ctx, r)
	var u *untrusted
	if errors.Is(err, ErrNoRecovery) || errors.As(err, &u) {
		return Approval{}, nil // none, or one an administrator must set up again: nothing to approve
	}
	if err != nil {
		return Approval{}, err
	}
	a := Approval{Set: true, ID: p.approval(), Threshold: p.threshold, SetBy: nameOf(r, p.setBy)}
	for _, fp := range p.admins {
		a.Admins = append(a.Admins, fmt.Sprintf("%s (key %s)", nameOf(r, fp), appadmin.ShortFingerprint(fp)))
	}
	for _, fp := range r.RecoveryApprovedBy(roles.Clinical, a.ID) {
		a.ApprovedBy = append(a.ApprovedBy, nameOf(r, fp))
		a.You = a.You || fp == r.Fingerprint()
	}
	a.Again = !a.You && slices.Contains(r.RecoveryApprovals(p.id), r.Fingerprint())
	return a, nil
}

// ApproveClinical approves the split in force, id being its Approval.ID
// as the physician was shown it, to hold shares of the clinical key:
// every physician's workstation that counts this physician as confirmed
// escrows its clinical keys to it at its next upkeep. Approve only when
// the administrators and keys it names are the clinic's. A split changed
// since (even under the same split id) is refused with ErrSplitChanged.
func (s *Service) ApproveClinical(ctx context.Context, id string) error {
	a, err := s.ClinicalApproval(ctx)
	if err != nil {
		return err
	}
	switch {
	case !a.Set:
		return fmt.Errorf("%w: no recovery is set up to approve", app.ErrInvalidInput)
	case a.ID != id:
		return fmt.Errorf("%w: look at the administrators it names again before you approve", ErrSplitChanged)
	}
	r, err := s.c.ReplicaFor(roles.ReadDirectory)
	if err != nil {
		return err
	}
	return r.ApproveRecovery(ctx, id)
}

// approval is what a physician's approval of split p names (the field
// "recovery/APPROVAL" of her confirmations record): the first 128 bits, in
// lowercase hex, of SHA-256 over everything the administrator signed. Any
// other administrators, threshold or signer make another approval.
func (p recoveryPolicy) approval() string {
	sum := sha256.Sum256(p.signed())
	return hex.EncodeToString(sum[:16])
}

// nameOf is a member's name with any hidden characters written out (a name
// entered before the name rule may carry some), or her short fingerprint
// when unknown.
func nameOf(r *replica.Replica, fp string) string {
	if m, ok := r.Member(fp); ok {
		return roles.VisibleName(m.Name)
	}
	return fp[:min(len(fp), 16)]
}
