package frontdesk

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// A physician's availability is an entity of the front-desk scope, so
// every receptionist and physician workstation sees the same hours
// (records.Availability); so are the desk's settings (app.DeskSettingsEntity).
const availabilityPrefix = roles.AvailabilityPrefix

// DefaultSlotMinutes is a physician's slot length until one is set.
const DefaultSlotMinutes = records.DefaultSlotMinutes

// Hours is one stretch of working time on a day, in minutes after the
// local midnight of the clinic's time zone (From inclusive, To exclusive).
type Hours = records.Hours

// FormatHours writes a day's hours as ParseHours reads them.
func FormatHours(hs []Hours) string { return records.FormatHours(hs) }

// ParseHours reads a day's working hours as a person types them:
// "08:00-12:00, 13:30-17:00". Empty means the physician does not work
// that day. Stretches must not overlap; they are returned in order.
func ParseHours(s string) ([]Hours, error) { return records.ParseHours(s) }

// Availability is when a physician can be booked.
type Availability = records.Availability

// Interval is a stretch of time.
type Interval = records.Interval

func slotMinutes(av Availability) int {
	if av.SlotMinutes <= 0 {
		return DefaultSlotMinutes
	}
	return av.SlotMinutes
}

func availability(ctx context.Context, r *replica.Replica, fp string) (Availability, error) {
	kind, st, err := r.Entity(ctx, availabilityPrefix+fp)
	if errors.Is(err, replica.ErrNotFound) || err == nil && kind != records.KindAvailability {
		return Availability{Physician: fp, SlotMinutes: DefaultSlotMinutes}, nil
	}
	if err != nil {
		return Availability{}, err
	}
	return records.AvailabilityFromState(fp, st), nil
}

// Availability returns a physician's working hours, slot length and days
// off.
func (s *Service) Availability(ctx context.Context, physician string) (Availability, error) {
	r, err := s.c.ReplicaFor(roles.ReadCalendar)
	if err != nil {
		return Availability{}, err
	}
	return availability(ctx, r, physician)
}

// SetAvailability records a physician's weekly working hours and slot
// length (days off are kept; see SetDayOff).
func (s *Service) SetAvailability(ctx context.Context, av Availability) error {
	r, err := s.c.ReplicaFor(roles.EditAvailability)
	if err != nil {
		return err
	}
	if _, err := s.c.CheckPhysician(r, av.Physician); err != nil {
		return err
	}
	if av.SlotMinutes == 0 {
		av.SlotMinutes = DefaultSlotMinutes
	}
	if err := records.CheckSlot(av.SlotMinutes); err != nil {
		return err
	}
	for d, hs := range av.Week {
		// Re-read what is written, so a stored week always parses.
		if _, err := ParseHours(FormatHours(hs)); err != nil {
			return fmt.Errorf("%s: %w", time.Weekday(d), err)
		}
		for _, h := range hs {
			if h.From < 0 || h.To > 24*60 {
				return fmt.Errorf("%w: %s hours %s are not within one day", app.ErrInvalidInput, time.Weekday(d), h)
			}
		}
	}
	// Days off are kept: another desk may be changing them.
	fields, err := records.Some(av, records.AvailabilityHours()...)
	if err != nil {
		return err
	}
	if _, err := r.Append(ctx, replica.Change{Entity: availabilityPrefix + av.Physician, Kind: records.KindAvailability, Scope: roles.FrontDesk, Fields: fields}); err != nil {
		return fmt.Errorf("frontdesk: set availability: %w", err)
	}
	return nil
}

// SetDayOff marks a day (YYYY-MM-DD) as a physician's day off, or, with
// off false, as a working day again.
func (s *Service) SetDayOff(ctx context.Context, physician, date string, off bool) error {
	r, err := s.c.ReplicaFor(roles.EditAvailability)
	if err != nil {
		return err
	}
	if _, err := s.c.CheckPhysician(r, physician); err != nil {
		return err
	}
	if e := records.CheckDay("day", "day off", date); e != nil {
		return e
	}
	av := Availability{Physician: physician}
	if off {
		av.DaysOff = []string{date}
	}
	// A working day again clears the day's field (null reads as not off).
	fields, err := records.Some(av, records.AvailabilityPhysician, records.AvailabilityOff(date))
	if err != nil {
		return err
	}
	if _, err := r.Append(ctx, replica.Change{Entity: availabilityPrefix + physician, Kind: records.KindAvailability, Scope: roles.FrontDesk, Fields: fields}); err != nil {
		return fmt.Errorf("frontdesk: set day off: %w", err)
	}
	return nil
}

// SetClinicZone sets the clinic's time zone by its IANA name
// ("Europe/Berlin", "America/New_York").
func (s *Service) SetClinicZone(ctx context.Context, name string) error {
	r, err := s.c.ReplicaFor(roles.EditAvailability)
	if err != nil {
		return err
	}
	name = strings.TrimSpace(name)
	if _, err := time.LoadLocation(name); err != nil || name == "" || strings.EqualFold(name, "local") {
		return fmt.Errorf("%w: %q is not a time zone name like Europe/Berlin or America/New_York", app.ErrInvalidInput, name)
	}
	fields, err := records.DeskSettings{Zone: name}.Fields()
	if err != nil {
		return err
	}
	if _, err := r.Append(ctx, replica.Change{Entity: app.DeskSettingsEntity, Kind: records.KindDeskSettings, Scope: roles.FrontDesk, Fields: fields}); err != nil {
		return fmt.Errorf("frontdesk: set the clinic's time zone: %w", err)
	}
	return nil
}

// Physician is a physician of the clinic, as the front desk books them.
type Physician struct {
	Fingerprint string
	Name        string
}

// Physicians lists the clinic's active physicians by name.
func (s *Service) Physicians() ([]Physician, error) {
	r, err := s.c.ReplicaFor(roles.ReadCalendar)
	if err != nil {
		return nil, err
	}
	var out []Physician
	for _, m := range r.Members() {
		if m.Role == roles.Physician && m.Active() {
			out = append(out, Physician{Fingerprint: m.Fingerprint, Name: m.Name})
		}
	}
	return out, nil
}
