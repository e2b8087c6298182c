package replica

// clinic_test.go builds small clinics out of replicas alone (no app, no
// network) for the attack and property tests: a founder, a receptionist
// and physicians, each on a workstation of their own, exchanging every
// envelope by hand. A member with modified software is played by forge,
// which signs whatever it is given with that member's own key.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
	"github.com/medihaven/medihaven/sync/synctest"
)

// person is a staff member: one key, any number of workstations.
type person struct {
	name string
	role roles.Role
	id   *crypto.Identity
}

func newPerson(t testing.TB, name string, role roles.Role) *person {
	t.Helper()
	id, err := crypto.GenerateIdentity(name)
	if err != nil {
		t.Fatal(err)
	}
	return &person{name: name, role: role, id: id}
}

func (p *person) fp() string { return p.id.Fingerprint() }

// station is one workstation: a replica on its own store.
type station struct {
	t  testing.TB
	p  *person
	r  *Replica
	db *store.DB
	// movedFrom is the random id this workstation moved from onto its
	// bound one (move_test.go moveFrom), "" for none.
	movedFrom string
}

// open makes a workstation for p in clinic (the founder's fingerprint
// prefix) with a fresh store and a random (legacy) device id; it
// publishes no key yet.
func open(t testing.TB, p *person, clinic string, anchors ...string) *station {
	t.Helper()
	return openOn(t, p, clinic, "", anchors...)
}

// bound is a new device id bound to p's key, as the app makes for new
// workstations (crypto.NewDeviceID).
func (p *person) bound() string { return crypto.NewDeviceID(p.fp()) }

// openOn is open on device ("": a random one).
func openOn(t testing.TB, p *person, clinic, device string, anchors ...string) *station {
	t.Helper()
	w := synctest.NewWorkstation(t)
	if device != "" {
		w.Device = device
	}
	now := time.UnixMilli(1_800_000_000_000)
	r, err := Open(context.Background(), Params{DB: w.DB, Device: w.Device, Identity: p.id, DeviceKey: w.DeviceKey,
		Clinic: clinic, Anchors: anchors, Now: func() time.Time { now = now.Add(time.Millisecond); return now }})
	if err != nil {
		t.Fatal(err)
	}
	return &station{t: t, p: p, r: r, db: w.DB}
}

// join is open plus the device's first event: its public key.
func join(t testing.TB, p *person, clinic string, anchors ...string) *station {
	t.Helper()
	return joinOn(t, p, clinic, "", anchors...)
}

