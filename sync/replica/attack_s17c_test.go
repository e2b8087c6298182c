package replica

// Session 17 hostile review h-sec17c (this session's fixes).

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"reflect"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// TestAttackS17cReceptionistFillsSetAside: SetAside (setaside.go) lists
// every member entry refused by the role or revocation rule as one "an
// administrator wrote ... refused for its writer: he was revoked, or moved
// out of the administrators", and the staff directory shows it "Set aside:
// admitted by X, whose authority was withdrawn before it". But the role
// rule refuses a member entry written by anyone whose role may not write
// one (rules.go roleAllows: "a receptionist may not write member
// records"), and the revocation rule anything a revoked member writes. So
// Rita, an active receptionist who was never an administrator, writes
// directory entries for fingerprints of her choosing, names of her
// choosing, role administrator: every administrator's directory lists
// them as staff set aside, admitted by Rita. A control: an administrator's
// entry of a member written after he was moved to the desk is listed (the
// case SetAside was written for, TestAttackS16cDemotingTheAdmitterErasesTheRevoker).
func TestAttackS17cReceptionistFillsSetAside(t *testing.T) {
	for _, tc := range []struct {
		name   string
		writer func(c *clinic) *station
		listed bool
	}{
		{name: "Rita, an active receptionist", writer: func(c *clinic) *station { return c.sRecep }},
		{name: "Rita, revoked", writer: func(c *clinic) *station {
			c.revoke(c.recep)
			exchange(t, c.stations()...)
			return c.sRecep
		}},
		{name: "Paul, an active physician", writer: func(c *clinic) *station { return c.sPhys }},
		{name: "control: Bob, an administrator moved to the desk", listed: true, writer: func(c *clinic) *station {
			sBob := c.anotherAdmin(t, "Bob Admin", c.stations()...)
			bob := sBob.p
			c.changeRole(bob, roles.Receptionist)
			exchange(t, append(c.stations(), sBob)...)
			return sBob
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			c := newClinic(t)
			s := tc.writer(c)
			mallory := newPerson(t, "Mallory", roles.Administrator)
			s.forge(forged{Entity: mallory.fp(), Kind: KindMember, Scope: string(roles.Directory),
				Fields: fields(t, map[string]any{"name": "Dr. Mallory (chief of staff)", "role": roles.Administrator})})
			all := c.stations()
			if s != c.sRecep && s != c.sPhys {
				all = append(all, s)
			}
			exchange(t, all...)
			aside, err := c.sAdmin.r.SetAside(ctx)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("set aside on Ada's workstation: %+v", aside)
			if got := len(aside) > 0; got != tc.listed {
				t.Errorf("an entry written by %s listed as staff set aside: %v, want %v (%+v)", s.p.name, got, tc.listed, aside)
			}
		})
	}
}

