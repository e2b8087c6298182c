package chart

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// A visit starts only when the physician says so (StartVisit), never by
// opening an appointment or a chart. It is an encounter of the clinical
// scope and, on the appointment (front-desk scope, so the desk sees it
// too), the status "in visit"; FinishVisit closes both ("seen"). Notes,
// vitals and prescriptions written while no visit is open belong to the
// chart alone.

// The appointment statuses a visit writes (app/records), for screens that
// show them.
const (
	StatusInVisit = records.StatusInVisit
	StatusSeen    = records.StatusSeen
)

// ErrNotToday is wrapped when a visit is started for an appointment of
// another day: the physician confirms, then StartVisit is called again
// with anotherDay.
var ErrNotToday = errors.New("app: the appointment is not today")

// StartVisit starts the visit of an appointment, dated now, and marks the
// appointment "in visit"; starting it again returns the visit already
// open. An appointment of another day than today (in the clinic's zone)
// needs anotherDay, the physician's confirmation; a cancelled one, or one
// whose visit was finished, is refused.
func (s *Service) StartVisit(ctx context.Context, appointmentID string, anotherDay bool) (Encounter, error) {
	r, err := s.c.ReplicaFor(roles.WriteNote)
	if err != nil {
		return Encounter{}, err
	}
	kind, st, err := r.Entity(ctx, appointmentID)
	if err != nil || kind != records.KindAppointment {
		return Encounter{}, fmt.Errorf("%w: the appointment is not on this workstation (yet)", app.ErrInvalidInput)
	}
	a := records.AppointmentFromState(appointmentID, st)
	// A booking names a registered patient (the desk checks it), but only
	// modified software's does not: say so before anything (h-low27).
	if _, err := s.c.Patient(ctx, a.Patient); errors.Is(err, replica.ErrNotFound) {
		return Encounter{}, fmt.Errorf("%w: the appointment names no registered patient on this workstation: sync, or ask the front desk to book the patient again", app.ErrInvalidInput)
	} else if err != nil {
		return Encounter{}, err
	}
	if a.Status == records.StatusCancelled {
		return Encounter{}, fmt.Errorf("%w: the appointment was cancelled; ask the front desk to book it again", app.ErrInvalidInput)
	}
	if en, ok, err := visitOf(ctx, r, appointmentID); err != nil || ok {
		if err == nil && !en.End.IsZero() {
			err = fmt.Errorf("%w: the visit of this appointment was finished at %s", app.ErrInvalidInput, en.End.Format("15:04 on 2 Jan 2006"))
		}
		return en, err
	}
	now := s.c.Now()
	zone := s.c.Zone(ctx, r)
	if day := a.Start.In(zone).Format("2006-01-02"); day != now.In(zone).Format("2006-01-02") && !anotherDay {
		return Encounter{}, fmt.Errorf("%w: it is on %s; start the visit anyway only if the patient is here now (it will be dated today)",
			ErrNotToday, a.Start.In(zone).Format("Monday 2 January 2006"))
	}
	en := Encounter{ID: roles.NewRecordID(records.KindEncounter), Patient: a.Patient, Appointment: a.ID, Physician: r.Fingerprint(), Start: now, Reason: a.Reason}
	fields, err := en.Fields()
	if err != nil {
		return Encounter{}, err
	}
	status, err := records.Some(records.Appointment{Status: records.StatusInVisit, VisitStarted: now},
		records.AppointmentStatus, records.AppointmentVisitStarted)
	if err != nil {
		return Encounter{}, err
	}
	err = s.Commit(ctx, r, a.Patient, ActionVisitStart, "started a visit",
		replica.Change{Entity: en.ID, Kind: records.KindEncounter, Scope: roles.Clinical, Fields: fields},
		replica.Change{Entity: a.ID, Kind: records.KindAppointment, Scope: roles.FrontDesk, Fields: status})
	if err != nil {
		return Encounter{}, err
	}
	return en, nil
}

// FinishVisit closes an open visit, now: the encounter ends and its
// appointment is "seen".
func (s *Service) FinishVisit(ctx context.Context, encounterID string) (Encounter, error) {
	r, err := s.c.ReplicaFor(roles.WriteNote)
	if err != nil {
		return Encounter{}, err
	}
	kind, st, err := r.Entity(ctx, encounterID)
	if err != nil || kind != records.KindEncounter {
		return Encounter{}, fmt.Errorf("%w: no visit %s on this workstation", app.ErrInvalidInput, encounterID)
	}
	en := records.EncounterFromState(encounterID, st)
	if !en.End.IsZero() {
		return en, fmt.Errorf("%w: the visit was already finished at %s", app.ErrInvalidInput, en.End.Format("15:04 on 2 Jan 2006"))
	}
	en.End = s.c.Now()
	fields, err := records.Some(en, records.EncounterFinished)
	if err != nil {
		return Encounter{}, err
	}
	changes := []replica.Change{{Entity: en.ID, Kind: records.KindEncounter, Scope: roles.Clinical, Fields: fields}}
	if en.Appointment != "" {
		if k, _, err := r.Entity(ctx, en.Appointment); err == nil && k == records.KindAppointment {
			status, err := records.Some(records.Appointment{Status: records.StatusSeen, VisitEnded: en.End},
				records.AppointmentStatus, records.AppointmentVisitFinished)
			if err != nil {
				return Encounter{}, err
			}
			changes = append(changes, replica.Change{Entity: en.Appointment, Kind: records.KindAppointment, Scope: roles.FrontDesk, Fields: status})
		}
	}
	if err := s.Commit(ctx, r, en.Patient, ActionVisitFinish, "finished a visit", changes...); err != nil {
		return Encounter{}, err
	}
	return en, nil
}

// visitOf returns the encounter started for an appointment, if any.
func visitOf(ctx context.Context, r *replica.Replica, appointmentID string) (Encounter, bool, error) {
	encs, err := r.Entities(ctx, records.KindEncounter)
	if err != nil {
		return Encounter{}, false, fmt.Errorf("app: read the visits: %w", err)
	}
	for _, e := range encs {
		if en := records.EncounterFromState(e.ID, e.State); en.Appointment == appointmentID {
			return en, true, nil
		}
	}
	return Encounter{}, false, nil
}

// OpenVisit is the patient's visit in progress (started here, not
// finished), the newest when there are several.
func (c Chart) OpenVisit() (Encounter, bool) {
	for _, en := range c.Encounters { // newest first
		if en.End.IsZero() && en.Origin == (Origin{}) && !en.Start.IsZero() {
			return en, true
		}
	}
	return Encounter{}, false
}

// VisitState says what became of an appointment, in the clinic's words, at
// now: "Booked", "Arrived", "In visit", "Seen", "No-show", "Cancelled",
// or, once its time has passed with no visit, "Not seen".
func VisitState(a records.Appointment, now time.Time) string {
	switch a.Status {
	case records.StatusInVisit:
		return "In visit"
	case records.StatusSeen:
		return "Seen"
	case records.StatusNoShow:
		return "No-show"
	case records.StatusCancelled:
		return "Cancelled"
	}
	if now.After(a.End()) {
		return "Not seen"
	}
	if a.Status == records.StatusArrived {
		return "Arrived"
	}
	return "Booked"
}
