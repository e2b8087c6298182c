package app

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"
	_ "time/tzdata" // the clinic's time zone must resolve on workstations without a zone database

	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
)

// What the front desk (app/frontdesk) needs of the core beyond Core's
// reads and writes: the clinic's time zone and settings entity, the
// physician check, the tidy form of a patient, and a record's history as
// its events wrote it.

// DeskSettingsEntity is the entity of the front desk's settings (the
// clinic's time zone), of the front-desk scope.
const DeskSettingsEntity = "desk-settings:clinic"

// Appointment is a booking of a patient with a physician (front-desk
// scope); the front desk (app/frontdesk) books them. Kept here for the
// physician's screens, which read their calendar through it.
type Appointment = records.Appointment

// Appointment statuses, as app/frontdesk names them; kept here for the
// physician's screens until they import app/frontdesk.
const (
	StatusBooked    = records.StatusBooked
	StatusArrived   = records.StatusArrived
	StatusCancelled = records.StatusCancelled
	StatusNoShow    = records.StatusNoShow
)

// clinicZone is the clinic's time zone: the one set for the front desk,
// or this computer's.
func (s *Session) clinicZone(ctx context.Context, r *replica.Replica) *time.Location {
	kind, st, err := r.Entity(ctx, DeskSettingsEntity)
	if err != nil || kind != records.KindDeskSettings {
		return time.Local
	}
	zone := records.DeskSettingsFromState(st).Zone
	if loc, err := time.LoadLocation(zone); err == nil && zone != "" {
		return loc
	}
	return time.Local
}

// ClinicZone is the time zone the clinic's hours and appointments are in.
func (s *Session) ClinicZone(ctx context.Context) (*time.Location, error) {
	r, err := s.can(roles.ReadCalendar)
	if err != nil {
		return nil, err
	}
	return s.clinicZone(ctx, r), nil
}

func (s *Session) checkPhysician(r *replica.Replica, fp string) (replica.Member, error) {
	m, ok := r.Member(fp)
	if !ok || m.Role != roles.Physician || !m.Active() {
		return replica.Member{}, fmt.Errorf("%w: choose an active physician", ErrInvalidInput)
	}
	return m, nil
}

// Event is one applied event of a record as it was written: when, by
// whom (their key's fingerprint), and the fields it wrote.
type Event struct {
	Time   time.Time
	Author string
	Fields map[string]json.RawMessage
}

// History returns the applied events of the record id of kind in scope,
// oldest first ((Lamport, device) order), from every workstation, opened
// with the scope keys r holds (an event of an epoch it lacks is left out).
func (c Core) History(ctx context.Context, r *replica.Replica, scope roles.Scope, kind, id string) ([]Event, error) {
	var rows []store.Envelope
	if err := r.DB().View(ctx, func(tx *store.Tx) error {
		var err error
		rows, err = tx.EnvelopesForEntity(ctx, id)
		return err
	}); err != nil {
		return nil, err
	}
	keys := map[uint32]crypto.ScopeKey{}
	for _, k := range r.Keys(scope) {
		keys[k.Epoch] = k
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].Lamport != rows[j].Lamport {
			return rows[i].Lamport < rows[j].Lamport
		}
		return rows[i].Device < rows[j].Device
	})
	var out []Event
	for _, row := range rows {
		k, ok := keys[row.Epoch]
		if row.State != store.Applied || row.Kind != kind || !ok {
			continue
		}
		env, err := crypto.ParseEnvelope(row.Raw)
		if err != nil {
			return nil, err
		}
		plain, err := env.Open(k)
		if err != nil {
			return nil, err
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(plain, &fields); err != nil {
			return nil, err
		}
		out = append(out, Event{Time: time.UnixMilli(row.Time), Author: row.Author, Fields: fields})
	}
	return out, nil
}
