package replica

// Session 17 (h-cap17): what a device no directory entry names may store
// on other workstations (h-sec17b's observation; unnamed.go).

import (
	"context"
	"strconv"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// deviceRows counts what s stores of device's chain, and its bytes, by
// state.
func (s *station) deviceRows(device string) (n int, bytes int, states map[store.EnvelopeState]int) {
	s.t.Helper()
	ctx := context.Background()
	states = map[store.EnvelopeState]int{}
	err := s.db.View(ctx, func(tx *store.Tx) error {
		rows, err := tx.EnvelopesAfter(ctx, device, 0, -1)
		for _, r := range rows {
			n, bytes = n+1, bytes+len(r.Raw)
			states[r.State]++
		}
		return err
	})
	if err != nil {
		s.t.Fatal(err)
	}
	return n, bytes, states
}

// outsiderChain is a chain of n events on s's device after its key: what
// an outsider's software, with an XMPP account named like a device,
// announces in its packs (directory records sealed under a key of its
// own: nobody can open them, everybody stores them pending).
func outsiderChain(t *testing.T, s *station, n int) [][]byte {
	t.Helper()
	return outsiderChainOf(t, s, n, "")
}

// outsiderChainOf is outsiderChain with every event under id ("": an id
// of its own each).
func outsiderChainOf(t *testing.T, s *station, n int, id string) [][]byte {
	t.Helper()
	out := s.own()
	prev, err := crypto.ParseEnvelope(out[len(out)-1])
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		env := s.forge(forged{ID: id, Entity: "x" + strconv.Itoa(i), Kind: "licence", Scope: string(roles.Directory),
			Fields: Fields{"number": []byte(`"` + strconv.Itoa(i) + `"`)}, Lamport: uint64(i + 2),
			Device: s.r.Device(), Seq: prev.Header.Seq + 1, Prev: prev.Hash()})
		out, prev = append(out, env.Raw), env
	}
	return out
}

// TestAttackS17OutsiderFillsPending: an outsider's device (no directory
// entry names it or its key) sends 20,000 events in the packs of one
// announcement. On main every workstation stored all 20,001 (key
// applied, the rest pending: about 9 MB each time). Now at most
// unnamedEvents of them are stored, the rest are reported OverBound, and
// the device is marked so netsync fetches its announcements no more.
func TestAttackS17OutsiderFillsPending(t *testing.T) {
	const n = 20000
	c := newClinic(t)
	otto := newPerson(t, "Otto Outsider", roles.Physician)
	sOtto := join(t, otto, c.id)
	chain := outsiderChain(t, sOtto, n)
	sent := 0
	for _, raw := range chain {
		sent += len(raw)
	}
	for i := 0; i < len(chain); i += 5000 { // packs of 5,000 (netsync applies a walk's packs in turn)
		c.sPh2.apply(chain[i:min(i+5000, len(chain))]...)
	}
	rows, bytes, states := c.sPh2.deviceRows(sOtto.r.Device())
	t.Logf("sent %d events (%d bytes); stored %d rows, %d bytes, by state %v", len(chain), sent, rows, bytes, states)
	if rows > unnamedEvents || int64(bytes) > unnamedBytes {
		t.Fatalf("a device no entry names stored %d events (%d bytes): the bound is %d events, %d bytes", rows, bytes, unnamedEvents, unnamedBytes)
	}
	if !c.sPh2.r.OverBound(sOtto.r.Device()) {
		t.Fatal("the device past its bound is not marked: netsync would fetch its announcements again and again")
	}
}

// TestS17MemberBeforeAdmissionComesBack: Nina, a new administrator,
// writes 40 events after her admission; a workstation behind on the
// directory hears of her chain before her admission. It stores what the
// bound allows and marks her device; her admission lifts the mark, and
// her chain fetched again (her next announcement) ends with every event
// judged as on the workstation that had her admission first. Her chain
// arriving in the same Apply as her admission, before it, is stored
// whole at once.
func TestS17MemberBeforeAdmissionComesBack(t *testing.T) {
	for _, together := range []bool{false, true} {
		t.Run(map[bool]string{false: "admission later", true: "same batch"}[together], func(t *testing.T) {
			c := newClinic(t)
			nina, sNina := c.admittedBy(t, c.sAdmin, "Nina Newadmin", roles.Administrator)
			sNina.apply(c.sAdmin.own()...)
			for i := range 40 {
				sNina.append(Change{Entity: roles.LicencePrefix + crypto.NewEventID() + crypto.NewEventID()[:8], Kind: "licence", Scope: roles.Directory,
					Fields: fields(t, map[string]any{"number": strconv.Itoa(i)})})
			}
			chain := sNina.own()
			c.sAdmin.apply(chain...)
			device := sNina.r.Device()
			if together {
				rep := c.sPh2.apply(append(append([][]byte{}, chain...), c.sAdmin.own()...)...)
				if rep.OverBound != 0 || c.sPh2.r.OverBound(device) {
					t.Fatalf("her chain and her admission in one batch: %d events not stored", rep.OverBound)
				}
			} else {
				rep := c.sPh2.apply(chain...)
				rows, _, _ := c.sPh2.deviceRows(device)
				t.Logf("before her admission: %d of %d events stored, %d not", rows, len(chain), rep.OverBound)
				if rep.OverBound == 0 || !c.sPh2.r.OverBound(device) {
					t.Fatalf("her %d events before her admission were all stored (%d rows): no bound", len(chain), rows)
				}
				c.sPh2.apply(c.sAdmin.own()...)
				if c.sPh2.r.OverBound(device) {
					t.Fatal("her admission arrived and her device is still marked: her chain would never be fetched again")
				}
				c.sPh2.apply(chain...) // her next announcement, fetched
			}
			rows, _, states := c.sPh2.deviceRows(device)
			_, _, want := c.sAdmin.deviceRows(device)
			if rows != len(chain) || states[store.Pending] != 0 || len(states) != len(want) || states[store.Applied] != want[store.Applied] {
				t.Fatalf("%s's chain on a workstation that heard it before her admission: %d of %d stored, by state %v; "+
					"on the admitting administrator's: %v", nina.name, rows, len(chain), states, want)
			}
		})
	}
}
