package replica

// Session 16 hostile review h-sec16d of 31ac79f and d2f9165
// (/work/notes/sec-s16d.md). Each proof fails on main when committed.

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
)

// vanishedRevoker is h-sec16c B's scene: Bob, an administrator Ada
// admitted, admits Carl; Carl revokes Pia; Ada moves Bob to the desk with
// his heads from before he admitted Carl, and Carl's entry vanishes. It
// returns Carl's workstation and his revocation of Pia. With named, Bob's
// admission names Carl's workstation; with moved, Carl's random id
// moved onto a bound one (move.go) before he revoked Pia.
func vanishedRevoker(t *testing.T, c *clinic, named, bound bool, moved ...bool) (sCarl *station, rev *crypto.Envelope, all []*station) {
	t.Helper()
	sBob := c.anotherAdmin(t, "Bob Admin")
	all = append(c.stations(), sBob)
	bobBefore := memberHeads(t, c.sAdmin, sBob.p)
	carl := newPerson(t, "Carl Admin", roles.Administrator)
	device := ""
	if bound {
		device = carl.bound()
	}
	sCarl = joinOn(t, carl, c.id, device, c.admin.fp())
	sBob.apply(sCarl.own()...)
	if named {
		sBob.entry(carl, "", sCarl.r.Device()) // as the app's admission names his workstation
	} else {
		sBob.admit(carl)
	}
	all = append(all, sCarl)
	exchange(t, all...)
	c.sAdmin.grant(roles.Directory, carl)
	c.sAdmin.grant(roles.Admin, carl)
	exchange(t, all...)
	if len(moved) > 0 && moved[0] {
		sCarl, all = movedAmong(sCarl, all)
	}
	m, _ := sCarl.r.Member(c.phys2.fp())
	heads := memberHeads(t, sCarl, c.phys2)
	heads[RevokedChanges], heads[RevokedRole+string(m.Role)] = uint64(len(m.Changes)), 1
	rev = sCarl.append(Change{Entity: c.phys2.fp(), Kind: KindMember, Scope: roles.Directory,
		Fields: fields(t, map[string]any{"status": StatusRevoked, "revoked_heads": heads})})
	exchange(t, all...)
	if m, _ := c.sPhys.r.Member(c.phys2.fp()); !m.Revoked() {
		t.Fatalf("setup: Pia on Paul's workstation after Carl revoked her: %s", m.Status)
	}
	mb, _ := c.sAdmin.r.Member(sBob.p.fp())
	writeChange(t, c.sAdmin, sBob.p, len(mb.Changes)+1, RoleChange{From: mb.Role, To: roles.Receptionist, Heads: bobBefore}, true)
	exchange(t, all...)
	if _, ok := c.sPhys.r.Member(carl.fp()); ok {
		t.Fatalf("setup: Carl's entry still stands on Paul's workstation")
	}
	return sCarl, rev, all
}

// TestAttackS16dRevocationBeforeItsChainHoldsNobody: d2f9165 made a
// revocation pending for a writer whose entry vanished a hold claim, read
// with the revoked member's entry when that entry is marked dirty (arrive.go
// decide: a member event judged pending on arrival; apply.go setState: a
// change of state). An event stored before its predecessor (arrive.go
// PutEnvelope "received", decide not run) marks nothing, and settle leaves
// it pending without setState (settle.go settleOne: pending to pending), so
// a workstation that hears of Carl's revocation before the rest of his
// chain never reads it as a claim: Pia is not held there, reads active, and
// may be granted the clinical key, while Paul's workstation holds her
// (until the newcomer is reopened: load reads every entry's claims). The
// same happens to a revocation read while its writer's key is unknown
// (holdClaimOf: !known), which is the same order.
func TestAttackS16dRevocationBeforeItsChainHoldsNobody(t *testing.T) {
	for _, tc := range []struct {
		name       string
		revocFirst bool
	}{
		{name: "control: Nina hears of Carl's chain in order"},
		{name: "Nina hears of Carl's revocation before the rest of his chain", revocFirst: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClinic(t)
			sCarl, rev, all := vanishedRevoker(t, c, false, false)
			// Nina, a physician Ada admits now, pulls the log from Ada's
			// workstation; in the attack its blocks come Carl's revocation
			// before the rest of his chain.
			_, late := c.admitted(t, "Nina Newcomer", roles.Physician)
			if tc.revocFirst {
				var rest [][]byte
				for _, raw := range c.sAdmin.everything() {
					env, err := crypto.ParseEnvelope(raw)
					if err != nil {
						t.Fatal(err)
					}
					if env.Header.Device != sCarl.r.Device() {
						rest = append(rest, raw)
					}
				}
				late.apply(rest...)
				late.apply(rev.Raw)
			}
			all = append(all, late)
			exchange(t, all...)
			confirmEachOther(t, c.sPhys, late)
			exchange(t, all...)
			for _, s := range []*station{c.sPhys, late} {
				mp, _ := s.r.Member(c.phys2.fp())
				st, why := s.state(rev.Header.ID)
				grants := s.r.MayGrant(roles.Clinical, c.phys2.fp())
				t.Logf("on %s's workstation: Carl's revocation of Pia %v %s; Pia %s, held by %d, active %v; may be granted the clinical key %v",
					s.p.name, st, why, mp.Status, len(mp.HeldBy), mp.Active(), grants)
				if mp.Active() {
					t.Errorf("Pia, revoked by Carl, reads active on %s's workstation", s.p.name)
				}
				if grants {
					t.Errorf("%s grants the clinical key to Pia, a revoked physician", s.p.name)
				}
			}
			if d := c.sPhys.snapshot().diff(late.snapshot()); d != "" {
				t.Errorf("Paul's and the newcomer's workstations differ: %s", d)
			}
		})
	}
}

