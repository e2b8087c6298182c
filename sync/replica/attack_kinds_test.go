package replica

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// wantRefused fails unless every station rejected env with a reason that
// holds want.
func wantRefused(t *testing.T, env *crypto.Envelope, want string, ss ...*station) {
	t.Helper()
	for _, s := range ss {
		st, reason := s.state(env.Header.ID)
		if st != store.Rejected || !strings.Contains(reason, want) {
			t.Errorf("%s: %s event is %v (%q), want rejected for %q", s.p.name, env.Header.Kind, st, reason, want)
		}
	}
}

// TestAttackForeignKindRoleEscalation: Attack (issue 13, finding 1): a
// receptionist's modified software writes events of an ordinary kind whose
// entity id is her own directory entry, with {"role":"physician"}: one in
// the directory scope (her role holds it), one in the front-desk scope
// (her role may write patients there) with the lowest clock, so it would
// win any race. Every honest workstation refuses both, also one that
// receives them before her directory entry, and she stays a receptionist
// whom nobody counts as entitled to the clinical key.
func TestAttackForeignKindRoleEscalation(t *testing.T) {
	c := newClinic(t)
	escalate := fields(t, map[string]any{"role": roles.Physician, "name": "Rita Reception"})
	inDirectory := c.sRecep.forge(forged{Entity: c.recep.fp(), Kind: "patient", Scope: "directory", Fields: escalate})
	// (The lowest clock her chain allows: since session 28 a chain's
	// clocks never go down.)
	inFrontDesk := c.sRecep.forge(forged{Entity: c.recep.fp(), Kind: "patient", Scope: "frontdesk", Fields: escalate, Lamport: c.sRecep.chainFloor()})
	honest := []*station{c.sAdmin, c.sPhys, c.sPh2}
	for _, s := range honest {
		s.apply(c.sRecep.everything()...)
	}
	wantRefused(t, inDirectory, "belongs in the frontdesk scope", honest...)
	wantRefused(t, inFrontDesk, "reserved for member records", honest...)

	// A workstation that hears of her forgeries before her directory entry.
	late := join(t, newPerson(t, "Lou Late", roles.Physician), c.id, c.admin.fp())
	late.holdKeys(c.sAdmin, roles.Directory)
	late.apply(raws(inDirectory, inFrontDesk)...)
	late.apply(c.sRecep.everything()...)
	late.apply(c.sAdmin.everything()...)
	wantRefused(t, inFrontDesk, "reserved for member records", late)
	for _, s := range append(honest, late) {
		m, ok := s.r.Member(c.recep.fp())
		if !ok || m.Role != roles.Receptionist {
			t.Errorf("%s: the receptionist's directory entry is %+v, %v; want her a receptionist", s.p.name, m, ok)
		}
	}
	// Her forgery on a colleague's entry, heard by workstations before the
	// colleague's entry (one keeps front-desk records sealed, one opens
	// them): refused before the entry arrives too, by its id's shape alone
	// (a fingerprint is only a member's id, session 17; it was applied at
	// first and gave way once the entry arrived).
	// (Fields a patient has: the escalation's own are refused by the
	// fields rule wherever they are opened, before any binding is judged.)
	onColleague := c.sRecep.forge(forged{Entity: c.phys.fp(), Kind: "patient", Scope: "frontdesk",
		Fields: fields(t, map[string]any{"family": "Reception"}), Lamport: c.sRecep.chainFloor()})
	adminLog := c.sAdmin.everything()
	cut := -1
	for i, raw := range adminLog {
		env, _ := crypto.ParseEnvelope(raw)
		if env.Header.Kind == KindMember && env.Header.Entity == c.phys.fp() {
			cut = i
		}
	}
	sealedHere := open(t, newPerson(t, "Sam Sealed", roles.Receptionist), c.id)
	sealedHere.holdKeys(c.sAdmin, roles.Directory)
	openHere := open(t, newPerson(t, "Otto Open", roles.Receptionist), c.id)
	openHere.holdKeys(c.sRecep, roles.Directory, roles.FrontDesk)
	for _, s := range []*station{sealedHere, openHere} {
		s.apply(adminLog[:cut]...)
		s.apply(c.sRecep.own()...)
		wantRefused(t, onColleague, "reserved for member records", s)
		s.apply(adminLog[cut:]...)
		wantRefused(t, onColleague, "reserved for member records", s)
		if m, ok := s.r.Member(c.phys.fp()); !ok || m.Role != roles.Physician {
			t.Errorf("%s: the physician's directory entry is %+v, %v", s.p.name, m, ok)
		}
	}
	if _, _, err := openHere.r.Entity(context.Background(), c.phys.fp()); err != nil {
		t.Errorf("the physician's entry was not rebuilt: %v", err)
	}

	// Nobody's software may append such an event either.
	_, err := c.sAdmin.r.Append(context.Background(), Change{Entity: c.recep.fp(), Kind: "patient", Scope: roles.Directory, Fields: escalate})
	if !errors.Is(err, ErrForbidden) {
		t.Errorf("appending a patient event in the directory scope: %v, want ErrForbidden", err)
	}
}