// TestAttackS17cRevocationAfterAppliedNaming: namedByOwnEntry (admission.go,
// 22dcfda) keeps a device with the signer of its first event while an
// APPLIED event of his own entry names it. Bob, an active administrator,
// writes "devices: [his, Nina's]" into his own entry and signs a key event
// as seq 1 of Nina's fresh workstation; Ada has already revoked him (his
// heads from before both). A workstation that gets Bob's chain and the
// squat before the revocation (Paul) settles the device to Bob (his naming
// applied then); the revocation then refuses the naming, but is the device
// judged again? One that gets the revocation first (Pia, a newcomer)
// never counts the naming. Every workstation must end alike, Nina's
// workstation hers. Passes on main (the revocation marks Bob's entry and
// settles the devices it names again): kept as the answer to that question.
func TestAttackS17cRevocationAfterAppliedNaming(t *testing.T) {
	for _, tc := range []struct {
		name   string
		naming bool
	}{
		{name: "control: Bob squats without naming it"},
		{name: "Bob names it in his own entry, then squats; revoked before both", naming: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClinic(t)
			sBob := c.anotherAdmin(t, "Bob Admin")
			exchange(t, append(c.stations(), sBob)...)
			nina := c.newcomer(t, "Nina Newcomer")
			device := nina.r.Device()
			c.sAdmin.apply(nina.own()...)
			c.sAdmin.entry(nina.p, crypto.NewEventID(), device)
			admitted := c.sAdmin.own() // Ada's chain up to Nina's entry
			c.revokeAsTheAppDoes(t, sBob.p)
			if tc.naming {
				sBob.forge(forged{Entity: sBob.p.fp(), Kind: KindMember, Scope: string(roles.Directory),
					Fields: fields(t, map[string]any{"devices": []string{sBob.r.Device(), device}})})
			}
			pub, _ := json.Marshal(map[string]string{"pub": base64.StdEncoding.EncodeToString(sBob.p.id.Public().Bytes())})
			squat := sBob.forge(forged{Device: device, Seq: 1, Entity: sBob.p.fp(), Kind: KindKey, Scope: ScopePublic, Raw: pub})
			bob := sBob.own()
			work := nina.patient("Nina's first patient")
			// Paul: Bob's chain and the squat first, Nina's entry, then the revocation.
			c.sPhys.apply(bob...)
			c.sPhys.apply(raws(squat)...)
			c.sPhys.apply(nina.own()...)
			c.sPhys.apply(admitted...)
			c.sPhys.apply(nina.own()...)
			t.Logf("Paul before the revocation: Nina's workstation belongs to %s (Bob %s)", short(c.sPhys.deviceOwner(device)), short(sBob.p.fp()))
			c.sPhys.apply(c.sAdmin.own()...)
			c.sPhys.apply(nina.own()...)
			// Pia: Ada's chain, the revocation with it, first.
			c.sPh2.apply(c.sAdmin.own()...)
			c.sPh2.apply(bob...)
			c.sPh2.apply(raws(squat)...)
			c.sPh2.apply(nina.own()...)
			late := open(t, newPerson(t, "Olga Observer", roles.Physician), c.id)
			late.holdKeys(c.sPhys, roles.Directory, roles.FrontDesk, roles.Clinical)
			late.apply(c.sAdmin.everything()...)
			late.apply(bob...)
			late.apply(raws(squat)...)
			late.apply(nina.own()...)
			late.apply(c.sAdmin.everything()...)
			for _, s := range []*station{c.sPhys, c.sPh2, late} {
				owner := s.deviceOwner(device)
				st, why := s.state(work.Header.ID)
				t.Logf("on %s's workstation: Nina's workstation belongs to %s (Nina %s, Bob %s); her patient %v %s",
					s.p.name, short(owner), short(nina.p.fp()), short(sBob.p.fp()), st, why)
				if owner != nina.p.fp() {
					t.Errorf("%s gives Nina's workstation to %s", s.p.name, short(owner))
				}
				if st != store.Applied {
					t.Errorf("%s: Nina's patient is %v (%s), want applied", s.p.name, st, why)
				}
			}
			if d := c.sPhys.snapshot().diff(c.sPh2.snapshot()); d != "" {
				t.Errorf("Paul's (revocation last) and Pia's (revocation first) workstations disagree:\n%s", d)
			}
		})
	}
}

