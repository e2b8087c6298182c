package replica

// Session 29 review h-secb29 (/work/notes/secb29-s29.md): two
// administrators, neither contested, cut each other and neither act names
// the other's chain up to the other's act (both loose: each of them wrote
// something the other had not heard of). Session 28 left this shape to
// arrival order: a workstation kept the act it heard first and refused
// the other, so the clinic split over who is an administrator. Honest
// software makes it on a busy day (each corrects a name, then they revoke
// each other); a revoked junior's modified software makes it on purpose
// (a late retaliation, written after another event of hers, naming her
// revoker's chain low).

import (
	"fmt"
	"slices"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// s29bCrossing is the clinic after Hal (the senior: Ada admitted him
// first) and Pam cut each other in a crossing both of whose acts are
// loose; before holds observers that applied what came before the acts.
type s29bCrossing struct {
	c          *clinic
	sHal, sPam *station
	all        []*station
	before     []*station
	rh, rp     *crypto.Envelope // Hal's cut of Pam, Pam's of Hal
	forged     *station         // whose act was forged (left out of the exchange), or nil
}

// s29bPad is a directory event by s's member: a colleague's name
// corrected, what keeps the other's act from naming s's chain up to s's
// act.
func s29bPad(t *testing.T, c *clinic, s *station, forge bool) {
	t.Helper()
	f := fields(t, map[string]any{"name": "Rita Reception-Smith"})
	if forge {
		s.forge(forged{Entity: c.recep.fp(), Kind: KindMember, Scope: string(roles.Directory), Fields: f})
		return
	}
	s.append(Change{Entity: c.recep.fp(), Kind: KindMember, Scope: roles.Directory, Fields: f})
}

// s29bLoose forges, on s, a revocation of p naming p's chain on device of
// to two places below at (its act): loose.
func s29bLoose(t *testing.T, s *station, p *person, device string, at uint64) *crypto.Envelope {
	t.Helper()
	heads := map[string]uint64{device: at - 2, RevokedChanges: 0, RevokedRole + string(roles.Administrator): 1}
	return s.forge(forged{Entity: p.fp(), Kind: KindMember, Scope: string(roles.Directory),
		Fields: fields(t, map[string]any{"status": StatusRevoked, "revoked_heads": heads})})
}

// s29bShapes are the three ways the crossing comes about.
var s29bShapes = []struct {
	name string
	make func(t *testing.T, k *s29bCrossing)
}{
	{"honest race: each corrects a name, then they revoke each other", func(t *testing.T, k *s29bCrossing) {
		s29bPad(t, k.c, k.sHal, false)
		s29bPad(t, k.c, k.sPam, false)
		k.rh = revokeOn(t, k.sHal, k.sPam.p)
		k.rp = revokeOn(t, k.sPam, k.sHal.p)
	}},
	{"Pam's late retaliation after another event of hers, naming Hal's chain low", func(t *testing.T, k *s29bCrossing) {
		k.rh = revokeOn(t, k.sHal, k.sPam.p)
		exchange(t, k.all...)
		s29bPad(t, k.c, k.sPam, true)
		k.rp = s29bLoose(t, k.sPam, k.sHal.p, k.sHal.r.Device(), k.rh.Header.Seq)
		k.forged = k.sPam
	}},
	{"Hal's late answer after another event of his, naming Pam's chain low", func(t *testing.T, k *s29bCrossing) {
		k.rp = revokeOn(t, k.sPam, k.sHal.p)
		exchange(t, k.all...)
		s29bPad(t, k.c, k.sHal, true)
		k.rh = s29bLoose(t, k.sHal, k.sPam.p, k.sPam.r.Device(), k.rp.Header.Seq)
		k.forged = k.sHal
	}},
}

// check fails t unless s reads Hal an active administrator and Pam
// revoked, his act applied and hers refused.
func (k *s29bCrossing) check(t *testing.T, s *station, where string) {
	t.Helper()
	hal, pam := k.sHal.p, k.sPam.p
	if m, _ := s.r.Member(hal.fp()); !m.Active() || m.Role != roles.Administrator {
		t.Errorf("%s: Hal, the senior, is not an active administrator: %s", where, s21cView(s, hal, pam))
	}
	if m, _ := s.r.Member(pam.fp()); !m.Revoked() {
		t.Errorf("%s: Pam is not revoked: %s", where, s21cView(s, hal, pam))
	}
	if st, why := s.stateOf(k.rh); st != store.Applied {
		t.Errorf("%s: Hal's act is %v (%s)", where, st, why)
	}
	if st, _ := s.stateOf(k.rp); st != store.Rejected {
		t.Errorf("%s: Pam's act is %v", where, st)
	}
}

// TestAttackS29bLooseCrossingEveryOrder: the verdict of a both-loose
// crossing of two uncontested administrators is the same whatever order
// the acts arrive in. Observers that held the clinic before the acts take
// the two chains in both orders; newcomers from scratch take Ada's, Hal's
// and Pam's chains in each of the 6 orders, then everything; then the
// honest workstations exchange. Each must read Hal, the senior, active and
// Pam revoked (his act applied, hers refused), and every newcomer the
// same as the first. On main the workstation that heard Pam's act first
// kept it (Hal revoked, Pam active).
func TestAttackS29bLooseCrossingEveryOrder(t *testing.T) {
	for _, shape := range s29bShapes {
		t.Run(shape.name, func(t *testing.T) {
			k := &s29bCrossing{}
			k.c, k.sHal, k.sPam, k.all = s21cAdmins(t)
			for _, name := range []string{"Olga Observer", "Oscar Observer"} {
				k.before = append(k.before, s21cObserver(t, k.c, k.c.sAdmin, name))
			}
			shape.make(t, k)
			chains := [][][]byte{k.sHal.own(), k.sPam.own()}
			for n, order := range [][]int{{0, 1}, {1, 0}} {
				for _, i := range order {
					k.before[n].apply(chains[i]...)
				}
				k.check(t, k.before[n], fmt.Sprintf("an observer taking %s's chain first", []string{"Hal", "Pam"}[order[0]]))
			}
			pieces := [][][]byte{k.c.sAdmin.own(), k.sHal.own(), k.sPam.own()}
			s29bNewcomers(t, k.c, pieces, func(s *station, where string) { k.check(t, s, where) })
			var honest []*station
			for _, s := range append(k.all, k.before...) {
				if s != k.forged {
					honest = append(honest, s)
				}
			}
			exchange(t, honest...)
			for _, s := range honest {
				k.check(t, s, s.p.name+"'s workstation after the exchange")
			}
		})
	}
}

// TestUpgradeS29bLooseCrossingJudgedAgain: a workstation of an earlier
// version heard Pam's chain first and kept her late, loose retaliation
// (her act applied, Hal's revocation of her refused). After the upgrade
// (fields revision 33) it reads what every workstation of this version
// reads: Hal, the senior, active and Pam revoked.
func TestUpgradeS29bLooseCrossingJudgedAgain(t *testing.T) {
	k := &s29bCrossing{}
	k.c, k.sHal, k.sPam, k.all = s21cAdmins(t)
	s := s21cObserver(t, k.c, k.c.sAdmin, "Olga Observer")
	s29bShapes[1].make(t, k)
	s.apply(k.sPam.own()...)
	s.apply(k.sHal.own()...)
	asEarlierVersion(t, s, map[string]verdict{
		k.rp.Header.ID: {state: store.Applied},
		k.rh.Header.ID: refused(ruleRevoked, "written after the author's membership was revoked"),
	}, k.sHal.p.fp(), k.sPam.p.fp())
	if m, _ := s.r.Member(k.sHal.p.fp()); !m.Revoked() {
		t.Fatal("setup: Hal does not read revoked")
	}
	s.upgrade()
	k.check(t, s, "after the upgrade")
}

// s29bReadmitted is the clinic of TestAttackS29bReadmissionAfterThePair:
// Ada admits Zed, then Yan; Yan admits Hal, then Pam (Hal the senior);
// Hal and Pam revoke each other at once (a tight pair); then Zed's
// modified software admits Pam again as an administrator, which puts her
// on a way from the founder through Zed, admitted before Yan: Pam, by
// the events held, is now the senior.
type s29bReadmitted struct {
	c                  *clinic
	sZed, sYan         *station
	sHal, sPam         *station
	rh, rp, again      *crypto.Envelope
	before, afterPair  *station // observers: held what came before the acts; judged the pair before the admission
	adaChain, yanChain [][]byte
}

func s29bReadmit(t *testing.T) *s29bReadmitted {
	t.Helper()
	k := &s29bReadmitted{c: newClinic(t)}
	k.sZed = k.c.anotherAdmin(t, "Zed Admin")
	k.sYan = k.c.anotherAdmin(t, "Yan Admin", k.sZed)
	k.sHal = k.c.adminBy(t, k.sYan, "Hal Admin", k.sZed, k.sYan)
	k.sPam = k.c.adminBy(t, k.sYan, "Pam Admin", k.sZed, k.sYan, k.sHal)
	exchange(t, append(k.c.stations(), k.sZed, k.sYan, k.sHal, k.sPam)...)
	k.before = s21cObserver(t, k.c, k.c.sAdmin, "Olga Observer")
	k.afterPair = s21cObserver(t, k.c, k.c.sAdmin, "Oscar Observer")
	k.rh = revokeOn(t, k.sHal, k.sPam.p)
	k.rp = revokeOn(t, k.sPam, k.sHal.p)
	k.afterPair.apply(k.sHal.own()...)
	k.afterPair.apply(k.sPam.own()...)
	k.again = k.sZed.forge(forged{Entity: k.sPam.p.fp(), Kind: KindMember, Scope: string(roles.Directory),
		Fields: fields(t, map[string]any{"name": "Pam Admin", "role": roles.Administrator, "status": StatusActive})})
	k.adaChain, k.yanChain = k.c.sAdmin.own(), k.sYan.own()
	return k
}

// TestAttackS29bReadmissionAfterThePair: session 27's open item. A third
// administrator's admission, again, of one of a pair, reaching a
// workstation after it judged the pair, changes who is the senior by the
// events held. Every workstation must read the same whatever the order:
// an observer that judged the pair first, one that hears Zed's chain
// first, newcomers taking Zed's, Hal's and Pam's chains in every order
// (after Ada's and Yan's).
func TestAttackS29bReadmissionAfterThePair(t *testing.T) {
	k := s29bReadmit(t)
	st, why := k.afterPair.stateOf(k.rh)
	t.Logf("before the admission again, the observer that judged the pair: Hal's act %v (%s): %s", st, why, s21cView(k.afterPair, k.sHal.p, k.sPam.p))
	k.afterPair.apply(k.sZed.own()...)
	k.before.apply(k.sZed.own()...)
	k.before.apply(k.sHal.own()...)
	k.before.apply(k.sPam.own()...)
	want := s21cView(k.before, k.sHal.p, k.sPam.p)
	wantSnap := k.before.snapshot()
	t.Logf("Zed's chain first: %s; again: %v", want, func() store.EnvelopeState { s, _ := k.before.stateOf(k.again); return s }())
	if got := s21cView(k.afterPair, k.sHal.p, k.sPam.p); got != want {
		t.Errorf("the observer that judged the pair before the admission reads\n  %s\nZed's chain first reads\n  %s", got, want)
	}
	if d := wantSnap.diff(k.afterPair.snapshot()); d != "" {
		t.Errorf("the two observers differ:\n%s", d)
	}
	// Ada's and Yan's chains first, then Zed's, Hal's, Pam's in every order.
	pieces := [][][]byte{append(slices.Clone(k.adaChain), k.yanChain...), k.sZed.own(), k.sHal.own(), k.sPam.own()}
	first := s29bNewcomers(t, k.c, pieces, func(s *station, where string) {
		if got := s21cView(s, k.sHal.p, k.sPam.p); got != want {
			t.Errorf("%s reads\n  %s", where, got)
		}
	})
	if d := wantSnap.diff(first); d != "" {
		t.Errorf("the newcomers differ from the observer that heard Zed's chain first:\n%s", d)
	}
}

// s29bRevokeWith forges, on s, a revocation of p naming heads.
func s29bRevokeWith(t *testing.T, s *station, p *person, heads map[string]uint64) *crypto.Envelope {
	t.Helper()
	hs := map[string]uint64{RevokedChanges: 0, RevokedRole + string(roles.Administrator): 1}
	for d, seq := range heads {
		hs[d] = seq
	}
	return s.forge(forged{Entity: p.fp(), Kind: KindMember, Scope: string(roles.Directory),
		Fields: fields(t, map[string]any{"status": StatusRevoked, "revoked_heads": hs})})
}

// TestAttackS29bContestAgainstALaterTree: a contest is read against the
// admission tree as it stands. Ada (the founder) admits Zed, Hal and Yan;
// Zed admits Quinn. Hal and Quinn revoke Ada, her modified software
// answers both (contested: both revocations stand). Then Zed is revoked
// with heads from before his admission of Quinn, which sets Quinn aside:
// Quinn is no administrator, his cut does not count, and Ada is
// contested by one colleague only. By Yan (a third administrator), or by
// Ada herself after her answers (her cut stands only if she does). Every
// workstation must read the same whatever the order: one that judged the
// contest before the cut of Zed came, newcomers taking the pieces in
// every order. Before judgeCrossings the first kept Ada revoked in Yan's
// case; before reached's despite, in Ada's case every newcomer read her
// active (her cut of Zed stood, as she did) and the first revoked. Ada's
// own cut does not take Quinn out of her contest: she stays revoked.
func TestAttackS29bContestAgainstALaterTree(t *testing.T) {
	for _, byAda := range []bool{false, true} {
		t.Run(map[bool]string{false: "Yan sets Quinn aside", true: "Ada sets Quinn aside"}[byAda], func(t *testing.T) {
			c := newClinic(t)
			sZed := c.anotherAdmin(t, "Zed Admin")
			sHal := c.anotherAdmin(t, "Hal Admin", sZed)
			sYan := c.anotherAdmin(t, "Yan Admin", sZed, sHal)
			zedBefore := memberHeads(t, c.sAdmin, sZed.p)
			sQuinn := c.adminBy(t, sZed, "Quinn Admin", sZed, sHal, sYan)
			all := append(c.stations(), sZed, sHal, sYan, sQuinn)
			exchange(t, all...)
			ada := c.admin
			judged := s21cObserver(t, c, c.sAdmin, "Olga Observer")
			rh := revokeOn(t, sHal, ada)
			rq := revokeOn(t, sQuinn, ada)
			for _, to := range []struct {
				s   *station
				act *crypto.Envelope
			}{{sHal, rh}, {sQuinn, rq}} {
				s29bRevokeWith(t, c.sAdmin, to.s.p, map[string]uint64{to.s.r.Device(): to.act.Header.Seq - 1})
			}
			adaAnswers := c.sAdmin.own()
			cutter := sYan
			if byAda {
				cutter = c.sAdmin
			}
			s29bRevokeWith(t, cutter, sZed.p, zedBefore)
			var cut [][]byte
			if own := cutter.own(); byAda {
				cut = own[len(own)-1:]
			} else {
				cut = own
			}
			judged.apply(adaAnswers...)
			judged.apply(sHal.own()...)
			judged.apply(sQuinn.own()...)
			view := func(s *station) string { return s21cView(s, ada, sHal.p, sQuinn.p, sZed.p) }
			t.Logf("before the cut of Zed: %s", view(judged))
			judged.apply(cut...)
			want, wantSnap := view(judged), judged.snapshot()
			t.Logf("after it: %s", want)
			if m, _ := judged.r.Member(ada.fp()); byAda && m.Active() {
				t.Errorf("Ada's own cut of Zed took Quinn out of her contest: %s", want)
			}
			// Ada's answers, Hal's and Quinn's chains, the cut.
			pieces := [][][]byte{adaAnswers, sHal.own(), sQuinn.own(), cut}
			first := s29bNewcomers(t, c, pieces, func(s *station, where string) {
				if got := view(s); got != want {
					t.Errorf("%s reads\n  %s\nthe workstation that judged the contest first\n  %s", where, got, want)
				}
			})
			if d := wantSnap.diff(first); d != "" {
				t.Errorf("the newcomers differ from the workstation that judged first:\n%s", d)
			}
		})
	}
}

// TestAttackS29bContestedKeepsWriting: Ada, contested (she answered both
// Hal's and Pam's revocations of her), lost; her workstation keeps
// writing what an administrator writes (an administrator writes no
// clinical record): the clinic's security settings and the admission of
// a new administrator. Each is past both revocations' heads, so refused
// on every workstation, whatever order it heard the chains in: newcomers
// taking Ada's chain through her first answer, the rest of her chain
// (her second answer and the later writes), Hal's and Pam's chains in
// each of the 24 orders, then everything; Mona, whom she admitted, is
// nobody's administrator, and the settings are as before.
func TestAttackS29bContestedKeepsWriting(t *testing.T) {
	k := s28aSetup(t)
	mona := newPerson(t, "Mona Puppet", roles.Administrator)
	late := []*crypto.Envelope{
		k.c.sAdmin.append(Change{Entity: roles.SecurityID, Kind: "security", Scope: roles.Directory,
			Fields: fields(t, map[string]any{"idle_minutes": 240})}),
		k.c.sAdmin.append(Change{Entity: mona.fp(), Kind: KindMember, Scope: roles.Directory,
			Fields: fields(t, map[string]any{"name": mona.name, "role": roles.Administrator, "status": StatusActive})}),
	}
	own := k.c.sAdmin.own()
	rest := own[len(k.adaUpTo):]
	pieces := [][][]byte{k.adaUpTo, rest, k.sHal.own(), k.sPam.own()}
	s29bNewcomers(t, k.c, pieces, func(s *station, where string) {
		k.check(t, s, where)
		for _, env := range late {
			if st, why := s.stateOf(env); st != store.Rejected {
				t.Errorf("%s: Ada's later %s is %v (%s)", where, env.Header.Kind, st, why)
			}
		}
		if m, ok := s.r.Member(mona.fp()); ok && m.Active() {
			t.Errorf("%s: Mona, whom Ada admitted after she lost, is active", where)
		}
	})
}

// s29bNewcomers has a newcomer catch up from scratch taking the pieces in
// each of their orders (s28aNewcomer), checks each, fails t unless they
// all hold the same, and returns the first one's snapshot.
func s29bNewcomers(t *testing.T, c *clinic, pieces [][][]byte, check func(s *station, where string)) snapshot {
	t.Helper()
	var first snapshot
	for n, order := range s27aOrders(len(pieces)) {
		var in [][][]byte
		for _, i := range order {
			in = append(in, pieces[i])
		}
		s := s28aNewcomer(t, c, fmt.Sprintf("Nina %v", order), in...)
		where := fmt.Sprintf("a newcomer taking the pieces in order %v", order)
		check(s, where)
		if n == 0 {
			first = s.snapshot()
		} else if d := first.diff(s.snapshot()); d != "" {
			t.Errorf("%s differs from the first newcomer:\n%s", where, d)
		}
	}
	return first
}