// joinOn is join on device ("": a random one).
func joinOn(t testing.TB, p *person, clinic, device string, anchors ...string) *station {
	t.Helper()
	s := openOn(t, p, clinic, device, anchors...)
	if _, err := s.r.PublishKey(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// clinic is a founder, a receptionist and two physicians, admitted, with
// the directory, admin, front-desk and clinical keys granted to whoever
// the roles entitle.
type clinic struct {
	id                          string
	admin, recep, phys, phys2   *person
	sAdmin, sRecep, sPhys, sPh2 *station
}

func (c *clinic) stations() []*station { return []*station{c.sAdmin, c.sRecep, c.sPhys, c.sPh2} }

func newClinic(t testing.TB) *clinic {
	t.Helper()
	ctx := context.Background()
	c := &clinic{
		admin: newPerson(t, "Ada Admin", roles.Administrator),
		recep: newPerson(t, "Rita Reception", roles.Receptionist),
		phys:  newPerson(t, "Paul Physician", roles.Physician),
		phys2: newPerson(t, "Pia Physician", roles.Physician),
	}
	c.id = c.admin.fp()[:32]
	c.sAdmin = join(t, c.admin, c.id)
	for _, scope := range []roles.Scope{roles.Directory, roles.Admin} {
		if _, err := c.sAdmin.r.NewEpoch(ctx, scope); err != nil {
			t.Fatal(err)
		}
	}
	c.sAdmin.admit(c.admin)
	c.sRecep = join(t, c.recep, c.id, c.admin.fp())
	c.sPhys = join(t, c.phys, c.id, c.admin.fp())
	c.sPh2 = join(t, c.phys2, c.id, c.admin.fp())
	exchange(t, c.stations()...)
	for _, p := range []*person{c.recep, c.phys, c.phys2} {
		c.sAdmin.admit(p)
		c.sAdmin.grant(roles.Directory, p)
	}
	exchange(t, c.stations()...)
	for _, scope := range []roles.Scope{roles.FrontDesk, roles.Clinical} {
		if _, err := c.sPhys.r.NewEpoch(ctx, scope); err != nil {
			t.Fatal(err)
		}
	}
	// The two physicians confirmed each other in person, and the first
	// and the receptionist (confirm.go).
	confirmEachOther(t, c.sPhys, c.sPh2)
	confirmEachOther(t, c.sPhys, c.sRecep)
	c.sPhys.grant(roles.FrontDesk, c.recep)
	c.sPhys.grant(roles.FrontDesk, c.phys2)
	c.sPhys.grant(roles.Clinical, c.phys2)
	exchange(t, c.stations()...)
	for _, s := range c.stations() {
		if _, err := s.r.AcknowledgeKeys(ctx); err != nil {
			t.Fatal(err)
		}
	}
	exchange(t, c.stations()...)
	return c
}

// confirmEachOther has the members of stations a and b confirm each other
// in person (Replica.Confirm: for the clinical key between physicians,
// else for the front desk), each on her own workstation.
func confirmEachOther(t testing.TB, a, b *station) {
	t.Helper()
	ctx := context.Background()
	if err := a.r.Confirm(ctx, b.p.fp()); err != nil {
		t.Fatalf("%s confirms %s: %v", a.p.name, b.p.name, err)
	}
	if err := b.r.Confirm(ctx, a.p.fp()); err != nil {
		t.Fatalf("%s confirms %s: %v", b.p.name, a.p.name, err)
	}
}

// admitted is a newcomer's workstation with its key published, admitted
// by the founder and granted the directory key (on the founder's
// workstation only: the caller hands it on).
func (c *clinic) admitted(t testing.TB, name string, role roles.Role) (*person, *station) {
	t.Helper()
	return c.admittedBy(t, c.sAdmin, name, role)
}

// admittedBy is admitted with by's member as the admitting administrator.
func (c *clinic) admittedBy(t testing.TB, by *station, name string, role roles.Role) (*person, *station) {
	t.Helper()
	p := newPerson(t, name, role)
	s := join(t, p, c.id, by.p.fp())
	by.apply(s.own()...)
	by.admit(p)
	by.grant(roles.Directory, p)
	return p, s
}

// admit writes p's directory entry.
func (s *station) admit(p *person) {
	s.t.Helper()
	s.append(Change{Entity: p.fp(), Kind: KindMember, Scope: roles.Directory,
		Fields: fields(s.t, map[string]any{"name": p.name, "role": p.role, "status": StatusActive})})
}

func (s *station) grant(scope roles.Scope, to *person) {
	s.t.Helper()
	k, ok := s.r.Key(scope)
	if !ok {
		s.t.Fatalf("%s holds no %s key to grant", s.p.name, scope)
	}
	if _, err := s.r.Grant(context.Background(), k, to.fp()); err != nil {
		s.t.Fatal(err)
	}
}

func (s *station) append(c Change) *crypto.Envelope {
	s.t.Helper()
	env, err := s.r.Append(context.Background(), c)
	if err != nil {
		s.t.Fatalf("%s appends %s: %v", s.p.name, c.Kind, err)
	}
	return env
}

// holdKeys gives s the keys from holds of scopes, as grants would (for
// observers that are no members).
func (s *station) holdKeys(from *station, scopes ...roles.Scope) {
	s.t.Helper()
	ctx := context.Background()
	for _, scope := range scopes {
		for _, k := range from.r.Keys(scope) {
			if err := s.db.Update(ctx, func(tx *store.Tx) error { return s.r.keepKey(ctx, tx, k) }); err != nil {
				s.t.Fatal(err)
			}
		}
	}
}

func fields(t testing.TB, kv map[string]any) Fields {
	t.Helper()
	f, err := F(kv)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// forged is what a member's modified software writes: any header, sealed
// with a key it holds (or raw), signed with its own key.
type forged struct {
	Entity, Kind, Scope string
	Lamport             uint64 // 0: the station's clock + 1
	Fields              Fields
	Raw                 []byte // sealed as is instead of Fields
	Device              string // another device's chain (its next slot): a squat
	Seq                 uint64 // with Device
	Prev                string // with Device
	Time                int64  // the signed time, in unix ms (0: the station's now)
	ID                  string // another event's id, copied ("": a fresh one)
	Epoch               uint32 // of the key of its own a forgery seals with, for a scope s holds no key of (0: 1)
}

// forge signs f as s's member would with modified software. Written into
// s's own chain (and store, as its software would) unless f names another
// device.
func (s *station) forge(f forged) *crypto.Envelope {
	s.t.Helper()
	ctx := context.Background()
	own := f.Device == ""
	h := crypto.Header{ID: crypto.NewEventID(), Entity: f.Entity, Kind: f.Kind, Scope: f.Scope, Author: s.p.fp(),
		Device: s.r.p.Device, Seq: s.r.mySeq + 1, Prev: s.r.myHash, Lamport: f.Lamport, Time: s.r.now().UnixMilli()}
	if f.Time != 0 {
		h.Time = f.Time
	}
	if f.ID != "" {
		h.ID = f.ID
	}
	if !own {
		h.Device, h.Seq, h.Prev = f.Device, f.Seq, f.Prev
	}
	if h.Lamport == 0 {
		h.Lamport = s.r.lamport + 1
	}
	var env *crypto.Envelope
	var err error
	if f.Raw != nil {
		env, err = crypto.SealRaw(h, f.Raw, s.p.id)
	} else {
		k, ok := s.r.Key(roles.Scope(f.Scope))
		if !ok {
			// A scope it holds no key of: any key will do for a forgery.
			k, _ = crypto.NewScopeKey(f.Scope, max(f.Epoch, 1))
		}
		h.Epoch = k.Epoch
		payload, _ := json.Marshal(f.Fields)
		env, err = crypto.Seal(h, payload, k, s.p.id)
	}
	if err != nil {
		s.t.Fatal(err)
	}
	if own {
		err := s.db.Update(ctx, func(tx *store.Tx) error {
			_, err := tx.PutEnvelope(ctx, rowOf(env, store.Applied, ""))
			return err
		})
		if err != nil {
			s.t.Fatal(err)
		}
		s.r.mySeq, s.r.myHash = h.Seq, env.Hash()
		if h.Lamport < ClockCeiling {
			s.r.lamport = max(s.r.lamport, h.Lamport)
		}
	}
	return env
}

// claimAuthor rewrites an envelope's header to name another author, keeping
// the signature of its real one: what an outsider or member does to pass
// its event off as a colleague's.
func claimAuthor(t testing.TB, env *crypto.Envelope, author string) []byte {
	t.Helper()
	raw := bytes.Replace(env.Raw, []byte(env.Header.Author), []byte(author), 1)
	if _, err := crypto.ParseEnvelope(raw); err != nil {
		t.Fatal(err)
	}
	return raw
}

// everything returns every envelope s stores.
func (s *station) everything() [][]byte {
	s.t.Helper()
	raws, err := s.r.Everything(context.Background())
	if err != nil {
		s.t.Fatal(err)
	}
	return raws
}

// own returns the envelopes of s's own device, in chain order.
func (s *station) own() [][]byte {
	s.t.Helper()
	raws, err := s.r.EnvelopesAfter(context.Background(), s.r.Device(), 0, -1)
	if err != nil {
		s.t.Fatal(err)
	}
	return raws
}

func (s *station) apply(raws ...[]byte) Report {
	s.t.Helper()
	rep, err := s.r.Apply(context.Background(), raws)
	if err != nil {
		s.t.Fatalf("%s applies: %v", s.p.name, err)
	}
	return rep
}

func raws(envs ...*crypto.Envelope) [][]byte {
	out := make([][]byte, len(envs))
	for i, e := range envs {
		out[i] = e.Raw
	}
	return out
}

// exchange hands every station what every other holds, until nothing new
// moves.
func exchange(t testing.TB, ss ...*station) {
	t.Helper()
	for round := 0; round < 8; round++ {
		moved := 0
		for _, dst := range ss {
			for _, src := range ss {
				if src != dst {
					moved += dst.apply(src.everything()...).New
				}
			}
		}
		if moved == 0 {
			return
		}
	}
}

// snapshot is what a workstation made of the log: every record's kind,
// scope and decrypted state, and the ids of the events it applied.
type snapshot struct {
	records map[string]string
	applied map[string]bool
}

func (s *station) snapshot() snapshot {
	s.t.Helper()
	ctx := context.Background()
	out := snapshot{records: map[string]string{}, applied: map[string]bool{}}
	err := s.db.View(ctx, func(tx *store.Tx) error {
		return tx.EachEnvelope(ctx, func(e store.Envelope) error {
			if e.State == store.Applied {
				// By header id and hash: which of two envelopes of one
				// id holds it here and which its alias depends on
				// which came first (store.PutEvent).
				out.applied[store.EventID(e.ID)+" ("+e.Hash[:min(12, len(e.Hash))]+")"] = true
			}
			return nil
		})
	})
	if err != nil {
		s.t.Fatal(err)
	}
	for _, kind := range allKinds() {
		es, err := s.r.Entities(ctx, kind)
		if err != nil {
			s.t.Fatal(err)
		}
		for _, e := range es {
			b, _ := json.Marshal(e.State)
			out.records[e.ID] = fmt.Sprintf("%s/%s %s", e.Kind, e.Scope, b)
		}
	}
	return out
}

func allKinds() []string {
	out := []string{KindKey}
	for _, k := range roles.Kinds() {
		out = append(out, k.Name)
	}
	return out
}

// diff describes how two snapshots differ ("" when they are the same).
func (a snapshot) diff(b snapshot) string {
	var out []string
	for id, v := range a.records {
		if w, ok := b.records[id]; !ok {
			out = append(out, fmt.Sprintf("record %s only in the first: %s", id, v))
		} else if v != w {
			out = append(out, fmt.Sprintf("record %s differs:\n  %s\n  %s", id, v, w))
		}
	}
	for id, v := range b.records {
		if _, ok := a.records[id]; !ok {
			out = append(out, fmt.Sprintf("record %s only in the second: %s", id, v))
		}
	}
	for id := range a.applied {
		if !b.applied[id] {
			out = append(out, "event "+id+" applied only in the first")
		}
	}
	for id := range b.applied {
		if !a.applied[id] {
			out = append(out, "event "+id+" applied only in the second")
		}
	}
	sort.Strings(out)
	if len(out) > 8 {
		out = append(out[:8], fmt.Sprintf("... and %d more", len(out)-8))
	}
	s := ""
	for _, l := range out {
		s += l + "\n"
	}
	return s
}

// state returns an envelope's state on s.
func (s *station) state(id string) (store.EnvelopeState, string) {
	s.t.Helper()
	e, err := s.envelope(id)
	if err != nil {
		return -1, err.Error()
	}
	return e.State, e.Reason
}

// stateOf returns the state of env as s stores it, under its id or its
// alias (a copied id: store.PutEvent), found by its place in its chain.
func (s *station) stateOf(env *crypto.Envelope) (store.EnvelopeState, string) {
	s.t.Helper()
	var e store.Envelope
	err := s.db.View(context.Background(), func(tx *store.Tx) error {
		var err error
		e, err = tx.EnvelopeAt(context.Background(), env.Header.Device, env.Header.Seq)
		return err
	})
	switch {
	case err != nil:
		return -1, err.Error()
	case e.Hash != env.Hash():
		return -1, "another event (" + e.ID + ") holds its place"
	}
	return e.State, e.Reason
}

// envelope returns an envelope as s stores it.
func (s *station) envelope(id string) (store.Envelope, error) {
	var e store.Envelope
	err := s.db.View(context.Background(), func(tx *store.Tx) error {
		var err error
		e, err = tx.Envelope(context.Background(), id)
		return err
	})
	return e, err
}