// TestAttackS17cRevokerCutAfterSettle: the other way round. Ada's
// revocation of Bob refuses his naming of Nina's workstation; Carl then
// revokes Ada with heads from before that revocation (her admission of
// Nina kept), so it is refused for its writer and Bob's naming may count
// again. A workstation that settled Nina's workstation before Carl's
// revocation (Paul) and one that heard of it first (Pia, a newcomer) must
// end alike. Both get the squat before Nina's key event. On main they do
// not: Paul settled the device to Nina while Ada's revocation refused the
// naming (admission.go settleDevice drops the squat, DropEnvelope); when
// Carl's revocation makes the naming applied again nothing can give it
// back (the squat is gone, and sent again it is refused at arrival: Nina's
// key event holds seq 1). Pia and the newcomer count Bob's applied naming
// from the start (namedByOwnEntry): Bob keeps Nina's workstation there,
// her patient missing. Bob stays an active administrator throughout
// (Ada's revocation of him is refused, and holds nobody). With Nina's
// workstation on a device id bound to her key (crypto.NewDeviceID, what
// the app makes since h-dev17) Bob's squat is refused everywhere, and all
// three give it to her; on a random (legacy) id it stays open. On a
// random id moved onto a bound one after her admission (move.go, session
// 18) her patient is written in the bound chain, which Bob names and
// squats: refused everywhere too.
func TestAttackS17cRevokerCutAfterSettle(t *testing.T) {
	for _, tc := range []struct {
		name   string
		naming bool
		bound  bool // Nina's device id is bound to her key
		moved  bool // Nina's random id moved onto a bound one before her patient (move.go)
	}{
		{name: "control: Bob squats without naming it"},
		{name: "Bob names it in his own entry, then squats", naming: true},
		{name: "bound id, control: Bob squats without naming it", bound: true},
		{name: "bound id, Bob names it in his own entry, then squats", naming: true, bound: true},
		// Nina's random id moved onto a bound one after her admission:
		// Bob names both in his own entry and squats the new one.
		{name: "moved id, control: Bob squats without naming it", moved: true},
		{name: "moved id, Bob names it in his own entry, then squats", naming: true, moved: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.naming && !tc.bound && !tc.moved && os.Getenv("MEDIHAVEN_OPEN_ATTACKS") == "" {
				t.Skip("open for random (legacy) device ids (h-sec17c 2: a squat dropped before the naming counted again does not come back; Known limits; closed for bound ids): set MEDIHAVEN_OPEN_ATTACKS=1 to run it")
			}
			c := newClinic(t)
			sBob := c.anotherAdmin(t, "Bob Admin")
			sCarl := c.anotherAdmin(t, "Carl Admin", sBob)
			exchange(t, append(c.stations(), sBob, sCarl)...)
			nina := c.newcomerOn(t, "Nina Newcomer", tc.bound)
			device := nina.r.Device()
			ninaOwn := nina.own
			c.sAdmin.apply(ninaOwn()...)
			c.sAdmin.entry(nina.p, crypto.NewEventID(), device)
			named := []string{sBob.r.Device(), device}
			if tc.moved {
				nina.apply(c.sAdmin.own()...) // her entry, naming her random id
				old := nina
				nina, _ = nina.moveOnto()
				device = nina.r.Device()
				named = append(named, device)
				ninaOwn = func() [][]byte { return append(old.own(), nina.own()...) }
			}
			sCarl.apply(ninaOwn()...)
			sCarl.apply(c.sAdmin.own()...)
			heads := memberHeads(t, sCarl, c.admin)
			m, _ := sCarl.r.Member(c.admin.fp())
			heads[RevokedChanges], heads[RevokedRole+string(m.Role)] = uint64(len(m.Changes)), 1
			sCarl.append(Change{Entity: c.admin.fp(), Kind: KindMember, Scope: roles.Directory,
				Fields: fields(t, map[string]any{"status": StatusRevoked, "revoked_heads": heads})})
			c.revokeAsTheAppDoes(t, sBob.p) // past Carl's heads of Ada: refused once his revocation is known
			if tc.naming {
				sBob.forge(forged{Entity: sBob.p.fp(), Kind: KindMember, Scope: string(roles.Directory),
					Fields: fields(t, map[string]any{"devices": named})})
			}
			pub, _ := json.Marshal(map[string]string{"pub": base64.StdEncoding.EncodeToString(sBob.p.id.Public().Bytes())})
			squat := sBob.forge(forged{Device: device, Seq: 1, Entity: sBob.p.fp(), Kind: KindKey, Scope: ScopePublic, Raw: pub})
			bob := sBob.own()
			work := nina.patient("Nina's first patient")
			owner := func(s *station) string {
				st, _ := s.state(work.Header.ID)
				return short(s.deviceOwner(device)) + " (patient " + st.String() + ")"
			}
			// Paul: everything but Carl's revocation, then it.
			for _, s := range []*station{c.sPhys} {
				s.apply(bob...)
				s.apply(raws(squat)...)
				s.apply(ninaOwn()...)
				s.apply(c.sAdmin.own()...)
				s.apply(ninaOwn()...)
				t.Logf("Paul before Carl's revocation: Nina's workstation belongs to %s (Nina %s, Bob %s)", owner(s), short(nina.p.fp()), short(sBob.p.fp()))
				s.apply(sCarl.own()...)
				s.apply(ninaOwn()...)
			}
			c.sPhys.apply(c.sPh2.everything()...) // what the network sends again
			// Pia: Carl's and Ada's chains first.
			c.sPh2.apply(sCarl.own()...)
			c.sPh2.apply(c.sAdmin.own()...)
			c.sPh2.apply(bob...)
			c.sPh2.apply(raws(squat)...)
			c.sPh2.apply(ninaOwn()...)
			c.sPh2.apply(sCarl.own()...)
			late := open(t, newPerson(t, "Olga Observer", roles.Physician), c.id)
			late.holdKeys(c.sPhys, roles.Directory, roles.FrontDesk, roles.Clinical)
			late.apply(bob...)
			late.apply(raws(squat)...)
			late.apply(c.sPh2.everything()...)
			late.apply(c.sPh2.everything()...)
			for _, s := range []*station{c.sPhys, c.sPh2, late} {
				b, _ := s.r.Member(sBob.p.fp())
				t.Logf("on %s's workstation: Nina's workstation belongs to %s; Bob %s held by %d", s.p.name, owner(s), b.Status, len(b.HeldBy))
			}
			if d := c.sPhys.snapshot().diff(c.sPh2.snapshot()); d != "" {
				t.Errorf("Paul's (Carl's revocation last) and Pia's (first) workstations disagree:\n%s", d)
			}
			if d := c.sPh2.snapshot().diff(late.snapshot()); d != "" {
				t.Errorf("Pia's and the newcomer's workstations disagree:\n%s", d)
			}
			for _, s := range []*station{c.sPhys, c.sPh2, late} {
				if st, _ := s.state(work.Header.ID); (tc.bound || tc.moved) && (s.deviceOwner(device) != nina.p.fp() || st != store.Applied) {
					t.Errorf("on %s's workstation Nina's bound workstation belongs to %s, not to her", s.p.name, owner(s))
				}
			}
		})
	}
}

