package replica

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// anotherAdmin admits a further administrator, with the directory and
// admin keys, and hands everyone everything.
func (c *clinic) anotherAdmin(t *testing.T, name string, others ...*station) *station {
	t.Helper()
	return c.adminBy(t, c.sAdmin, name, others...)
}

// adminBy is anotherAdmin admitted by by's member (by among others, when
// it is not the founder's). The founder grants the keys: a grant from an
// administrator nobody confirmed waits aside (keysource.go).
func (c *clinic) adminBy(t *testing.T, by *station, name string, others ...*station) *station {
	t.Helper()
	p := newPerson(t, name, roles.Administrator)
	s := join(t, p, c.id, c.admin.fp())
	all := append(append(c.stations(), others...), s)
	by.apply(s.own()...)
	by.admit(p)
	if by != c.sAdmin {
		exchange(t, all...)
	}
	c.sAdmin.grant(roles.Directory, p)
	c.sAdmin.grant(roles.Admin, p)
	exchange(t, all...)
	return s
}

// newcomer is someone who redeemed a token: a fresh workstation whose key
// is published, not admitted yet, holding the keys a grant would give it
// so that it writes as soon as it is.
func (c *clinic) newcomer(t *testing.T, name string) *station {
	t.Helper()
	return c.newcomerOn(t, name, false)
}

// newcomerOn is newcomer on a device id bound to her key (bound) or a
// random one.
func (c *clinic) newcomerOn(t *testing.T, name string, bound bool) *station {
	t.Helper()
	p := newPerson(t, name, roles.Physician)
	device := ""
	if bound {
		device = p.bound()
	}
	s := joinOn(t, p, c.id, device, c.admin.fp())
	s.holdKeys(c.sPhys, roles.Directory, roles.FrontDesk)
	return s
}

// entry writes, on administrator s's workstation, p's directory entry
// citing token and naming devices.
func (s *station) entry(p *person, token string, devices ...string) *crypto.Envelope {
	s.t.Helper()
	kv := map[string]any{"name": p.name, "role": p.role, "status": StatusActive, "token": token}
	if len(devices) > 0 {
		kv["devices"] = devices
	}
	return s.append(Change{Entity: p.fp(), Kind: KindMember, Scope: roles.Directory, Fields: fields(s.t, kv)})
}

func (c *clinic) observer(t *testing.T) *station {
	t.Helper()
	s := open(t, newPerson(t, "Olga Observer", roles.Physician), c.id)
	s.holdKeys(c.sPhys, roles.Directory, roles.FrontDesk, roles.Clinical)
	s.apply(c.sPhys.everything()...)
	return s
}

// patient writes a new patient on s.
func (s *station) patient(family string) *crypto.Envelope {
	s.t.Helper()
	return s.append(Change{Entity: crypto.NewEventID(), Kind: "patient", Scope: roles.FrontDesk, Fields: fields(s.t, map[string]any{"family": family})})
}

// deviceOwner is the member s gives device to ("" for nobody).
func (s *station) deviceOwner(device string) string {
	s.t.Helper()
	var owner string
	err := s.db.View(context.Background(), func(tx *store.Tx) error {
		var err error
		owner, err = tx.DeviceOwner(context.Background(), device)
		if errors.Is(err, store.ErrNotFound) {
			err = nil
		}
		return err
	})
	if err != nil {
		s.t.Fatal(err)
	}
	return owner
}

func hasProblem(rep Report, event, words string) bool {
	for _, p := range rep.Problems {
		if p.Event == event && strings.Contains(p.Reason, words) {
			return true
		}
	}
	return false
}

