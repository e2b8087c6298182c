package replica

// h-id17 (session 17): a copied event id must not pre-empt the genuine
// event (h-sec17a C). An event's id is its writer's random choice, in the
// clear; its place in its device's chain is what makes it one event. Both
// envelopes of one id are kept (store.PutEvent: the later one under its
// alias) and judged on their own, whichever came first.

import (
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// TestCopiedIdKeepsBothEvents: Rita copies the id of Ada's revocation of
// Pia into a patient record of her own; two newcomers get Ada's chain and
// Rita's in opposite orders (in an Apply each, or in one), then both again
// (a re-fetch: nothing new, no problem). On every workstation (the
// newcomers, Paul, and Ada and Rita, who each stored their own event under
// the id first) both events and the next event of each chain are kept
// (applied; sealed on Ada's, who holds no front-desk key),
// Pia is revoked, the audit finds every chain whole, and the newcomers end
// with Paul's state.
func TestCopiedIdKeepsBothEvents(t *testing.T) {
	for _, tc := range []struct {
		name     string
		together bool // both chains in one Apply
	}{
		{name: "each chain in an Apply of its own"},
		{name: "both chains in one Apply", together: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClinic(t)
			exchange(t, c.stations()...)
			rev := c.revoke(c.phys2)
			adaNext := c.sAdmin.entry(newPerson(t, "Nora Later", roles.Receptionist), "")
			record := func(id, family string) *crypto.Envelope {
				return c.sRecep.forge(forged{ID: id, Entity: crypto.NewEventID(), Kind: "patient", Scope: string(roles.FrontDesk),
					Fields: fields(t, map[string]any{"family": family})})
			}
			copied := record(rev.Header.ID, "Copied")
			ritaNext := record("", "After")
			ada, rita := c.sAdmin.everything(), c.sRecep.everything()
			newcomer := func(name string, batches ...[][]byte) *station {
				s := open(t, newPerson(t, name, roles.Physician), c.id)
				s.holdKeys(c.sPhys, roles.Directory, roles.FrontDesk, roles.Clinical)
				if tc.together {
					batches = [][][]byte{append(append([][]byte{}, batches[0]...), batches[1]...)}
				}
				for _, b := range batches {
					s.apply(b...)
				}
				s.apply(ada...) // any of the first that waited for the second
				again := s.apply(append(append([][]byte{}, ada...), rita...)...)
				if again.New != 0 || len(again.Problems) != 0 {
					t.Errorf("%s gets both chains again: %d new, problems %v", name, again.New, again.Problems)
				}
				return s
			}
			adaFirst := newcomer("Olga Observer", ada, rita)
			ritaFirst := newcomer("Otto Observer", rita, ada)
			exchange(t, c.stations()...)
			for _, s := range []*station{adaFirst, ritaFirst, c.sPhys, c.sAdmin, c.sRecep} {
				for _, e := range []struct {
					what string
					env  *crypto.Envelope
				}{{"Ada's revocation", rev}, {"Ada's next event", adaNext}, {"Rita's copy", copied}, {"Rita's next event", ritaNext}} {
					if st, why := s.stateOf(e.env); st != store.Applied && st != store.Sealed {
						t.Errorf("on %s's workstation %s is %v (%s), want kept (applied, or sealed without its key)", s.p.name, e.what, st, why)
					}
				}
				if m, _ := s.r.Member(c.phys2.fp()); !m.Revoked() {
					t.Errorf("Pia, revoked by Ada, reads %s on %s's workstation", m.Status, s.p.name)
				}
				problems, err := s.r.Verify(t.Context())
				if err != nil || len(problems) != 0 {
					t.Errorf("the audit of %s's workstation: %v, %v", s.p.name, problems, err)
				}
			}
			for _, s := range []*station{adaFirst, ritaFirst} {
				if d := c.sPhys.snapshot().diff(s.snapshot()); d != "" {
					t.Errorf("Paul's and %s's workstations differ:\n%s", s.p.name, d)
				}
			}
		})
	}
}

// TestCopiedIdsStayBounded: an outsider's device (no entry names it)
// sends a chain of events that all copy the id of a stored event. Each is
// new (its chain place is free) though its id is taken, so the bound on
// an unnamed device counts it: at most unnamedEvents are stored, under
// their aliases, as for ids of their own (unnamed.go).
func TestCopiedIdsStayBounded(t *testing.T) {
	c := newClinic(t)
	sOtto := join(t, newPerson(t, "Otto Outsider", roles.Physician), c.id)
	taken, err := crypto.ParseEnvelope(c.sAdmin.own()[0])
	if err != nil {
		t.Fatal(err)
	}
	c.sPh2.apply(outsiderChainOf(t, sOtto, 4*unnamedEvents, taken.Header.ID)...)
	if rows, bytes, states := c.sPh2.deviceRows(sOtto.r.Device()); rows > unnamedEvents || int64(bytes) > unnamedBytes {
		t.Errorf("a device no entry names stored %d events under a copied id (%d bytes, by state %v): the bound is %d events",
			rows, bytes, states, unnamedEvents)
	}
	if st, why := c.sPh2.stateOf(taken); st != store.Applied {
		t.Errorf("the event whose id was copied is %v (%s), want applied", st, why)
	}
}
