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

// moveOnto reopens s's store on a new device id bound to its member's key
// and writes the move from its old (random) one, as the app does at open
// (app/move.go): the same workstation, writing in its new chain. It
// returns the moved station and the old chain's envelopes.
func (s *station) moveOnto() (*station, [][]byte) {
	s.t.Helper()
	return s.moveFrom(s.r.Device()), s.own()
}

// moveFrom is moveOnto from device from, whosever it is.
func (s *station) moveFrom(from string) *station {
	s.t.Helper()
	ctx := context.Background()
	p := s.r.p
	p.Device = s.p.bound()
	r, err := Open(ctx, p)
	if err != nil {
		s.t.Fatal(err)
	}
	if _, err := r.MoveFrom(ctx, from); err != nil {
		s.t.Fatalf("%s moves: %v", s.p.name, err)
	}
	return &station{t: s.t, p: s.p, r: r, db: s.db, movedFrom: from}
}

// movedAmong moves s onto a bound id (moveOnto) and puts the moved
// station in its place among all.
func movedAmong(s *station, all []*station) (*station, []*station) {
	moved, _ := s.moveOnto()
	out := make([]*station, 0, len(all))
	for _, o := range all {
		if o == s {
			o = moved
		}
		out = append(out, o)
	}
	return moved, out
}

// movedNewcomer is Nina, a physician admitted on a random (legacy) device
// her entry names, known to every workstation of c, then moved onto a
// bound id. It returns her moved station and her old station (the same
// store, opened on the old id: a copy of her profile left behind).
func movedNewcomer(t *testing.T, c *clinic) (moved, old *station, oldChain [][]byte) {
	t.Helper()
	nina := c.newcomer(t, "Nina Newcomer")
	c.sAdmin.apply(nina.own()...)
	c.sAdmin.entry(nina.p, crypto.NewEventID(), nina.r.Device())
	exchange(t, append(c.stations(), nina)...)
	moved, oldChain = nina.moveOnto()
	return moved, nina, oldChain
}

// TestMoveKeepsWriting: Nina's workstation, on a random id her entry
// names, moves onto an id bound to her key and keeps writing there.
// Every workstation keeps her new chain and her patient, whether it hears
// of the move before, with or after the events that follow it, and a
// newcomer that never hears of her old chain (its key event included)
// keeps it too: the move carries her key, and her entry names the old id.
func TestMoveKeepsWriting(t *testing.T) {
	for _, tc := range []struct {
		name    string
		deliver func(s *station, move, after [][]byte)
	}{
		{name: "the move, then her work", deliver: func(s *station, move, after [][]byte) {
			s.apply(move...)
			s.apply(after...)
		}},
		{name: "her work, then the move, then her work again", deliver: func(s *station, move, after [][]byte) {
			s.apply(after...)
			s.apply(move...)
			s.apply(after...)
		}},
		{name: "both at once", deliver: func(s *station, move, after [][]byte) {
			s.apply(append(append([][]byte{}, move...), after...)...)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClinic(t)
			nina, _, oldChain := movedNewcomer(t, c)
			device := nina.r.Device()
			move := nina.own()
			work := nina.patient("Nina's patient after her move")
			after := nina.own()[1:]
			late := open(t, newPerson(t, "Olga Observer", roles.Physician), c.id)
			late.holdKeys(c.sPhys, roles.Directory, roles.FrontDesk, roles.Clinical)
			late.apply(without(t, c.sPhys.everything(), oldChain)...)
			for _, s := range []*station{c.sPhys, c.sAdmin, late} {
				tc.deliver(s, move, after)
				// Ada holds no front-desk key: sealed, as any patient.
				if st, why := s.state(work.Header.ID); st != store.Applied && (s != c.sAdmin || st != store.Sealed) {
					t.Errorf("on %s's workstation Nina's patient after her move is %v (%s)", s.p.name, st, why)
				}
				if owner := s.deviceOwner(device); owner != nina.p.fp() {
					t.Errorf("on %s's workstation Nina's new workstation belongs to %q", s.p.name, short(owner))
				}
			}
			if _, known := late.r.PublicKey(nina.p.fp()); !known {
				t.Errorf("the newcomer that never heard of Nina's old chain does not know her key")
			}
			late.apply(c.sPhys.everything()...)
			if d := c.sPhys.snapshot().diff(late.snapshot()); d != "" {
				t.Errorf("Paul's workstation and the newcomer's disagree:\n%s", d)
			}
		})
	}
}