// TestAttackTwoEntriesOneToken: Attack (issue 13, finding 9): a second
// administrator's modified software skips the issuer rule and writes a
// directory entry for a crony with a registration token the first
// administrator already used for the genuine newcomer. The crony writes a
// patient as soon as its entry arrives. A workstation that hears of the
// crony's entry and patient first, and one that hears of the genuine
// entry first, end alike: the genuine entry (its token set first) stands,
// the crony is not admitted, its patient is refused ("already admitted")
// and gone, and the crony's own workstation writes nothing more.
func TestAttackTwoEntriesOneToken(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	sB := c.anotherAdmin(t, "Ben Admin")
	genuine, crony := c.newcomer(t, "Gina Genuine"), c.newcomer(t, "Karl Crony")
	token := crypto.NewEventID()
	c.sAdmin.entry(genuine.p, token, genuine.r.Device())
	sB.apply(c.sAdmin.own()...) // Ben saw it: his entry comes later
	sB.entry(crony.p, token, crony.r.Device())
	late := crony.patient("Crony")

	cronyFirst, genuineFirst := c.observer(t), c.observer(t)
	cronyFirst.apply(append(sB.own(), crony.own()...)...)
	if st, reason := cronyFirst.state(late.Header.ID); st != store.Applied {
		t.Fatalf("before the genuine entry arrives the crony's patient is %v (%s); the test wants it applied", st, reason)
	}
	rep := cronyFirst.apply(append(c.sAdmin.own(), genuine.own()...)...)
	if !hasProblem(rep, late.Header.ID, "already admitted") {
		t.Errorf("the genuine entry arriving later did not undo the crony's patient: %+v", rep.Problems)
	}
	genuineFirst.apply(append(c.sAdmin.own(), genuine.own()...)...)
	genuineFirst.apply(append(sB.own(), crony.own()...)...)

	for _, s := range []*station{cronyFirst, genuineFirst, sB} {
		if m, ok := s.r.Member(genuine.p.fp()); !ok || !m.Active() {
			t.Errorf("%s: the genuine newcomer is %+v (%v), want admitted", s.p.name, m, ok)
		}
		if m, ok := s.r.Member(crony.p.fp()); !ok || m.Active() || m.TokenTakenBy != genuine.p.fp() {
			t.Errorf("%s: the crony is %+v (%v), want not admitted: the token was the genuine newcomer's", s.p.name, m, ok)
		}
		if s == sB {
			continue
		}
		if st, reason := s.state(late.Header.ID); st != store.Rejected || !strings.Contains(reason, "token "+short(token)+" already admitted "+short(genuine.p.fp())) {
			t.Errorf("%s: the crony's patient is %v (%s), want refused: token already admitted", s.p.name, st, reason)
		}
		if _, _, err := s.r.Entity(ctx, late.Header.Entity); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: the crony's patient is still a record: %v", s.p.name, err)
		}
	}
	if d := cronyFirst.snapshot().diff(genuineFirst.snapshot()); d != "" {
		t.Errorf("the two orders disagree:\n%s", d)
	}
	// Opened again, the workstation still knows who the token admitted.
	again, err := Open(ctx, cronyFirst.r.p)
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := again.Member(crony.p.fp()); m.Active() || m.TokenTakenBy != genuine.p.fp() {
		t.Errorf("after opening again the crony is %+v, want not admitted", m)
	}
	// The crony's own workstation, once it hears, writes nothing more.
	crony.apply(cronyFirst.everything()...)
	if _, err := crony.r.Append(ctx, Change{Entity: crypto.NewEventID(), Kind: "patient", Scope: roles.FrontDesk,
		Fields: fields(t, map[string]any{"family": "Again"})}); !errors.Is(err, ErrForbidden) || !strings.Contains(err.Error(), "already admitted") {
		t.Errorf("the crony's workstation writes on: %v", err)
	}
	if n, err := crony.r.AcknowledgeKeys(ctx); n != 0 || err != nil {
		t.Errorf("the crony's workstation acknowledges %d keys (%v), want none", n, err)
	}
}

// TestAttackStandingEntryWithdrawn: Attack (issue 13, finding 9): the
// entry that stood for a token goes away, and the next one stands. A
// revoked administrator's workstation, unaware, admits a newcomer with a
// token (at an earlier clock) that another administrator used for
// someone else afterwards. Where that entry arrives before the
// revocation, the other member is displaced until the revocation sweeps
// the entry away; then their refused events are judged again and apply,
// as where the revocation came first.
func TestAttackStandingEntryWithdrawn(t *testing.T) {
	c := newClinic(t)
	sB := c.anotherAdmin(t, "Ben Admin")
	sH := c.anotherAdmin(t, "Hal Hostile", sB)
	first, second := c.newcomer(t, "Fred First"), c.newcomer(t, "Sam Second")
	token := crypto.NewEventID()
	c.revoke(sH.p)
	sH.entry(first.p, token, first.r.Device()) // after its revocation, unaware
	sB.apply(c.sAdmin.own()...)                // Ben hears of the revocation: his entry comes later
	sB.entry(second.p, token, second.r.Device())
	work := second.patient("Second's work")

	revokedLate, revokedFirst := c.observer(t), c.observer(t)
	revokedLate.apply(append(sB.own(), second.own()...)...)
	rep := revokedLate.apply(append(sH.own(), first.own()...)...)
	if st, _ := revokedLate.state(work.Header.ID); st != store.Rejected || !hasProblem(rep, work.Header.ID, "already admitted") {
		t.Fatalf("while the earlier entry stands, the second member's work is %v (%+v); the test wants it refused", st, rep.Problems)
	}
	revokedLate.apply(c.sAdmin.own()...)
	revokedFirst.apply(c.sAdmin.own()...)
	revokedFirst.apply(append(sH.own(), first.own()...)...)
	revokedFirst.apply(append(sB.own(), second.own()...)...)

	for _, s := range []*station{revokedLate, revokedFirst} {
		if m, ok := s.r.Member(second.p.fp()); !ok || !m.Active() {
			t.Errorf("%s: the second member is %+v (%v), want admitted", s.p.name, m, ok)
		}
		if m, ok := s.r.Member(first.p.fp()); ok {
			t.Errorf("%s: the entry the revoked administrator wrote stands: %+v", s.p.name, m)
		}
		if st, reason := s.state(work.Header.ID); st != store.Applied {
			t.Errorf("%s: the second member's work is %v (%s), want applied", s.p.name, st, reason)
		}
	}
	if d := revokedLate.snapshot().diff(revokedFirst.snapshot()); d != "" {
		t.Errorf("the two orders disagree:\n%s", d)
	}
}