// TestAttackS16dRivalEntryTakesTheHoldersDevice: a revocation written by
// an administrator whose entry a rival entry displaced (token rule), or
// whose entry vanished (d2f9165), holds its member (hold.go) only while
// it is stored. rightfulOwner (31ac79f) keeps a device with the member
// who signed its first event only while his entry stands (members[cur],
// TokenTakenBy == ""); otherwise the earliest entry naming it takes it,
// and settleDevice drops every event he signed there, the revocation
// with them: no claim is left and Pia reads active on every workstation,
// Paul granting her the clinical key. One administrator (Ada): a rival
// entry at Lamport 1 citing Carl's token and naming his workstation, or,
// once Carl's entry vanished (Bob, who admitted him, moved to the desk
// with heads from before), a puppet entry naming it. The puppet case is
// open on a random id; closed on a bound one, and on a random id moved
// onto a bound one (move.go, session 18) before the revocation was
// written: the puppet takes the old id, and with it Carl's key event
// there, but not the new chain, whose move carries his key.
func TestAttackS16dRivalEntryTakesTheHoldersDevice(t *testing.T) {
	for _, tc := range []struct {
		name   string
		vanish bool // Carl's entry vanishes instead of being displaced
		names  bool // the rival (puppet) entry names Carl's workstation
		bound  bool // Carl's device id is bound to his key (crypto.NewDeviceID)
		moved  bool // Carl's random id moved onto a bound one before he revoked Pia
	}{
		{name: "control: a rival entry citing Carl's token, naming no device"},
		{name: "a rival entry citing Carl's token names his workstation", names: true},
		{name: "control: Carl's entry vanished, no puppet", vanish: true},
		{name: "Carl's entry vanished, a puppet entry names his workstation", vanish: true, names: true},
		{name: "bound id, a rival entry citing Carl's token names his workstation", names: true, bound: true},
		{name: "bound id, Carl's entry vanished, a puppet entry names his workstation", vanish: true, names: true, bound: true},
		// Carl's workstation, on a random id, moved onto a bound one
		// before he revoked Pia (move.go): the rival or the puppet names
		// the old id, which his entry names, and the new one.
		{name: "moved id, a rival entry citing Carl's token names his workstation", names: true, moved: true},
		{name: "moved id, Carl's entry vanished, a puppet entry names his workstation", vanish: true, names: true, moved: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.vanish && tc.names && !tc.bound && !tc.moved && os.Getenv("MEDIHAVEN_OPEN_ATTACKS") == "" {
				t.Skip("open since session 17 for random (legacy) device ids (h-sec17a A's fix: a refused naming no longer keeps a device; Known limits; closed for bound ids): set MEDIHAVEN_OPEN_ATTACKS=1 to run it")
			}
			c := newClinic(t)
			var sCarl *station
			var all []*station
			var rev *crypto.Envelope
			const token = "carl-s-token"
			if tc.vanish {
				sCarl, rev, all = vanishedRevoker(t, c, true, tc.bound, tc.moved)
			} else {
				carl := newPerson(t, "Carl Admin", roles.Administrator)
				device := ""
				if tc.bound {
					device = carl.bound()
				}
				sCarl = joinOn(t, carl, c.id, device, c.admin.fp())
				all = append(c.stations(), sCarl)
				c.sAdmin.apply(sCarl.own()...)
				c.sAdmin.entry(carl, token, sCarl.r.Device())
				c.sAdmin.grant(roles.Directory, carl)
				c.sAdmin.grant(roles.Admin, carl)
				exchange(t, all...)
				if tc.moved {
					sCarl, all = movedAmong(sCarl, all)
				}
				m, _ := sCarl.r.Member(c.phys2.fp())
				heads := memberHeads(t, sCarl, c.phys2)
				heads[RevokedChanges], heads[RevokedRole+string(m.Role)] = uint64(len(m.Changes)), 1
				rev = sCarl.append(Change{Entity: c.phys2.fp(), Kind: KindMember, Scope: roles.Directory,
					Fields: fields(t, map[string]any{"status": StatusRevoked, "revoked_heads": heads})})
				exchange(t, all...)
				if m, _ := c.sPhys.r.Member(c.phys2.fp()); !m.Revoked() {
					t.Fatalf("setup: Pia on Paul's workstation after Carl revoked her: %s", m.Status)
				}
			}
			puppet := newPerson(t, "Pat Puppet", roles.Receptionist)
			kv := map[string]any{"name": puppet.name, "role": roles.Receptionist, "status": StatusActive}
			if !tc.vanish {
				kv["token"] = token
			}
			if tc.names {
				kv["devices"] = []string{sCarl.r.Device()}
				if tc.moved {
					kv["devices"] = []string{sCarl.movedFrom, sCarl.r.Device()}
				}
			}
			if !tc.vanish || tc.names {
				c.sAdmin.forge(forged{Entity: puppet.fp(), Kind: KindMember, Scope: string(roles.Directory), Lamport: 1,
					Fields: fields(t, kv)})
				exchange(t, all...)
			}
			// A newcomer's workstation (Olga) reads the same log from Paul's.
			late := c.observer(t)
			for _, s := range []*station{c.sPhys, late} {
				mp, _ := s.r.Member(c.phys2.fp())
				grants := s.r.MayGrant(roles.Clinical, c.phys2.fp())
				st, why := s.state(rev.Header.ID)
				t.Logf("on %s's workstation: Carl's workstation belongs to %s (Carl %s); his revocation of Pia %v %s; Pia %s, held by %d, active %v; may be granted the clinical key %v",
					s.p.name, short(s.deviceOwner(sCarl.r.Device())), short(sCarl.p.fp()), st, why, mp.Status, len(mp.HeldBy), mp.Active(), grants)
				if mp.Active() {
					t.Errorf("Pia, revoked by Carl, reads active on %s's workstation", s.p.name)
				}
				if grants {
					t.Errorf("%s's workstation may grant the clinical key to Pia, a revoked physician", s.p.name)
				}
			}
		})
	}
}

