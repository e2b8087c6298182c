package replica

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/store"
)

// forgeMoveAt is forgeMove with its Lamport clock chosen.
func (s *station) forgeMoveAt(from string, head, lamport uint64) *crypto.Envelope {
	s.t.Helper()
	payload, err := json.Marshal(moveBody{Head: head, Pub: base64.StdEncoding.EncodeToString(s.p.id.Public().Bytes())})
	if err != nil {
		s.t.Fatal(err)
	}
	return s.forge(forged{Device: s.p.bound(), Seq: 1, Entity: MovedEntity(from), Kind: KindMove, Scope: ScopePublic, Raw: payload, Lamport: lamport})
}

// TestAttackS19aDroppedMoveKeepsItsKeyCell: Nina, on a random id X her
// entry names, writes two moves from X onto two ids bound to her key, the
// one with the higher clock sent first. A workstation that hears it first
// applies it (it is the first of her moves it knows) and publishes her
// key from it (a key record whose cell is the move's); the other move,
// earlier by (Lamport, device, seq), then counts, and the first one's
// chain is dropped (settleDevice) — but the key record keeps the dropped
// move's cell: settleDevice rebuilds the key only for a dropped key
// event. A workstation that hears them the other way round never keeps
// the later move: the two disagree on her key record for good.
func TestAttackS19aDroppedMoveKeepsItsKeyCell(t *testing.T) {
	c := newClinic(t)
	nina := c.newcomer(t, "Nina Newcomer")
	c.sAdmin.apply(nina.own()...)
	c.sAdmin.entry(nina.p, crypto.NewEventID(), nina.r.Device())
	exchange(t, append(c.stations(), nina)...)
	base := c.sPhys.everything()
	l := nina.r.lamport
	late := nina.forgeMoveAt(nina.r.Device(), 1, l+20)
	early := nina.forgeMoveAt(nina.r.Device(), 1, l+10)
	var got []*station
	for _, order := range [][]*crypto.Envelope{{late, early}, {early, late}} {
		s := c.observer(t)
		s.apply(base...)
		for _, env := range order {
			s.apply(env.Raw)
		}
		if st, why := s.state(early.Header.ID); st != store.Applied {
			t.Fatalf("the earlier move is %v (%s)", st, why)
		}
		if st, _ := s.state(late.Header.ID); st == store.Applied {
			t.Fatalf("the later move is applied too")
		}
		got = append(got, s)
	}
	if d := got[0].snapshot().diff(got[1].snapshot()); d != "" {
		t.Errorf("the two orders disagree:\n%s", d)
	}
}

// TestAttackS19aManyMovesFromOneChain: Nina, a member whose entry names
// no device (every bound chain of hers is named), writes move after move
// "from" one random id, each onto another id bound to her key (its salt
// is hers), each a chain of its own that the sync room fetches and a
// workstation applies on its own. Judging each made every workstation
// read all her moves from that id and settle every one of their chains
// (judgeMoves): the n-th move costs n times the first, n² in all.
func TestAttackS19aManyMovesFromOneChain(t *testing.T) {
	if testing.Short() {
		t.Skip("applies 1,500 moves one by one")
	}
	c := newClinic(t)
	nina := c.newcomer(t, "Nina Newcomer")
	c.sAdmin.apply(nina.own()...)
	c.sAdmin.entry(nina.p, crypto.NewEventID())
	exchange(t, append(c.stations(), nina)...)
	from := c.sRecep.r.Device()
	s := c.sPhys
	const n = 1500
	moves := make([]*crypto.Envelope, n)
	for i := range moves {
		moves[i] = nina.forgeMove(from, 1)
	}
	timed := func(envs []*crypto.Envelope) time.Duration {
		var ds []time.Duration
		for _, env := range envs {
			start := time.Now()
			s.apply(env.Raw)
			ds = append(ds, time.Since(start))
		}
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	first := timed(moves[:20])
	s.apply(raws(moves[20 : n-20]...)...)
	last := timed(moves[n-20:])
	t.Logf("applying one of her moves from one chain: %v among the first 20, %v after %d (medians)", first, last, n-20)
	if last > 4*first+5*time.Millisecond {
		t.Errorf("the %d-th move from one chain costs %v to apply, the first ones %v", n, last, first)
	}
}
