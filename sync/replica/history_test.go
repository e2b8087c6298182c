package replica

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
)

// TestHistory: a record's history holds each applied event of its kind,
// oldest first, from every workstation, as written; a workstation without
// the scope's key reads none of it.
func TestHistory(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	id := crypto.NewEventID()
	field := func(v string) Fields { return Fields{"family": json.RawMessage(`"` + v + `"`)} }
	c.sRecep.append(Change{Entity: id, Kind: "patient", Scope: roles.FrontDesk, Fields: field("Ann")})
	exchange(t, c.stations()...)
	c.sPhys.append(Change{Entity: id, Kind: "patient", Scope: roles.FrontDesk, Fields: field("Anne")})
	exchange(t, c.stations()...)

	for _, tc := range []struct {
		name  string
		s     *station
		kind  string
		names []string
	}{
		{"the receptionist", c.sRecep, "patient", []string{"Ann", "Anne"}},
		{"the second physician", c.sPh2, "patient", []string{"Ann", "Anne"}},
		{"another kind", c.sRecep, "appointment", nil},
		{"the administrator, without the front desk's key", c.sAdmin, "patient", nil},
	} {
		events, err := tc.s.r.History(ctx, roles.FrontDesk, tc.kind, id)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var names []string
		for _, e := range events {
			var n string
			_ = json.Unmarshal(e.Fields["family"], &n)
			names = append(names, n)
		}
		if len(names) != len(tc.names) || (len(names) == 2 && (names[0] != "Ann" || names[1] != "Anne")) {
			t.Errorf("%s read %v, want %v", tc.name, names, tc.names)
		}
		if len(events) == 2 && (events[0].Author != c.recep.fp() || events[1].Author != c.phys.fp()) {
			t.Errorf("%s: authors %s, %s", tc.name, events[0].Author, events[1].Author)
		}
	}
}
