package app

import (
	"context"
	"fmt"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// Directory lists the clinic's staff. A name the directory took before
// names were judged (roles.CheckPersonName) is shown with its hidden
// runes written out (roles.VisibleName), so it cannot pass for another's.
func (s *Session) Directory() ([]replica.Member, error) {
	r, err := s.can(roles.ReadDirectory)
	if err != nil {
		return nil, err
	}
	ms := r.Members()
	for i := range ms {
		ms[i].Name = roles.VisibleName(ms[i].Name)
	}
	return ms, nil
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
	// workstation knows them: anything later is rejected everywhere. At
	// most replica.MaxRevokedDevices of them (h-sec20a: a member whose
	// software made 30,000 chains could not be revoked); a chain left out
	// is cut as one not seen here.
	heads, err := r.MemberHeads(ctx, fp, replica.MaxRevokedDevices)
	if err != nil {
		return fmt.Errorf("app: revoke: %w", err)
	}
	// And how many changes of role it read in her entry: her history is
	// read that far on every workstation, whatever is written later.
	heads[replica.RevokedChanges] = uint64(len(m.Changes))
	heads[replica.RevokedRole+string(m.Role)] = 1
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
	s.logServerAdmins(ctx) // the chat server's right to invite follows (serveradmins.go)
	return err
}

// roleChange is one change of a member's role, kept in their directory
// entry (field "role_changes"), so every workstation holding a scope the
// member lost counts it like a revocation and starts a new epoch.
type roleChange struct {
	From roles.Role `json:"from"`
	To   roles.Role `json:"to"`
	By   string     `json:"by"`
	At   int64      `json:"at"` // unix ms
}

const fieldRoleChanges = "role_changes"

// ChangeRole gives a staff member another role: their directory entry
// names the new role (and keeps the change), the workstations holding the
// scopes of the new role grant them at their next upkeep, and every scope
// the member loses gets a new epoch granted only to those who keep it, as
// after a revocation: the member keeps what they could read before, never
// what is written after. Their own workstation shows the new role's
// screens from its next unlock.
//
// The entry also records the change, its own field written once
// (replica.RoleChangeField): the role they held, the new one, and the
// last event of each of their devices this workstation holds. Every
// workstation judges what they wrote up to there, before the change, by
// the former role, and what this workstation had not seen yet (written
// offline, or not synced here) by the new one. The changes an older
// version recorded (replica.FieldRoleHeads) are carried over with it, and
// that version's list is still written for its workstations.
func (s *Session) ChangeRole(ctx context.Context, fp string, role roles.Role) error {
	r, err := s.can(roles.RevokeStaff)
	if err != nil {
		return err
	}
	m, ok := r.Member(fp)
	switch {
	case !role.Valid():
		return fmt.Errorf("%w: %w", ErrInvalidInput, roles.ErrUnknownRole)
	case !ok:
		return fmt.Errorf("%w: no staff member with key %s", ErrInvalidInput, fp)
	case !m.Active():
		return fmt.Errorf("%w: %s has no access to change; issue them a new token instead", ErrInvalidInput, m.Name)
	case fp == r.Fingerprint():
		return fmt.Errorf("%w: you cannot change your own role; ask another administrator", ErrInvalidInput)
	case m.Role == role:
		return fmt.Errorf("%w: %s is %s already", ErrInvalidInput, m.Name, roleWord(role))
	case m.HistoryDisputed():
		// A change written now would not be read past the dispute
		// (replica's rolecells.go).
		return fmt.Errorf("%w: %s's role history is disputed (administrators recorded different changes of it), so a new change would not take effect; revoke them and issue them a new token", ErrInvalidInput, m.Name)
	case len(m.Changes) >= replica.MaxRoleChanges:
		return fmt.Errorf("%w: %s's role was changed %d times already; issue them a new token instead", ErrInvalidInput, m.Name, len(m.Changes))
	}
	changes, err := roleChanges(ctx, r, fp)
	if err != nil {
		return err
	}
	changes = append(changes, roleChange{From: m.Role, To: role, By: r.Fingerprint(), At: s.env.Now().UnixMilli()})
	// At most replica.MaxRoleDevices chains: every workstation refuses a
	// change naming more (a chain left out is judged by the new role).
	heads, err := r.MemberHeads(ctx, fp, replica.MaxRoleDevices)
	if err != nil {
		return fmt.Errorf("app: change %s's role: %w", m.Name, err)
	}
	held := append(m.RoleHeads[:len(m.RoleHeads):len(m.RoleHeads)], replica.RoleHeld{Role: m.Role, Heads: heads})
	write := map[string]any{"role": role, fieldRoleChanges: changes, replica.FieldRoleHeads: held}
	// The changes the entry lacks: this one, and those an older version
	// recorded only in its list. A change written again would only widen
	// the reach every workstation judges it by (replica's rolecells.go).
	history := m.Changes[:len(m.Changes):len(m.Changes)]
	if len(history) == 0 && m.Admitted != "" && m.Admitted != m.Role {
		// Changed by a version that recorded no change: that change
		// first, covering nothing (what she wrote was judged by the role
		// the entry names), so the history starts from her admission.
		history = append(history, replica.RoleChange{From: m.Admitted, To: m.Role, Heads: map[string]uint64{}})
	}
	history = append(history, replica.RoleChange{From: m.Role, To: role, Heads: heads})
	recorded, err := r.RecordedChanges(ctx, fp)
	if err != nil {
		return fmt.Errorf("app: change %s's role: %w", m.Name, err)
	}
	for i, c := range history {
		if i+1 > recorded {
			write[replica.RoleChangeField(i+1)] = c
		}
	}
	fields, err := replica.F(write)
	if err != nil {
		return err
	}
	if _, err := r.Append(ctx, replica.Change{Entity: fp, Kind: replica.KindMember, Scope: roles.Directory, Fields: fields}); err != nil {
		return fmt.Errorf("app: change %s's role: %w", m.Name, err)
	}
	_, err = s.Maintain(ctx)
	s.logServerAdmins(ctx) // the chat server's right to invite follows (serveradmins.go)
	return err
}

// roleChanges reads the role changes kept in a member's entry.
func roleChanges(ctx context.Context, r *replica.Replica, fp string) ([]roleChange, error) {
	_, st, err := r.Entity(ctx, fp)
	if err != nil {
		return nil, fmt.Errorf("app: read %s's entry: %w", short(fp), err)
	}
	var changes []roleChange
	st.Get(fieldRoleChanges, &changes) //nolint:errcheck // none kept reads as none
	return changes, nil
}

func roleWord(r roles.Role) string {
	switch r {
	case roles.Administrator:
		return "an administrator"
	case roles.Receptionist:
		return "a receptionist"
	case roles.Physician:
		return "a physician"
	}
	return string(r)
}
