package replica

// Session 14 hostile review, third pass (h-sec14c, /work/notes/sec-s14c.md):
// proofs against the role-history fixes of sec-s14 and sec-s14b. Each
// fails on main when committed.

import (
	"context"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// ownOfKind returns the ids of the events of kind s's member wrote on her
// own device.
func ownOfKind(t *testing.T, s *station, kind string) []string {
	t.Helper()
	var ids []string
	for _, raw := range s.own() {
		env, err := crypto.ParseEnvelope(raw)
		if err != nil {
			t.Fatal(err)
		}
		if env.Header.Kind == kind {
			ids = append(ids, env.Header.ID)
		}
	}
	return ids
}

// TestAttackS14cLowerClockRewriteHidesItsDispute: change N is disputed
// (shown in red in the staff directory) when its changes take different
// roles or name different heads (pickChange), never when they differ
// only by clock. An administrator writes Pia's honest move (physician ->
// administrator) again, same pair, same heads, with a clock of 1: no
// event of hers is then covered by every change of number 1 (coversAll:
// below the lowest clock), every event below the heads by one
// (coversAny), so each is judged by both roles, and what an
// administrator may not write — her confirmations as a physician — is
// refused on every workstation. A denial is accepted only where the
// directory shows the history disputed; this one shows nothing.
func TestAttackS14cLowerClockRewriteHidesItsDispute(t *testing.T) {
	for _, tc := range []struct {
		name    string
		rewrite bool
	}{
		{name: "control: the honest move alone"},
		{name: "change 1 written again with a clock of 1", rewrite: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClinic(t)
			confs := ownOfKind(t, c.sPh2, KindConfirms)
			if len(confs) == 0 {
				t.Fatal("setup: Pia wrote no confirmation")
			}
			honestChange(t, c.sAdmin, c.phys2, 1, roles.Administrator)
			exchange(t, c.stations()...)
			if tc.rewrite {
				pia, _ := c.sAdmin.r.Member(c.phys2.fp())
				first := pia.Changes[0]
				c.sAdmin.forge(forged{Entity: c.phys2.fp(), Kind: KindMember, Scope: string(roles.Directory), Lamport: 1,
					Fields: fields(t, map[string]any{RoleChangeField(1): RoleChange{From: first.From, To: first.To, Heads: first.Heads}})})
				exchange(t, c.stations()...)
			}
			m, _ := c.sPhys.r.Member(c.phys2.fp())
			for _, id := range confs {
				st, why := c.sPhys.state(id)
				t.Logf("Pia's confirmation %s on Paul's workstation: %v %s (history disputed %v, rewritten %v)",
					id[:8], st, why, m.HistoryDisputed(), m.RoleRewritten())
				if st != store.Applied && !m.HistoryDisputed() && !m.RoleRewritten() {
					t.Errorf("Pia's confirmation, written as a physician, is refused (%s) and the directory shows no disputed history", why)
				}
			}
		})
	}
}

