package replica

// Session 17 hostile review h-sec17a of 1ede477, 1e02188 and 4f66f36
// (/work/notes/sec-s17a.md). Each proof fails on main when committed.

import (
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// TestAttackS17aRefusedNamingKeepsASquat: 1ede477 lets the signer of a
// device's first event keep it while an event of his own entry, written by
// an ever-administrator and applied or refused for its writer, names it
// (admission.go settleDevice -> namedByOwnEntry -> hold.go entryWrote).
// A refused event is one its writer had no right to write, and an
// administrator who was revoked or moved off the administrator role writes
// as many as he likes: Bob, revoked (or demoted to the desk), writes into
// his own entry a "devices" list naming Nina's fresh workstation, whose id
// the sync room shows, and signs its first event (a key event) himself.
// Where the squat arrived before Nina's key event, Ada's admission naming
// her workstation no longer takes it back: Bob keeps it, every event Nina
// writes there is not kept, and her patients are missing; where Nina's key
// came first, the squat is not kept. Workstations disagree for good, and a
// newcomer whom Bob serves first loses Nina's workstation too. Before
// 1ede477 the admission dropped the squat in every order
// (TestAttackDeviceIdCopied).
func TestAttackS17aRefusedNamingKeepsASquat(t *testing.T) {
	for _, tc := range []struct {
		name   string
		loses  string // how Bob lost his administrator's rights
		naming bool   // Bob writes a refused "devices" list naming Nina's workstation
		oscar  bool   // into Oscar's entry (an outsider, who squats), not his own
	}{
		{name: "control: Bob revoked, squats without naming it", loses: "revoked"},
		{name: "Bob revoked names it in his own entry, then squats", loses: "revoked", naming: true},
		{name: "Bob moved to the desk names it in his own entry, then squats", loses: "demoted", naming: true},
		{name: "Bob revoked names it in an outsider's entry, the outsider squats", loses: "revoked", naming: true, oscar: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClinic(t)
			sBob := c.anotherAdmin(t, "Bob Admin")
			all := append(c.stations(), sBob)
			switch tc.loses {
			case "revoked":
				c.revoke(sBob.p)
			case "demoted":
				honestChange(t, c.sAdmin, sBob.p, 1, roles.Receptionist)
			}
			exchange(t, all...)
			nina := c.newcomer(t, "Nina Newcomer")
			device := nina.r.Device()
			squatter := sBob
			if tc.oscar {
				squatter = open(t, newPerson(t, "Oscar Outsider", roles.Physician), c.id)
			}
			var naming *crypto.Envelope
			if tc.naming {
				kv := map[string]any{"devices": []string{sBob.r.Device(), device}}
				if tc.oscar {
					kv = map[string]any{"name": "Oscar Outsider", "role": roles.Administrator, "status": StatusActive, "devices": []string{device}}
				}
				naming = sBob.forge(forged{Entity: squatter.p.fp(), Kind: KindMember, Scope: string(roles.Directory), Fields: fields(t, kv)})
			}
			pub, _ := json.Marshal(map[string]string{"pub": base64.StdEncoding.EncodeToString(squatter.p.id.Public().Bytes())})
			squat := squatter.forge(forged{Device: device, Seq: 1, Entity: squatter.p.fp(), Kind: KindKey, Scope: ScopePublic, Raw: pub})
			bob := sBob.own() // his chain, the naming event with it
			squatFirst, genuineFirst := c.sPhys, c.sPh2
			squatFirst.apply(bob...)
			squatFirst.apply(raws(squat)...)
			squatFirst.apply(nina.own()...)
			genuineFirst.apply(nina.own()...)
			genuineFirst.apply(bob...)
			genuineFirst.apply(raws(squat)...)
			if naming != nil {
				if st, why := squatFirst.state(naming.Header.ID); st != store.Rejected {
					t.Fatalf("setup: Bob's naming event is %v (%s), want refused for its writer", st, why)
				}
			}
			c.sAdmin.apply(nina.own()...)
			c.sAdmin.entry(nina.p, crypto.NewEventID(), device)
			work := nina.patient("Nina's first patient")
			for _, s := range []*station{squatFirst, genuineFirst} {
				s.apply(c.sAdmin.own()...)
				s.apply(nina.own()...) // what the network sends (again)
			}
			// A newcomer (Olga) whom Bob serves first.
			late := open(t, newPerson(t, "Olga Observer", roles.Physician), c.id)
			late.holdKeys(c.sPhys, roles.Directory, roles.FrontDesk, roles.Clinical)
			late.apply(bob...)
			late.apply(raws(squat)...)
			late.apply(c.sAdmin.everything()...)
			late.apply(nina.own()...)
			late.apply(c.sAdmin.everything()...)
			late.apply(nina.own()...)
			for _, s := range []*station{squatFirst, genuineFirst, late} {
				owner := s.deviceOwner(device)
				st, why := s.state(work.Header.ID)
				t.Logf("on %s's workstation: Nina's workstation belongs to %s (Nina %s, squatter %s); her patient %v %s",
					s.p.name, short(owner), short(nina.p.fp()), short(squatter.p.fp()), st, why)
				if owner != nina.p.fp() {
					t.Errorf("%s gives Nina's workstation to %s", s.p.name, short(owner))
				}
				if st != store.Applied {
					t.Errorf("%s: Nina's patient is %v (%s), want applied", s.p.name, st, why)
				}
			}
			if d := squatFirst.snapshot().diff(genuineFirst.snapshot()); d != "" {
				t.Errorf("the squat-first and genuine-first workstations disagree:\n%s", d)
			}
		})
	}
}

