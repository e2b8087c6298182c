package recovery

// Session 20 review h-sec20b: puppets an administrator admits must not
// outvote the clinic's key (h-sec19b R3), whose way out counts only the
// authors the clinic's first key maker reaches by confirmations.

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// puppets has the administrator of c admit a physician of her own making
// for each name, each after the one before. When vouch, each confirms the
// one before her (they vouch for each other, as a clinic's physicians
// do). Each one's modified software seals a problem of patient with
// bogus and escrows bogus. They are added to *everyone and synced.
func puppets(t *testing.T, c *apptest.Clinic, everyone *[]*app.Session, patient string, bogus crypto.ScopeKey, vouch bool, names ...string) []*app.Session {
	t.Helper()
	var out []*app.Session
	for _, name := range names {
		p := c.Join(t, name, roles.Physician)
		*everyone = append(*everyone, p)
		mustSync(t, *everyone...)
		if vouch && len(out) > 0 {
			c.Confirm(t, out[len(out)-1], p)
			mustSync(t, *everyone...)
		}
		out = append(out, p)
		sealAndEscrow(t, c, p, *everyone, patient, bogus)
	}
	return out
}

// falseKey is a key of the same scope and epoch as s's clinical key now.
func falseKey(t *testing.T, s *app.Session) crypto.ScopeKey {
	t.Helper()
	real, ok := rep(t, s).Key(roles.Clinical)
	if !ok {
		t.Fatalf("%s holds no clinical key", s.StaffName())
	}
	bogus := crypto.ScopeKey{Scope: real.Scope, Epoch: real.Epoch}
	_, _ = rand.Read(bogus.Secret[:])
	return bogus
}

// recoverFor has cleo release her shares to ben, who recovers for to;
// everyone in alive is synced before and after.
func recoverFor(t *testing.T, ben, cleo, to *app.Session, alive ...*app.Session) (Handover, error) {
	t.Helper()
	ctx := context.Background()
	mustSync(t, alive...)
	if err := New(cleo.Core()).Release(ctx, ben.Fingerprint()); err != nil {
		t.Fatal(err)
	}
	mustSync(t, alive...)
	rec, err := New(ben.Core()).Recover(ctx, to.Fingerprint())
	mustSync(t, alive...)
	return rec, err
}

// notesOf is how many notes of patient s reads.
func notesOf(t *testing.T, s *app.Session, patient string) int {
	t.Helper()
	ch, err := chart.New(s.Core()).OpenChart(context.Background(), patient)
	if err != nil {
		t.Logf("%s opens the chart: %v", s.StaffName(), err)
		return 0
	}
	return len(ch.Notes)
}

// TestAttackS20bPuppetsOutvoteRevokedPhysicians: the clinic's two
// physicians left and were revoked; Ada had admitted two puppets, who
// confirm each other and wrote with a key of hers. Counting every author
// tied two puppets with the two physicians (the epoch was lost); the
// first key maker among the active members (FirstKeyMaker as it stands)
// is a puppet once the physicians are revoked, and counting only whom she
// reaches would hand the puppets' key over. The clinic's first key maker
// stays the physician who made the key, revoked or not.
func TestAttackS20bPuppetsOutvoteRevokedPhysicians(t *testing.T) {
	ctx := context.Background()
	c, ben, cleo, everyone, patient := splitClinic(t, "Revoked")
	approveSplit(t, c.Phys, without(everyone, c.Admin)...)
	note(t, c.Phys2, patient, "the second physician's word")
	mustSync(t, everyone...)
	puppets(t, c, &everyone, patient, falseKey(t, c.Phys), true, "Dr Puppet One", "Dr Puppet Two")
	for _, ph := range []*app.Session{c.Phys, c.Phys2} {
		if err := c.Admin.RevokeMember(ctx, ph.Fingerprint()); err != nil {
			t.Fatal(err)
		}
		mustSync(t, everyone...)
	}
	c.Phys.Close()
	c.Phys2.Close()
	newcomer := c.Join(t, "Dr Nadia New", roles.Physician)
	alive := []*app.Session{c.Admin, ben, cleo, c.Recep, newcomer}
	rec, err := recoverFor(t, ben, cleo, newcomer, alive...)
	if err != nil {
		t.Fatalf("recovery: %+v, %v", rec, err)
	}
	if n := notesOf(t, newcomer, patient); n != 2 {
		t.Fatalf("recovered %+v, but the new physician reads %d of the 2 notes", rec, n)
	}
}

