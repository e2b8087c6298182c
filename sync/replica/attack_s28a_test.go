package replica

// Session 28 review h-seca28 (/work/notes/seca28-s28.md): a senior
// administrator who answers two revokers split the clinic (session 27's
// open item, TestAttackS27aSeniorAnswersBothRevokers). Hal and Pam, both
// juniors, revoke Ada, the founder; her modified software answers Hal in
// her chain's next place (a tight pair, which she wins) and Pam in the
// place after (tight on her side, loose on Pam's: Pam named her chain
// before both answers). Whether her answer to Pam stood turned on whether
// Pam's revocation did, and the reverse: arrival order decided. A
// workstation hearing Ada's chain first kept her and revoked both; the
// others removed her.

import (
	"fmt"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// s28aAnswers is the clinic after Hal and Pam revoked Ada and her
// modified software answered both, each answer naming the revoker's chain
// just before her revocation. Nothing is exchanged after the acts.
type s28aAnswers struct {
	c                *clinic
	sHal, sPam       *station
	all              []*station
	before           []*station       // observers holding what came before the acts
	rh, rp           *crypto.Envelope // Hal's and Pam's revocations of Ada
	toHal, toPam     *crypto.Envelope // Ada's answers
	adaUpTo, adaLast [][]byte         // Ada's chain through her answer to Hal; her answer to Pam
}

// s28aSetup makes the clinic, and before the acts the observers named.
func s28aSetup(t *testing.T, observers ...string) *s28aAnswers {
	return s28aSetupShaped(t, s28aShape{}, observers...)
}

// s28aShape varies Ada's answers: with pad, she corrects a colleague's
// name after the revocations and before her answers, so that neither
// revoker named her chain up to either answer; with low, each answer
// names the revoker's chain one place lower than his act's (so no act of
// either pair names the other's chain up to the other's act).
type s28aShape struct{ pad, low bool }

// s28aSetupShaped is s28aSetup with Ada's answers shaped so.
func s28aSetupShaped(t *testing.T, shape s28aShape, observers ...string) *s28aAnswers {
	t.Helper()
	k := &s28aAnswers{}
	k.c, k.sHal, k.sPam, k.all = s21cAdmins(t)
	for _, name := range observers {
		k.before = append(k.before, s21cObserver(t, k.c, k.c.sAdmin, name))
	}
	k.rh = revokeOn(t, k.sHal, k.c.admin)
	k.rp = revokeOn(t, k.sPam, k.c.admin)
	if shape.pad {
		k.c.sAdmin.append(Change{Entity: k.c.recep.fp(), Kind: KindMember, Scope: roles.Directory,
			Fields: fields(t, map[string]any{"name": "Rita Reception-Smith"})})
	}
	answer := func(p *person, to *station, act uint64) *crypto.Envelope {
		below := uint64(1)
		if shape.low {
			below = 2
		}
		heads := map[string]uint64{to.r.Device(): act - below, RevokedChanges: 0, RevokedRole + string(roles.Administrator): 1}
		return k.c.sAdmin.forge(forged{Entity: p.fp(), Kind: KindMember, Scope: string(roles.Directory),
			Fields: fields(t, map[string]any{"status": StatusRevoked, "revoked_heads": heads})})
	}
	k.toHal = answer(k.sHal.p, k.sHal, k.rh.Header.Seq)
	k.toPam = answer(k.sPam.p, k.sPam, k.rp.Header.Seq)
	own := k.c.sAdmin.own()
	k.adaUpTo, k.adaLast = own[:len(own)-1], own[len(own)-1:]
	return k
}

// s28aNewcomer is a workstation of a physician holding the clinic's keys
// that catches up from scratch: the pieces in the order given, then
// everything Ada's workstation holds.
func s28aNewcomer(t *testing.T, c *clinic, name string, pieces ...[][]byte) *station {
	t.Helper()
	s := open(t, newPerson(t, name, roles.Physician), c.id)
	s.holdKeys(c.sAdmin, roles.Directory, roles.Admin)
	s.holdKeys(c.sPhys, roles.FrontDesk, roles.Clinical)
	for _, p := range pieces {
		s.apply(p...)
	}
	s.apply(c.sAdmin.everything()...)
	return s
}

// check fails t unless s reads Ada revoked and Hal and Pam active
// administrators, their revocations applied and her answers refused.
func (k *s28aAnswers) check(t *testing.T, s *station, where string) {
	t.Helper()
	ada, hal, pam := k.c.admin, k.sHal.p, k.sPam.p
	if m, _ := s.r.Member(ada.fp()); m.Active() {
		t.Errorf("%s: Ada, who answered two revokers, stands: %s", where, s21cView(s, ada, hal, pam))
	}
	for _, p := range []*person{hal, pam} {
		if m, _ := s.r.Member(p.fp()); !m.Active() || m.Role != roles.Administrator {
			t.Errorf("%s: %s is not an active administrator: %s", where, p.name, s21cView(s, ada, hal, pam))
		}
	}
	for name, env := range map[string]*crypto.Envelope{"Hal's revocation": k.rh, "Pam's revocation": k.rp} {
		if st, why := s.stateOf(env); st != store.Applied {
			t.Errorf("%s: %s of Ada is %v (%s)", where, name, st, why)
		}
	}
	for name, env := range map[string]*crypto.Envelope{"Ada's answer to Hal": k.toHal, "Ada's answer to Pam": k.toPam} {
		if st, _ := s.stateOf(env); st != store.Rejected {
			t.Errorf("%s: %s is %v", where, name, st)
		}
	}
}

// TestAttackS28aSeniorAnswersBothRevokersEveryOrder: the verdict is the
// same whatever order the acts arrive in. Newcomers catching up from
// scratch take four pieces (Ada's chain through her answer to Hal, her
// answer to Pam, Hal's chain, Pam's chain) in each of the 24 orders, then
// everything; observers that held the clinic before take the chains in
// each of the 6 orders; then the honest workstations exchange everything.
// Every one of them must read Ada revoked (a member who answers two
// revokers fights everyone: her answers fall) and Hal and Pam active, and
// the newcomers must hold the same as each other. Again with a correction
// of Ada's before her answers (both answers then loose on the revokers'
// side), and with her answers naming the revokers' chains low as well
// (neither act of either pair tight): she is contested, and loses pairs
// of any shape.
func TestAttackS28aSeniorAnswersBothRevokersEveryOrder(t *testing.T) {
	for _, shape := range []s28aShape{{}, {pad: true}, {pad: true, low: true}} {
		t.Run(fmt.Sprintf("%+v", shape), func(t *testing.T) {
			s28aEveryOrder(t, shape)
		})
	}
}

// s28aEveryOrder is TestAttackS28aSeniorAnswersBothRevokersEveryOrder's
// case, Ada's answers shaped as given.
func s28aEveryOrder(t *testing.T, shape s28aShape) {
	orders := s27aOrders(3)
	var names []string
	for _, order := range orders {
		names = append(names, fmt.Sprintf("Olga %v", order))
	}
	k := s28aSetupShaped(t, shape, names...)
	pieces := [][][]byte{k.adaUpTo, k.adaLast, k.sHal.own(), k.sPam.own()}
	chains := [][][]byte{k.c.sAdmin.own(), k.sHal.own(), k.sPam.own()}
	for n, order := range orders {
		s := k.before[n]
		for _, i := range order {
			s.apply(chains[i]...)
		}
		k.check(t, s, fmt.Sprintf("an observer taking the chains in order %v", order))
	}
	s29bNewcomers(t, k.c, pieces, func(s *station, where string) { k.check(t, s, where) })
	// Ada's own workstation is left out (forge: her answers stored
	// without folding).
	honest := append([]*station{k.sHal, k.sPam, k.c.sPhys, k.c.sRecep, k.c.sPh2}, k.before...)
	exchange(t, honest...)
	for _, s := range honest {
		k.check(t, s, s.p.name+"'s workstation after the exchange")
	}
}

// TestUpgradeS28aAnswersJudgedAgain: a workstation of an earlier version
// heard Ada's chain first and kept her (her answers applied, both
// revocations refused). After the upgrade (fields revision 30) it reads
// what a newcomer reads: Ada revoked, Hal and Pam active.
func TestUpgradeS28aAnswersJudgedAgain(t *testing.T) {
	k := s28aSetup(t, "Olga Observer")
	s := k.before[0]
	s.apply(k.c.sAdmin.own()...)
	s.apply(k.sHal.own()...)
	s.apply(k.sPam.own()...)
	cut := verdict{state: store.Rejected, rule: ruleRevoked, reason: "written after the author's membership was revoked"}
	asEarlierVersion(t, s, map[string]verdict{
		k.toHal.Header.ID: {state: store.Applied}, k.toPam.Header.ID: {state: store.Applied},
		k.rh.Header.ID: cut, k.rp.Header.ID: cut,
	}, k.c.admin.fp(), k.sHal.p.fp(), k.sPam.p.fp())
	if m, _ := s.r.Member(k.sPam.p.fp()); !m.Revoked() {
		t.Fatal("setup: Pam does not read revoked")
	}
	s.upgrade()
	k.check(t, s, "after the upgrade")
}

// TestAttackS28aHonestSeniorRevokesTwoOneByOne: the rule leaves an honest
// senior alone. Ada revokes Hal, everyone hears it, then Pam. Each then
// writes a revocation of Ada after hearing hers, naming her chain as held
// (past her act, so no crossing: what the app would name, had it let a
// revoked member write); Hal then also retaliates late with the shape of
// a tight pair (one crossing: she is not contested, and as the senior she
// wins it). Every workstation, whatever order it heard the chains in,
// reads Ada active and both revoked.
func TestAttackS28aHonestSeniorRevokesTwoOneByOne(t *testing.T) {
	c, sHal, sPam, all := s21cAdmins(t)
	ada, hal, pam := c.admin, sHal.p, sPam.p
	late := s21cObserver(t, c, c.sAdmin, "Lena Late")
	toHal := revokeOn(t, c.sAdmin, hal)
	exchange(t, all...)
	toPam := revokeOn(t, c.sAdmin, pam)
	exchange(t, all...)
	revokeAda := func(s *station, upTo uint64) {
		heads := map[string]uint64{c.sAdmin.r.Device(): upTo, RevokedChanges: 0, RevokedRole + string(roles.Administrator): 1}
		s.forge(forged{Entity: ada.fp(), Kind: KindMember, Scope: string(roles.Directory),
			Fields: fields(t, map[string]any{"status": StatusRevoked, "revoked_heads": heads})})
	}
	revokeAda(sHal, toPam.Header.Seq) // what the app would name: her chain as held
	revokeAda(sPam, toPam.Header.Seq)
	revokeAda(sHal, toHal.Header.Seq-1) // a tight late retaliation
	for _, from := range []*station{sPam, sHal, c.sAdmin} {
		late.apply(from.own()...)
	}
	newcomer := s28aNewcomer(t, c, "Nina Newcomer", sHal.own(), sPam.own())
	// Hal's and Pam's own workstations are left out (forge: their acts
	// stored without folding; an app refuses to write them).
	honest := []*station{c.sAdmin, c.sPhys, c.sRecep, late, newcomer}
	exchange(t, append(honest, sHal, sPam)...)
	for _, s := range honest {
		if m, _ := s.r.Member(ada.fp()); !m.Active() {
			t.Errorf("%s: Ada, who revoked two colleagues one by one, is not active: %s", s.p.name, s21cView(s, ada, hal, pam))
		}
		for _, p := range []*person{hal, pam} {
			if m, _ := s.r.Member(p.fp()); !m.Revoked() {
				t.Errorf("%s: %s is not revoked: %s", s.p.name, p.name, s21cView(s, ada, hal, pam))
			}
		}
		for _, env := range []*crypto.Envelope{toHal, toPam} {
			if st, why := s.stateOf(env); st != store.Applied {
				t.Errorf("%s: Ada's revocation is %v (%s)", s.p.name, st, why)
			}
		}
	}
}

// TestAttackS28aTwoLateRetaliations: the rule's cost, shown. Ada revokes
// Hal and Pam; later their modified software each revokes her in a
// crossing shape (naming her chain before her revocations of them, and
// witnessing nothing that says otherwise): the same events, byte for
// byte in shape, as Ada answering two revocations. She is contested and
// removed, from what their heads name on, on every workstation alike
// (before: arrival order decided).
func TestAttackS28aTwoLateRetaliations(t *testing.T) {
	c, sHal, sPam, all := s21cAdmins(t)
	ada, hal, pam := c.admin, sHal.p, sPam.p
	first := s21cObserver(t, c, c.sAdmin, "Olga Observer")
	toHal := revokeOn(t, c.sAdmin, hal)
	revokeOn(t, c.sAdmin, pam)
	exchange(t, all...)
	heads := map[string]uint64{c.sAdmin.r.Device(): toHal.Header.Seq - 1, RevokedChanges: 0, RevokedRole + string(roles.Administrator): 1}
	for _, s := range []*station{sHal, sPam} {
		s.forge(forged{Entity: ada.fp(), Kind: KindMember, Scope: string(roles.Directory),
			Fields: fields(t, map[string]any{"status": StatusRevoked, "revoked_heads": heads})})
	}
	for _, from := range []*station{c.sAdmin, sHal, sPam} {
		first.apply(from.own()...)
	}
	newcomer := s28aNewcomer(t, c, "Nina Newcomer", sPam.own(), sHal.own())
	a, b := s21cView(first, ada, hal, pam), s21cView(newcomer, ada, hal, pam)
	t.Logf("as documented (contest.go): %s", a)
	if a != b {
		t.Errorf("arrival order decides:\n  %s\n  %s", a, b)
	}
	if d := first.snapshot().diff(newcomer.snapshot()); d != "" {
		t.Errorf("the workstations differ:\n%s", d)
	}
}