// TestAttackS17aCopiedIdPoisonsTheClaimCache: holdClaimOf reads a claim
// from r.holdRead, keyed by event id, before it verifies it (1ede477), and
// caches "no claim" for a payload that does not open with an epoch this
// workstation holds (hold.go cachedHoldClaim). An event's id is its
// writer's choice and travels in the clear. Oscar, an outsider with a
// published key, copies the id of Bob's revocation of Paul (refused: Ada
// revoked Bob first; it holds Paul) into a "member event" of his own on
// Paul's entry, under the directory's epoch number, sealed with a key of
// his own. A newcomer whom Oscar serves first stores it pending (its
// writer has no entry), reads it as no claim and caches that under the
// id; Bob's genuine revocation then takes its place (arrive.go
// replaceUnverified: a verified event displaces a pending one with its id)
// and is read from the cache: no claim. Paul is held everywhere else and
// active on the newcomer, which may grant him the clinical key.
func TestAttackS17aCopiedIdPoisonsTheClaimCache(t *testing.T) {
	for _, tc := range []struct {
		name   string
		copyID bool
	}{
		{name: "control: Oscar's event has an id of its own"},
		{name: "Oscar's event copies the id of Bob's revocation", copyID: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClinic(t)
			sBob := c.anotherAdmin(t, "Bob Admin")
			all := append(c.stations(), sBob)
			exchange(t, all...)
			c.revokeAsTheAppDoes(t, sBob.p) // Ada revokes Bob; he has not heard of it
			rev := sBob.append(Change{Entity: c.phys.fp(), Kind: KindMember, Scope: roles.Directory,
				Fields: fields(t, map[string]any{"status": StatusRevoked, "revoked_heads": memberHeads(t, sBob, c.phys)})})
			exchange(t, all...)
			oscar := join(t, newPerson(t, "Oscar Outsider", roles.Physician), c.id, c.admin.fp())
			f := forged{Entity: c.phys.fp(), Kind: KindMember, Scope: string(roles.Directory),
				Fields: fields(t, map[string]any{"status": StatusActive})}
			if tc.copyID {
				f.ID = rev.Header.ID
			}
			f.Epoch = rev.Header.Epoch // an epoch number the newcomer holds
			oscar.forge(f)
			late := open(t, newPerson(t, "Olga Observer", roles.Physician), c.id)
			late.holdKeys(c.sPhys, roles.Directory, roles.FrontDesk, roles.Clinical)
			// Olga catches up from Pia, Bob's revocation last; Oscar's
			// event reaches her first.
			var rest [][]byte
			for _, raw := range c.sPh2.everything() {
				if env, err := crypto.ParseEnvelope(raw); err != nil || env.Header.ID != rev.Header.ID {
					rest = append(rest, raw)
				}
			}
			late.apply(rest...)
			late.apply(oscar.own()...)
			late.apply(c.sPh2.everything()...)
			late.apply(c.sPh2.everything()...)
			for _, s := range []*station{c.sPh2, late} {
				m, _ := s.r.Member(c.phys.fp())
				st, why := s.state(rev.Header.ID)
				grants := s.r.MayGrant(roles.Clinical, c.phys.fp())
				t.Logf("on %s's workstation: Bob's revocation of Paul %v %s; Paul %s, held by %d, active %v; may be granted the clinical key %v",
					s.p.name, st, why, m.Status, len(m.HeldBy), m.Active(), grants)
				if m.Active() || len(m.HeldBy) == 0 {
					t.Errorf("Paul, held by Bob's revocation, reads active (held by %d) on %s's workstation", len(m.HeldBy), s.p.name)
				}
				if grants {
					t.Errorf("%s's workstation may grant the clinical key to Paul, a held physician", s.p.name)
				}
			}
		})
	}
}