// TestAttackS20bVouchedPuppetsTakeALonePhysiciansTurn: in a clinic of one
// physician, who confirmed nobody (nobody was there to), two puppets who
// confirm each other are vouched for and she is not: FirstKeyMaker's rule
// puts the vouched ones first in line, so the first of them read as the
// clinic's key maker and only the puppets counted (counting every author
// did no better: two against one). The first admitted who wrote in the
// scope is read too (clinicReach), and the two readings must agree: the
// epoch is disputed rather than handed over (nothing in the directory
// tells her from them but the order of admissions).
func TestAttackS20bVouchedPuppetsTakeALonePhysiciansTurn(t *testing.T) {
	c, ben, cleo, everyone, patient := loneClinic(t)
	real, _ := rep(t, c.Phys).Key(roles.Clinical)
	puppets(t, c, &everyone, patient, falseKey(t, c.Phys), true, "Dr Puppet One", "Dr Puppet Two")
	c.Phys.Close()
	newcomer := c.Join(t, "Dr Nadia New", roles.Physician)
	alive := []*app.Session{c.Admin, ben, cleo, newcomer}
	rec, err := recoverFor(t, ben, cleo, newcomer, alive...)
	if n := notesOf(t, newcomer, patient); n != 1 && (!errors.Is(err, ErrDisputed) || !strings.Contains(err.Error(), real.String())) {
		t.Fatalf("recovered %+v (%v): the new physician reads %d of the 1 note, and the clinical epoch %s is not said to be disputed", rec, err, n, real)
	}
	if len(rec.Scopes) == 0 || rec.Scopes[len(rec.Scopes)-1] != roles.FrontDesk {
		t.Errorf("what was recovered: %+v, want the front-desk key handed over", rec)
	}
}

// upkeptClinic is a new clinic named name, Ada Admin its founder, whose
// workstations run recovery's upkeep (escrows, releases).
func upkeptClinic(t *testing.T, name string) *apptest.Clinic {
	t.Helper()
	env, clk := apptest.Env()
	env.Upkeep = []app.UpkeepStep{Upkeep}
	c := &apptest.Clinic{Env: env, Clock: clk, Dir: t.TempDir()}
	var err error
	c.Admin, err = app.CreateClinic(context.Background(), env, app.NewClinic{Dir: filepath.Join(c.Dir, "admin"), Clinic: name,
		Admin: "Ada Admin", Passphrase: []byte(apptest.Passphrase)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Admin.Close() })
	return c
}

// loneClinic is a clinic of three administrators (Ada, Ben, Cleo) and one
// physician, who confirmed nobody, made both keys, registered a patient
// and wrote a note on her; recovery is set up two of three, approved by
// her, and her keys are escrowed.
func loneClinic(t *testing.T) (c *apptest.Clinic, ben, cleo *app.Session, everyone []*app.Session, patient string) {
	t.Helper()
	ctx := context.Background()
	c = upkeptClinic(t, "Lone Clinic")
	c.Phys = c.Join(t, "Dr Lone Physician", roles.Physician)
	ben = c.Join(t, "Ben Admin", roles.Administrator)
	cleo = c.Join(t, "Cleo Admin", roles.Administrator)
	everyone = []*app.Session{c.Admin, c.Phys, ben, cleo}
	mustSync(t, everyone...)
	p, err := c.Phys.RegisterPatient(ctx, app.Patient{Family: "Alone", Given: "Erin", Birth: "1961-02-03"})
	if err != nil {
		t.Fatal(err)
	}
	note(t, c.Phys, p.ID, "the lone physician's word")
	if _, err := New(c.Admin.Core()).Split(ctx, 2); err != nil {
		t.Fatal(err)
	}
	mustSync(t, everyone...)
	approveSplit(t, c.Phys, everyone...)
	mustSync(t, everyone...)
	return c, ben, cleo, everyone, p.ID
}

