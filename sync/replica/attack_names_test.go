package replica

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// TestAttackMemberNameOnApply: Attack (session 10, finding 2): an
// administrator's workstation of an older version, or modified software,
// writes a directory entry whose name hides characters (a zero-width
// space, a right-to-left override, a control character), so every screen
// would show a receptionist under a name that reads as a physician's.
// Every other workstation refuses each such event alone (ruleContent), the
// name stays what it was, and the administrator's chain stays whole. An
// entry signed as written before the rule began stands, on every
// workstation alike, so a newcomer replaying the log builds the directory
// the others hold.
func TestAttackMemberNameOnApply(t *testing.T) {
	c := newClinic(t)
	exchange(t, c.stations()...)
	others := []*station{c.sRecep, c.sPhys, c.sPh2}
	const reason = "the member's name cannot stand in the directory"
	for _, tc := range []struct {
		what   string
		name   json.RawMessage
		reason string
	}{
		{"a zero-width space", json.RawMessage(`"Paul\u200bPhysician"`), reason},
		{"a right-to-left override", json.RawMessage(`"Rita \u202enaicisyhP luaP"`), reason},
		{"a control character", json.RawMessage(`"Rita\u0000Reception"`), reason},
		{"an escaped lone surrogate", json.RawMessage(`"Rita\ud800"`), reason},
		{"bytes that are not UTF-8", json.RawMessage("\"Rita\xffReception\""), reason},
		{"no text", json.RawMessage(`42`), "the member's name is not text"},
	} {
		t.Run(tc.what, func(t *testing.T) {
			bad := c.sAdmin.forge(forged{Entity: c.recep.fp(), Kind: KindMember, Scope: "directory", Fields: Fields{"name": tc.name}})
			for _, s := range others {
				s.apply(bad.Raw)
			}
			wantRefused(t, bad, tc.reason, others...)
			for _, s := range others {
				if m, _ := s.r.Member(c.recep.fp()); m.Name != "Rita Reception" {
					t.Errorf("%s shows the receptionist as %q", s.p.name, m.Name)
				}
			}
		})
	}
	// Her chain stays whole: her next honest change applies everywhere.
	honest := c.sAdmin.append(Change{Entity: c.recep.fp(), Kind: KindMember, Scope: roles.Directory,
		Fields: fields(t, map[string]any{"name": "Rita B. Reception"})})
	exchange(t, c.stations()...)
	for _, s := range others {
		if st, why := s.state(honest.Header.ID); st != store.Applied {
			t.Errorf("%s: the administrator's next honest change is %v (%s)", s.p.name, st, why)
		}
	}
	// Signed as written before the rule began: it stands everywhere, and
	// a screen shows it with the hidden rune written out.
	c.sAdmin.r.now = func() time.Time { return time.UnixMilli(nameRuleSince - 1) }
	old := c.sAdmin.forge(forged{Entity: c.phys.fp(), Kind: KindMember, Scope: "directory", Fields: Fields{"name": json.RawMessage(`"Paul\u200bPhysician"`)}})
	exchange(t, c.stations()...)
	for _, s := range others {
		if st, why := s.state(old.Header.ID); st != store.Applied {
			t.Errorf("%s: an entry written before the rule is %v (%s)", s.p.name, st, why)
		}
		if m, _ := s.r.Member(c.phys.fp()); roles.VisibleName(m.Name) != "Paul⟨U+200B⟩Physician" {
			t.Errorf("%s: the entry's name is shown as %q", s.p.name, roles.VisibleName(m.Name))
		}
	}
}

// TestAttackVitalsRecordedByAColleague: Attack (session 10 review,
// observation): a physician's modified software put a colleague's
// fingerprint in a vitals set's recorded_by, and the chart and the FHIR
// export named that colleague as who measured. Every workstation refuses
// an event whose author field names someone else.
func TestAttackVitalsRecordedByAColleague(t *testing.T) {
	c := newClinic(t)
	others := []*station{c.sRecep, c.sPh2, c.sAdmin}
	for _, tc := range []struct {
		what    string
		fields  map[string]any
		refused bool
	}{
		{"a colleague's name", map[string]any{"patient": "p1", "pulse": 70, "recorded_by": c.phys2.fp()}, true},
		{"no text", map[string]any{"patient": "p1", "pulse": 70, "recorded_by": 7}, true},
		{"her own", map[string]any{"patient": "p1", "pulse": 70, "recorded_by": c.phys.fp()}, false},
		{"none", map[string]any{"patient": "p1", "pulse": 71}, true}, // honest software always names it (session 11, finding 8)
	} {
		t.Run(tc.what, func(t *testing.T) {
			env := c.sPhys.forge(forged{Entity: crypto.NewEventID(), Kind: "vitals", Scope: string(roles.Clinical), Fields: fields(t, tc.fields)})
			for _, s := range others {
				s.apply(env.Raw)
			}
			if tc.refused {
				wantRefused(t, env, "its author", c.sPh2)
				return
			}
			if st, why := c.sPh2.state(env.Header.ID); st != store.Applied {
				t.Errorf("an honest vitals set is %v (%s)", st, why)
			}
		})
	}
}
