package app

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
)

// Audit records are events of kind "audit" whose payload is encrypted to
// the clinic's audit key (see createAuditKey): any member can write one,
// only administrators can read them. Every change is itself a signed event,
// so the log of changes is the event log; reads are recorded explicitly.
const (
	kindAudit  = "audit"
	scopeAudit = "audit"
)

// AuditRecord is what one audit event says. It travels only inside the
// audit event's sealed payload; the event's clear header names a random
// entity of its own.
type AuditRecord struct {
	Action  string `json:"action"`            // e.g. "chart.read"
	Entity  string `json:"entity"`            // the record concerned
	Patient string `json:"patient,omitempty"` // MRN, when a patient is concerned
	Detail  string `json:"detail,omitempty"`
}

// AuditEntry is one line of the audit log as an administrator reads it.
type AuditEntry struct {
	Time     time.Time
	Author   string // fingerprint
	Name     string // author's name from the directory
	Device   string
	Event    string
	Kind     string // event kind: "audit" for reads, else the kind of record changed
	Record   AuditRecord
	Readable bool // false when the record could not be opened
}

func (s *Session) auditKey(r *replica.Replica) (*crypto.PublicKey, error) {
	kind, st, err := r.Entity(context.Background(), entityClinic)
	if err != nil || kind != records.KindClinic {
		return nil, fmt.Errorf("app: the clinic's audit key has not arrived on this workstation yet")
	}
	return crypto.ParsePublicKey(records.ClinicFromState(st).AuditPub)
}

// auditEvent returns a batch step that records rec, encrypted to the audit key.
func (s *Session) auditEvent(r *replica.Replica, b *replica.Batch, rec AuditRecord) error {
	pub, err := s.auditKey(r)
	if err != nil {
		return err
	}
	plain, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	msg, err := pub.Encrypt(plain, r.Identity())
	if err != nil {
		return fmt.Errorf("app: seal audit record: %w", err)
	}
	// A fresh entity id per record: the header is in clear for anyone who
	// reads packs, so it must not say which patient or record was read.
	// The link to rec.Entity stays inside the sealed record.
	b.Raw(kindAudit, scopeAudit, crypto.NewEventID(), msg)
	return nil
}

// Audit writes one audit record on its own.
func (s *Session) Audit(ctx context.Context, rec AuditRecord) error {
	r, err := s.live()
	if err != nil {
		return err
	}
	b := r.Batch()
	if err := s.auditEvent(r, b, rec); err != nil {
		return err
	}
	_, err = b.Commit(ctx)
	return err
}

// AuditLog returns every audit record and every change, newest first.
func (s *Session) AuditLog(ctx context.Context) ([]AuditEntry, error) {
	r, err := s.can(roles.ReadAudit)
	if err != nil {
		return nil, err
	}
	kind, st, err := r.Entity(ctx, entityAuditKey)
	if err != nil || kind != records.KindAuditKey {
		return nil, fmt.Errorf("app: the audit key has not arrived on this workstation yet")
	}
	key := records.AuditKeyFromState(st)
	auditID, err := crypto.UnlockIdentity(key.Locked, []byte(key.Pass))
	if err != nil {
		return nil, fmt.Errorf("app: open the audit key: %w", err)
	}
	defer auditID.Clear()
	var out []AuditEntry
	var hashes []string
	copies := map[string]int{} // header id -> envelopes stored with it
	err = r.DB().View(ctx, func(tx *store.Tx) error {
		return tx.EachEnvelope(ctx, func(e store.Envelope) error {
			copies[store.EventID(e.ID)]++
			// A witness of others' chains (replica's witness.go) is the
			// workstation's own sync bookkeeping, written every ten
			// minutes: nobody's act, it would only split the log.
			if e.Kind == replica.KindKey || e.Kind == replica.KindWitness || e.State == store.Rejected {
				return nil
			}
			hashes = append(hashes, e.Hash)
			a := AuditEntry{Time: time.UnixMilli(e.Time), Author: e.Author, Device: e.Device, Event: e.ID, Kind: e.Kind,
				Record: AuditRecord{Action: "change." + e.Kind, Entity: e.Entity}, Readable: true}
			if m, ok := r.Member(e.Author); ok {
				a.Name = m.Name
			}
			if e.Kind == kindAudit {
				// The header's entity is random (see auditEvent): what
				// was read is known only from the sealed record.
				a.Readable, a.Record = false, AuditRecord{Action: kindAudit}
				env, err := crypto.ParseEnvelope(e.Raw)
				pub, ok := r.PublicKey(e.Author)
				if err == nil && ok {
					if plain, err := auditID.Decrypt(env.Ciphertext, pub); err == nil && json.Unmarshal(plain, &a.Record) == nil {
						a.Readable, a.Record = true, a.Record.shown()
					}
				}
			}
			out = append(out, a)
			return nil
		})
	})
	// An id another envelope copied (store.PutEvent) names none of them:
	// each is named by its alias, whichever came first, so workstations
	// that hold the same events name them alike (h-sec18a).
	for i := range out {
		if id := store.EventID(out[i].Event); copies[id] > 1 {
			out[i].Event = store.AliasID(id, hashes[i])
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.After(out[j].Time) })
	return out, err
}

