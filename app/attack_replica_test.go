package app

// Attacks on the replica's apply rules (issue 13, findings 1, 3, 4, 12 and
// the low ones about grants and heads), played through whole sessions: a
// member's modified software signs envelopes of its own making on a device
// of its own, and the network hands them to every workstation.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/internal/testkit"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
)

// hostileChain is a member's (or an outsider's) modified software: its own
// device chain, on which it signs whatever it likes with its own key.
type hostileChain struct {
	id      *crypto.Identity
	device  string
	seq     uint64
	prev    string
	lamport uint64
	now     func() time.Time
	first   *crypto.Envelope // the device's key event
}

// hostileDevice starts a second workstation of s's member, beginning with
// its public key as every device does, which an administrator added to
// the member's directory entry (an event of a device the entry does not
// name is kept nowhere): the member runs modified software there. The
// entry reaches the clinic's workstations and those of also.
func hostileDevice(t *testing.T, c *clinic, s *Session, also ...*Session) *hostileChain {
	t.Helper()
	r := rep(t, s)
	h := &hostileChain{id: r.Identity(), device: crypto.NewEventID(), now: s.env.Now}
	addDevice(t, c.admin, r.Fingerprint(), h.device)
	deliver(t, c.admin, append(c.all(), also...)...)
	heads, err := r.Heads(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, hd := range heads {
		h.lamport = max(h.lamport, hd.Lamport)
	}
	pub, _ := json.Marshal(map[string]string{"pub": base64.StdEncoding.EncodeToString(h.id.Public().Bytes())})
	h.first = h.raw(t, replica.KindKey, replica.ScopePublic, h.id.Fingerprint(), 0, pub)
	return h
}

// addDevice has administrator admin add device to member's directory
// entry, as an administrator adds a workstation of theirs, and returns the
// event.
func addDevice(t *testing.T, admin *Session, member, device string) *crypto.Envelope {
	t.Helper()
	return testkit.AddDevice(t, rep(t, admin), member, device)
}

// header is the next header of the chain, at clock lamport (0: the next).
func (c *hostileChain) header(kind, scope, entity string, lamport uint64) crypto.Header {
	c.seq++
	c.lamport++
	if lamport == 0 {
		lamport = c.lamport
	}
	return crypto.Header{ID: crypto.NewEventID(), Entity: entity, Kind: kind, Scope: scope, Author: c.id.Fingerprint(),
		Device: c.device, Seq: c.seq, Lamport: lamport, Prev: c.prev, Time: c.now().UnixMilli()}
}

func (c *hostileChain) raw(t *testing.T, kind, scope, entity string, epoch uint32, payload []byte) *crypto.Envelope {
	t.Helper()
	h := c.header(kind, scope, entity, 0)
	h.Epoch = epoch
	env, err := crypto.SealRaw(h, payload, c.id)
	if err != nil {
		t.Fatal(err)
	}
	c.prev = env.Hash()
	return env
}

// sealed signs a change sealed with k, at clock lamport (0: the next).
func (c *hostileChain) sealed(t *testing.T, k crypto.ScopeKey, kind, scope, entity string, lamport uint64, kv map[string]any) *crypto.Envelope {
	t.Helper()
	h := c.header(kind, scope, entity, lamport)
	h.Epoch = k.Epoch
	payload, _ := json.Marshal(kv)
	if k.Scope != scope {
		k.Scope = scope // a key of one scope passed off as another's
	}
	env, err := crypto.Seal(h, payload, k, c.id)
	if err != nil {
		t.Fatal(err)
	}
	c.prev = env.Hash()
	return env
}

// hand applies the chain's envelopes on each workstation, as the network
// would, and returns the last report.
func hand(t *testing.T, envs []*crypto.Envelope, to ...*Session) replica.Report {
	t.Helper()
	raws := make([][]byte, len(envs))
	for i, e := range envs {
		raws[i] = e.Raw
	}
	var last replica.Report
	for _, s := range to {
		var err error
		if last, err = rep(t, s).Apply(context.Background(), raws); err != nil {
			t.Fatal(err)
		}
	}
	return last
}

func key(t *testing.T, s *Session, scope roles.Scope) crypto.ScopeKey {
	t.Helper()
	k, ok := rep(t, s).Key(scope)
	if !ok {
		t.Fatalf("%s holds no %s key", s.StaffName(), scope)
	}
	return k
}

// refusedOn fails unless env was rejected on every workstation.
func refusedOn(t *testing.T, env *crypto.Envelope, ss ...*Session) {
	t.Helper()
	for _, s := range ss {
		if st, reason, found := envelopeStateOf(t, s, env.Header.ID); !found || st != store.Rejected {
			t.Errorf("%s: the %s event on %s is %v (%s), want rejected", s.StaffName(), env.Header.Kind, env.Header.Entity, st, reason)
		}
	}
}

func envelopeStateOf(t *testing.T, s *Session, id string) (store.EnvelopeState, string, bool) {
	t.Helper()
	var e store.Envelope
	err := rep(t, s).DB().View(context.Background(), func(tx *store.Tx) error {
		var err error
		e, err = tx.Envelope(context.Background(), id)
		return err
	})
	return e.State, e.Reason, err == nil
}

// TestAttackForeignKindRoleEscalation: Attack (issue 13, finding 1): the
// receptionist's modified software writes, from a device of its own, a
// directory-scope "patient" event onto her own directory entry with
// {"role":"physician"}, and the same in the front-desk scope at the lowest
// clock. The administrator's and the physicians' workstations refuse both,
// keep her a receptionist, and no physician's upkeep grants her the
// clinical key.
func TestAttackForeignKindRoleEscalation(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	h := hostileDevice(t, c, c.recep)
	me := c.recep.Fingerprint()
	escalate := map[string]any{"role": roles.Physician}
	envs := []*crypto.Envelope{
		h.sealed(t, key(t, c.recep, roles.Directory), "patient", "directory", me, 0, escalate),
		h.sealed(t, key(t, c.recep, roles.FrontDesk), "patient", "frontdesk", me, 1, escalate),
	}
	hand(t, append([]*crypto.Envelope{h.first}, envs...), c.admin, c.phys, c.phys2)
	mustSync(t, c.all()...)
	for _, env := range envs {
		refusedOn(t, env, c.admin, c.phys, c.phys2)
	}
	for _, s := range c.all() {
		if m, ok := rep(t, s).Member(me); !ok || m.Role != roles.Receptionist {
			t.Errorf("%s: the receptionist's entry is %+v", s.StaffName(), m)
		}
	}
	if rep(t, c.recep).Holds(roles.Clinical) {
		t.Fatal("the receptionist's workstation holds the clinical key")
	}
	for _, s := range []*Session{c.phys, c.phys2} {
		err := rep(t, s).DB().View(ctx, func(tx *store.Tx) error {
			rows, err := tx.EnvelopesForEntity(ctx, me)
			for _, e := range rows {
				if e.Kind == replica.KindGrant && e.Scope == string(roles.Clinical) {
					t.Errorf("%s's workstation holds a clinical grant to the receptionist", s.StaffName())
				}
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestAttackForeignKindAllergy: Attack (issue 13, finding 1): a physician
// records a penicillin allergy; the receptionist's modified software
// writes a front-desk "patient" event with the allergy's id and
// {"status":"entered-in-error"} at the lowest clock, and a directory one.
// The other physician's chart still shows the allergy, and every
// workstation refused both events.
func TestAttackForeignKindAllergy(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	p, err := c.recep.RegisterPatient(ctx, Patient{Family: "Allergic", Given: "Anna", Birth: "1970-01-02"})
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, c.all()...)
	a, err := clin(c.phys).AddAllergy(ctx, Allergy{Patient: p.ID, Substance: "penicillin", Reaction: "anaphylaxis", Severity: "severe"})
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, c.all()...)
	h := hostileDevice(t, c, c.recep)
	erase := map[string]any{"status": AllergyEnteredInError}
	envs := []*crypto.Envelope{
		h.sealed(t, key(t, c.recep, roles.FrontDesk), "patient", "frontdesk", a.ID, 1, erase),
		h.sealed(t, key(t, c.recep, roles.Directory), "allergy", "directory", a.ID, 0, erase),
	}
	hand(t, append([]*crypto.Envelope{h.first}, envs...), c.admin, c.phys, c.phys2)
	mustSync(t, c.all()...)
	for _, env := range envs {
		refusedOn(t, env, c.admin, c.phys, c.phys2)
	}
	chart, err := clin(c.phys2).OpenChart(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(chart.Allergies) != 1 || chart.Allergies[0].Substance != "penicillin" {
		t.Errorf("the second physician's chart shows allergies %+v, want the penicillin allergy", chart.Allergies)
	}
}

// TestAttackLamportPoison: Attack (issue 13, finding 3): an outsider with
// a key nobody knows posts an envelope at Lamport MaxInt64, and the
// receptionist's modified software one far ahead of the clinic's clock
// and one at MaxInt64. Every workstation keeps writing at small clocks,
// also after logging in again.
func TestAttackLamportPoison(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	outsiderID, err := crypto.GenerateIdentity("Otto Outsider")
	if err != nil {
		t.Fatal(err)
	}
	outsider := &hostileChain{id: outsiderID, device: crypto.NewEventID(), now: c.env.Now}
	fakeKey, _ := crypto.NewScopeKey(string(roles.FrontDesk), 1)
	poison := outsider.sealed(t, fakeKey, "patient", "frontdesk", crypto.NewEventID(), math.MaxInt64, map[string]any{"x": 1})
	h := hostileDevice(t, c, c.recep)
	fd := key(t, c.recep, roles.FrontDesk)
	jump := h.sealed(t, fd, "patient", "frontdesk", crypto.NewEventID(), h.lamport+1<<40, map[string]any{"x": 2})
	h2 := hostileDevice(t, c, c.recep)
	ceiling := h2.sealed(t, fd, "patient", "frontdesk", crypto.NewEventID(), math.MaxInt64, map[string]any{"x": 3})
	hand(t, []*crypto.Envelope{poison, h.first, jump, h2.first, ceiling}, c.all()...)
	mustSync(t, c.all()...)
	refusedOn(t, ceiling, c.all()...)
	write := func(s *Session) {
		t.Helper()
		var err error
		switch s.Role() {
		case roles.Administrator:
			_, err = s.IssueToken(ctx, roles.Receptionist, time.Hour)
		default:
			_, err = s.RegisterPatient(ctx, Patient{Family: "Still", Given: "Writing", Birth: "1980-01-01"})
		}
		if err != nil {
			t.Errorf("%s cannot write any more: %v", s.StaffName(), err)
		}
	}
	for _, s := range c.all() {
		write(s)
	}
	for i, s := range c.all() {
		dir := s.prof.Dir
		name := s.StaffName()
		s.Close()
		again, err := Login(ctx, c.env, dir, name, []byte(testPass))
		if err != nil {
			t.Fatalf("login again as %s: %v", name, err)
		}
		write(again)
		for _, env := range []*crypto.Envelope{poison, jump} {
			if st, _, _ := envelopeStateOf(t, again, env.Header.ID); st != store.Pending {
				t.Errorf("%s: an envelope far ahead is %v, want pending", name, st)
			}
		}
		heads, _ := rep(t, again).Heads(ctx)
		for _, hd := range heads {
			if hd.Lamport > 1<<20 {
				t.Errorf("%s: head of %s at clock %d", name, hd.Device, hd.Lamport)
			}
		}
		switch i {
		case 0:
			c.admin = again
		case 1:
			c.recep = again
		case 2:
			c.phys = again
		case 3:
			c.phys2 = again
		}
	}
}

// TestAttackChainSlotSquat: Attack (issue 13, finding 4): the receptionist
// signs, with her own key, the next event of a physician's device (its
// seq and previous hash are in the clear). The administrator's and the
// other physician's workstations do not keep it; the physician's genuine
// next note is applied everywhere; the physician's own workstation reports
// someone writing into its chain.
func TestAttackChainSlotSquat(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	rp := rep(t, c.phys)
	heads, _ := rp.Heads(ctx)
	squatter := &hostileChain{id: rep(t, c.recep).Identity(), device: rp.Device(), now: c.env.Now}
	for _, h := range heads {
		if h.Device == rp.Device() {
			squatter.seq, squatter.prev, squatter.lamport = h.Seq, h.Hash, h.Lamport
		}
	}
	squat := squatter.sealed(t, key(t, c.recep, roles.FrontDesk), "patient", "frontdesk", crypto.NewEventID(), 0, map[string]any{"family": "Squat"})
	got := hand(t, []*crypto.Envelope{squat}, c.admin, c.phys2)
	if len(got.Problems) != 1 || !got.Problems[0].Altered {
		t.Errorf("the squat reported %+v, want one event not kept", got.Problems)
	}
	own := hand(t, []*crypto.Envelope{squat}, c.phys)
	if len(own.Problems) != 1 || !own.Problems[0].OwnDevice {
		t.Errorf("the physician's workstation reported %+v, want a fork of its own chain", own.Problems)
	}
	p, err := c.recep.RegisterPatient(ctx, Patient{Family: "Genuine", Given: "Gina", Birth: "1990-03-04"})
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, c.all()...)
	n, err := clin(c.phys).WriteNote(ctx, Note{Patient: p.ID, Plan: "genuine next event"})
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, c.all()...)
	chart, err := clin(c.phys2).OpenChart(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(chart.Notes) != 1 || chart.Notes[0].ID != n.ID {
		t.Errorf("the second physician sees notes %+v, want the genuine one", chart.Notes)
	}
	for _, s := range c.all() {
		if _, _, found := envelopeStateOf(t, s, squat.Header.ID); found {
			t.Errorf("%s keeps the squat", s.StaffName())
		}
	}
}

// TestAttackRevocationOrder: Attack (issue 13, finding 12): a physician
// is revoked; her workstation, unaware, changes a patient and writes a
// note afterwards. The receptionist's workstation hears the revocation
// first, the other physician's hears her late events first: both refuse
// them and show the patient as before.
func TestAttackRevocationOrder(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	p, err := c.recep.RegisterPatient(ctx, Patient{Family: "Before", Given: "Bea", Birth: "1960-02-03"})
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, c.all()...)
	if err := c.admin.RevokeMember(ctx, c.phys2.Fingerprint()); err != nil {
		t.Fatal(err)
	}
	late, err := clin(c.phys2).WriteNote(ctx, Note{Patient: p.ID, Plan: "after revocation"})
	if err != nil {
		t.Fatal(err)
	}
	changed := p
	changed.Family = "After"
	if err := updatePatient(ctx, c.phys2, changed); err != nil {
		t.Fatal(err)
	}
	deliver(t, c.admin, c.recep) // the revocation first
	deliver(t, c.phys2, c.recep) // then her late events
	deliver(t, c.phys2, c.phys)  // her late events first
	deliver(t, c.admin, c.phys)  // then the revocation
	for _, s := range []*Session{c.recep, c.phys} {
		got, err := s.Patient(ctx, p.ID)
		if err != nil || got.Family != "Before" {
			t.Errorf("%s shows the patient as %q, %v; want her as before the late change", s.StaffName(), got.Family, err)
		}
	}
	if _, _, err := rep(t, c.phys).Entity(ctx, late.ID); err == nil {
		t.Error("the physician who heard the late note first still has it")
	}
}

// TestAttackGarbageGrant: Attack (issue 13, low): as a physician joins, a
// colleague's modified software "grants" her the clinical key with a grant
// sealed to himself. Her workstation refuses it; the header convinces no
// other workstation that she holds the key, so the honest holders' upkeep
// grants her the real one, and she reads the clinic's notes.
func TestAttackGarbageGrant(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	p, err := c.recep.RegisterPatient(ctx, Patient{Family: "Noted", Given: "Nils", Birth: "1975-05-06"})
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, c.all()...)
	n, err := clin(c.phys).WriteNote(ctx, Note{Patient: p.ID, Plan: "read me"})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := c.admin.IssueToken(ctx, roles.Physician, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	newcomer, err := Redeem(ctx, c.env, Redemption{Dir: filepath.Join(c.dir, "newcomer"), Token: tok.String(), Name: "Dr Nora Newcomer", Passphrase: []byte(testPass)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { newcomer.Close() })
	mustSync(t, c.admin, newcomer)
	h := hostileDevice(t, c, c.phys2, newcomer)
	k := key(t, c.phys2, roles.Clinical)
	toHimself, err := crypto.SealGrant(k, rep(t, c.phys2).Identity().Public(), rep(t, c.phys2).Identity())
	if err != nil {
		t.Fatal(err)
	}
	garbage := h.raw(t, replica.KindGrant, string(roles.Clinical), newcomer.Fingerprint(), k.Epoch, toHimself)
	hand(t, []*crypto.Envelope{h.first, garbage}, append(c.all(), newcomer)...)
	mustSync(t, append(c.all(), newcomer)...)
	confirmEachOther(t, c.phys, newcomer)
	mustSync(t, append(c.all(), newcomer)...)
	if st, reason, _ := envelopeStateOf(t, newcomer, garbage.Header.ID); st != store.Rejected {
		t.Errorf("the newcomer's workstation made %v (%s) of the garbage grant, want rejected", st, reason)
	}
	if !rep(t, newcomer).Holds(roles.Clinical) {
		t.Fatal("nobody granted the newcomer the real clinical key")
	}
	chart, err := clin(newcomer).OpenChart(ctx, p.ID)
	if err != nil || len(chart.Notes) != 1 || chart.Notes[0].ID != n.ID {
		t.Errorf("the newcomer reads notes %+v, %v", chart.Notes, err)
	}
	for _, s := range c.all() {
		if !rep(t, s).Granted(newcomer.Fingerprint(), roles.Clinical, k.Epoch) && s.Role() == roles.Physician {
			t.Errorf("%s does not count the newcomer as holding the clinical key after she acknowledged it", s.StaffName())
		}
	}
}

// TestAppKindsAreInTheRolesTable: every kind of record the app writes is in
// the roles table, in the scope the app writes it in, so no workstation
// refuses the app's own events. It reads the app's sources: each
// replica.Change{Kind: K, Scope: S} and each Batch.Raw(K, S, ...) whose
// kind and scope are constants; kinds chosen at run time are listed below.
func TestAppKindsAreInTheRolesTable(t *testing.T) {
	fset := token.NewFileSet()
	consts := map[string]string{
		"replica.KindMember": replica.KindMember, "replica.KindKeyHeld": replica.KindKeyHeld,
		"roles.Directory": string(roles.Directory), "roles.FrontDesk": string(roles.FrontDesk),
		"roles.Clinical": string(roles.Clinical), "roles.Admin": string(roles.Admin),
	}
	type use struct{ kind, scope ast.Expr }
	var uses []use
	var files []*ast.File
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		files = append(files, f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		for _, d := range f.Decls {
			if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.CONST {
				for _, s := range g.Specs {
					vs := s.(*ast.ValueSpec)
					for i, name := range vs.Names {
						if i < len(vs.Values) {
							if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
								consts[name.Name], _ = strconv.Unquote(lit.Value)
							}
						}
					}
				}
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.CompositeLit:
				if sel, ok := x.Type.(*ast.SelectorExpr); ok && sel.Sel.Name == "Change" {
					var u use
					for _, el := range x.Elts {
						if kv, ok := el.(*ast.KeyValueExpr); ok {
							switch kv.Key.(*ast.Ident).Name {
							case "Kind":
								u.kind = kv.Value
							case "Scope":
								u.scope = kv.Value
							}
						}
					}
					uses = append(uses, u)
				}
			case *ast.CallExpr:
				if sel, ok := x.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Raw" && len(x.Args) == 4 {
					uses = append(uses, use{x.Args[0], x.Args[1]})
				}
			}
			return true
		})
	}
	value := func(e ast.Expr) (string, bool) {
		switch x := e.(type) {
		case *ast.BasicLit:
			s, err := strconv.Unquote(x.Value)
			return s, err == nil
		case *ast.Ident:
			v, ok := consts[x.Name]
			return v, ok
		case *ast.SelectorExpr:
			if id, ok := x.X.(*ast.Ident); ok {
				if id.Name == "records" { // app/records, read with the rest
					v, ok := consts[x.Sel.Name]
					return v, ok
				}
				v, ok := consts[id.Name+"."+x.Sel.Name]
				return v, ok
			}
		}
		return "", false
	}
	checked := 0
	for _, u := range uses {
		kind, ok1 := value(u.kind)
		scope, ok2 := value(u.scope)
		if !ok1 || !ok2 {
			continue // chosen at run time: listed below
		}
		checked++
		k, ok := roles.KindOf(kind)
		if !ok || string(k.Scope) != scope {
			t.Errorf("the app writes %s records in the %s scope; the roles table says %+v, %v", kind, scope, k, ok)
		}
	}
	if checked < 20 {
		t.Errorf("found only %d kinds written with constants: the scan no longer finds the app's writes", checked)
	}
	// Kinds chosen at run time: chart records and imported records.
	for _, kind := range []string{records.KindProblem, records.KindAllergy, records.KindMedication, records.KindVitals, records.KindEncounter, records.KindNote, records.KindAddendum} {
		if k, ok := roles.KindOf(kind); !ok || k.Scope != roles.Clinical {
			t.Errorf("chart kind %s: %+v, %v", kind, k, ok)
		}
	}
	if k, ok := roles.KindOf(records.KindPatient); !ok || k.Scope != roles.FrontDesk {
		t.Errorf("kind %s: %+v, %v", records.KindPatient, k, ok)
	}
	for _, raw := range []struct{ kind, scope string }{{kindAudit, scopeAudit}} {
		if k, ok := roles.KindOf(raw.kind); !ok || !k.Raw || string(k.Scope) != raw.scope {
			t.Errorf("raw kind %s in %s: %+v, %v", raw.kind, raw.scope, k, ok)
		}
	}
}
