package replica

// Session 21 review h-sec21a: an order of admissions an administrator
// cannot backdate (admitclock.go), which app/recovery reads the clinic's
// key maker by.

import (
	"context"
	"maps"
	"os"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
)

// clockClinic is newClinic whose founder's entry names her workstation,
// and, when second, a second administrator, Bea, whose entry the founder
// wrote citing a token and naming hers; and two newcomers the admitter (Bea when second, else
// the founder) admitted by token on hers: Quinn, then a puppet.
func clockClinic(t *testing.T, second bool) (c *clinic, admitter, quinn, pup *station, tokQ, tokP string) {
	t.Helper()
	c = newClinic(t)
	c.sAdmin.names(c.sAdmin.r.Device())
	admitter = c.sAdmin
	if second {
		bea := newPerson(t, "Bea Admin", roles.Administrator)
		admitter = join(t, bea, c.id, c.admin.fp())
		c.sAdmin.apply(admitter.own()...)
		c.sAdmin.append(Change{Entity: bea.fp(), Kind: KindMember, Scope: roles.Directory, Fields: fields(t, map[string]any{
			"name": bea.name, "role": bea.role, "status": StatusActive, "token": crypto.NewEventID(), "devices": []string{admitter.r.Device()}})})
		c.sAdmin.grant(roles.Directory, bea)
		c.sAdmin.grant(roles.Admin, bea)
		exchange(t, append(c.stations(), admitter)...)
	}
	quinn = c.newcomerOn(t, "Quinn Physician", true)
	pup = c.newcomerOn(t, "Pia Puppet", true)
	tokQ, tokP = crypto.NewEventID(), crypto.NewEventID()
	admitter.apply(quinn.own()...)
	admitter.entry(quinn.p, tokQ, quinn.r.Device())
	admitter.apply(pup.own()...)
	admitter.entry(pup.p, tokP, pup.r.Device())
	return c, admitter, quinn, pup, tokQ, tokP
}

// names writes, on administrator s's workstation, her own entry naming
// devices.
func (s *station) names(devices ...string) *crypto.Envelope {
	s.t.Helper()
	return s.append(Change{Entity: s.p.fp(), Kind: KindMember, Scope: roles.Directory, Fields: fields(s.t, map[string]any{"devices": devices})})
}

// secondStation is another workstation of s's member, on a device bound
// to her key, holding her directory key; it writes nothing yet.
func (s *station) secondStation(c *clinic) *station {
	s.t.Helper()
	d := openOn(s.t, s.p, c.id, s.p.bound(), c.admin.fp())
	d.holdKeys(s, roles.Directory)
	return d
}

// backdate has s's modified software set p's token again at Lamport at.
func (s *station) backdate(p *person, token string, at uint64) *crypto.Envelope {
	s.t.Helper()
	return s.forge(forged{Entity: p.fp(), Kind: KindMember, Scope: string(roles.Directory), Lamport: at,
		Fields: fields(s.t, map[string]any{"token": token})})
}

// firstOf is who FirstAdmitted names of quinn and pup on s, by clocks.
func firstOf(t *testing.T, s *station, clocks AdmissionClocks, quinn, pup *station) string {
	t.Helper()
	fp, ok := s.r.FirstAdmitted(func(m Member) bool { return m.Fingerprint == quinn.p.fp() || m.Fingerprint == pup.p.fp() }, clocks)
	if !ok {
		t.Fatalf("%s names nobody", s.p.name)
	}
	return fp
}