// TestRecoveryCountsTheClinicsAuthors: the honest shapes of a clinic
// still recover, with puppets of Ada's writing with a key of hers in the
// epoch where the rule lets the clinic's authors outvote them.
func TestRecoveryCountsTheClinicsAuthors(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"a lone physician who confirmed nobody, and a puppet", func(t *testing.T) {
			// She is the clinic's first key maker: the puppet, admitted
			// after her and vouched for by nobody, does not count (it
			// tied with her before).
			c, ben, cleo, everyone, patient := loneClinic(t)
			puppets(t, c, &everyone, patient, falseKey(t, c.Phys), false, "Dr Puppet One")
			c.Phys.Close()
			newcomer := c.Join(t, "Dr Nadia New", roles.Physician)
			rec, err := recoverFor(t, ben, cleo, newcomer, c.Admin, ben, cleo, newcomer)
			if n := notesOf(t, newcomer, patient); err != nil || n != 1 {
				t.Fatalf("recovered %+v (%v), the new physician reads %d of 1 note", rec, err, n)
			}
		}},
		{"the first key maker revoked, her colleague's epoch", func(t *testing.T) {
			// Paul made the key and confirmed Petra; he is revoked, Petra
			// starts a new epoch and writes in it; puppets write with a
			// key of their own for that epoch. Paul is still the clinic's
			// key maker, and reaches Petra.
			c, ben, cleo, everyone, patient := splitClinic(t, "Left")
			approveSplit(t, c.Phys, without(everyone, c.Admin)...)
			old, _ := rep(t, c.Phys2).Key(roles.Clinical)
			if err := c.Admin.RevokeMember(ctx, c.Phys.Fingerprint()); err != nil {
				t.Fatal(err)
			}
			everyone = without(everyone, c.Phys)
			mustSync(t, everyone...)
			mustSync(t, everyone...)
			if k, _ := rep(t, c.Phys2).Key(roles.Clinical); k.Epoch == old.Epoch {
				t.Fatalf("no new clinical epoch after the first physician's revocation (%s)", k)
			}
			note(t, c.Phys2, patient, "written in the new epoch")
			// Paul's approval no longer counts (he is revoked): Petra's
			// workstation escrows the new epoch once she approves.
			approveSplit(t, c.Phys2, everyone...)
			mustSync(t, everyone...)
			puppets(t, c, &everyone, patient, falseKey(t, c.Phys2), true, "Dr Puppet One", "Dr Puppet Two")
			c.Phys.Close()
			c.Phys2.Close()
			newcomer := c.Join(t, "Dr Nadia New", roles.Physician)
			rec, err := recoverFor(t, ben, cleo, newcomer, c.Admin, ben, cleo, c.Recep, newcomer)
			if n := notesOf(t, newcomer, patient); err != nil || n != 2 {
				t.Fatalf("recovered %+v (%v), the new physician reads %d of 2 notes", rec, err, n)
			}
		}},
		{"a physician her colleague confirmed, alone in an epoch", func(t *testing.T) {
			// Quinn joined later and only Petra confirmed her; Paul is
			// revoked, and Quinn alone writes in the new epoch, which the
			// puppets contest: Paul reaches her through Petra.
			c, ben, cleo, everyone, patient := splitClinic(t, "Transitive")
			approveSplit(t, c.Phys, without(everyone, c.Admin)...)
			quinn := c.Join(t, "Dr Quinn Third", roles.Physician)
			everyone = append(everyone, quinn)
			mustSync(t, everyone...)
			c.Confirm(t, c.Phys2, quinn)
			mustSync(t, everyone...)
			mustSync(t, everyone...)
			if err := c.Admin.RevokeMember(ctx, c.Phys.Fingerprint()); err != nil {
				t.Fatal(err)
			}
			everyone = without(everyone, c.Phys)
			mustSync(t, everyone...)
			mustSync(t, everyone...)
			note(t, quinn, patient, "Quinn's word in the new epoch")
			approveSplit(t, quinn, everyone...)
			mustSync(t, everyone...)
			puppets(t, c, &everyone, patient, falseKey(t, quinn), true, "Dr Puppet One", "Dr Puppet Two")
			c.Phys.Close()
			c.Phys2.Close()
			quinn.Close()
			newcomer := c.Join(t, "Dr Nadia New", roles.Physician)
			rec, err := recoverFor(t, ben, cleo, newcomer, c.Admin, ben, cleo, c.Recep, newcomer)
			if n := notesOf(t, newcomer, patient); err != nil || n != 2 {
				t.Fatalf("recovered %+v (%v), the new physician reads %d of 2 notes", rec, err, n)
			}
		}},
		{"nobody the first key maker reaches wrote in the epoch", func(t *testing.T) {
			// The lone physician left; a newcomer, whom nobody could
			// confirm, was given her keys, started a new epoch and wrote
			// in it, and lost her workstation too. Her epoch is
			// recovered, and Recover says whose word chose its key.
			c, ben, cleo, everyone, patient := loneClinic(t)
			if err := c.Admin.RevokeMember(ctx, c.Phys.Fingerprint()); err != nil {
				t.Fatal(err)
			}
			mustSync(t, everyone...)
			c.Phys.Close()
			nadia := c.Join(t, "Dr Nadia New", roles.Physician)
			alive := []*app.Session{c.Admin, ben, cleo, nadia}
			if rec, err := recoverFor(t, ben, cleo, nadia, alive...); err != nil {
				t.Fatalf("the first recovery: %+v, %v", rec, err)
			}
			mustSync(t, alive...)
			note(t, nadia, patient, "Nadia's word in her epoch")
			approveSplit(t, nadia, alive...)
			mustSync(t, alive...)
			nadia.Close()
			olga := c.Join(t, "Dr Olga Next", roles.Physician)
			alive = []*app.Session{c.Admin, ben, cleo, olga}
			rec, err := recoverFor(t, ben, cleo, olga, alive...)
			if !errors.Is(err, ErrUnconfirmed) || !strings.Contains(err.Error(), "Dr Nadia New") {
				t.Errorf("the second recovery: %+v, %v; want ErrUnconfirmed naming Dr Nadia New", rec, err)
			}
			if n := notesOf(t, olga, patient); n != 2 {
				t.Fatalf("recovered %+v, the next physician reads %d of 2 notes", rec, n)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.run)
	}
}