// without is all but the envelopes of leave.
func without(t *testing.T, all, leave [][]byte) [][]byte {
	t.Helper()
	left := map[string]bool{}
	for _, raw := range leave {
		left[string(raw)] = true
	}
	var out [][]byte
	for _, raw := range all {
		if !left[string(raw)] {
			out = append(out, raw)
		}
	}
	return out
}

// TestMoveSquatRefused: after Nina moved, other members try her new
// chain: Ada, an administrator, names it in her own entry and signs its
// first event before Nina's move is heard of, or an event on top of it;
// Oscar, a member whose entry names his own workstation, writes a move of
// his own from Nina's old id onto his bound id (his entry does not name
// it: his new chain is named by nothing). Every workstation, in either
// order, keeps Nina's chain and her patient and refuses the rest.
func TestMoveSquatRefused(t *testing.T) {
	for _, tc := range []struct {
		name       string
		squatFirst bool
	}{
		{name: "squats heard first", squatFirst: true},
		{name: "squats heard last"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClinic(t)
			nina, old, _ := movedNewcomer(t, c)
			device := nina.r.Device()
			work := nina.patient("Nina's patient")
			oscar := c.newcomer(t, "Oscar Other")
			c.sAdmin.apply(oscar.own()...)
			c.sAdmin.entry(oscar.p, crypto.NewEventID(), oscar.r.Device())
			c.sAdmin.forge(forged{Entity: c.admin.fp(), Kind: KindMember, Scope: string(roles.Directory),
				Fields: fields(t, map[string]any{"devices": []string{c.sAdmin.r.Device(), device}})})
			pub, _ := json.Marshal(map[string]string{"pub": base64.StdEncoding.EncodeToString(c.admin.id.Public().Bytes())})
			first := c.sAdmin.forge(forged{Device: device, Seq: 1, Entity: c.admin.fp(), Kind: KindKey, Scope: ScopePublic, Raw: pub})
			own := nina.own()
			last, _ := crypto.ParseEnvelope(own[len(own)-1])
			onTop := c.sAdmin.forge(forged{Device: device, Seq: last.Header.Seq + 1, Prev: last.Hash(), Entity: crypto.NewEventID(),
				Kind: "patient", Scope: string(roles.FrontDesk), Fields: fields(t, map[string]any{"family": "Ada's"})})
			exchange(t, oscar, c.sAdmin)
			oscarMoved := oscar.moveFrom(old.r.Device())
			oscarWork := oscarMoved.patient("Oscar's patient on a chain moved from Nina's")
			squats := append(raws(first, onTop), oscarMoved.own()...)
			late := open(t, newPerson(t, "Olga Observer", roles.Physician), c.id)
			late.holdKeys(c.sPhys, roles.Directory, roles.FrontDesk, roles.Clinical)
			for _, s := range []*station{c.sPhys, late} {
				if tc.squatFirst {
					s.apply(squats...)
				}
				s.apply(c.sAdmin.everything()...)
				s.apply(nina.everything()...)
				s.apply(squats...)
				for _, env := range []*crypto.Envelope{first, onTop, oscarWork} {
					if st, why := s.state(env.Header.ID); st == store.Applied {
						t.Errorf("on %s's workstation %s's %s event is applied (%s)", s.p.name, short(env.Header.Author), env.Header.Kind, why)
					}
				}
				if st, why := s.state(work.Header.ID); st != store.Applied {
					t.Errorf("on %s's workstation Nina's patient is %v (%s)", s.p.name, st, why)
				}
				if owner := s.deviceOwner(device); owner != nina.p.fp() {
					t.Errorf("on %s's workstation Nina's new workstation belongs to %q", s.p.name, short(owner))
				}
			}
			if d := c.sPhys.snapshot().diff(late.snapshot()); d != "" {
				t.Errorf("the two orders disagree:\n%s", d)
			}
		})
	}
}

