package replica

import (
	"slices"
	"strings"

	"github.com/medihaven/medihaven/roles"
)

// Kinds of events the replica itself interprets. Every other kind is an
// entity of the app's (patient, appointment, note...) merged field by field.
const (
	// KindKey publishes a member's public key: self-signed, in clear (the key's
	// user id names nobody).
	KindKey = "key"
	// KindMember is a directory entry: name, role, status, the token the
	// member joined with and the devices that are theirs. Admins write them.
	KindMember = "member"
	// KindGrant carries one scope epoch key encrypted to one member. Its
	// header names the scope, the epoch and the recipient, never the key.
	KindGrant = "grant"
	// KindEnroll is a newcomer's request to join, sealed with a key derived
	// from the registration token's secret.
	KindEnroll = "enroll"
)

// Scopes of envelopes that are not one of the data scopes.
const (
	// ScopePublic marks envelopes whose payload is in clear (public keys).
	ScopePublic = "public"
	// ScopeEnroll marks enrollment requests (see KindEnroll).
	ScopeEnroll = "enroll"
)

// Member statuses.
const (
	StatusActive  = "active"
	StatusRevoked = "revoked"
)

// Member is one staff member as the directory knows them.
type Member struct {
	Fingerprint string
	Name        string
	Role        roles.Role
	Status      string
	Token       string // registration token id they joined with ("" for the founder)
	AdmittedBy  string // fingerprint of the admitting administrator
	Joined      int64  // unix ms
	// HeldBy names, sorted, the writers of the revocations of her that
	// hold her though their own revocation or change of role refused
	// them (hold.go); none for a member nothing holds.
	HeldBy []string
	// RevokedHeads is, for a revoked member, the last sequence accepted from
	// each of their devices; anything later is rejected everywhere.
	RevokedHeads map[string]uint64
	// Admitted is the role the entry was admitted with: the first role
	// written into it ("" in a state kept by a version before session 13,
	// until it is rebuilt).
	Admitted roles.Role
	// Changes is the member's role history, oldest first, as far as it is
	// consistent (roleheads.go): Role is the last change's result.
	// Entries whose role never changed, or changed before changes were
	// recorded, have none.
	Changes []RoleChange
	// RoleLamport is the Lamport clock of the event that wrote the role
	// the entry names.
	RoleLamport uint64
	// RoleWritten is the highest Lamport clock of any event that wrote
	// "role" into the entry (recorded change or not), and AdmittedLamport
	// the clock of the admission role kept (RoleRewritten).
	RoleWritten, AdmittedLamport uint64
	// roleD is the device of the event that wrote the role the entry
	// names (with RoleWritten, its place: entered.go).
	roleD string
	// RoleHeads is Changes in session 12's form (the role left by each
	// change, with its heads), which ChangeRole still writes for
	// workstations of that version.
	RoleHeads []RoleHeld
	// Devices are the workstations the administrators' entry names as the
	// member's (the device its enrollment request came from). When it
	// names any, an event of another device is not the member's.
	// Entries written before devices were named have none.
	Devices []string
	// devicesOpen: an admission of the entry named no devices (an entry
	// of before issue 13): her lists name devices that are hers, never
	// the only ones (devicesOpenField).
	devicesOpen bool
	// fork is what her entry records past the history read (rolecells.go).
	fork roleFork
	// view is roleView's text of the entry, worked out when it is read.
	view string
	// admitted is every role an admission-shaped event wrote into her
	// entry (rolecells.go): more than one is a disputed history.
	admitted []roles.Role
	// TokenTakenBy is, when another entry cited the same registration
	// token first, that member's fingerprint: this entry is not admitted
	// (admission.go). Decided by the replica, not written in the entry.
	TokenTakenBy string
}

// Active reports whether the member may still act: admitted, and not
// revoked.
func (m Member) Active() bool { return m.Status != StatusRevoked && m.TokenTakenBy == "" && !m.Held() }

// Held reports whether a revocation refused for its writer holds the
// member (hold.go): she is not active, though not revoked.
func (m Member) Held() bool { return len(m.HeldBy) > 0 }

// Revoked reports whether an administrator revoked the member.
func (m Member) Revoked() bool { return m.Status == StatusRevoked }

// namesDevice reports whether the entry names devices, and device among
// them. An entry admitted without a list (devicesOpen) names no devices
// as the only ones: names is false, so a chain she signed first stays hers
// whatever list is written into it later; a device listed is still named.
func (m Member) namesDevice(device string) (names, named bool) {
	for _, d := range m.Devices {
		if d == device {
			return true, true
		}
	}
	return len(m.Devices) > 0 && !m.devicesOpen, false
}

