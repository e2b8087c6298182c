package replica

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// TestAttackChainSlotSquat: Attack (issue 13, finding 4): a receptionist
// signs, with her own key, the next event of a physician's device (the
// right sequence number and previous hash, read from his announced head),
// once as a record and once as a public-key event (which skips the
// membership check). No honest workstation keeps either, so the
// physician's genuine next event takes its place everywhere, also where
// the squat arrived first or before the rest of his chain. The physician's
// own workstation reports the squat as a fork of its own chain.
func TestAttackChainSlotSquat(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	victim := c.sPhys.r
	next := func() forged {
		return forged{Device: victim.p.Device, Seq: victim.mySeq + 1, Prev: victim.myHash}
	}
	f := next()
	f.Entity, f.Kind, f.Scope, f.Fields = crypto.NewEventID(), "patient", "frontdesk", fields(t, map[string]any{"family": "Squat"})
	squat := c.sRecep.forge(f)
	pub, _ := json.Marshal(map[string]string{"pub": base64.StdEncoding.EncodeToString(c.recep.id.Public().Bytes())})
	k := next()
	k.Entity, k.Kind, k.Scope, k.Raw = c.recep.fp(), KindKey, ScopePublic, pub
	keySquat := c.sRecep.forge(k)

	fresh := open(t, newPerson(t, "Fay Fresh", roles.Physician), c.id)
	fresh.holdKeys(c.sPh2, roles.Directory, roles.FrontDesk, roles.Clinical)
	fresh.apply(raws(squat, keySquat)...) // before the physician's chain: kept waiting
	for _, s := range []*station{c.sAdmin, c.sPh2} {
		rep := s.apply(raws(squat, keySquat)...)
		if rep.New != 0 || rep.Rejected != 2 || !rep.Problems[0].Altered || !strings.Contains(rep.Problems[0].Reason, "belongs to") {
			t.Errorf("%s: squats reported %+v, want both not kept", s.p.name, rep)
		}
	}
	genuine := c.sPhys.writesEnv(t)
	for _, s := range []*station{c.sAdmin, c.sPh2, fresh} {
		s.apply(c.sPhys.everything()...)
		if st, reason := s.state(genuine.Header.ID); st != store.Applied && st != store.Sealed {
			t.Errorf("%s: the physician's genuine event is %v (%s), want applied (or sealed)", s.p.name, st, reason)
		}
		for _, env := range []*crypto.Envelope{squat, keySquat} {
			if st, _ := s.state(env.Header.ID); st != -1 {
				t.Errorf("%s: a squat is stored (%v)", s.p.name, st)
			}
		}
	}
	// The victim hears of the squats: nothing kept, a problem about its
	// own chain, and it keeps writing.
	rep := c.sPhys.apply(raws(squat, keySquat)...)
	if rep.New != 0 || len(rep.Problems) != 2 || !rep.Problems[0].OwnDevice || !rep.Problems[1].OwnDevice {
		t.Errorf("the victim's report %+v, want two problems about its own chain", rep)
	}
	c.sPhys.writesEnv(t)
	// The same bytes of its own events coming back are nothing new.
	if rep := c.sPhys.apply(c.sPhys.own()...); rep.New != 0 || len(rep.Problems) != 0 {
		t.Errorf("its own events coming back: %+v", rep)
	}
	_ = ctx
}

// TestAttackKeyEventLater: Attack (issue 13, finding 4): a member's
// modified software publishes a key in the middle of its own chain (a key
// event would otherwise skip the membership check): refused everywhere,
// and no workstation's software appends one.
func TestAttackKeyEventLater(t *testing.T) {
	c := newClinic(t)
	pub, _ := json.Marshal(map[string]string{"pub": base64.StdEncoding.EncodeToString(c.recep.id.Public().Bytes())})
	late := c.sRecep.forge(forged{Entity: c.recep.fp(), Kind: KindKey, Scope: ScopePublic, Raw: pub})
	c.sPhys.apply(c.sRecep.own()...)
	if st, reason := c.sPhys.state(late.Header.ID); st != store.Rejected || !strings.Contains(reason, "first event of a device") {
		t.Errorf("a key event at seq %d is %v (%s), want rejected", late.Header.Seq, st, reason)
	}
	if _, err := c.sPhys.r.PublishKey(context.Background()); err == nil {
		t.Error("a workstation published its key again in the middle of its chain")
	}
}