// TestChooseKeyCountsOnlyTheClinicsAuthors: the key choice itself, for
// every order of its candidates (the order of escrows in the log).
func TestChooseKeyCountsOnlyTheClinicsAuthors(t *testing.T) {
	env := func(author string) *crypto.Envelope {
		return &crypto.Envelope{Header: crypto.Header{Author: author}}
	}
	const real, puppet, other = 1, 2, 3
	clinic := []map[string]bool{{"paul": true, "petra": true}}
	tests := []struct {
		name    string
		cands   map[int][]string // candidate key → authors it opens
		wrote   []string         // authors sampled
		reaches []map[string]bool
		want    int // the key chosen, 0: none
		unconf  bool
	}{
		{"the clinic's authors outvote more puppets", map[int][]string{real: {"paul"}, puppet: {"p1", "p2"}},
			[]string{"paul", "p1", "p2"}, clinic, real, false},
		{"every author counts without confirmations", map[int][]string{real: {"paul"}, puppet: {"p1", "p2"}},
			[]string{"paul", "p1", "p2"}, nil, puppet, false},
		{"a tie among the clinic's authors", map[int][]string{real: {"paul"}, puppet: {"petra"}},
			[]string{"paul", "petra"}, clinic, 0, false},
		{"the clinic's authors wrote but no candidate opens theirs", map[int][]string{puppet: {"p1", "p2"}},
			[]string{"paul", "p1", "p2"}, clinic, 0, false},
		{"nobody reached wrote, one candidate opens", map[int][]string{real: {"nadia"}, other: nil},
			[]string{"nadia"}, clinic, real, true},
		{"nobody reached wrote, two candidates open", map[int][]string{real: {"nadia"}, puppet: {"p1", "p2"}},
			[]string{"nadia", "p1", "p2"}, clinic, 0, false},
		{"nobody is named", map[int][]string{real: {"nadia"}, other: nil},
			[]string{"nadia"}, []map[string]bool{}, real, true},
		{"an author both open counts for neither", map[int][]string{real: {"paul", "petra"}, puppet: {"petra"}},
			[]string{"paul", "petra"}, clinic, real, false},
		{"nothing sampled, one candidate", map[int][]string{real: nil}, nil, clinic, real, false},
		{"nothing sampled, two candidates", map[int][]string{real: nil, puppet: nil}, nil, clinic, 0, false},
		{"the two readings disagree (a lone physician, vouched puppets)", map[int][]string{real: {"lone"}, puppet: {"p1", "p2"}},
			[]string{"lone", "p1", "p2"}, []map[string]bool{{"p1": true, "p2": true}, {"lone": true}}, 0, false},
		{"the two readings agree", map[int][]string{real: {"paul", "petra"}, puppet: {"p1", "p2"}},
			[]string{"paul", "petra", "p1", "p2"}, []map[string]bool{{"paul": true, "petra": true}, {"petra": true}}, real, false},
		{"one reading's members did not write in the epoch", map[int][]string{real: {"paul"}, puppet: {"p1", "p2"}},
			[]string{"paul", "p1", "p2"}, []map[string]bool{{"paul": true, "petra": true}, {"founder": true}}, real, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var samples []*crypto.Envelope
			for _, a := range tt.wrote {
				samples = append(samples, env(a))
			}
			keys := slices.Sorted(maps.Keys(tt.cands))
			rev := slices.Clone(keys)
			slices.Reverse(rev)
			for _, order := range [][]int{keys, rev} {
				var cs []candidate
				for _, k := range order {
					c := candidate{recovered: recovered{key: crypto.ScopeKey{Scope: "clinical", Epoch: 1}}, authors: map[string]bool{}}
					c.key.Secret[0] = byte(k)
					for _, a := range tt.cands[k] {
						c.authors[a] = true
					}
					cs = append(cs, c)
				}
				got, ok := chooseKey(cs, samples, tt.reaches)
				switch {
				case tt.want == 0 && ok:
					t.Errorf("order %v: chose key %d, want none", order, got.key.Secret[0])
				case tt.want != 0 && (!ok || got.key.Secret[0] != byte(tt.want)):
					t.Errorf("order %v: chose key %d (%v), want %d", order, got.key.Secret[0], ok, tt.want)
				case ok && (len(got.unconfirmed) > 0) != tt.unconf:
					t.Errorf("order %v: unconfirmed %v, want some: %v", order, got.unconfirmed, tt.unconf)
				}
			}
		})
	}
}

