package admin

import (
	"context"
	"fmt"
	"time"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// StaffMember is one line of the administrator's staff directory.
type StaffMember struct {
	Fingerprint string
	Name        string
	Role        roles.Role
	// FormerRoles are the roles the member held before, oldest first:
	// her role history as every workstation reads it (replica's
	// roleheads.go), shown so a change nobody remembers making is seen.
	FormerRoles []roles.Role
	// HistoryDisputed: administrators recorded different changes of her
	// role (replica's rolecells.go), so some of what she wrote may be
	// held on every workstation.
	HistoryDisputed bool
	// RoleRewritten: a role was written into her entry without a
	// recorded change, which voids her colleagues' earlier
	// confirmations of her (replica's Member.RoleRewritten).
	RoleRewritten bool
	Active        bool
	Joined        time.Time // zero when unknown
	Token         string    // the registration token they joined with ("" for the founder)
	AdmittedBy    string    // the admitting administrator's name (or fingerprint when unknown)
	LastSeen      time.Time // time of their newest event this workstation holds; zero when none
	Revoked       time.Time // zero while active
	RevokedBy     string
	// HeldBy names the administrators whose revocation of her holds her
	// though their own revocation or change of role refused it (replica's
	// hold.go): she is not active, and gets a new token to come back.
	HeldBy []string
	// TokenTakenBy names the member whose entry an administrator wrote
	// citing her registration token first (replica's admission.go): her
	// entry does not stand, so nothing she wrote counts, on every
	// workstation alike, until she is issued a new token.
	TokenTakenBy string
	// SetAsideBy names the administrator whose entry of her was refused
	// for its writer (replica's SetAside): he was revoked, or moved out
	// of the administrators, with heads from before he wrote it. She is in
	// no workstation's directory; what she wrote waits on every one.
	SetAsideBy string
	// Forked lists her workstations (device ids) that signed two
	// different events for one place of their chain, each with the place
	// from which what she wrote there is set aside on every workstation
	// (replica's fork.go): a member's modified software, or a copy of her
	// profile that wrote too. An administrator may revoke her.
	Forked []replica.Fork
	// ConfirmedBy names, for a physician or receptionist, the colleagues
	// who confirmed them in person for the widest key their role holds
	// (the clinical key for a physician, the front desk's for a
	// receptionist), and Confirms those they confirmed for it
	// (app/colleagues.go): the key goes to them once a colleague who
	// holds it and they have confirmed each other.
	ConfirmedBy, Confirms []string
}

// ShortFingerprint groups the first 16 hex digits of a key fingerprint in
// fours, the way staff read one aloud to compare it.
func ShortFingerprint(fp string) string {
	if len(fp) > 16 {
		fp = fp[:16]
	}
	out := make([]byte, 0, len(fp)+4)
	for i := 0; i < len(fp); i++ {
		if i > 0 && i%4 == 0 {
			out = append(out, ' ')
		}
		out = append(out, fp[i])
	}
	return string(out)
}

// StaffDirectory lists the clinic's staff with what an administrator needs
// to run the membership: role, key, when and by which token they joined,
// when their workstation was last heard of, and who confirmed each
// physician and receptionist in person.
func (s *Service) StaffDirectory(ctx context.Context) ([]StaffMember, error) {
	r, err := s.c.ReplicaFor(roles.ReadDirectory)
	if err != nil {
		return nil, err
	}
	seen, err := s.lastSeen(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("admin: staff directory: %w", err)
	}
	nameOf := func(fp string) string {
		if m, ok := r.Member(fp); ok {
			return m.Name
		}
		return ShortFingerprint(fp)
	}
	members := r.Members()
	out := make([]StaffMember, 0, len(members))
	for _, m := range members {
		sm := StaffMember{Fingerprint: m.Fingerprint, Name: m.Name, Role: m.Role, Active: m.Active(),
			Token: m.Token, LastSeen: seen[m.Fingerprint]}
		for _, c := range m.Changes {
			sm.FormerRoles = append(sm.FormerRoles, c.From)
		}
		sm.HistoryDisputed, sm.RoleRewritten = m.HistoryDisputed(), m.RoleRewritten()
		if m.Joined > 0 {
			sm.Joined = time.UnixMilli(m.Joined)
		}
		if m.AdmittedBy != "" {
			sm.AdmittedBy = nameOf(m.AdmittedBy)
		}
		if scope, ok := confirmedFor(m.Role); ok {
			for _, by := range r.ConfirmedBy(scope, m.Fingerprint) {
				sm.ConfirmedBy = append(sm.ConfirmedBy, nameOf(by))
			}
			for _, o := range members {
				if r.Confirms(scope, m.Fingerprint, o.Fingerprint) {
					sm.Confirms = append(sm.Confirms, o.Name)
				}
			}
		}
		for _, by := range m.HeldBy {
			sm.HeldBy = append(sm.HeldBy, nameOf(by))
		}
		if !m.Active() {
			_, st, err := r.Entity(ctx, m.Fingerprint)
			if err == nil {
				var at int64
				st.Get("revoked", &at) //nolint:errcheck // missing reads as zero
				if at > 0 {
					sm.Revoked = time.UnixMilli(at)
				}
				if by := st.String("revoked_by"); by != "" {
					sm.RevokedBy = nameOf(by)
				}
			}
		}
		if m.TokenTakenBy != "" {
			sm.TokenTakenBy = nameOf(m.TokenTakenBy)
		}
		out = append(out, sm)
	}
	forks := map[string][]replica.Fork{}
	for _, f := range r.Forks() {
		forks[f.Author] = append(forks[f.Author], f)
	}
	for i := range out {
		out[i].Forked = forks[out[i].Fingerprint]
	}
	aside, err := r.SetAside(ctx)
	if err != nil {
		return nil, fmt.Errorf("admin: staff directory: %w", err)
	}
	for _, e := range aside {
		out = append(out, StaffMember{Fingerprint: e.Fingerprint, Name: e.Name, Role: e.Role,
			LastSeen: seen[e.Fingerprint], SetAsideBy: nameOf(e.WrittenBy)})
	}
	return out, nil
}

// confirmedFor is the widest key of role that goes only to members
// colleagues confirmed in person: false for a role that holds none.
func confirmedFor(role roles.Role) (roles.Scope, bool) {
	for _, s := range []roles.Scope{roles.Clinical, roles.FrontDesk} {
		if role.Holds(s) && roles.NeedsConfirmation(s) {
			return s, true
		}
	}
	return "", false
}

// lastSeen returns, per author, the time of the newest event of any of
// their devices: each device's head is written by the device's owner.
func (s *Service) lastSeen(ctx context.Context, r *replica.Replica) (map[string]time.Time, error) {
	heads, err := s.c.Heads(ctx, r)
	out := map[string]time.Time{}
	for _, h := range heads {
		if h.Time.After(out[h.Author]) {
			out[h.Author] = h.Time
		}
	}
	return out, err
}