// TestMoveKeepsTheOldChain: a copy of Nina's profile left on her old id
// (or her own software) writes there after her move: every workstation
// keeps it, as what she wrote there before, whether it heard of the move
// first or last (a move renames the workstation; it closes nothing: until
// session 19 it refused her events past its head, which her word sets:
// h-sec18d F2, h-sec19a). A second move of hers from the same old id onto
// another bound id names its chain too (until h-sec19c only the first by
// clock did, and a backdated second one dropped the first's chain): its
// events are kept, whichever move is heard first.
func TestMoveKeepsTheOldChain(t *testing.T) {
	for _, tc := range []struct {
		name      string
		moveFirst bool
	}{
		{name: "the move heard first", moveFirst: true},
		{name: "the move heard last"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClinic(t)
			before := c.newcomer(t, "Nina Newcomer")
			c.sAdmin.apply(before.own()...)
			c.sAdmin.entry(before.p, crypto.NewEventID(), before.r.Device())
			exchange(t, append(c.stations(), before)...)
			kept := before.patient("Nina's patient before her move")
			nina, _ := before.moveOnto()
			work := nina.patient("Nina's patient after her move")
			stale := before.patient("written on her old id after her move")
			second, _ := before.moveOnto()
			secondWork := second.patient("on a second chain moved from her old id")
			moves := append(nina.own(), second.own()...)
			old := before.own()
			s := c.sPhys
			late := c.observer(t)
			for _, s := range []*station{s, late} {
				if tc.moveFirst {
					s.apply(moves...)
					s.apply(old...)
				} else {
					s.apply(old...)
					s.apply(moves...)
				}
				s.apply(moves...)
				for _, tt := range []struct {
					what string
					env  *crypto.Envelope
					want store.EnvelopeState
				}{
					{"her patient before the move", kept, store.Applied},
					{"her patient after the move", work, store.Applied},
					{"her old id's event after the move", stale, store.Applied},
					{"her second chain's patient", secondWork, store.Applied}, // each move names its chain (h-sec19c)
				} {
					st, why := s.state(tt.env.Header.ID)
					if tt.want >= 0 && st != tt.want || tt.want < 0 && st == store.Applied {
						t.Errorf("on %s's workstation %s is %v (%s)", s.p.name, tt.what, st, why)
					}
				}
			}
			if d := s.snapshot().diff(late.snapshot()); d != "" {
				t.Errorf("the two orders disagree:\n%s", d)
			}
		})
	}
}

// TestMoveMalformed: what a move says is checked by the kind rule on every
// workstation: one that is not a device's first event, onto an id not
// bound to its author, from another's bound id (or its own device), with
// no head or another's key.
func TestMoveMalformed(t *testing.T) {
	nina := newPerson(t, "Nina", roles.Physician)
	other := newPerson(t, "Oscar", roles.Physician)
	x := crypto.NewEventID()
	pub := func(p *person) string { return base64.StdEncoding.EncodeToString(p.id.Public().Bytes()) }
	good := crypto.Header{Entity: MovedEntity(x), Kind: KindMove, Scope: ScopePublic, Author: nina.fp(), Device: nina.bound(), Seq: 1}
	body := `{"head":3,"pub":"` + pub(nina) + `"}`
	for _, tc := range []struct {
		name    string
		edit    func(h *crypto.Header)
		payload string
		why     string
	}{
		{name: "good", payload: body},
		{name: "not the first event", edit: func(h *crypto.Header) { h.Seq = 2 }, payload: body, why: "first event"},
		{name: "onto a random id", edit: func(h *crypto.Header) { h.Device = crypto.NewEventID() }, payload: body, why: "bound"},
		{name: "onto another's bound id", edit: func(h *crypto.Header) { h.Device = other.bound() }, payload: body, why: "bound"},
		// Since session 22 a restored workstation moves from its bound id
		// onto another of its member's key (h-restore22), never another's.
		{name: "from another's bound id", edit: func(h *crypto.Header) { h.Entity = MovedEntity(other.bound()) }, payload: body, why: "its own member's key"},
		{name: "from its own device", edit: func(h *crypto.Header) { h.Entity = MovedEntity(h.Device) }, payload: body, why: "its own member's key"},
		{name: "from a bound id of hers", edit: func(h *crypto.Header) { h.Entity = MovedEntity(nina.bound()); x = movedFrom(h.Entity) }, payload: body},
		{name: "from no id", edit: func(h *crypto.Header) { h.Entity = "moved:" }, payload: body, why: "32 hex digits"},
		{name: "another scope", edit: func(h *crypto.Header) { h.Scope = string(roles.Directory) }, payload: body, why: "scope"},
		{name: "no head", payload: `{"pub":"` + pub(nina) + `"}`, why: "at least"},
		{name: "another's key", payload: `{"head":3,"pub":"` + pub(other) + `"}`, why: "not its author's"},
		{name: "more fields", payload: `{"head":3,"pub":"` + pub(nina) + `","devices":["x"]}`, why: "payload"},
		{name: "trailing bytes", payload: body + `{}`, why: "payload"},
		{name: "too long", payload: `{"head":3,"pub":"` + strings.Repeat("A", maxMoveBody) + `"}`, why: "too long"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := good
			if tc.edit != nil {
				tc.edit(&h)
			}
			m, err := parseMove(h, []byte(tc.payload))
			switch {
			case tc.why == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.why == "" && (m.from != x || m.head != 3 || m.pub.Fingerprint() != nina.fp()):
				t.Fatalf("read %+v", m)
			case tc.why != "" && (err == nil || !strings.Contains(err.Error(), tc.why)):
				t.Fatalf("got %v, want an error saying %q", err, tc.why)
			}
		})
	}
}