// TestAttackPendingHeadFarAhead: Attack (issue 13, low): envelopes far
// ahead in a device's chain that nobody could verify yet (their
// predecessors are missing, their author unknown) never become the
// device's head, nor move the clock; one signed into another member's
// device is not even kept.
func TestAttackPendingHeadFarAhead(t *testing.T) {
	c := newClinic(t)
	victim := c.sPhys.r
	squat := c.sRecep.forge(forged{Device: victim.p.Device, Seq: victim.mySeq + 1000, Prev: victim.myHash,
		Entity: crypto.NewEventID(), Kind: "patient", Scope: "frontdesk", Fields: fields(t, map[string]any{"family": "Ahead"})})
	outsider := join(t, newPerson(t, "Otto Outsider", roles.Physician), c.id)
	outsider.holdKeys(c.sPhys, roles.FrontDesk)
	var ahead *crypto.Envelope
	for i := 0; i < 3; i++ {
		ahead = outsider.forge(forged{Entity: crypto.NewEventID(), Kind: "patient", Scope: "frontdesk", Fields: fields(t, map[string]any{"x": i}), Lamport: 1 << 60})
	}
	s := c.sPh2
	before, _ := s.r.Heads(context.Background())
	clock := s.r.lamport
	s.apply(raws(squat, ahead)...)
	after, _ := s.r.Heads(context.Background())
	if fmt.Sprint(after) != fmt.Sprint(before) || s.r.lamport != clock {
		t.Errorf("heads %v and clock %d after unverified envelopes far ahead, want %v and %d", after, s.r.lamport, before, clock)
	}
	if st, _ := s.state(ahead.Header.ID); st != store.Pending {
		t.Errorf("the envelope far ahead is %v, want pending", st)
	}
	if st, _ := s.state(squat.Header.ID); st != -1 {
		t.Errorf("the squat far ahead in another member's chain is %v, want not kept", st)
	}
}

// TestAttackBadSignatureInsideAChain: a member's modified software writes
// an event that does not verify into its own chain and follows it with
// events that do, each naming the one before by hash, so the chain's
// head vouches for it: once claiming another member as its author (the
// administrator; it keeps the receptionist's signature), once with its own
// signature broken. No honest workstation keeps it, however well signed
// the events after it are: they wait for the genuine event, and what came
// before stays applied. (This is why a verified head does not stand in
// for the signatures below it: issue 17.)
func TestAttackBadSignatureInsideAChain(t *testing.T) {
	for _, tt := range []struct {
		name string
		bad  func(t *testing.T, c *clinic, env *crypto.Envelope) []byte
		why  string
	}{
		{"another author", func(t *testing.T, c *clinic, env *crypto.Envelope) []byte {
			return claimAuthor(t, env, c.admin.fp())
		}, "signature does not verify"},
		// Its own signature broken, the next events by its author naming
		// it: vouched for (chainsig.go, TestVouchedByTheNextEvent).
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newClinic(t)
			s := c.sRecep
			patient := func(family string) forged {
				return forged{Entity: crypto.NewEventID(), Kind: "patient", Scope: "frontdesk", Fields: fields(t, map[string]any{"family": family})}
			}
			before := s.forge(patient("Before"))
			bad, err := crypto.ParseEnvelope(tt.bad(t, c, s.forge(patient("Bad"))))
			if err != nil {
				t.Fatal(err)
			}
			s.r.myHash = bad.Hash() // the next events name the bad one
			after := []*crypto.Envelope{s.forge(patient("After")), s.forge(patient("Head"))}
			for _, w := range []*station{c.sAdmin, c.sPhys} {
				rep := w.apply(raws(append([]*crypto.Envelope{before, bad}, after...)...)...)
				if rep.Rejected != 1 || !strings.Contains(rep.Problems[0].Reason, tt.why) {
					t.Errorf("%s: %+v, want the bad event refused (%s)", w.p.name, rep, tt.why)
				}
				if st, reason := w.state(before.Header.ID); st != store.Applied && st != store.Sealed {
					t.Errorf("%s: the event before is %v (%s), want applied (or sealed)", w.p.name, st, reason)
				}
				if st, _ := w.state(bad.Header.ID); st == store.Applied || st == store.Sealed {
					t.Errorf("%s: the bad event is %v", w.p.name, st)
				}
				for _, env := range after {
					if st, _ := w.state(env.Header.ID); st == store.Applied || st == store.Sealed {
						t.Errorf("%s: an event after the bad one is %v, want it waiting", w.p.name, st)
					}
				}
			}
		})
	}
}