// TestAttackS20bBackdatedAdmissionTakesTheTurn: Ada's modified software
// writes, on a new device of hers, an event of her first puppet's directory
// entry that sets its token again at Lamport 1. A member's admission is the
// first event that set her token (by Lamport, device, seq), and clocks are
// the writer's: the puppet was admitted before the clinic's physicians,
// vouched for by the second puppet, and first in line as the clinic's key
// maker, so only the puppets counted and their key was handed over (open
// in session 20). The recovery orders admissions by
// replica.AdmissionClocks since session 21 (h-sec21a): the event comes no
// earlier than the one that named the device in her entry, after the
// physicians' admissions. The live FirstKeyMaker still reads the claims'
// clocks (the test checks the attack took there).
func TestAttackS20bBackdatedAdmissionTakesTheTurn(t *testing.T) {
	c, ben, cleo, everyone, patient := splitClinic(t, "Backdated")
	approveSplit(t, c.Phys, without(everyone, c.Admin)...)
	ps := puppets(t, c, &everyone, patient, falseKey(t, c.Phys), true, "Dr Puppet One", "Dr Puppet Two")
	ra := rep(t, c.Admin)
	m, _ := ra.Member(ps[0].Fingerprint())
	k, ok := ra.Key(roles.Directory)
	if !ok || m.Token == "" {
		t.Fatalf("no directory key (%v) or no token (%q)", ok, m.Token)
	}
	// From her busy chain the chain rule (session 28) refuses it: a new
	// workstation of hers starts its chain at clock 1.
	f := newQuietRecoveryForger(t, c.Admin, c.Admin)
	fields, _ := json.Marshal(map[string]any{"token": m.Token})
	f.sign(t, replica.KindMember, string(roles.Directory), ps[0].Fingerprint(), k, fields)
	f.send(t, everyone...)
	mustSync(t, everyone...)
	if fp, _ := ra.FirstKeyMaker(roles.Clinical); fp != ps[0].Fingerprint() {
		t.Fatalf("the backdated admission does not make the puppet the first key maker: %s", fp)
	}
	c.Phys.Close()
	c.Phys2.Close()
	newcomer := c.Join(t, "Dr Nadia New", roles.Physician)
	alive := []*app.Session{c.Admin, ben, cleo, c.Recep, newcomer}
	rec, err := recoverFor(t, ben, cleo, newcomer, alive...)
	if n := notesOf(t, newcomer, patient); err != nil || n != 1 {
		t.Fatalf("recovered %+v (%v), but the new physician reads %d of the 1 note", rec, err, n)
	}
}

