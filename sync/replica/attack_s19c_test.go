package replica

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/store"
)

// TestAttackS19cRevokedAccountSpeaksForBoundIDs: Rita, revoked, keeps the
// XMPP account named like her random id Y: the upkeep ends the accounts
// of the devices her entry names, so an entry naming no device (a
// member admitted before devices were named) ends none, and until an
// administrator's workstation is online every account of hers stays.
// SpeaksFor let Y announce every id bound to her key (her entry names Y,
// or she owns Y's chain and has an entry, standing or not: h-sec19a kept
// revoked members there). Every event she writes after her revocation is
// refused everywhere and stored within the bound on unnamed devices (16
// events a device, unnamed.go), so from one account she had every
// workstation fetch and store 16 events on each of as many bound ids as
// she signs: the outsider's amplification of h-sec19a S19a-4, for a
// revoked member. A bound chain of hers her revocation read a head of
// (her moved chain) is still spoken for: a newcomer fetches what she
// wrote there before.
func TestAttackS19cRevokedAccountSpeaksForBoundIDs(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		names bool // her entry names Y
	}{
		{name: "her entry names no device"},
		{name: "her entry names her account's device", names: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClinic(t)
			rita := c.newcomer(t, "Rita Revoked")
			c.sAdmin.apply(rita.own()...)
			y := rita.r.Device()
			if tc.names {
				c.sAdmin.entry(rita.p, crypto.NewEventID(), y)
			} else {
				c.sAdmin.entry(rita.p, crypto.NewEventID())
			}
			exchange(t, append(c.stations(), rita)...)
			s := c.sPhys
			fresh := rita.p.bound()
			if !s.r.SpeaksFor(ctx, y, fresh) {
				t.Fatalf("setup: active Rita's account does not speak for an id bound to her key")
			}
			c.revoke(rita.p)
			exchange(t, c.stations()...)
			if m, _ := s.r.Member(rita.p.fp()); !m.Revoked() {
				t.Fatalf("setup: Rita is not revoked on Paul's workstation")
			}
			for range 3 {
				if d := rita.p.bound(); s.r.SpeaksFor(ctx, y, d) {
					t.Errorf("revoked Rita's account %s speaks for %s, a new id bound to her key", short(y), short(d))
				}
			}
			if !s.r.SpeaksFor(ctx, y, y) {
				t.Errorf("Rita's account no longer speaks for its own chain")
			}
		})
	}
	// A moved member revoked: her old account still speaks for the chain
	// she moved onto, which her revocation read a head of.
	c := newClinic(t)
	nina, _, _ := movedNewcomer(t, c)
	nina.patient("Nina's patient before her revocation")
	exchange(t, append(c.stations(), nina)...)
	c.revoke(nina.p)
	exchange(t, c.stations()...)
	if m, _ := c.sPhys.r.Member(nina.p.fp()); !m.Revoked() || m.RevokedHeads[nina.r.Device()] == 0 {
		t.Fatalf("setup: Nina revoked %v, her moved chain's head %d", m.Revoked(), m.RevokedHeads[nina.r.Device()])
	}
	if !c.sPhys.r.SpeaksFor(ctx, nina.movedFrom, nina.r.Device()) {
		t.Errorf("revoked Nina's old account no longer speaks for the chain she moved onto before")
	}
}

// TestAttackS19cBackdatedMoveErasesHerMovedChain: Nina, on a random id X
// her entry names, moved onto D1 and wrote a patient there, which every
// workstation applied. Her modified software then signs a second move
// from X, onto another id bound to her key, with a lower clock than her
// first: the move of hers from X that counts is the first by (Lamport,
// device, seq), so her entry names the new chain and no longer D1, and
// every workstation drops D1's chain whole (settleDevice), her patient
// included. The move's clock is hers to pick (seq 1, nothing below it):
// h-sec18d F2's erasing of her own past, by a second move instead of a
// head. Revoked first, she still erased what the revocation kept: a move
// is no act of membership.
func TestAttackS19cBackdatedMoveErasesHerMovedChain(t *testing.T) {
	for _, tc := range []struct {
		name    string
		revoked bool
	}{
		{name: "active"},
		{name: "revoked", revoked: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClinic(t)
			moved, nina, _ := movedNewcomer(t, c)
			from := nina.r.Device()
			patient := moved.patient("Nina's patient in the chain she moved onto")
			exchange(t, append(c.stations(), moved)...)
			s := c.sPhys
			if st, why := s.state(patient.Header.ID); st != store.Applied {
				t.Fatalf("setup: Nina's patient is %v (%s)", st, why)
			}
			if tc.revoked {
				c.revoke(moved.p)
				exchange(t, c.stations()...)
			}
			early := nina.forgeMoveAt(from, 1, 1)
			s.apply(early.Raw)
			if st, why := s.state(patient.Header.ID); st != store.Applied {
				t.Errorf("after Nina's backdated second move her patient is %v (%s)", st, why)
			}
			if owner := s.deviceOwner(moved.r.Device()); owner != moved.p.fp() {
				t.Errorf("after Nina's backdated second move her moved chain belongs to %q", short(owner))
			}
		})
	}
}

// TestAttackS19cManyMovesFromHerNamedChain: since each of her moves names
// its chain, Nina, whose entry names her random id X, has every move of
// hers from X kept (one chain each, as if she wrote in X). Judging a move
// must not settle every earlier one of hers from X (judgeMoves): the n-th
// move would cost n times the first (h-sec19a's n² for an entry naming no
// device, which no move of hers from a named device met while only the
// first counted).
func TestAttackS19cManyMovesFromHerNamedChain(t *testing.T) {
	if testing.Short() {
		t.Skip("applies 1,500 moves one by one")
	}
	c := newClinic(t)
	nina := c.newcomer(t, "Nina Newcomer")
	c.sAdmin.apply(nina.own()...)
	c.sAdmin.entry(nina.p, crypto.NewEventID(), nina.r.Device())
	exchange(t, append(c.stations(), nina)...)
	from := nina.r.Device()
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
	if st, why := s.state(moves[n-1].Header.ID); st != store.Applied {
		t.Fatalf("her last move is %v (%s)", st, why)
	}
	t.Logf("applying one of her moves from her named chain: %v among the first 20, %v after %d (medians)", first, last, n-20)
	if last > 4*first+5*time.Millisecond {
		t.Errorf("the %d-th move from her chain costs %v to apply, the first ones %v", n, last, first)
	}
}