// TestAttackS17aCopiedIdPreemptsARevocation (not from this round's fixes):
// an event's id is its writer's choice, carried in the clear. Rita, a
// receptionist, copies the id of Ada's revocation of Pia into a patient
// record of her own, and serves a newcomer first. Before the fix the
// store kept one envelope per id and a verified envelope displaced
// another only while that one was pending: the newcomer never stored
// Ada's revocation ("a different event already holds this place"), Pia
// read active there, and Ada's chain stopped at the gap. Now an envelope
// whose id another holds is kept under its alias (store.PutEvent): its
// chain place, not its id, is its own.
func TestAttackS17aCopiedIdPreemptsARevocation(t *testing.T) {
	for _, tc := range []struct {
		name   string
		copyID bool
	}{
		{name: "control: Rita's record has an id of its own"},
		{name: "Rita's record copies the id of Ada's revocation of Pia", copyID: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClinic(t)
			exchange(t, c.stations()...)
			rev := c.revoke(c.phys2)
			after := c.sAdmin.entry(newPerson(t, "Nora Later", roles.Receptionist), "") // her next event
			f := forged{Entity: crypto.NewEventID(), Kind: "patient", Scope: string(roles.FrontDesk),
				Fields: fields(t, map[string]any{"family": "Copied"})}
			if tc.copyID {
				f.ID = rev.Header.ID
			}
			var rest [][]byte
			for _, raw := range c.sAdmin.everything() {
				if env, err := crypto.ParseEnvelope(raw); err != nil || env.Header.ID != rev.Header.ID {
					rest = append(rest, raw)
				}
			}
			copied := c.sRecep.forge(f)
			late := open(t, newPerson(t, "Olga Observer", roles.Physician), c.id)
			late.holdKeys(c.sPhys, roles.Directory, roles.FrontDesk, roles.Clinical)
			late.apply(rest...)
			late.apply(raws(copied)...)
			late.apply(c.sAdmin.everything()...)
			late.apply(c.sAdmin.everything()...)
			exchange(t, c.stations()...)
			for _, s := range []*station{c.sPhys, late} {
				m, _ := s.r.Member(c.phys2.fp())
				st, why := s.stateOf(rev)
				t.Logf("on %s's workstation: Ada's revocation %v %s; Pia %s", s.p.name, st, why, m.Status)
				if !m.Revoked() {
					t.Errorf("Pia, revoked by Ada, reads %s on %s's workstation", m.Status, s.p.name)
				}
				if st, why := s.state(after.Header.ID); st != store.Applied {
					t.Errorf("on %s's workstation Ada's next event is %v (%s), want applied", s.p.name, st, why)
				}
			}
		})
	}
}

