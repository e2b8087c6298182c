package replica

// roleheads.go holds the role rule's memory of role changes (session 12
// review, finding 6): an event is judged by the role its author held when
// she wrote it, not by the role her directory entry names now. Each change
// of role records, in the member's entry (field "role_heads"), the role
// she held before and the last sequence of each of her devices the
// administrator's workstation had seen when it changed the role
// (RoleHeld). An event at or below the heads of a change is judged by the
// role held before it; an event above the heads of every change, by the
// role the entry names. Every workstation reads the same merged entry, so
// the verdict does not depend on the order the events and the change
// arrived in. Events of hers the administrator's workstation had not seen
// when it changed the role are judged by the new role: a workstation that
// applied them under the former role refuses them once it learns of the
// change (judgeRoles), and one that refused them for her role judges them
// again. Entries written before the field existed have none: their
// members' events are judged by the role the entry names, as before.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// FieldRoleHeads is the directory entry's field that records the member's
// former roles ([]RoleHeld, oldest change first).
const FieldRoleHeads = "role_heads"

// Bounds on the role_heads field, which administrators write: checked on
// apply like its shape, so no entry makes every workstation hold and scan
// a list grown without bound.
const (
	// MaxRoleChanges is how many changes of role one entry records.
	MaxRoleChanges = 64
	// MaxRoleDevices is how many devices one change names.
	MaxRoleDevices = 64
)

// RoleHeld is one role a member held before a change of role, and the last
// sequence of each of her devices seen when the role changed: her events
// at or below them were written in this role.
type RoleHeld struct {
	Role  roles.Role        `json:"role"`
	Heads map[string]uint64 `json:"heads"`
}

// roleAt is the role the member wrote the event at (device, seq) in: that
// of the first change whose heads cover it, else the role the entry names.
func (m Member) roleAt(device string, seq uint64) roles.Role {
	for _, held := range m.RoleHeads {
		if seq <= held.Heads[device] {
			return held.Role
		}
	}
	return m.Role
}

// checkRoleHeads applies the shape rule to the role_heads field of a
// directory entry: a list of at most MaxRoleChanges changes, each naming
// a role and at most MaxRoleDevices well-formed device ids.
func checkRoleHeads(h crypto.Header, f Fields) error {
	if h.Kind != KindMember {
		return nil
	}
	// Nobody changes her own role (session 13 review, S3): an event that
	// did would be judged by the role it writes, and its verdict would
	// flip with its own effect. Only the founder's genesis entry names
	// its own author's role, administrator, and an administrator may write
	// it again unchanged.
	if h.Entity == h.Author {
		var role roles.Role
		if _, ok := f[FieldRoleHeads]; ok {
			return fmt.Errorf("a member does not record her own former roles")
		}
		if v, ok := f["role"]; ok && (json.Unmarshal(v, &role) != nil || role != roles.Administrator) {
			return fmt.Errorf("a member does not change her own role")
		}
		if _, ok := f["revoked_heads"]; ok {
			return fmt.Errorf("a member does not revoke herself")
		}
	}
	raw, ok := f[FieldRoleHeads]
	if !ok {
		return nil
	}
	var held []RoleHeld
	if err := json.Unmarshal(raw, &held); err != nil {
		return fmt.Errorf("the member's former roles are malformed")
	}
	if len(held) > MaxRoleChanges {
		return fmt.Errorf("the member's entry records %d changes of role, more than %d", len(held), MaxRoleChanges)
	}
	for _, c := range held {
		if !c.Role.Valid() {
			return fmt.Errorf("a former role of the member is no role: %q", c.Role)
		}
		if len(c.Heads) > MaxRoleDevices {
			return fmt.Errorf("a change of role names %d devices, more than %d", len(c.Heads), MaxRoleDevices)
		}
		for d := range c.Heads {
			if !ValidDevice(d) {
				return fmt.Errorf("a change of role names %q, which is no device", d)
			}
		}
	}
	return nil
}

// roleView is what the verdicts on a member's events depend on in her
// entry: the role it names and her former roles with their heads. An
// entry that records no change of role (written before changes were
// recorded, or by an older version) has none: a role written there
// without its heads judges only the events that arrive after it, as
// before, and nothing applied is judged again.
func roleView(m Member) string {
	if len(m.RoleHeads) == 0 {
		return ""
	}
	b, _ := json.Marshal(m.RoleHeads) // maps marshal in key order
	return string(m.Role) + " " + string(b)
}

// loadRoleViews records, for every member, the view of her entry her
// events were judged by (the store as it is: judged).
func (r *Replica) loadRoleViews() {
	r.roleSeen = make(map[string]string, len(r.members))
	for fp, m := range r.members {
		r.roleSeen[fp] = roleView(m)
	}
}