// TestAttackS14cRebindJudgesADataRecordWithoutItsScope: rebind, settling
// a record's kind again after one of its events is refused, keeps the
// claims whose author may create their kind (Replica.mayCreate). It asks
// authorize with a header that has no scope, so judgeRole takes a
// disputed member's clinical note for a directory write ("every possible
// role must allow it") instead of a record of the clinic's data ("any
// possible role allows it"), as apply judged it. Pia, a physician, writes
// note X; Rita's software writes a front-desk patient record under the
// same id (refused: the clinical claim wins, roles.Kind.Precedence). Pia
// writes X again while Ada moves her to the desk (the race every clinic
// has), and Ada, or another administrator, writes the move again with
// heads one event short (a disputed history, shown). A workstation that
// applied Pia's second note before the move refuses it when the move
// comes, rebinds X, finds Pia's first note "not creatable" and gives X to
// Rita's patient record; one that had the move first never rebinds and
// keeps the note. Two verdicts by arrival order.
func TestAttackS14cRebindJudgesADataRecordWithoutItsScope(t *testing.T) {
	for _, tc := range []struct {
		name    string
		dispute bool
	}{
		{name: "control: the honest move alone"},
		{name: "the move written again one event short", dispute: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClinic(t)
			x := crypto.NewEventID()
			note := c.sPh2.append(Change{Entity: x, Kind: "note", Scope: roles.Clinical, Fields: fields(t, map[string]any{"plan": "first"})})
			exchange(t, c.stations()...)
			rival := c.sRecep.forge(forged{Entity: x, Kind: "patient", Scope: string(roles.FrontDesk),
				Fields: fields(t, map[string]any{"family": "Doe"})})
			again := c.sPh2.append(Change{Entity: x, Kind: "note", Scope: roles.Clinical, Fields: fields(t, map[string]any{"plan": "again"})})
			// Paul has Pia's second note and Rita's record before the move.
			c.sPhys.apply(raws(rival, again)...)
			honestChange(t, c.sAdmin, c.phys2, 1, roles.Receptionist)
			if tc.dispute {
				pia, _ := c.sAdmin.r.Member(c.phys2.fp())
				heads := map[string]uint64{c.sPh2.r.Device(): note.Header.Seq - 1}
				c.sAdmin.forge(forged{Entity: c.phys2.fp(), Kind: KindMember, Scope: string(roles.Directory),
					Fields: fields(t, map[string]any{RoleChangeField(1): RoleChange{From: pia.Changes[0].From, To: pia.Changes[0].To, Heads: heads}})})
			}
			// Ada has the move before them.
			c.sAdmin.apply(raws(rival, again)...)
			exchange(t, c.stations()...)
			m, _ := c.sPhys.r.Member(c.phys2.fp())
			t.Logf("Pia: %s, disputed %v", m.Role, m.HistoryDisputed())
			for _, e := range []struct {
				what string
				id   string
			}{{"Pia's first note", note.Header.ID}, {"Rita's record", rival.Header.ID}, {"Pia's second note", again.Header.ID}} {
				on := map[string]string{}
				for _, s := range []*station{c.sAdmin, c.sPhys, c.sPh2, c.sRecep} {
					st, why := s.state(e.id)
					standing := st == store.Applied || st == store.Sealed
					on[s.p.name] = map[bool]string{true: "stands", false: "refused: " + why}[standing]
				}
				t.Logf("%s: %v", e.what, on)
				if on[c.admin.name] != on[c.phys.name] {
					t.Errorf("%s: Ada's workstation and Paul's disagree by arrival order: %q against %q", e.what, on[c.admin.name], on[c.phys.name])
				}
			}
		})
	}
}

// TestAttackS14cRevocationRoleMakesAReceptionistAPhysician: a revocation
// records the role it read ("role:ROLE" in revoked_heads, C3), and an
// entry with no change of role takes that role (memberFromState:
// `m.Role = rc.Roles[0]`); only an entry with changes compares it with
// the role its history ends in, so an administrator's revocation of
// Rita, a receptionist never moved, that records "role:physician" makes
// every event of hers a physician's, undisputed. Pia, a physician, wrote
// a "member/" confirmation of Rita with modified software before she left
// the clinic (harmless by itself: Rita's own confirmations count only if
// written in a role holding the clinical scope, B5). After Pia left, the
// administrator admitted Sly, her stand-in physician; Rita confirmed him
// from the desk (refused: a receptionist vouches for nobody clinical);
// the administrator revokes Rita recording "physician": her confirmation
// of Sly is judged a physician's and, she being revoked, counts. Paul
// reaches Sly through Pia and Rita and grants him the clinical key.
func TestAttackS14cRevocationRoleMakesAReceptionistAPhysician(t *testing.T) {
	for _, tc := range []struct {
		name string
		read roles.Role // the role Rita's revocation records
	}{
		{name: "control: revoked as the receptionist she is", read: roles.Receptionist},
		{name: "revoked recording physician", read: roles.Physician},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			c := newClinic(t)
			c.sPh2.forge(forged{Entity: ConfirmsEntity(c.phys2.fp()), Kind: KindConfirms, Scope: string(roles.Directory),
				Fields: Fields{c.sPh2.confirmation(confirmsFieldPrefix, c.recep): mustJSON(true)}})
			exchange(t, c.stations()...)
			c.revokeAsTheAppDoes(t, c.phys2) // Pia leaves
			exchange(t, c.stations()...)
			sly, sSly := c.admitted(t, "Sly Standin", roles.Physician)
			all := append(c.stations(), sSly)
			exchange(t, all...)
			conf := c.sRecep.forge(forged{Entity: ConfirmsEntity(c.recep.fp()), Kind: KindConfirms, Scope: string(roles.Directory),
				Fields: Fields{c.sRecep.confirmation(confirmsFieldPrefix, sly): mustJSON(true)}})
			if err := sSly.r.Confirm(ctx, c.phys.fp()); err != nil {
				t.Fatal(err)
			}
			exchange(t, all...)
			heads := memberHeads(t, c.sAdmin, c.recep)
			heads[RevokedChanges], heads[RevokedRole+string(tc.read)] = 0, 1
			c.sAdmin.append(Change{Entity: c.recep.fp(), Kind: KindMember, Scope: roles.Directory,
				Fields: fields(t, map[string]any{"status": StatusRevoked, "revoked_heads": heads})})
			exchange(t, all...)
			m, _ := c.sPhys.r.Member(c.recep.fp())
			st, why := c.sPhys.state(conf.Header.ID)
			t.Logf("Rita on Paul's workstation: %s %s, disputed %v, rewritten %v; her member/ confirmation of Sly: %v %s",
				m.Status, m.Role, m.HistoryDisputed(), m.RoleRewritten(), st, why)
			if c.sPhys.r.MayGrant(roles.Clinical, sly.fp()) {
				t.Error("Paul grants the clinical key to Sly, whom no physician met: Rita confirmed him at the desk, and her revocation recorded her a physician")
			}
		})
	}
}

