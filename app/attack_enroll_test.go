package app

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
)

// enrollChain signs envelopes of its own making on one device chain, as
// modified software would: an outsider's throwaway identity on a fresh
// device, or a member continuing their own workstation's chain.
type enrollChain struct {
	id      *crypto.Identity
	device  string
	seq     uint64
	prev    string
	lamport uint64
	now     func() time.Time
}

// newOutsiderChain is a throwaway identity on a fresh device.
func newOutsiderChain(t *testing.T, now func() time.Time) *enrollChain {
	t.Helper()
	id, _, err := crypto.NewIdentity("Medihaven staff", []byte(testPass))
	if err != nil {
		t.Fatal(err)
	}
	return &enrollChain{id: id, device: crypto.NewEventID(), now: now}
}

// memberChain continues member s's own device chain, after its last event.
func memberChain(t *testing.T, s *Session) *enrollChain {
	t.Helper()
	r, err := s.Replica()
	if err != nil {
		t.Fatal(err)
	}
	heads, err := r.Heads(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c := &enrollChain{id: r.Identity(), device: r.Device(), now: s.env.Now}
	for _, h := range heads {
		if h.Device == c.device {
			c.seq, c.prev = h.Seq, h.Hash
		}
		c.lamport = max(c.lamport, h.Lamport)
	}
	return c
}

func (c *enrollChain) fp() string { return c.id.Fingerprint() }

// sign appends one envelope with payload as its (already sealed) bytes.
func (c *enrollChain) sign(t *testing.T, kind, scope, entity string, payload []byte) []byte {
	t.Helper()
	c.seq++
	c.lamport++
	h := crypto.Header{ID: crypto.NewEventID(), Entity: entity, Kind: kind, Scope: scope, Author: c.fp(),
		Device: c.device, Seq: c.seq, Lamport: c.lamport, Prev: c.prev, Time: c.now().UnixMilli()}
	env, err := crypto.SealRaw(h, payload, c.id)
	if err != nil {
		t.Fatal(err)
	}
	c.prev = env.Hash()
	return env.Raw
}

// publishKey is the chain's key event, as every device starts with.
func (c *enrollChain) publishKey(t *testing.T) []byte {
	t.Helper()
	payload, err := json.Marshal(map[string]string{"pub": base64.StdEncoding.EncodeToString(c.id.Public().Bytes())})
	if err != nil {
		t.Fatal(err)
	}
	return c.sign(t, replica.KindKey, replica.ScopePublic, c.fp(), payload)
}

// enrollmentOf returns newcomer s's enrollment envelope as anyone reading
// the clinic's packs sees it.
func enrollmentOf(t *testing.T, s *Session) *crypto.Envelope {
	t.Helper()
	r, err := s.Replica()
	if err != nil {
		t.Fatal(err)
	}
	raws, err := r.EnvelopesAfter(context.Background(), r.Device(), 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range raws {
		env, err := crypto.ParseEnvelope(raw)
		if err != nil {
			t.Fatal(err)
		}
		if env.Header.Kind == replica.KindEnroll {
			return env
		}
	}
	t.Fatal("the newcomer wrote no enrollment")
	return nil
}

// envelopeState is what workstation s made of event id.
func envelopeState(t *testing.T, s *Session, id string) (store.EnvelopeState, string, bool) {
	t.Helper()
	r, err := s.Replica()
	if err != nil {
		t.Fatal(err)
	}
	var st store.EnvelopeState
	var reason string
	found := false
	err = r.DB().View(context.Background(), func(tx *store.Tx) error {
		return tx.EachEnvelope(context.Background(), func(e store.Envelope) error {
			if e.ID == id {
				st, reason, found = e.State, e.Reason, true
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return st, reason, found
}

func admissionOf(adm []Admission, fp string) (Admission, bool) {
	for _, a := range adm {
		if a.Fingerprint == fp {
			return a, true
		}
	}
	return Admission{}, false
}

// TestAttackEnrollmentTransplant: Attack (issue 13 finding 2): a reader of
// the clinic's packs copies a newcomer's sealed enrollment request into an
// envelope signed by their own key, hoping to be admitted in the
// newcomer's place: an outsider with a throwaway identity, and a member
// (a receptionist) with modified software who would take the physician
// role the token grants. The administrator's workstation refuses each copy
// with a reason that says it was copied, writes nothing for it, and the
// genuine newcomer is still admitted afterwards: the copy does not burn
// the token.
func TestAttackEnrollmentTransplant(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	honest := []*Session{c.admin, c.phys, c.phys2}
	for _, tt := range []struct {
		name     string
		attacker func(t *testing.T) *enrollChain
	}{
		{"outsider with a throwaway identity", func(t *testing.T) *enrollChain { return newOutsiderChain(t, c.env.Now) }},
		{"receptionist with modified software", func(t *testing.T) *enrollChain { return memberChain(t, c.recep) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := c.admin.IssueToken(ctx, roles.Physician, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			name := "Dr Genuine " + strings.Fields(tt.name)[0]
			newcomer, err := Redeem(ctx, c.env, Redemption{Dir: filepath.Join(t.TempDir(), "newcomer"), Token: tok.String(),
				Name: name, Passphrase: []byte(testPass)})
			if err != nil {
				t.Fatal(err)
			}
			defer newcomer.Close()

			// The attacker reads the newcomer's request off IPFS and signs
			// its sealed bytes as their own, ahead of the genuine one.
			genuine := enrollmentOf(t, newcomer)
			evil := tt.attacker(t)
			var raws [][]byte
			if evil.seq == 0 {
				raws = append(raws, evil.publishKey(t))
			}
			copied := evil.sign(t, replica.KindEnroll, replica.ScopeEnroll, genuine.Header.Entity, genuine.Ciphertext)
			raws = append(raws, copied)
			copiedEnv, _ := crypto.ParseEnvelope(copied)
			for _, s := range honest {
				r, _ := s.Replica()
				if _, err := r.Apply(ctx, raws); err != nil {
					t.Fatal(err)
				}
			}
			before := envelopeCount(t, c.admin)
			adm, err := c.admin.Admit(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if st, reason, _ := envelopeState(t, c.admin, copiedEnv.Header.ID); st == store.Applied {
				a, ok := admissionOf(adm, evil.fp())
				if !ok || !errors.Is(a.Err, ErrEnrollmentCopied) {
					t.Fatalf("the copied request: %+v (found %v), want ErrEnrollmentCopied", a, ok)
				}
				if msg := a.Err.Error(); !strings.Contains(msg, "copied") || !strings.Contains(msg, "stays good") {
					t.Errorf("the refusal does not say what happened: %q", msg)
				}
				t.Logf("admin's workstation: %v", a.Err)
			} else {
				t.Logf("the replica kept the copy out before admission: %s (%s)", st, reason)
			}
			if n := envelopeCount(t, c.admin) - before; n != 0 {
				t.Errorf("a refused copy made the administrator's workstation write %d events", n)
			}

			// The genuine request arrives afterwards and is admitted.
			if err := SyncLocal(ctx, append(honest, newcomer)...); err != nil {
				t.Fatal(err)
			}
			for _, s := range append(honest, newcomer) {
				r, _ := s.Replica()
				if m, ok := r.Member(newcomer.Fingerprint()); !ok || m.Role != roles.Physician || m.Token != tok.ID {
					t.Errorf("%s: the genuine newcomer is %+v (admitted %v)", s.StaffName(), m, ok)
				}
				m, ok := r.Member(evil.fp())
				switch {
				case evil.fp() == c.recep.Fingerprint() && (!ok || m.Role != roles.Receptionist || m.Token == tok.ID):
					t.Errorf("%s: the receptionist's entry became %+v", s.StaffName(), m)
				case evil.fp() != c.recep.Fingerprint() && ok:
					t.Errorf("%s: the outsider is in the directory: %+v", s.StaffName(), m)
				}
			}
			// The clinical key follows once a physician confirmed her in person.
			confirmEachOther(t, c.phys, newcomer)
			if err := SyncLocal(ctx, append(honest, newcomer)...); err != nil {
				t.Fatal(err)
			}
			r, _ := newcomer.Replica()
			if !r.Holds(roles.Clinical) {
				t.Error("the genuine newcomer was not granted the clinical key")
			}
		})
	}
}

// raceClinic is a clinic with a second administrator, both admins synced.
func raceClinic(t *testing.T) (*clinic, *Session) {
	t.Helper()
	c := newClinic(t)
	admin2 := c.join(t, "Ben Admin", roles.Administrator)
	if err := SyncLocal(context.Background(), append(c.all(), admin2)...); err != nil {
		t.Fatal(err)
	}
	return c, admin2
}

// redeemTwice has two newcomers redeem the same token (the second holds a
// copy of the token string) and delivers both requests to every session in
// to.
func redeemTwice(t *testing.T, c *clinic, tok crypto.Token, to ...*Session) (*Session, *Session) {
	t.Helper()
	ctx := context.Background()
	var pair [2]*Session
	for i, name := range []string{"Dr Ann Genuine", "Dr Bob Copy"} {
		s, err := Redeem(ctx, c.env, Redemption{Dir: filepath.Join(t.TempDir(), "n"), Token: tok.String(), Name: name, Passphrase: []byte(testPass)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		pair[i] = s
		for _, dst := range to {
			if _, err := pull(ctx, dst, s); err != nil {
				t.Fatal(err)
			}
		}
	}
	return pair[0], pair[1]
}

// admitAtOnce runs Admit on every admin's workstation at the same time.
func admitAtOnce(t *testing.T, admins ...*Session) [][]Admission {
	t.Helper()
	out := make([][]Admission, len(admins))
	errs := make([]error, len(admins))
	var wg sync.WaitGroup
	for i, s := range admins {
		wg.Go(func() { out[i], errs[i] = s.Admit(context.Background()) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAttackTokenRaceTwoAdmins: Attack (issue 13 finding 9): two newcomers
// redeem one token (the second with a copy of the string) and both
// administrators' workstations run Admit at the same moment. Only the
// issuing administrator's workstation admits, in one order; the other shows
// both requests as waiting for the issuer; after sync exactly one newcomer
// is in the directory, the same on every workstation, and the other
// request is refused as "already used by another newcomer" everywhere.
func TestAttackTokenRaceTwoAdmins(t *testing.T) {
	ctx := context.Background()
	c, admin2 := raceClinic(t)
	tok, err := c.admin.IssueToken(ctx, roles.Physician, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pull(ctx, admin2, c.admin); err != nil { // admin2 learns the token
		t.Fatal(err)
	}
	a, b := redeemTwice(t, c, tok, c.admin, admin2)

	res := admitAtOnce(t, c.admin, admin2)
	for _, x := range res[1] {
		if !errors.Is(x.Err, ErrAwaitingIssuer) || !strings.Contains(x.Err.Error(), "Ada Admin") {
			t.Errorf("the other administrator's workstation: %+v, want waiting for Ada Admin", x)
		}
	}
	if len(res[1]) != 2 {
		t.Errorf("the other administrator's workstation lists %d requests, want both waiting", len(res[1]))
	}
	var won, lost *Session
	for _, x := range res[0] {
		switch {
		case x.Err == nil && won == nil:
			won = map[string]*Session{a.Fingerprint(): a, b.Fingerprint(): b}[x.Fingerprint]
		case errors.Is(x.Err, ErrTokenUsed):
			lost = map[string]*Session{a.Fingerprint(): a, b.Fingerprint(): b}[x.Fingerprint]
		default:
			t.Errorf("issuer's workstation: %+v", x)
		}
	}
	if won == nil || lost == nil || won == lost {
		t.Fatalf("the issuer's workstation admitted %v and refused %v: %+v", won, lost, res[0])
	}

	everyone := append(c.all(), admin2, a, b)
	if err := SyncLocal(ctx, everyone...); err != nil {
		t.Fatal(err)
	}
	for _, s := range everyone {
		r, _ := s.Replica()
		if s == lost {
			continue // holds no directory key: it reads nobody, itself included
		}
		if m, ok := r.Member(won.Fingerprint()); !ok || !m.Active() || m.Token != tok.ID {
			t.Errorf("%s: the admitted newcomer is %+v (%v)", s.StaffName(), m, ok)
		}
		if m, ok := r.Member(lost.Fingerprint()); ok {
			t.Errorf("%s: the second newcomer is in the directory too: %+v", s.StaffName(), m)
		}
	}
	if r, _ := lost.Replica(); r.Holds(roles.Directory) {
		t.Error("the second newcomer was granted the directory key")
	}
	for _, s := range []*Session{c.admin, admin2} {
		adm, err := s.Admit(ctx)
		if err != nil {
			t.Fatal(err)
		}
		x, ok := admissionOf(adm, lost.Fingerprint())
		if !ok || !errors.Is(x.Err, ErrTokenUsed) || !strings.Contains(x.Err.Error(), "needs a new token") {
			t.Errorf("%s: the second newcomer's request: %+v (%v), want used by another newcomer", s.StaffName(), x, ok)
		}
		if _, ok := admissionOf(adm, won.Fingerprint()); ok {
			t.Errorf("%s: the admitted newcomer is still listed", s.StaffName())
		}
	}
}

// TestAttackTwoAdmissionsOneToken: Attack (issue 13 finding 9): a second
// administrator with modified software skips the issuer rule and writes a
// directory entry for their own crony with a token another administrator
// issued, while the issuer admits the genuine newcomer with it. Every
// workstation must resolve the two entries citing one token the same way,
// and only one may stand.
func TestAttackTwoAdmissionsOneToken(t *testing.T) {
	ctx := context.Background()
	c, admin2 := raceClinic(t)
	tok, err := c.admin.IssueToken(ctx, roles.Physician, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pull(ctx, admin2, c.admin); err != nil {
		t.Fatal(err)
	}
	genuine, crony := redeemTwice(t, c, tok, c.admin, admin2)
	// The issuer's workstation takes requests in (Lamport, device, seq)
	// order: the genuine newcomer is the one it admits.
	g, k := enrollmentOf(t, genuine).Header, enrollmentOf(t, crony).Header
	if k.Lamport < g.Lamport || (k.Lamport == g.Lamport && (k.Device < g.Device || (k.Device == g.Device && k.Seq < g.Seq))) {
		genuine, crony = crony, genuine
	}
	var wg sync.WaitGroup
	var errIssuer, errHostile error
	wg.Go(func() {
		adm, err := c.admin.Admit(ctx)
		if x, ok := admissionOf(adm, genuine.Fingerprint()); err == nil && (!ok || x.Err != nil) {
			err = fmt.Errorf("the first request was not admitted by the issuer: %+v", x)
		}
		errIssuer = err
	})
	wg.Go(func() {
		r, _ := admin2.Replica()
		member, err := replica.F(map[string]any{"name": "Dr Crony", "role": roles.Physician, "status": replica.StatusActive,
			"token": tok.ID, "admitted_by": r.Fingerprint(), "joined": c.env.Now().UnixMilli()})
		if err != nil {
			errHostile = err
			return
		}
		b := r.Batch().Append(replica.Change{Entity: crony.Fingerprint(), Kind: replica.KindMember, Scope: roles.Directory, Fields: member})
		for _, k := range r.Keys(roles.Directory) {
			b.Grant(k, crony.Fingerprint())
		}
		_, errHostile = b.Commit(ctx)
	})
	wg.Wait()
	if err := errors.Join(errIssuer, errHostile); err != nil {
		t.Fatal(err)
	}
	everyone := append(c.all(), admin2, genuine, crony)
	if err := SyncLocal(ctx, everyone...); err != nil {
		t.Fatal(err)
	}
	// Whatever the rule, every workstation sees the same directory.
	view := func(s *Session) string {
		r, _ := s.Replica()
		var b strings.Builder
		for _, fp := range []string{genuine.Fingerprint(), crony.Fingerprint()} {
			m, ok := r.Member(fp)
			b.WriteString(fp[:8] + ":")
			if ok {
				b.WriteString(m.Status)
			}
			b.WriteString(" ")
		}
		return b.String()
	}
	honest := []*Session{c.admin, c.recep, c.phys, c.phys2}
	want := view(c.admin)
	for _, s := range honest[1:] {
		if got := view(s); got != want {
			t.Errorf("%s sees %q, the issuer's workstation %q", s.StaffName(), got, want)
		}
	}
	// The entry whose token was set by the lower event (Lamport, device,
	// seq) stands; the other member is not admitted, on every workstation,
	// and is granted nothing more.
	r, _ := c.admin.Replica()
	gm, gok := r.Member(genuine.Fingerprint())
	cm, cok := r.Member(crony.Fingerprint())
	if !gok || !cok || gm.Active() == cm.Active() {
		t.Fatalf("exactly one entry citing the token must stand: genuine %+v (%v), crony %+v (%v)", gm, gok, cm, cok)
	}
	stood, displaced := genuine, crony
	if cm.Active() {
		stood, displaced = crony, genuine
	}
	t.Logf("the entry of %s stands (its token event is the lower)", stood.StaffName())
	for _, s := range honest {
		m, ok := rep(t, s).Member(displaced.Fingerprint())
		if !ok || m.Active() || m.TokenTakenBy != stood.Fingerprint() {
			t.Errorf("%s: the displaced member is %+v (%v), want not admitted: the token admitted %s", s.StaffName(), m, ok, short(stood.Fingerprint()))
		}
	}
	confirmEachOther(t, c.phys, stood)
	if err := c.phys.ConfirmColleague(ctx, displaced.Fingerprint(), ColleagueCode(c.phys.Fingerprint(), displaced.Fingerprint())); err == nil {
		t.Error("a physician confirmed the member whose entry does not stand")
	}
	mustSync(t, everyone...)
	if rep(t, displaced).Holds(roles.Clinical) {
		t.Error("the member whose entry does not stand was granted the clinical key")
	}
	if !rep(t, stood).Holds(roles.Clinical) {
		t.Error("the member whose entry stands was not granted the clinical key")
	}
}

// TestAttackDeviceIdCopied: Attack (issue 13 finding 4): someone copies a
// newcomer's fresh device id from the sync room and publishes their own
// key as the first event of that device. Since h-dev17 the app binds a
// new workstation's device id to its member's key (crypto.NewDeviceID), so
// both the receptionist's modified software and an outsider's throwaway
// key are refused at once everywhere, before any admission: one
// physician's workstation hears of them before the newcomer's own events,
// the other after them, and both give the device to the newcomer at once.
// (Random ids, of workstations made before, keep the directory's rules:
// sync/replica's TestAttackDeviceIdCopied, where an outsider's squat is
// held first-come until the admission.) After the admission neither keeps
// a squat, and the newcomer's later note applies everywhere.
func TestAttackDeviceIdCopied(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	tok, err := c.admin.IssueToken(ctx, roles.Physician, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, c.all()...)
	newcomer, err := Redeem(ctx, c.env, Redemption{Dir: filepath.Join(t.TempDir(), "newcomer"), Token: tok.String(),
		Name: "Dr Nina New", Passphrase: []byte(testPass)})
	if err != nil {
		t.Fatal(err)
	}
	defer newcomer.Close()
	device := rep(t, newcomer).Device()
	copyDevice := func(c *enrollChain) *crypto.Envelope {
		c.device = device
		env, err := crypto.ParseEnvelope(c.publishKey(t))
		if err != nil {
			t.Fatal(err)
		}
		return env
	}
	memberSquat := copyDevice(&enrollChain{id: rep(t, c.recep).Identity(), now: c.env.Now})
	outsiderSquat := copyDevice(newOutsiderChain(t, c.env.Now))
	owner := func(s *Session) string {
		var o string
		err := rep(t, s).DB().View(ctx, func(tx *store.Tx) error {
			var err error
			if o, err = tx.DeviceOwner(ctx, device); errors.Is(err, store.ErrNotFound) {
				err = nil
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}

	if !crypto.DeviceBoundTo(device, newcomer.Fingerprint()) {
		t.Fatalf("setup: the newcomer's device %s is not bound to her key", short(device))
	}
	squatFirst, genuineFirst := c.phys, c.phys2
	for _, squat := range []*crypto.Envelope{memberSquat, outsiderSquat} {
		got := hand(t, []*crypto.Envelope{squat}, squatFirst)
		if len(got.Problems) != 1 || !got.Problems[0].Altered || !strings.Contains(got.Problems[0].Reason, "bound to another member's key") {
			t.Errorf("the squat signed by %s: %+v, want not kept: the device is bound to the newcomer's key", short(squat.Header.Author), got.Problems)
		}
	}
	if _, err := pull(ctx, squatFirst, newcomer); err != nil {
		t.Fatal(err)
	}
	if _, err := pull(ctx, genuineFirst, newcomer); err != nil {
		t.Fatal(err)
	}
	hand(t, []*crypto.Envelope{memberSquat, outsiderSquat}, genuineFirst)
	for _, s := range []*Session{squatFirst, genuineFirst} {
		if o := owner(s); o != newcomer.Fingerprint() {
			t.Errorf("before the admission, %s gives the newcomer's device to %s", s.StaffName(), short(o))
		}
	}
	if _, err := pull(ctx, c.admin, newcomer); err != nil {
		t.Fatal(err)
	}
	adm, err := c.admin.Admit(ctx)
	if a, ok := admissionOf(adm, newcomer.Fingerprint()); err != nil || !ok || a.Err != nil {
		t.Fatalf("the newcomer was not admitted: %+v, %v", a, err)
	}
	if m, _ := rep(t, c.admin).Member(newcomer.Fingerprint()); len(m.Devices) != 1 || m.Devices[0] != device {
		t.Errorf("the entry names devices %v, want the enrollment's %s", m.Devices, short(device))
	}
	everyone := append(c.all(), newcomer)
	mustSync(t, everyone...)
	confirmEachOther(t, c.phys, newcomer)
	mustSync(t, everyone...)
	p, err := c.recep.RegisterPatient(ctx, Patient{Family: "Device", Given: "Dora", Birth: "1971-05-06"})
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, everyone...)
	n, err := clin(newcomer).WriteNote(ctx, Note{Patient: p.ID, Plan: "the newcomer's first note"})
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, everyone...)
	for _, s := range []*Session{squatFirst, genuineFirst, c.admin, c.recep} {
		if o := owner(s); o != newcomer.Fingerprint() {
			t.Errorf("%s gives the newcomer's device to %s", s.StaffName(), short(o))
		}
		for _, squat := range []*crypto.Envelope{memberSquat, outsiderSquat} {
			if _, _, found := envelopeState(t, s, squat.Header.ID); found {
				t.Errorf("%s keeps a squat", s.StaffName())
			}
		}
	}
	for _, s := range []*Session{squatFirst, genuineFirst} {
		chart, err := clin(s).OpenChart(ctx, p.ID)
		if err != nil || len(chart.Notes) != 1 || chart.Notes[0].ID != n.ID {
			t.Errorf("%s sees notes %+v (%v), want the newcomer's", s.StaffName(), chart.Notes, err)
		}
	}
}
