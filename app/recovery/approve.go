package recovery

import (
	"context"
	"errors"
	"fmt"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// Physicians approve a split. An administrator can admit a second
// administrator of her own making and split the recovery key between the
// two: then the clinical key's shares, escrowed by every physician's
// workstation, would rebuild whole in her hands. So the clinical key is
// escrowed only to a split that a physician approved (replica's
// confirmations record, "recovery/SPLIT"), one whom the escrowing
// workstation counts as confirmed: a physician who knows who the clinic's
// administrators are. The front-desk key likewise (it too goes only to
// colleagues confirmed in person): a receptionist's workstation escrows it
// to a split a physician it counts as confirmed for the front desk
// approved. Receptionists do not approve (replica counts a receptionist's
// approval for nothing).

// ErrSplitChanged is returned when the split a physician approves is no
// longer the one in force (an administrator set up recovery again).
var ErrSplitChanged = errors.New("recovery: the recovery was set up again meanwhile")

// Approval is the split in force as a physician sees it.
type Approval struct {
	Set       bool // a trusted split is in force
	ID        string
	Threshold int
	Admins    []string // the administrators who hold shares, by name
	SetBy     string
	// ApprovedBy: confirmed physicians who approved it to hold the
	// clinical key's shares, by name; You: this physician did.
	ApprovedBy []string
	You        bool
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
	a := Approval{Set: true, ID: p.id, Threshold: p.threshold, SetBy: nameOf(r, p.setBy)}
	for _, fp := range p.admins {
		a.Admins = append(a.Admins, nameOf(r, fp))
	}
	for _, fp := range r.RecoveryApprovedBy(roles.Clinical, p.id) {
		a.ApprovedBy = append(a.ApprovedBy, nameOf(r, fp))
		a.You = a.You || fp == r.Fingerprint()
	}
	return a, nil
}

// ApproveClinical approves split id, the split in force, to hold shares
// of the clinical key: every physician's workstation that counts this
// physician as confirmed escrows its clinical keys to it at its next
// upkeep. Approve only when the administrators it names are the clinic's.
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

// nameOf is a member's name, or her short fingerprint when unknown.
func nameOf(r *replica.Replica, fp string) string {
	if m, ok := r.Member(fp); ok {
		return m.Name
	}
	return fp[:min(len(fp), 16)]
}