func clocksOf(t *testing.T, s *station) AdmissionClocks {
	t.Helper()
	clocks, err := s.r.AdmissionClocks(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return clocks
}

// TestAttackS21aBackdatedAdmission: an administrator's modified software
// sets her puppet's token again at Lamport 1 on a workstation her entry
// named late (after Quinn's admission): by the claims' own clocks the
// puppet is admitted before Quinn (h-sec20b S20b-5), by AdmissionClocks
// after her, on every workstation whatever order the events arrived in. An
// event of hers setting Quinn's token again at Lamport 2 there moves Quinn
// nowhere. A second administrator may go through a second workstation of
// hers named from the late one at Lamport 2 (in its own chain, naming
// itself too, and her first one) to no avail; the founder, whose first
// workstation named itself at the founding, is TestAttackS21aFounderNamesItself.
func TestAttackS21aBackdatedAdmission(t *testing.T) {
	for _, tc := range []struct {
		name            string
		second, through bool
	}{
		{"the founder, directly", false, false},
		{"a second administrator, directly", true, false},
		{"a second administrator, through a quiet workstation", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, adm, quinn, pup, tokQ, tokP := clockClinic(t, tc.second)
			before := clocksOf(t, adm)
			w := backdatedFrom(t, c, adm, tc.through)
			w.backdate(pup.p, tokP, 1)
			// Quinn's token set again just after (at 1 too, the claims
			// tied and which came first by them was a coin's toss: the
			// precondition below failed about one run in three).
			w.backdate(quinn.p, tokQ, 2)
			adm.apply(w.own()...)
			obs := c.observer(t)
			obs.apply(w.own()...) // before what names its device
			obs.apply(adm.everything()...)
			for _, s := range []*station{adm, obs} {
				if m, ok := s.r.Member(pup.p.fp()); !ok || m.TokenTakenBy != "" {
					t.Fatalf("%s: the puppet is %+v (%v)", s.p.name, m, ok)
				}
				// The attack works by the claims' clocks where the events
				// arrived in chain order (her own workstation). The
				// observer, which held the backdated events pending
				// before what names their device, may order the claims
				// otherwise (about one run in five): the claims' clocks
				// depend on arrival, which is why AdmissionClocks exists.
				if fp := firstOf(t, s, nil, quinn, pup); s == adm && fp != pup.p.fp() {
					t.Fatalf("%s: by the claims' clocks the backdated puppet is not first (%s): the test proves nothing", s.p.name, short(fp))
				}
				clocks := clocksOf(t, s)
				if fp := firstOf(t, s, clocks, quinn, pup); fp != quinn.p.fp() {
					t.Errorf("%s: the puppet's backdated admission (clock %d) comes before Quinn's (%d)", s.p.name, clocks[pup.p.fp()], clocks[quinn.p.fp()])
				}
				if clocks[quinn.p.fp()] != before[quinn.p.fp()] {
					t.Errorf("%s: Quinn's admission clock moved from %d to %d", s.p.name, before[quinn.p.fp()], clocks[quinn.p.fp()])
				}
			}
			if a, b := clocksOf(t, adm), clocksOf(t, obs); !maps.Equal(a, b) {
				t.Errorf("the clocks differ by the order of arrival: %v, %v", a, b)
			}
		})
	}
}

// backdatedFrom is a second workstation of administrator adm's, which
// her entry names from her first now; through, a third, named at Lamport 2
// by an event of her entry in the second's chain (naming all three), which
// names her first too. Its events are handed to adm.
func backdatedFrom(t *testing.T, c *clinic, adm *station, through bool) *station {
	t.Helper()
	d2 := adm.secondStation(c)
	adm.names(adm.r.Device(), d2.r.Device())
	if !through {
		return d2
	}
	d3 := adm.secondStation(c)
	d2.forge(forged{Entity: adm.p.fp(), Kind: KindMember, Scope: string(roles.Directory), Lamport: 2,
		Fields: fields(t, map[string]any{"devices": []string{adm.r.Device(), d2.r.Device(), d3.r.Device()}})})
	adm.apply(d2.own()...)
	return d3
}

// TestAttackS21aFounderNamesItself (open: MEDIHAVEN_OPEN_ATTACKS=1): the
// founder's first workstation named itself at the founding, so a chain of
// hers naming itself is where the ways back end; her modified software
// names a second workstation late from her first, writes in it at Lamport
// 2 an event of her entry naming it (and the rest), and from a third named
// there backdates her puppet's admission: the puppet comes before Quinn.
// Nothing tells that event from the founding's.
func TestAttackS21aFounderNamesItself(t *testing.T) {
	if os.Getenv("MEDIHAVEN_OPEN_ATTACKS") == "" {
		t.Skip("open (h-sec21a: the founder names a workstation of hers in its own chain at a low clock and backdates an admission from it; Known limits): set MEDIHAVEN_OPEN_ATTACKS=1 to run it")
	}
	c, adm, quinn, pup, _, tokP := clockClinic(t, false)
	w := backdatedFrom(t, c, adm, true)
	w.backdate(pup.p, tokP, 1)
	adm.apply(w.own()...)
	if fp := firstOf(t, adm, clocksOf(t, adm), quinn, pup); fp != quinn.p.fp() {
		t.Fatalf("the puppet's admission, backdated from the founder's workstation named in its own chain, comes before Quinn's")
	}
}

