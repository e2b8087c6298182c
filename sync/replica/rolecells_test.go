package replica

import (
	"encoding/json"
	"maps"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
)

// FuzzRoleCells: what a directory entry keeps of the changes of role
// written into it (foldRoleCells) is a function of the set of events,
// whatever they hold and whatever order they come in (three revocations
// among them), and reading it
// (memberFromState, roleAt, entered) never panics.
func FuzzRoleCells(f *testing.F) {
	f.Add([]byte(`{"from":"physician","to":"administrator","heads":{"d":3}}`),
		[]byte(`{"from":"physician","to":"administrator","heads":{"d":9,"e":1}}`), []byte(`"physician"`), []byte(`2`),
		uint64(5), uint64(3), uint64(4), "d", "e")
	f.Add([]byte(`{"from":"receptionist","to":"physician","heads":{}}`), []byte(`null`), []byte(`"receptionist"`), []byte(`-1`),
		uint64(1), uint64(1), uint64(9), "e", "d")
	f.Fuzz(func(t *testing.T, c1, c2, role, count []byte, l1, l2, l3 uint64, d1, d2 string) {
		// A third revocation, naming the fuzzed devices (session 15
		// review G1: what every revocation let stand is kept).
		heads, _ := json.Marshal(map[string]uint64{d1: l2 % 7, d2: l3 % 5, "d": l1 % 3}) //nolint:errcheck // a map of ints
		events := []struct {
			h crypto.Header
			f Fields
		}{
			{crypto.Header{Lamport: l1, Device: d1}, Fields{RoleChangeField(1): c1, "role": role}},
			{crypto.Header{Lamport: l2, Device: d2}, Fields{RoleChangeField(1): c2, RoleChangeField(2): c1}},
			{crypto.Header{Lamport: l3, Device: d1}, Fields{"role": role, "status": json.RawMessage(`"active"`)}},
			{crypto.Header{Lamport: l2 ^ l3, Device: d2}, Fields{"revoked_heads": json.RawMessage(`{"d":2,"role_changes":` + string(count) + `}`)}},
			{crypto.Header{Lamport: l1 + 1, Device: d2}, Fields{"revoked_heads": json.RawMessage(`{"d":1,"role_changes":1}`)}},
			{crypto.Header{Lamport: l3 + 2, Device: d1}, Fields{"revoked_heads": heads}},
		}
		fold := func(order []int) State {
			st := State{}
			for _, i := range order {
				foldRoleCells(st, events[i].h, events[i].f)
			}
			return st
		}
		a, b := fold([]int{0, 1, 2, 3, 4, 5}), fold([]int{5, 4, 3, 2, 1, 0})
		if !maps.EqualFunc(a, b, func(x, y Cell) bool { return string(x.V) == string(y.V) && x.L == y.L }) {
			t.Fatalf("the order of events changed what the entry keeps:\n%v\n%v", a, b)
		}
		a.MergeOnce(Fields{"role": role, "revoked_heads": json.RawMessage(`{"d":1}`)}, l3, d1, nil)
		m := memberFromState("fp", a)
		for _, seq := range []uint64{0, 1, 2, 3, 9, 10} {
			_ = m.roleAt(crypto.Header{Kind: KindConfirms, Scope: string(roles.Directory), Device: "d", Seq: seq, Lamport: l2})
			_ = m.roleAt(crypto.Header{Kind: "note", Scope: string(roles.Clinical), Device: "e", Seq: seq, Lamport: l1})
		}
		_ = m.entered(roles.Clinical)
		_ = m.HistoryDisputed()
		_ = roleView(m)
	})
}

// TestJudgeRole: of the roles a disputed history says an event may have
// been written in, a data record stands if one may write it, anything
// else only by the role within the others.
func TestJudgeRole(t *testing.T) {
	note := crypto.Header{Kind: "note", Scope: string(roles.Clinical)}
	patient := crypto.Header{Kind: "patient", Scope: string(roles.FrontDesk)}
	confirms := crypto.Header{Kind: KindConfirms, Scope: string(roles.Directory)}
	grant := crypto.Header{Kind: KindGrant, Scope: string(roles.Clinical)}
	P, R, A := roles.Physician, roles.Receptionist, roles.Administrator
	for _, tc := range []struct {
		name string
		h    crypto.Header
		set  []roles.Role
		want roles.Role
	}{
		{"one role", confirms, []roles.Role{A}, A},
		{"a note, physician or receptionist", note, []roles.Role{R, P}, P},
		{"a note, administrator or physician", note, []roles.Role{A, P}, P},
		{"a note, receptionist or administrator (neither may)", note, []roles.Role{R, A}, ""},
		{"a patient, physician or receptionist", patient, []roles.Role{P, R}, P},
		{"a confirmation, physician or receptionist", confirms, []roles.Role{P, R}, R},
		{"a confirmation, physician or administrator", confirms, []roles.Role{P, A}, ""},
		{"a grant of the clinical key, physician or receptionist", grant, []roles.Role{P, R}, ""},
		{"a grant, physician or administrator", grant, []roles.Role{A, P}, ""},
		{"an acknowledgement of keys, any role", crypto.Header{Kind: "key-held", Scope: string(roles.Directory)}, []roles.Role{A, P, R}, A},
	} {
		got := judgeRole(tc.h, tc.set)
		if tc.name == "a note, receptionist or administrator (neither may)" {
			if _, ok := roleAllows(tc.h, got); ok {
				t.Errorf("%s: judged by %q, which may write it", tc.name, got)
			}
			continue
		}
		if got != tc.want {
			t.Errorf("%s: judged by %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestRevokedReach: what every revocation of an entry let stand is, per
// device, the lowest last sequence any of them accepted, a device one of
// them does not name has none, and the clock is the lowest; in any order.
func TestRevokedReach(t *testing.T) {
	type rev struct {
		heads map[string]uint64
		l     uint64
	}
	for _, tc := range []struct {
		name   string
		revs   []rev
		want   map[string]uint64
		lowest uint64
	}{
		{"one revocation, what it read left out", []rev{{map[string]uint64{"a": 3, RevokedChanges: 2, RevokedRole + "physician": 1}, 9}},
			map[string]uint64{"a": 3}, 9},
		{"a wider second one widens nothing", []rev{{map[string]uint64{"a": 3}, 9}, {map[string]uint64{"a": 7, "b": 2}, 12}},
			map[string]uint64{"a": 3}, 9},
		{"a narrower second one narrows", []rev{{map[string]uint64{"a": 3, "b": 4}, 9}, {map[string]uint64{"a": 1, "b": 4}, 4}},
			map[string]uint64{"a": 1, "b": 4}, 4},
		{"a device one leaves out has none", []rev{{map[string]uint64{"a": 3, "b": 4}, 9}, {map[string]uint64{"b": 5}, 10}},
			map[string]uint64{"b": 4}, 9},
		{"no device at all", []rev{{map[string]uint64{}, 9}, {map[string]uint64{"a": 1}, 2}}, map[string]uint64{}, 2},
	} {
		for _, reverse := range []bool{false, true} {
			var r revokedReach
			for i := range tc.revs {
				if reverse {
					i = len(tc.revs) - 1 - i
				}
				r.narrow(tc.revs[i].heads, tc.revs[i].l)
			}
			if !maps.Equal(r.Heads, tc.want) || r.Lowest != tc.lowest {
				t.Errorf("%s (reversed %v): %v lowest %d, want %v lowest %d", tc.name, reverse, r.Heads, r.Lowest, tc.want, tc.lowest)
			}
		}
	}
}