// TestAttackS17cCutPromotionHidesAHolder: RetireExposed (retire.go,
// fd7d3d0) counts the key-held claims of a member outside the scope only
// if some role of her history held it (everIn). Ada moves Rita from the
// desk to the physicians; Paul confirms her and grants her the clinical
// key, she acknowledges its epoch. Carl then revokes Ada with heads from
// before that move: the move is refused for its writer, Rita's history
// reads "receptionist" only. She held the live clinical epoch; is it
// retired on Paul's workstation? Passes on main: everIn misses her (no
// role of her history holds the scope now), but Paul's applied grant to
// her counts (retire.go, the grants read again): kept as the answer.
func TestAttackS17cCutPromotionHidesAHolder(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	sCarl := c.anotherAdmin(t, "Carl Admin")
	all := append(c.stations(), sCarl)
	exchange(t, all...)
	adaHeads := memberHeads(t, sCarl, c.admin)
	m, _ := sCarl.r.Member(c.admin.fp())
	adaHeads[RevokedChanges], adaHeads[RevokedRole+string(m.Role)] = uint64(len(m.Changes)), 1
	honestChange(t, c.sAdmin, c.recep, 1, roles.Physician)
	exchange(t, all...)
	confirmEachOther(t, c.sPhys, c.sRecep)
	exchange(t, all...)
	c.sPhys.grant(roles.Clinical, c.recep)
	exchange(t, all...)
	if _, err := c.sRecep.r.AcknowledgeKeys(ctx); err != nil {
		t.Fatal(err)
	}
	exchange(t, all...)
	live, ok := c.sRecep.r.Key(roles.Clinical)
	if !ok {
		t.Fatal("setup: Rita holds no clinical key")
	}
	sCarl.append(Change{Entity: c.admin.fp(), Kind: KindMember, Scope: roles.Directory,
		Fields: fields(t, map[string]any{"status": StatusRevoked, "revoked_heads": adaHeads})})
	exchange(t, all...)
	rita, _ := c.sPhys.r.Member(c.recep.fp())
	t.Logf("Rita on Paul's workstation: role %s, changes %d, active %v", rita.Role, len(rita.Changes), rita.Active())
	if _, err := c.sPhys.r.RetireExposed(ctx, roles.Clinical); err != nil {
		t.Fatal(err)
	}
	if rita.Role != roles.Physician && !c.sPhys.r.Retired(roles.Clinical, live.Epoch) {
		t.Errorf("Rita (%s now) held clinical epoch %d; it is not retired on Paul's workstation", rita.Role, live.Epoch)
	}
}

// TestAttackS17cLowClockRewritesASetAsideEntry: SetAside shows, for each
// entry, the first refused event in Lamport order, and a Lamport clock is
// its writer's word. Bob, an administrator moved to the desk, wrote
// Mallory's entry (set aside: the case SetAside is for); Rita, a
// receptionist, writes a refused event into the same entry at Lamport 1
// with a name of her choosing. The directory then shows Mallory's entry
// under Rita's name for her, "admitted by Rita".
func TestAttackS17cLowClockRewritesASetAsideEntry(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	sBob := c.anotherAdmin(t, "Bob Admin", c.stations()...)
	c.changeRole(sBob.p, roles.Receptionist)
	all := append(c.stations(), sBob)
	exchange(t, all...)
	mallory := newPerson(t, "Mallory", roles.Administrator)
	sBob.forge(forged{Entity: mallory.fp(), Kind: KindMember, Scope: string(roles.Directory),
		Fields: fields(t, map[string]any{"name": "Mallory", "role": roles.Administrator})})
	c.sRecep.forge(forged{Entity: mallory.fp(), Kind: KindMember, Scope: string(roles.Directory), Lamport: 1,
		Fields: fields(t, map[string]any{"name": "Rita's choice", "role": roles.Physician})})
	exchange(t, all...)
	aside, err := c.sAdmin.r.SetAside(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []SetAsideEntry{{Fingerprint: mallory.fp(), Name: "Mallory", Role: roles.Administrator, WrittenBy: sBob.p.fp(), Rule: ruleRole}}
	if !reflect.DeepEqual(aside, want) {
		t.Errorf("set aside on Ada's workstation: %+v, want %+v (Bob's)", aside, want)
	}
}