// TestAttackS21aQuietDeviceNamedEarly (open: MEDIHAVEN_OPEN_ATTACKS=1):
// Ada's entry named a second workstation of hers before Quinn was
// admitted, and it wrote nothing; from it her modified software sets her
// puppet's token again at Lamport 1. Nothing on that chain, nor the event
// that named it, is later than Quinn's admission: the puppet comes first.
// A device named in the open and kept quiet, planned from before the
// clinic's physicians joined.
func TestAttackS21aQuietDeviceNamedEarly(t *testing.T) {
	if os.Getenv("MEDIHAVEN_OPEN_ATTACKS") == "" {
		t.Skip("open (h-sec21a: an administrator's workstation named early and kept quiet backdates an admission; Known limits): set MEDIHAVEN_OPEN_ATTACKS=1 to run it")
	}
	c := newClinic(t)
	c.sAdmin.names(c.sAdmin.r.Device())
	d2 := c.sAdmin.secondStation(c)
	c.sAdmin.names(c.sAdmin.r.Device(), d2.r.Device())
	quinn := c.newcomerOn(t, "Quinn Physician", true)
	pup := c.newcomerOn(t, "Pia Puppet", true)
	tokQ, tokP := crypto.NewEventID(), crypto.NewEventID()
	c.sAdmin.apply(quinn.own()...)
	c.sAdmin.entry(quinn.p, tokQ, quinn.r.Device())
	c.sAdmin.apply(pup.own()...)
	c.sAdmin.entry(pup.p, tokP, pup.r.Device())
	d2.backdate(pup.p, tokP, 1)
	c.sAdmin.apply(d2.own()...)
	if fp := firstOf(t, c.sAdmin, clocksOf(t, c.sAdmin), quinn, pup); fp != quinn.p.fp() {
		t.Fatalf("the puppet's admission, backdated on a workstation named early, comes before Quinn's")
	}
}

// TestAdmissionClocksHonest: in a clinic whose administrators' software is
// honest the clocks of admissions are the clocks the admissions claim,
// and order them alike: the founder's, a second administrator's entry she
// wrote, two newcomers admitted on the second's workstation, and a third
// admitted after that workstation moved onto an id bound to her key
// (named by the move, read at its head).
func TestAdmissionClocksHonest(t *testing.T) {
	c, bea, quinn, pup, _, _ := clockClinic(t, true)
	moved, _ := bea.moveOnto()
	rita := c.newcomerOn(t, "Rita Third", true)
	moved.apply(rita.own()...)
	moved.entry(rita.p, crypto.NewEventID(), rita.r.Device())
	obs := c.observer(t)
	obs.apply(moved.everything()...)
	for _, s := range []*station{moved, obs} {
		clocks := clocksOf(t, s)
		var last uint64
		for _, p := range []*person{c.admin, bea.p, quinn.p, pup.p, rita.p} {
			s.r.state.RLock()
			claimed, judged := s.r.admitted[p.fp()]
			s.r.state.RUnlock()
			want := uint64(0)
			if claimed != nil {
				want = claimed.Lamport
			}
			if got, ok := clocks[p.fp()]; !judged || !ok || got != want {
				t.Errorf("%s: %s's admission clock is %d (%v, judged %v), want the claim's %d", s.p.name, p.name, got, ok, judged, want)
			}
			if clocks[p.fp()] < last {
				t.Errorf("%s: %s's admission clock %d comes before the one admitted before her (%d)", s.p.name, p.name, clocks[p.fp()], last)
			}
			last = clocks[p.fp()]
		}
	}
}
