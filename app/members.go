package app

import (
	"context"
	"fmt"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
)

// Directory lists the clinic's staff.
func (s *Session) Directory() ([]replica.Member, error) {
	r, err := s.can(roles.ReadDirectory)
	if err != nil {
		return nil, err
	}
	return r.Members(), nil
}

// RevokeMember revokes a staff member: their later events are rejected on
// every workstation, their own workstation is locked out, and every scope
// they held gets a new epoch granted only to the remaining members (the
// directory and admin scopes here at once; front-desk and clinical by the
// next workstation holding them, in Maintain).
func (s *Session) RevokeMember(ctx context.Context, fp string) error {
	r, err := s.can(roles.RevokeStaff)
	if err != nil {
		return err
	}
	m, ok := r.Member(fp)
	switch {
	case !ok:
		return fmt.Errorf("%w: no staff member with key %s", ErrInvalidInput, fp)
	case m.Revoked():
		// An entry that is not admitted (its token admitted someone else
		// first) may still be revoked, so it never stands later.
		return fmt.Errorf("%w: %s was revoked already", ErrInvalidInput, m.Name)
	case fp == r.Fingerprint():
		return fmt.Errorf("%w: you cannot revoke yourself; ask another administrator", ErrInvalidInput)
	}
	// The last event accepted from each of the member's devices, as this
	// workstation knows them: anything later is rejected everywhere.
	heads := map[string]uint64{}
	err = r.DB().View(ctx, func(tx *store.Tx) error {
		hs, err := tx.Heads(ctx)
		if err != nil {
			return err
		}
		for _, h := range hs {
			e, err := tx.EnvelopeAt(ctx, h.Device, h.Seq)
			if err != nil {
				return err
			}
			if e.Author == fp {
				heads[h.Device] = h.Seq
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("app: revoke: %w", err)
	}
	fields, err := replica.F(map[string]any{
		"status": replica.StatusRevoked, "revoked_heads": heads, "revoked_by": r.Fingerprint(),
		"revoked": s.env.Now().UnixMilli(),
	})
	if err != nil {
		return err
	}
	if _, err := r.Append(ctx, replica.Change{Entity: fp, Kind: replica.KindMember, Scope: roles.Directory, Fields: fields}); err != nil {
		return fmt.Errorf("app: revoke %s: %w", m.Name, err)
	}
	_, err = s.Maintain(ctx)
	return err
}