// FuzzParseMove: a move's header and payload come from outside bytes; the
// parser never panics and accepts only a move onto its author's bound id
// carrying its author's key.
func FuzzParseMove(f *testing.F) {
	id, err := crypto.GenerateIdentity("Nina")
	if err != nil {
		f.Fatal(err)
	}
	fp := id.Fingerprint()
	device := crypto.NewDeviceID(fp)
	pub := base64.StdEncoding.EncodeToString(id.Public().Bytes())
	f.Add(MovedEntity(crypto.NewEventID()), device, uint64(1), []byte(`{"head":3,"pub":"`+pub+`"}`))
	f.Add("moved:", crypto.NewEventID(), uint64(2), []byte(`{"head":0}`))
	f.Fuzz(func(t *testing.T, entity, device string, seq uint64, payload []byte) {
		h := crypto.Header{Entity: entity, Kind: KindMove, Scope: ScopePublic, Author: fp, Device: device, Seq: seq}
		m, err := parseMove(h, payload)
		if err != nil {
			return
		}
		if seq != 1 || !crypto.DeviceBoundTo(device, fp) || m.pub.Fingerprint() != fp || m.head == 0 || crypto.IsBoundDeviceID(m.from) {
			t.Fatalf("accepted %+v on %s seq %d", m, device, seq)
		}
	})
}

// TestMoveLeavesACopyBehindUnwritable: a copy of Nina's profile on her
// old id (the computer a backup was restored on, before her move) learns
// of her move as it catches up: its writes in the old chain, which every
// workstation would refuse, fail with ErrMovedAway, and so they do once
// it is opened again.
func TestMoveLeavesACopyBehindUnwritable(t *testing.T) {
	c := newClinic(t)
	nina, old, _ := movedNewcomer(t, c)
	cp := openOn(t, nina.p, c.id, old.r.Device(), c.admin.fp())
	cp.holdKeys(c.sPhys, roles.Directory, roles.FrontDesk)
	cp.apply(c.sAdmin.everything()...)
	cp.apply(old.own()...)
	if _, err := cp.r.Append(context.Background(), Change{Entity: crypto.NewEventID(), Kind: "patient", Scope: roles.FrontDesk,
		Fields: fields(t, map[string]any{"family": "before she hears of the move"})}); err != nil {
		t.Fatalf("the copy writes before it hears of the move: %v", err)
	}
	cp.apply(nina.own()...)
	ch := Change{Entity: crypto.NewEventID(), Kind: "patient", Scope: roles.FrontDesk, Fields: fields(t, map[string]any{"family": "after"})}
	if _, err := cp.r.Append(context.Background(), ch); !errors.Is(err, ErrMovedAway) {
		t.Errorf("the copy writes in the chain its profile moved away from: %v", err)
	}
	again, err := Open(context.Background(), cp.r.p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := again.Append(context.Background(), ch); !errors.Is(err, ErrMovedAway) {
		t.Errorf("the copy, opened again, writes in the chain its profile moved away from: %v", err)
	}
}