// TestAttackS16dOutsidersPendingRevocationsCostQuadratic (a measurement,
// run with S16DN=10000): d2f9165 made a pending member event of a writer
// with no entry a hold claim once its signature verifies (hold.go
// holdClaimOf: env.Verify before the holdRead cache, on every reading),
// and every such event arriving pending marks its entry dirty (arrive.go
// decide). Oscar, an outsider with a published key and no clinic key
// (forge seals with a key of his own), writes N "revocations" into
// Paul's entry; Pia's workstation catching up in pages of 200 verifies
// every one stored so far at every page: quadratic, where events of
// another kind cost linear, and where before d2f9165 such pending events
// were skipped unread. Skipped without S16DN (timing).
func TestAttackS16dOutsidersPendingRevocationsCostQuadratic(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("S16DN"))
	if n == 0 {
		t.Skip("a measurement: S16DN=10000")
	}
	took := map[bool]time.Duration{}
	for _, member := range []bool{false, true} {
		c := newClinic(t)
		oscar := join(t, newPerson(t, "Oscar Outsider", roles.Physician), c.id, c.admin.fp())
		for i := range n {
			if member {
				oscar.forge(forged{Entity: c.phys.fp(), Kind: KindMember, Scope: string(roles.Directory),
					Fields: fields(t, map[string]any{"status": StatusRevoked, "name": strconv.Itoa(i)})})
			} else {
				oscar.forge(forged{Entity: fmt.Sprintf("%s%040x", roles.LicencePrefix, i), Kind: "licence", Scope: string(roles.Directory),
					Fields: fields(t, map[string]any{"number": strconv.Itoa(i)})})
			}
		}
		evs := oscar.own()
		start := time.Now()
		for i := 0; i < len(evs); i += 200 {
			c.sPh2.apply(evs[i:min(i+200, len(evs))]...)
		}
		took[member] = time.Since(start)
		t.Logf("member %v: %d events of an outsider in pages of 200: %v", member, n, took[member])
		start = time.Now()
		c.sPh2.apply(c.sPhys.own()...)
		t.Logf("member %v: then Paul's chain: %v", member, time.Since(start))
		mp, _ := c.sPh2.r.Member(c.phys.fp())
		if !mp.Active() {
			t.Errorf("Paul is not active after an outsider's revocations")
		}
	}
	// Measured at S16DN=10000: 27.4 s against 1.5 s on main; 3.8 s
	// against 1.1 s with /work/notes/sec-s16d-C-fix.diff.
	if took[true] > 8*took[false] {
		t.Errorf("an outsider's pending member events cost %v, %.0f times as many events of another kind (%v)",
			took[true], float64(took[true])/float64(took[false]), took[false])
	}
}