// TestAttackS17aRivalEntryFirstOnANewcomer: h-sec16d B's token route (Ada
// writes a rival entry at Lamport 1 citing Carl's token and naming his
// workstation) read by a newcomer that gets Ada's chain, the rival entry
// in it, before Carl's. 1ede477 keeps the device with Carl only where his
// events are stored first (settleDevice: signedFirst, namedByOwnEntry);
// where the directory gave the device to the rival before any of Carl's
// events came, Carl's key event is refused at arrival (admission.go
// deviceRefuses: it takes a device back only for an entry that stands,
// and his is token-taken), so his chain, his revocation of Pia with it, is
// not kept: Pia is held on Paul's workstation and not on the newcomer's.
func TestAttackS17aRivalEntryFirstOnANewcomer(t *testing.T) {
	for _, tc := range []struct {
		name     string
		adaFirst bool
	}{
		{name: "control: the newcomer gets Carl's chain first"},
		{name: "the newcomer gets Ada's chain, the rival entry in it, first", adaFirst: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClinic(t)
			const token = "carl-s-token"
			carl := newPerson(t, "Carl Admin", roles.Administrator)
			sCarl := join(t, carl, c.id, c.admin.fp())
			all := append(c.stations(), sCarl)
			c.sAdmin.apply(sCarl.own()...)
			c.sAdmin.entry(carl, token, sCarl.r.Device())
			c.sAdmin.grant(roles.Directory, carl)
			c.sAdmin.grant(roles.Admin, carl)
			exchange(t, all...)
			m, _ := sCarl.r.Member(c.phys2.fp())
			heads := memberHeads(t, sCarl, c.phys2)
			heads[RevokedChanges], heads[RevokedRole+string(m.Role)] = uint64(len(m.Changes)), 1
			rev := sCarl.append(Change{Entity: c.phys2.fp(), Kind: KindMember, Scope: roles.Directory,
				Fields: fields(t, map[string]any{"status": StatusRevoked, "revoked_heads": heads})})
			exchange(t, all...)
			puppet := newPerson(t, "Pat Puppet", roles.Receptionist)
			c.sAdmin.forge(forged{Entity: puppet.fp(), Kind: KindMember, Scope: string(roles.Directory), Lamport: 1,
				Fields: fields(t, map[string]any{"name": puppet.name, "role": roles.Receptionist, "status": StatusActive,
					"token": token, "devices": []string{sCarl.r.Device()}})})
			exchange(t, all...)
			late := open(t, newPerson(t, "Olga Observer", roles.Physician), c.id)
			late.holdKeys(c.sPhys, roles.Directory, roles.FrontDesk, roles.Clinical)
			if tc.adaFirst {
				late.apply(c.sAdmin.own()...)
			} else {
				late.apply(sCarl.own()...)
			}
			late.apply(c.sPhys.everything()...)
			late.apply(c.sPhys.everything()...)
			for _, s := range []*station{c.sPhys, late} {
				mp, _ := s.r.Member(c.phys2.fp())
				st, why := s.state(rev.Header.ID)
				t.Logf("on %s's workstation: Carl's workstation belongs to %s (Carl %s); his revocation of Pia %v %s; Pia %s, held by %d, active %v",
					s.p.name, short(s.deviceOwner(sCarl.r.Device())), short(carl.fp()), st, why, mp.Status, len(mp.HeldBy), mp.Active())
				if mp.Active() {
					t.Errorf("Pia, revoked by Carl, reads active on %s's workstation", s.p.name)
				}
			}
			if d := c.sPhys.snapshot().diff(late.snapshot()); d != "" {
				t.Errorf("Paul's and the newcomer's workstations differ:\n%s", d)
			}
		})
	}
}
