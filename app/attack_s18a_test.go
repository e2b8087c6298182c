package app

// Session 18 review h-sec18a: the event aliases (h-id17) as the audit
// names them.

import (
	"context"
	"testing"

	"github.com/medihaven/medihaven/crypto"
)

// TestAttackS18aAuditNamesByArrival: an outsider (no entry, a key of his
// own, a device of his own) copies the id of Paul's note into an event of
// his. Ben's workstation hears the copy first, Ada's the note first. Both
// keep both (store.PutEvent), but the audit named each event by its row
// id, so the two administrators' audit logs and exports (FHIR AuditEvent
// ids, CSV) named Paul's note differently, and the plain id named Paul's
// note in one and the outsider's event in the other.
func TestAttackS18aAuditNamesByArrival(t *testing.T) {
	ctx := context.Background()
	c, admin2 := raceClinic(t)
	p, err := c.recep.RegisterPatient(ctx, Patient{Family: "Alias", Given: "Anna", Birth: "1980-05-06"})
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, append(c.all(), admin2)...)
	genuine := note(t, c.phys, p.ID, "the genuine note")
	otto, err := crypto.GenerateIdentity("Otto Outsider")
	if err != nil {
		t.Fatal(err)
	}
	h := crypto.Header{ID: genuine.Header.ID, Entity: "x" + crypto.NewEventID(), Kind: "licence", Scope: "directory",
		Author: otto.Fingerprint(), Device: crypto.NewEventID(), Seq: 1, Lamport: 1, Time: genuine.Header.Time}
	copied, err := crypto.SealRaw(h, []byte(`{"copied":true}`), otto)
	if err != nil {
		t.Fatal(err)
	}
	applyRaw := func(s *Session) {
		if _, err := rep(t, s).Apply(ctx, [][]byte{copied.Raw}); err != nil {
			t.Fatal(err)
		}
	}
	applyRaw(admin2)
	deliver(t, c.phys, c.admin, admin2)
	applyRaw(c.admin)
	names := func(s *Session) (note, copy string) {
		log, err := s.AuditLog(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range log {
			switch e.Device {
			case genuine.Header.Device:
				if e.Time.UnixMilli() == genuine.Header.Time && e.Kind == genuine.Header.Kind {
					note = e.Event
				}
			case h.Device:
				copy = e.Event
			}
		}
		return note, copy
	}
	adaNote, adaCopy := names(c.admin)
	benNote, benCopy := names(admin2)
	t.Logf("Ada (note first) names the note %s, the copy %s; Ben (copy first) names the note %s, the copy %s", adaNote, adaCopy, benNote, benCopy)
	if adaNote == "" || adaCopy == "" || benNote == "" || benCopy == "" {
		t.Fatal("an event is missing from an audit log")
	}
	if adaNote != benNote || adaCopy != benCopy {
		t.Fatalf("two workstations holding the same events name them differently in the audit: the note %s and %s, the copy %s and %s",
			adaNote, benNote, adaCopy, benCopy)
	}
	if adaNote == adaCopy {
		t.Fatalf("the note and the copy are both named %s", adaNote)
	}
}