// judgeRoles judges again the events of every member whose entry changed
// (r.dirty) in what her role verdicts depend on: events refused for her
// role go back to pending, applied or sealed events her role at their
// place may not write are refused, and the records whose kind she may no
// longer have fixed are settled again. It reports whether anything moved.
func (r *Replica) judgeRoles(ctx context.Context, tx *store.Tx) (bool, error) {
	moved := false
	for fp := range r.dirty {
		r.state.RLock()
		m, ok := r.members[fp]
		r.state.RUnlock()
		if !ok {
			continue
		}
		was, seen := r.roleSeen[fp]
		if !seen && (r.anchors[fp] || r.p.Clinic != "" && strings.HasPrefix(fp, r.p.Clinic)) {
			seen = true // authorised as an administrator before her entry came
		}
		now := roleView(m)
		r.roleSeen[fp] = now
		if !seen || was == now {
			continue // nothing of hers was judged by a role before
		}
		did, err := r.rejudgeRole(ctx, tx, fp, m)
		if err != nil {
			return moved, err
		}
		moved = moved || did
	}
	return moved, nil
}

// rejudgeRole judges the events of member fp again by her entry m.
func (r *Replica) rejudgeRole(ctx context.Context, tx *store.Tx, fp string, m Member) (bool, error) {
	devices, err := tx.DevicesOf(ctx, fp)
	if err != nil {
		return false, fmt.Errorf("replica: devices of %s: %w", short(fp), err)
	}
	moved := false
	var touched []string
	for _, d := range devices {
		for after := uint64(0); ; {
			rows, err := tx.EnvelopesAfter(ctx, d, after, rolePage)
			if err != nil {
				return moved, fmt.Errorf("replica: events of %s: %w", short(fp), err)
			}
			if len(rows) == 0 {
				break
			}
			after = rows[len(rows)-1].Seq
			did, ids, err := r.rejudgeRows(ctx, tx, fp, m, rows)
			if err != nil {
				return moved, err
			}
			moved = moved || did
			touched = append(touched, ids...)
		}
	}
	slices.Sort(touched)
	for _, id := range slices.Compact(touched) {
		if err := r.rebind(ctx, tx, id, nil); err != nil {
			return moved, err
		}
		moved = true
	}
	return moved, nil
}

// rolePage is how many of a member's events rejudgeRole reads at a time.
const rolePage = 2000

// rejudgeRows judges rows, events of member fp's device, again by her
// entry m. It returns the records whose kind must be settled again.
func (r *Replica) rejudgeRows(ctx context.Context, tx *store.Tx, fp string, m Member, rows []store.Envelope) (moved bool, touched []string, err error) {
	for _, row := range rows {
		if row.Author != fp || row.Kind == KindKey || row.Kind == KindEnroll {
			continue
		}
		h := crypto.Header{Kind: row.Kind, Scope: row.Scope, Entity: row.Entity, Author: row.Author,
			Device: row.Device, Seq: row.Seq, Lamport: row.Lamport}
		role, _, _, ok := r.authorize(h, m, true)
		switch {
		case row.State == store.Rejected && row.Rule == ruleRole:
			err = r.setState(ctx, tx, row, pending("the author's role was changed: judged again"))
			moved = true
		case row.State != store.Applied && row.State != store.Sealed || !ok:
			continue // refused otherwise, or swept by its own rule
		default:
			v, allowed := roleAllows(h, role)
			if !allowed {
				err = r.setState(ctx, tx, row, v)
				moved = true
				if isRecordKind(row.Kind) {
					touched = append(touched, row.Entity)
				}
				break
			}
			// Her event may still stand, but no longer fix its
			// record's kind.
			if k, _ := roles.KindOf(row.Kind); isRecordKind(row.Kind) && !k.MayCreate(role) {
				b, berr := tx.Binding(ctx, row.Entity)
				if berr != nil && !errors.Is(berr, store.ErrNotFound) {
					return moved, touched, fmt.Errorf("replica: binding of %s: %w", row.Entity, berr)
				}
				if berr == nil && b.Device == row.Device && b.Seq == row.Seq {
					touched = append(touched, row.Entity)
				}
			}
		}
		if err != nil {
			return moved, touched, err
		}
	}
	return moved, touched, nil
}

// MemberHeads returns the last event of each of member fp's devices this
// workstation judged: its head (the last applied or sealed), then the
// events after it refused by a rule that keeps the chain whole (a note
// her role did not allow), which she wrote before too. What a revocation
// (revoked_heads) and a change of role (FieldRoleHeads) record.
func (r *Replica) MemberHeads(ctx context.Context, fp string) (map[string]uint64, error) {
	heads := map[string]uint64{}
	err := r.p.DB.View(ctx, func(tx *store.Tx) error {
		hs, err := tx.Heads(ctx)
		if err != nil {
			return err
		}
		for _, h := range hs {
			e, err := tx.EnvelopeAt(ctx, h.Device, h.Seq)
			if err != nil {
				return err
			}
			if e.Author != fp {
				continue
			}
			tail, err := tx.EnvelopesAfter(ctx, h.Device, h.Seq, -1)
			if err != nil {
				return err
			}
			seq := h.Seq
			for _, t := range tail {
				if t.Seq != seq+1 || t.State != store.Rejected || t.Rule == "" {
					break
				}
				seq = t.Seq
			}
			heads[h.Device] = seq
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("replica: heads of %s: %w", short(fp), err)
	}
	return heads, nil
}