// TestAttackS20bRoleChangeTakesTheTurn: the clinic's physicians lost their
// workstations; Ada makes each a receptionist (her word alone) and has two
// puppets who confirm each other and wrote with a key of hers. Read by
// the role the directory names now, no clinic physician was in line to
// have made the clinical key, and a puppet was its maker: the puppets'
// key was handed over. Whoever wrote in the scope under a role that
// creates it, now or before, stays in line (createdBy). Their
// confirmations of each other no longer count for the clinical scope
// (a receptionist vouches for no physician, confirm.go), so the two
// readings differ and the epoch is disputed, as it was when every author
// counted (two against two): denied, not taken.
func TestAttackS20bRoleChangeTakesTheTurn(t *testing.T) {
	ctx := context.Background()
	c, ben, cleo, everyone, patient := splitClinic(t, "Demoted")
	approveSplit(t, c.Phys, without(everyone, c.Admin)...)
	note(t, c.Phys2, patient, "the second physician's word")
	mustSync(t, everyone...)
	puppets(t, c, &everyone, patient, falseKey(t, c.Phys), true, "Dr Puppet One", "Dr Puppet Two")
	real, _ := rep(t, c.Phys).Key(roles.Clinical)
	fps := []string{c.Phys.Fingerprint(), c.Phys2.Fingerprint()}
	c.Phys.Close()
	c.Phys2.Close()
	alive := without(without(everyone, c.Phys), c.Phys2)
	for _, fp := range fps {
		if err := c.Admin.ChangeRole(ctx, fp, roles.Receptionist); err != nil {
			t.Fatal(err)
		}
		mustSync(t, alive...)
	}
	newcomer := c.Join(t, "Dr Nadia New", roles.Physician)
	alive = []*app.Session{c.Admin, ben, cleo, c.Recep, newcomer}
	rec, err := recoverFor(t, ben, cleo, newcomer, alive...)
	if n := notesOf(t, newcomer, patient); n != 2 && (!errors.Is(err, ErrDisputed) || !strings.Contains(err.Error(), real.String())) {
		t.Fatalf("recovered %+v (%v): the new physician reads %d of the 2 notes, and the clinical epoch %s is not said to be disputed", rec, err, n, real)
	}
}

// TestAttackS20bInventedEpochIsSaid: two puppets escrow a key of Ada's for
// a clinical epoch nobody in the clinic used, and seal their records with
// it. Nobody the clinic's key maker reaches wrote in that epoch, and no
// other key opens anything there, so it is handed over (a physician who
// joined after the last one left looks the same): the newcomer's charts
// show the puppets' records. Recover says whose word it was (it said
// nothing before session 20); refusing would lose such an honest
// physician's epochs.
func TestAttackS20bInventedEpochIsSaid(t *testing.T) {
	c, ben, cleo, everyone, patient := splitClinic(t, "Invented")
	approveSplit(t, c.Phys, without(everyone, c.Admin)...)
	invented := falseKey(t, c.Phys)
	invented.Epoch ^= 0x5a5a5a
	puppets(t, c, &everyone, patient, invented, true, "Dr Puppet One", "Dr Puppet Two")
	c.Phys.Close()
	c.Phys2.Close()
	newcomer := c.Join(t, "Dr Nadia New", roles.Physician)
	rec, err := recoverFor(t, ben, cleo, newcomer, c.Admin, ben, cleo, c.Recep, newcomer)
	if !errors.Is(err, ErrUnconfirmed) || !strings.Contains(err.Error(), invented.String()) ||
		!strings.Contains(err.Error(), "Dr Puppet One") || !strings.Contains(err.Error(), "Dr Puppet Two") {
		t.Errorf("recovered %+v: %v; want ErrUnconfirmed naming %s and both puppets", rec, err, invented)
	}
	if n := notesOf(t, newcomer, patient); n != 1 {
		t.Errorf("the new physician reads %d of the 1 note", n)
	}
}