// TestAttackForeignKindAllergy: Attack (issue 13, finding 1): a physician
// records an allergy; a receptionist, who cannot read clinical records,
// writes a front-desk "patient" event with the allergy's id and
// {"status":"entered-in-error"}, with the lowest clock, and a directory one.
// On the other physician's workstation the allergy is untouched, on the
// administrator's (which keeps clinical records sealed) the record stays
// bound to its kind, and a workstation that receives the forgery first
// ends the same.
func TestAttackForeignKindAllergy(t *testing.T) {
	c := newClinic(t)
	allergy := c.sPhys.append(Change{Entity: crypto.NewEventID(), Kind: "allergy", Scope: roles.Clinical,
		Fields: fields(t, map[string]any{"substance": "penicillin", "status": "active"})})
	exchange(t, c.stations()...)
	id := allergy.Header.Entity
	erase := fields(t, map[string]any{"status": "entered-in-error"})
	viaFrontDesk := c.sRecep.forge(forged{Entity: id, Kind: "patient", Scope: "frontdesk", Fields: erase, Lamport: c.sRecep.chainFloor()})
	viaDirectory := c.sRecep.forge(forged{Entity: id, Kind: "allergy", Scope: "directory", Fields: erase})
	honest := []*station{c.sAdmin, c.sPhys, c.sPh2}
	for _, s := range honest {
		s.apply(c.sRecep.everything()...)
	}
	wantRefused(t, viaFrontDesk, "is a allergy record in the clinical scope", honest...)
	wantRefused(t, viaDirectory, "belongs in the clinical scope", honest...)

	first := open(t, newPerson(t, "Pia Physician", roles.Physician), c.id)
	first.holdKeys(c.sPh2, roles.Directory, roles.FrontDesk, roles.Clinical)
	first.apply(c.sRecep.everything()...)
	first.apply(c.sAdmin.everything()...)
	first.apply(c.sPhys.everything()...)
	// Refused for the binding, or, when judged before the allergy came,
	// for the fields rule: a patient has no status.
	if st, reason := first.state(viaFrontDesk.Header.ID); st != store.Rejected ||
		!strings.Contains(reason, "is a allergy record") && !strings.Contains(reason, `no field "status"`) {
		t.Errorf("%s: the forgery is %v (%s), want it refused", first.p.name, st, reason)
	}
	for _, s := range []*station{c.sPh2, first} {
		kind, st, err := s.r.Entity(context.Background(), id)
		if err != nil || kind != "allergy" || st.String("status") != "active" {
			t.Errorf("%s: the allergy is %s %v, %v; want it active", s.p.name, kind, st.String("status"), err)
		}
	}
}

// TestAttackUnknownKind: Attack (issue 13, finding 1): a member writes a
// kind the clinic does not know; every workstation refuses it, and no
// workstation's software appends one.
func TestAttackUnknownKind(t *testing.T) {
	c := newClinic(t)
	bogus := c.sPhys.forge(forged{Entity: crypto.NewEventID(), Kind: "superuser", Scope: "clinical", Fields: fields(t, map[string]any{"x": 1})})
	c.sPh2.apply(c.sPhys.everything()...)
	wantRefused(t, bogus, "no kind of record", c.sPh2)
	for _, err := range []error{
		c.sPhys.r.Batch().Append(Change{Entity: "x1", Kind: "superuser", Scope: roles.Clinical}).err,
		c.sPhys.r.Batch().Raw("superuser", "audit", "x1", []byte("x")).err,
		c.sPhys.r.Batch().Append(Change{Entity: "x1", Kind: "note", Scope: roles.FrontDesk}).err,
	} {
		if !errors.Is(err, ErrForbidden) {
			t.Errorf("appending an unknown kind or a kind in another scope: %v, want ErrForbidden", err)
		}
	}
	// A receptionist's software may not write clinical kinds, even in a
	// scope she holds a key of, nor acknowledge keys for someone else.
	for _, f := range []forged{
		{Entity: crypto.NewEventID(), Kind: "note", Scope: "frontdesk", Fields: fields(t, map[string]any{"x": 1})},
		{Entity: HeldEntity(c.phys.fp()), Kind: KindKeyHeld, Scope: "directory", Fields: fields(t, map[string]any{"clinical/1": true})},
	} {
		env := c.sRecep.forge(f)
		c.sPh2.apply(c.sRecep.everything()...)
		st, reason := c.sPh2.state(env.Header.ID)
		if st != store.Rejected {
			t.Errorf("%s in %s on %s: %v (%s), want rejected", f.Kind, f.Scope, f.Entity, st, reason)
		}
	}
}
