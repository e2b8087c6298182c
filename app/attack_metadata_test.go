package app

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
)

// headerFields names every field of an envelope's clear header.
func headerFields(h crypto.Header) map[string]string {
	return map[string]string{
		"id": h.ID, "entity": h.Entity, "kind": h.Kind, "scope": h.Scope, "epoch": strconv.FormatUint(uint64(h.Epoch), 10),
		"author": h.Author, "device": h.Device, "seq": strconv.FormatUint(h.Seq, 10),
		"lamport": strconv.FormatUint(h.Lamport, 10), "prev": h.Prev, "time": strconv.FormatInt(h.Time, 10),
	}
}

// TestAttackPatientIDsOutOfClearHeaders: Attack (issue 13 finding 10): a
// reader of the clinic's packs parses every envelope header, hoping to
// learn which staff member read or wrote which patient's chart, and when.
// A distinctive patient is registered, booked, seen (encounter, note,
// addendum, vitals, problem, allergy, medication, prescription and its
// cancellation), their chart read and a copy handed out. No header field
// on any workstation, and no byte of any envelope or pack, carries the
// patient's MRN, name, birth date or phone; the patient's entity id is in
// the headers of the patient record's own events only (a random id that
// no other event cites in clear). The administrator's audit log still
// names the patient of every read, from the sealed record.
func TestAttackPatientIDsOutOfClearHeaders(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	p, err := c.recep.RegisterPatient(ctx, Patient{Family: "Zyxwvutson", Given: "Quillonia", Birth: "1937-08-19",
		Sex: "female", Phone: "+41 79 555 12 34", Email: "quillonia@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	p.Address = "17 Xylophone Lane"
	if err = updatePatient(ctx, c.recep, p); err != nil {
		t.Fatal(err)
	}
	appt, err := book(ctx, c.recep, Appointment{Patient: p.ID, Physician: c.phys.Fingerprint(), Start: c.clock.Now().Add(time.Hour),
		Minutes: 20, Reason: "Zyxwvutson follow-up"})
	if err != nil {
		t.Fatal(err)
	}
	if err := checkIn(ctx, c.recep, appt); err != nil {
		t.Fatal(err)
	}
	if err := SyncLocal(ctx, c.all()...); err != nil {
		t.Fatal(err)
	}
	phys := c.phys
	enc, err := clin(phys).StartVisit(ctx, appt.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	note, err := clin(phys).WriteNote(ctx, Note{Patient: p.ID, Encounter: enc.ID, Subjective: "Quillonia reports", Assessment: "Well"})
	if err != nil {
		t.Fatal(err)
	}
	steps := []func() error{
		func() error { _, err := clin(phys).AddAddendum(ctx, note.ID, "Seen again"); return err },
		func() error {
			_, err := clin(phys).RecordVitals(ctx, Vitals{Patient: p.ID, Encounter: enc.ID, Systolic: 120, Diastolic: 80})
			return err
		},
		func() error {
			_, err := clin(phys).AddProblem(ctx, Problem{Patient: p.ID, Name: "Hypertension"})
			return err
		},
		func() error {
			_, err := clin(phys).AddAllergy(ctx, Allergy{Patient: p.ID, Substance: "latex", Severity: "mild"})
			return err
		},
		func() error {
			_, err := clin(phys).AddMedication(ctx, Medication{Patient: p.ID, Name: "warfarin 1 mg tablet", Dose: "3 mg daily"})
			return err
		},
		func() error {
			rx, err := clin(phys).Prescribe(ctx, Prescription{Patient: p.ID, Encounter: enc.ID, Items: []RxItem{{
				DrugID: "amoxicillin|500_mg|capsule", Dose: "1", Frequency: "three times daily", Days: 7, Quantity: "21 capsules"}}})
			if err != nil {
				return err
			}
			return clin(phys).CancelPrescription(ctx, rx.ID, "Entered for the wrong day")
		},
		func() error { _, err := clin(phys).OpenChart(ctx, p.ID); return err },
		// What the interop package audits (FHIR export and import, a
		// patient's own copy) goes through the same Audit.
		func() error {
			return phys.Audit(ctx, AuditRecord{Action: "hand-out-copy", Entity: p.ID, Patient: p.MRN, Detail: "own copy"})
		},
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	if _, err := clin(c.phys2).OpenChart(ctx, p.ID); err == nil {
		t.Log("a second physician read the chart too")
	}
	if err := SyncLocal(ctx, c.all()...); err != nil {
		t.Fatal(err)
	}

	// Strings that name the patient; none may be in clear anywhere.
	secrets := []string{p.MRN, strings.ToLower(p.Family), strings.ToLower(p.Given), p.Birth, "555 12 34", "5551234",
		"quillonia@example.org", "xylophone"}
	leaks := func(b []byte) string {
		low := bytes.ToLower(b)
		for _, s := range secrets {
			if bytes.Contains(low, []byte(strings.ToLower(s))) {
				return s
			}
		}
		return ""
	}
	kinds := map[string]int{}
	for _, s := range c.all() {
		r, err := s.Replica()
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		err = r.DB().View(ctx, func(tx *store.Tx) error {
			return tx.EachEnvelope(ctx, func(e store.Envelope) error {
				env, err := crypto.ParseEnvelope(e.Raw)
				if err != nil {
					t.Errorf("%s: envelope %s: %v", s.StaffName(), e.ID, err)
					return nil
				}
				n++
				kinds[env.Header.Kind]++
				for name, v := range headerFields(env.Header) {
					if leak := leaks([]byte(v)); leak != "" {
						t.Errorf("%s: header %s of a %s event carries %q", s.StaffName(), name, env.Header.Kind, leak)
					}
					if strings.Contains(v, p.ID) && !(name == "entity" && env.Header.Kind == records.KindPatient) {
						t.Errorf("%s: header %s of a %s event names the patient's id", s.StaffName(), name, env.Header.Kind)
					}
				}
				if leak := leaks(e.Raw); leak != "" {
					t.Errorf("%s: the bytes of a %s event carry %q", s.StaffName(), env.Header.Kind, leak)
				}
				if env.Header.Kind != records.KindPatient && bytes.Contains(e.Raw, []byte(p.ID)) {
					t.Errorf("%s: the bytes of a %s event carry the patient's id", s.StaffName(), env.Header.Kind)
				}
				return nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Fatalf("%s holds no envelopes", s.StaffName())
		}
	}
	for _, k := range []string{kindAudit, records.KindAppointment, records.KindEncounter, records.KindNote, records.KindAddendum, records.KindVitals, records.KindProblem,
		records.KindAllergy, records.KindMedication, records.KindPrescription, records.KindRxCancel} {
		if kinds[k] == 0 {
			t.Errorf("no %s event was checked", k)
		}
	}

	// What each device puts on IPFS: a pack of its envelopes.
	r, _ := c.admin.Replica()
	heads, err := r.Heads(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range heads {
		raws, err := r.EnvelopesAfter(ctx, h.Device, 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		b, err := replica.Pack{Device: h.Device, From: 1, To: uint64(len(raws)), Envelopes: raws}.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if leak := leaks(b); leak != "" {
			t.Errorf("the pack of device %s carries %q", h.Device[:8], leak)
		}
	}

	// The audit log still says whose chart was read, from the sealed record.
	log, err := c.admin.AuditLog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	reads := map[string]int{}
	for _, e := range log {
		if e.Kind != kindAudit {
			continue
		}
		if !e.Readable {
			t.Errorf("an audit record by %s cannot be opened", e.Name)
		}
		if e.Record.Patient == p.MRN && e.Record.Entity == p.ID {
			reads[e.Name+" "+e.Record.Action]++
		}
	}
	for _, want := range []string{"Dr Paul Physician chart.read", "Dr Paul Physician hand-out-copy", "Dr Petra Second chart.read"} {
		if reads[want] == 0 {
			t.Errorf("the audit log lacks %q for %s; it has %v", want, p.MRN, reads)
		}
	}
}