func memberFromState(fp string, st State) Member {
	m := Member{Fingerprint: fp, Name: st.String("name"), Role: roles.Role(st.String("role")),
		Status: st.String("status"), Token: st.String("token"), AdmittedBy: st.String("admitted_by")}
	st.Get("joined", &m.Joined) //nolint:errcheck // missing reads as zero
	// What every revocation let stand (a second revocation never widens
	// the first: session 15 review, G1); a state folded before the cell
	// was kept reads the field.
	reach, folded := revokedReachOf(st)
	if folded {
		m.RevokedHeads = reach.Heads
	} else {
		st.Get("revoked_heads", &m.RevokedHeads) //nolint:errcheck
		for k := range m.RevokedHeads {
			if k == RevokedChanges || strings.HasPrefix(k, RevokedRole) {
				delete(m.RevokedHeads, k) // what it read, not a device (rolecells.go)
			}
		}
	}
	st.Get("devices", &m.Devices) //nolint:errcheck
	_, m.devicesOpen = st[devicesOpenField]
	// Every device any list named (rolecells.go devicesSeenField); a
	// state folded before the cell was kept reads the last list.
	var seen []string
	if ok, _ := st.Get(devicesSeenField, &seen); ok && len(seen) > 0 {
		for _, d := range m.Devices {
			if !slices.Contains(seen, d) {
				seen = append(seen, d)
			}
		}
		slices.Sort(seen)
		m.Devices = seen
	}
	m.Admitted, m.RoleLamport = roles.Role(st.String(admittedField)), st["role"].L
	m.RoleWritten, m.AdmittedLamport, m.roleD = st["role"].L, st[admittedField].L, st["role"].D
	admitted := admittedRoles(st)
	m.admitted = admitted
	m.Changes, m.fork = roleHistory(st, admitted)
	if revocation, revoked := st["revoked_heads"]; revoked {
		// Changes and roles are read up to the first revocation (G2);
		// latest, the last's clock, marks a fork (entered.go).
		first, latest := revocation.L, revocation.L
		if folded {
			first = reach.Lowest
		}
		// A revocation reads the history as far as it had it: how many
		// changes it read (RevokedChanges: the fewest any revocation of
		// the entry recorded), or, a revocation of an older version,
		// those written before its clock. What it leaves out may have
		// been written after it — or, since counts and clocks are their
		// writers' word, be an honest change a hostile revocation cuts
		// off (session 14 review, D1, D2) — so it joins the fork: every
		// role it names may be hers past the history read, and no
		// confirmation of her counts (entered.go). A change
		// written into a revoked entry so holds what she wrote past the
		// history (a denial, shown as disputed), never widens it.
		rc, counted := revokedChanges(st)
		keep := len(m.Changes)
		if counted {
			keep = min(keep, rc.Fewest)
		}
		for i, c := range m.Changes[:keep] {
			if c.Lamport > first {
				keep = i
				break
			}
		}
		m.fork = m.fork.with(m.Changes[keep:])
		m.Changes = m.Changes[:keep]
		switch {
		case len(rc.Roles) > 0:
			// The role the revocation read (session 14 review, C3);
			// where revocations read different roles, or another than
			// her history ends in, every one may be hers.
			// With no change, the roles she was admitted with are
			// what it is checked against: a revocation's role is its
			// writer's word (session 14 review, E3).
			read := admitted
			if len(m.Changes) > 0 {
				read = []roles.Role{m.Changes[len(m.Changes)-1].To}
			}
			if len(m.Changes) == 0 {
				m.Role = rc.Roles[0]
			}
			if len(rc.Roles) > 1 || len(read) > 0 && !slices.Equal(read, rc.Roles) {
				m.fork.roles = unionRoles(m.fork.roles, unionRoles(rc.Roles, read))
			}
		case len(m.Changes) == 0 && m.RoleLamport > first && len(admitted) == 1:
			m.Role, m.RoleLamport = m.Admitted, st[admittedField].L
		}
		if len(m.Changes) == 0 && len(admitted) != 1 {
			// No single admission role to hold the revoked entry to
			// (none written with a status, or several): every role it
			// names may be hers, and no confirmation of her counts
			// (session 14 review, F2, F3; entered.go).
			named := unionRoles(admitted, unionRoles(rc.Roles, []roles.Role{roles.Role(st.String("role"))}))
			m.fork.roles = unionRoles(m.fork.roles, slices.DeleteFunc(named, func(r roles.Role) bool { return !r.Valid() }))
			m.fork.latest = max(m.fork.latest, latest)
		}
		if m.RoleWritten > first {
			m.RoleWritten = 0 // written after it: takes no effect (entered.go)
		}
	}
	if len(m.Changes) > 0 {
		// A role written without a change takes no effect.
		m.Role = m.Changes[len(m.Changes)-1].To
		m.RoleLamport = m.Changes[len(m.Changes)-1].Lamport
	}
	for _, c := range m.Changes {
		m.RoleHeads = append(m.RoleHeads, RoleHeld{Role: c.From, Heads: c.Heads})
	}
	if m.Status == "" {
		m.Status = StatusActive
	}
	// A revocation is final (session 11 review, finding 2): an entry that
	// carries one (its revoked_heads field, written by every revocation)
	// reads as revoked whatever its status says later, so an
	// administrator cannot write a leaver "active" again and have her
	// colleagues' old confirmations grant her the new clinical epochs.
	// Re-joining takes a new token and a new key. Read from the entry's
	// merged state, which every workstation folds alike from the same
	// events: a later event only overwrites a field, never removes it, so
	// the verdict does not depend on the order events came in (refusing
	// an event that writes "active" would: where it came before the
	// revocation it would have been applied). A revocation refused
	// afterwards (its writer was revoked first) is folded out with its
	// fields.
	if _, revoked := st["revoked_heads"]; revoked {
		m.Status = StatusRevoked
	}
	m.view = roleView(m)
	return m
}

// epochGeneration is the generation part of an epoch number. An epoch is
// generation<<16 | 16 random bits, so two holders who rotate a scope at the
// same time make two distinct epochs of the same generation instead of two
// different keys under one number.
func epochGeneration(epoch uint32) uint32 { return epoch >> 16 }

// unionRoles returns the roles of a and b, sorted, each once.
func unionRoles(a, b []roles.Role) []roles.Role {
	out := slices.Concat(a, b)
	slices.Sort(out)
	return slices.Compact(out)
}