// TestAttackS14cNewcomerJudgesAMemberByHerFirstView: judgeRoles judges a
// member's events again only when her entry's view differs from the one
// recorded for her (roleSeen), and records none for a member it meets
// for the first time ("nothing of hers was judged by a role before"). But
// a workstation that receives her admission, her events and a change of
// her role in one Apply decides the events on arrival by the entry as it
// read then, before the change came later in the same batch: the first
// judgeRoles records the changed view and judges nothing again. Tom, a
// physician, confirms Paul while Ada moves him to the desk (the race
// every clinic has: the move's heads stop before the confirmation).
// Every workstation refuses the confirmation (a receptionist's
// "member/"); Nell's, which gets Ada's and Tom's chains in one batch with
// the move last, keeps it applied.
func TestAttackS14cNewcomerJudgesAMemberByHerFirstView(t *testing.T) {
	for _, tc := range []struct {
		name string
		one  bool // the move in the same Apply as the rest
	}{
		{name: "control: the move in a batch of its own"},
		{name: "Tom's admission, his confirmation and the move in one batch", one: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			c := newClinic(t)
			_, sNell := c.admitted(t, "Nell Newcomer", roles.Physician)
			exchange(t, append(c.stations(), sNell)...)
			tom, sTom := c.admitted(t, "Tom Physician", roles.Physician)
			all := append(c.stations(), sTom)
			exchange(t, all...)
			honestChange(t, c.sAdmin, tom, 1, roles.Receptionist)
			if err := sTom.r.Confirm(ctx, c.phys.fp()); err != nil {
				t.Fatal(err)
			}
			exchange(t, all...)
			confs := ownOfKind(t, sTom, KindConfirms)
			if len(confs) != 1 {
				t.Fatalf("setup: Tom wrote %d confirmations", len(confs))
			}
			if st, why := c.sPhys.state(confs[0]); st != store.Rejected {
				t.Fatalf("setup: Tom's confirmation on Paul's workstation: %v %s", st, why)
			}
			ada := c.sAdmin.own()
			move := ada[len(ada)-1]
			batch := append(ada[:len(ada)-1:len(ada)-1], sTom.own()...)
			if tc.one {
				sNell.apply(append(batch, move)...)
			} else {
				sNell.apply(batch...)
				sNell.apply(move)
			}
			m, _ := sNell.r.Member(tom.fp())
			st, why := sNell.state(confs[0])
			t.Logf("Tom on Nell's workstation: %s, %d change(s); his confirmation of Paul: %v %s", m.Role, len(m.Changes), st, why)
			if st != store.Rejected {
				t.Errorf("Nell keeps Tom's confirmation (%v) that every other workstation refused as a receptionist's", st)
			}
		})
	}
}