// TestAttackDeviceIdCopied: Attack (issue 13, finding 4): the
// receptionist's modified software copies a newcomer's fresh device id
// from the sync room and publishes her own key as the first event of that
// device. One physician's workstation hears of the squat before the
// newcomer's key, the other after it, a third only after the admission.
// Once the admission, which names the device, arrives, all three give the
// device to the newcomer, the squat is kept nowhere, and the newcomer's
// later events apply everywhere. A second device of the newcomer's, which
// the entry does not name, is kept nowhere either, also where its key
// arrived before the admission.
func TestAttackDeviceIdCopied(t *testing.T) {
	c := newClinic(t)
	nina := c.newcomer(t, "Nina Newcomer")
	device := nina.r.Device()
	pub, _ := json.Marshal(map[string]string{"pub": base64.StdEncoding.EncodeToString(c.recep.id.Public().Bytes())})
	squat := c.sRecep.forge(forged{Device: device, Seq: 1, Entity: c.recep.fp(), Kind: KindKey, Scope: ScopePublic, Raw: pub})
	other := join(t, nina.p, c.id, c.admin.fp()) // a device of hers the entry will not name
	other.holdKeys(c.sPhys, roles.Directory, roles.FrontDesk)
	otherWork := other.patient("From the other device")

	squatFirst, genuineFirst, late := c.sPhys, c.sPh2, c.observer(t)
	squatFirst.apply(raws(squat)...)
	if rep := squatFirst.apply(nina.own()...); len(rep.Problems) != 1 || !rep.Problems[0].Altered {
		t.Fatalf("where the squat came first, the newcomer's key event: %+v; the test wants it not kept", rep.Problems)
	}
	squatFirst.apply(other.own()...)
	genuineFirst.apply(nina.own()...)
	genuineFirst.apply(raws(squat)...)

	c.sAdmin.apply(nina.own()...)
	c.sAdmin.entry(nina.p, crypto.NewEventID(), device)
	work := nina.patient("Nina's first patient")
	rep := squatFirst.apply(c.sAdmin.own()...)
	if !hasProblem(rep, squat.Header.ID, "directory gives device") {
		t.Errorf("the admission did not drop the squat where it came first: %+v", rep.Problems)
	}
	if otherKey, _ := crypto.ParseEnvelope(other.own()[0]); !hasProblem(rep, otherKey.Header.ID, "does not name") {
		t.Errorf("the admission did not drop the key of the device it does not name: %+v", rep.Problems)
	}
	late.apply(c.sAdmin.own()...)
	late.apply(raws(squat)...)
	for _, s := range []*station{squatFirst, genuineFirst, late} {
		s.apply(append(nina.own(), other.own()...)...) // what the network sends (again)
		s.apply(c.sAdmin.own()...)
	}
	for _, s := range []*station{squatFirst, genuineFirst, late} {
		if o := s.deviceOwner(device); o != nina.p.fp() {
			t.Errorf("%s gives the newcomer's device to %s", s.p.name, short(o))
		}
		if st, _ := s.state(squat.Header.ID); st != -1 {
			t.Errorf("%s keeps the squat (%v)", s.p.name, st)
		}
		if st, reason := s.state(work.Header.ID); st != store.Applied {
			t.Errorf("%s: the newcomer's patient is %v (%s), want applied", s.p.name, st, reason)
		}
		if o := s.deviceOwner(other.r.Device()); o != "" {
			t.Errorf("%s gives the device the entry does not name to %s", s.p.name, short(o))
		}
		if st, _ := s.state(otherWork.Header.ID); st != -1 {
			t.Errorf("%s keeps an event of the device the entry does not name (%v)", s.p.name, st)
		}
	}
	if d := squatFirst.snapshot().diff(genuineFirst.snapshot()); d != "" {
		t.Errorf("the squat-first and genuine-first workstations disagree:\n%s", d)
	}
}