// maxAuditText bounds each text of an audit record as the log shows it.
const maxAuditText = 300

// shown is the record as a screen, an export or a search may show it.
// Its texts are the writer's own words (her software chose them, and
// modified software may choose anything): each is cut to maxAuditText
// runes and has its hidden runes written out (roles.VisibleName), so no
// entry can reorder or hide the text around it in the log.
func (rec AuditRecord) shown() AuditRecord {
	for _, f := range []*string{&rec.Action, &rec.Entity, &rec.Patient, &rec.Detail} {
		if r := []rune(*f); len(r) > maxAuditText {
			*f = string(r[:maxAuditText]) + "…"
		}
		*f = roles.VisibleName(*f)
	}
	return rec
}

// kindWords names the kinds of record a write seals as a clinic manager
// reading the audit log would: the log showed "changed a heads-seen
// record". "Saved", for the header does not say whether the record is new.
var kindWords = map[string]string{
	"addendum": "addendum to a note", "allergy": "allergy", "appointment": "appointment", "audit": "audit record",
	"audit-key": "audit key", "availability": "working hours and days off", "clinic": "clinic details",
	"confirms": "colleagues confirming each other", "desk-settings": "front-desk settings",
	"device-move": "workstation moved", "encounter": "visit", "enroll": "workstation joining",
	"fork-seen": "conflicting histories seen", "grant": "key handed to a colleague",
	"heads-seen": "sync check between workstations", "immunization": "immunization", "key": "clinic key",
	"key-held": "key received", "licence": "licence", "medication": "medication", "member": "staff member",
	"note": "note", "patient": "patient", "prescription": "prescription", "problem": "problem",
	"procedure": "procedure", "recovery": "key recovery set-up", "recovery-release": "recovery share released",
	"report": "report", "result": "result", "rx-cancel": "prescription cancelled", "security": "security settings",
	"token": "registration token", "vitals": "vital signs",
}

// KindWords names a kind of record in plain words ("prescription", "sync
// check between workstations"); a kind it does not know, by its name.
func KindWords(kind string) string {
	if w, ok := kindWords[kind]; ok {
		return w
	}
	return kind
}

// Describe says in plain words what an audit entry records.
func (e AuditEntry) Describe() string {
	if !e.Readable {
		return "audit record that cannot be opened on this workstation"
	}
	switch a := e.Record.Action; {
	case a == "chart.read":
		return "opened a chart"
	case strings.HasPrefix(a, "change."):
		return "saved a record: " + KindWords(strings.TrimPrefix(a, "change."))
	default:
		if e.Record.Detail != "" {
			return e.Record.Detail
		}
		return a
	}
}

// auditEventFHIR maps one audit entry to a FHIR R4 AuditEvent (the audit
// export and the clinic's FHIR export share it).
func (s *Session) auditEventFHIR(e AuditEntry) fhir.AuditEvent {
	system := "http://terminology.hl7.org/CodeSystem/audit-event-type"
	action, code, display := fhir.AuditEventActionR, "rest", "RESTful Operation"
	if e.Kind != kindAudit {
		action = fhir.AuditEventActionU
	}
	ev := fhir.AuditEvent{
		Id:       str(e.Event),
		Type:     fhir.Coding{System: &system, Code: &code, Display: &display},
		Subtype:  []fhir.Coding{{System: str("urn:medihaven:action"), Code: str(e.Record.Action), Display: str(e.Describe())}},
		Action:   &action,
		Recorded: e.Time.UTC().Format(time.RFC3339Nano),
		Agent: []fhir.AuditEventAgent{{
			Who: &fhir.Reference{
				Identifier: &fhir.Identifier{System: str("urn:medihaven:staff-key"), Value: str(e.Author)},
				Display:    str(e.Name)},
			Requestor: true,
		}},
		Source: fhir.AuditEventSource{Site: str(s.prof.Clinic), Observer: fhir.Reference{
			Identifier: &fhir.Identifier{System: str("urn:medihaven:workstation"), Value: str(e.Device)}}},
	}
	if e.Record.Entity != "" {
		ev.Entity = append(ev.Entity, fhir.AuditEventEntity{What: &fhir.Reference{
			Identifier: &fhir.Identifier{System: str("urn:medihaven:record"), Value: str(e.Record.Entity)}}})
	}
	if e.Record.Patient != "" {
		ev.Entity = append(ev.Entity, fhir.AuditEventEntity{What: &fhir.Reference{Type: str("Patient"),
			Identifier: &fhir.Identifier{System: str("urn:medihaven:mrn"), Value: str(e.Record.Patient)}}})
	}
	return ev
}
