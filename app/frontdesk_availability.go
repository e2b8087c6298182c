package app

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // the clinic's time zone must resolve on workstations without a zone database

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// Front-desk settings and availability are entities of the front-desk
// scope, so every receptionist and physician workstation sees the same
// hours. Each weekday and each day off is a field of its own: two desks
// editing different days at once both keep their change.
const (
	kindAvailability   = "availability"
	kindDeskSettings   = "desk-settings"
	deskSettingsEntity = "desk-settings:clinic"
	availabilityPrefix = "availability:"
)

// DefaultSlotMinutes is a physician's slot length until one is set.
const DefaultSlotMinutes = 15

// Hours is one stretch of working time on a day, in minutes after the
// local midnight of the clinic's time zone (From inclusive, To exclusive).
type Hours struct {
	From, To int
}

func hhmm(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

func (h Hours) String() string { return hhmm(h.From) + "-" + hhmm(h.To) }

// FormatHours writes a day's hours as ParseHours reads them.
func FormatHours(hs []Hours) string {
	parts := make([]string, len(hs))
	for i, h := range hs {
		parts[i] = h.String()
	}
	return strings.Join(parts, ", ")
}

func parseClock(s string) (int, bool) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return 0, false
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || len(m) != 2 || len(h) == 0 || len(h) > 2 || hh < 0 || mm < 0 || mm > 59 || hh > 24 || hh == 24 && mm != 0 {
		return 0, false
	}
	return hh*60 + mm, true
}

// ParseHours reads a day's working hours as a person types them:
// "08:00-12:00, 13:30-17:00". Empty means the physician does not work
// that day. Stretches must not overlap; they are returned in order.
func ParseHours(s string) ([]Hours, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	var out []Hours
	for _, part := range strings.Split(s, ",") {
		from, to, ok := strings.Cut(strings.ReplaceAll(part, "–", "-"), "-")
		f, ok1 := parseClock(from)
		t, ok2 := parseClock(to)
		if !ok || !ok1 || !ok2 {
			return nil, fmt.Errorf("%w: working hours %q should look like 08:00-12:00, 13:00-17:00", ErrInvalidInput, strings.TrimSpace(part))
		}
		if t <= f {
			return nil, fmt.Errorf("%w: working hours %s end before they start", ErrInvalidInput, strings.TrimSpace(part))
		}
		out = append(out, Hours{f, t})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].From < out[j].From })
	for i := 1; i < len(out); i++ {
		if out[i].From < out[i-1].To {
			return nil, fmt.Errorf("%w: working hours %s and %s overlap", ErrInvalidInput, out[i-1], out[i])
		}
	}
	return out, nil
}

// Availability is when a physician can be booked.
type Availability struct {
	Physician   string
	SlotMinutes int        // length of one bookable slot (default 15)
	Week        [7][]Hours // working hours by time.Weekday (Sunday first)
	DaysOff     []string   // YYYY-MM-DD, in order
	// Set is false until working hours were ever recorded: then no time is
	// refused as outside working hours, only overlaps are.
	Set bool
}

// dayOff reports whether the local date of day is a day off.
func (av Availability) dayOff(date string) bool {
	i := sort.SearchStrings(av.DaysOff, date)
	return i < len(av.DaysOff) && av.DaysOff[i] == date
}

// Interval is a stretch of time.
type Interval struct {
	Start, End time.Time
}

// wallClock is the wall-clock time minutes after local midnight of date (y, m, d)
// in zone. time.Date normalises, so on a day of a daylight-saving change
// a wall-clock time is placed where the clocks of the clinic say it is.
func wallClock(y int, m time.Month, d, minutes int, zone *time.Location) time.Time {
	return time.Date(y, m, d, minutes/60, minutes%60, 0, 0, zone)
}

// WorkingHours returns the physician's working stretches on the local
// date of day in zone (none on a day off).
func (av Availability) WorkingHours(day time.Time, zone *time.Location) []Interval {
	day = day.In(zone)
	if av.dayOff(day.Format("2006-01-02")) {
		return nil
	}
	y, m, d := day.Date()
	var out []Interval
	for _, h := range av.Week[day.Weekday()] {
		out = append(out, Interval{wallClock(y, m, d, h.From, zone), wallClock(y, m, d, h.To, zone)})
	}
	return out
}

func (av Availability) slotMinutes() int {
	if av.SlotMinutes <= 0 {
		return DefaultSlotMinutes
	}
	return av.SlotMinutes
}

func availabilityFromState(fp string, st replica.State) Availability {
	av := Availability{Physician: fp, Set: true}
	st.Get("slot", &av.SlotMinutes) //nolint:errcheck // missing reads as the default
	for d := range av.Week {
		av.Week[d], _ = ParseHours(st.String(fmt.Sprintf("week/%d", d))) // written by SetAvailability, parsed before
	}
	for _, name := range st.Fields() {
		var off bool
		if date, ok := strings.CutPrefix(name, "off/"); ok {
			if found, _ := st.Get(name, &off); found && off {
				av.DaysOff = append(av.DaysOff, date)
			}
		}
	}
	sort.Strings(av.DaysOff)
	return av
}

func (s *Session) availability(ctx context.Context, r *replica.Replica, fp string) (Availability, error) {
	kind, st, err := r.Entity(ctx, availabilityPrefix+fp)
	if errors.Is(err, replica.ErrNotFound) || err == nil && kind != kindAvailability {
		return Availability{Physician: fp, SlotMinutes: DefaultSlotMinutes}, nil
	}
	if err != nil {
		return Availability{}, err
	}
	return availabilityFromState(fp, st), nil
}

// Availability returns a physician's working hours, slot length and days
// off.
func (s *Session) Availability(ctx context.Context, physician string) (Availability, error) {
	r, err := s.can(roles.ReadCalendar)
	if err != nil {
		return Availability{}, err
	}
	return s.availability(ctx, r, physician)
}

func (s *Session) checkPhysician(r *replica.Replica, fp string) (replica.Member, error) {
	m, ok := r.Member(fp)
	if !ok || m.Role != roles.Physician || !m.Active() {
		return replica.Member{}, fmt.Errorf("%w: choose an active physician", ErrInvalidInput)
	}
	return m, nil
}

// SetAvailability records a physician's weekly working hours and slot
// length (days off are kept; see SetDayOff).
func (s *Session) SetAvailability(ctx context.Context, av Availability) error {
	r, err := s.can(roles.EditAvailability)
	if err != nil {
		return err
	}
	if _, err := s.checkPhysician(r, av.Physician); err != nil {
		return err
	}
	if av.SlotMinutes == 0 {
		av.SlotMinutes = DefaultSlotMinutes
	}
	if av.SlotMinutes < 5 || av.SlotMinutes > 240 {
		return fmt.Errorf("%w: a slot lasts between 5 minutes and 4 hours", ErrInvalidInput)
	}
	kv := map[string]any{"physician": av.Physician, "slot": av.SlotMinutes}
	for d, hs := range av.Week {
		// Re-read what is written, so a stored week always parses.
		if _, err := ParseHours(FormatHours(hs)); err != nil {
			return fmt.Errorf("%s: %w", time.Weekday(d), err)
		}
		for _, h := range hs {
			if h.From < 0 || h.To > 24*60 {
				return fmt.Errorf("%w: %s hours %s are not within one day", ErrInvalidInput, time.Weekday(d), h)
			}
		}
		kv[fmt.Sprintf("week/%d", d)] = FormatHours(hs)
	}
	fields, err := replica.F(kv)
	if err != nil {
		return err
	}
	if _, err := r.Append(ctx, replica.Change{Entity: availabilityPrefix + av.Physician, Kind: kindAvailability, Scope: roles.FrontDesk, Fields: fields}); err != nil {
		return fmt.Errorf("app: set availability: %w", err)
	}
	return nil
}

// SetDayOff marks a day (YYYY-MM-DD) as a physician's day off, or, with
// off false, as a working day again.
func (s *Session) SetDayOff(ctx context.Context, physician, date string, off bool) error {
	r, err := s.can(roles.EditAvailability)
	if err != nil {
		return err
	}
	if _, err := s.checkPhysician(r, physician); err != nil {
		return err
	}
	if e := checkDeskDate("day", "day off", date); e != nil {
		return e
	}
	fields, err := replica.F(map[string]any{"physician": physician, "off/" + date: off})
	if err != nil {
		return err
	}
	if _, err := r.Append(ctx, replica.Change{Entity: availabilityPrefix + physician, Kind: kindAvailability, Scope: roles.FrontDesk, Fields: fields}); err != nil {
		return fmt.Errorf("app: set day off: %w", err)
	}
	return nil
}

// clinicZone is the clinic's time zone: the one set for the front desk,
// or this computer's.
func (s *Session) clinicZone(ctx context.Context, r *replica.Replica) *time.Location {
	kind, st, err := r.Entity(ctx, deskSettingsEntity)
	if err != nil || kind != kindDeskSettings {
		return time.Local
	}
	if loc, err := time.LoadLocation(st.String("zone")); err == nil && st.String("zone") != "" {
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

// SetClinicZone sets the clinic's time zone by its IANA name
// ("Europe/Berlin", "America/New_York").
func (s *Session) SetClinicZone(ctx context.Context, name string) error {
	r, err := s.can(roles.EditAvailability)
	if err != nil {
		return err
	}
	name = strings.TrimSpace(name)
	if _, err := time.LoadLocation(name); err != nil || name == "" || strings.EqualFold(name, "local") {
		return fmt.Errorf("%w: %q is not a time zone name like Europe/Berlin or America/New_York", ErrInvalidInput, name)
	}
	fields, err := replica.F(map[string]any{"zone": name})
	if err != nil {
		return err
	}
	if _, err := r.Append(ctx, replica.Change{Entity: deskSettingsEntity, Kind: kindDeskSettings, Scope: roles.FrontDesk, Fields: fields}); err != nil {
		return fmt.Errorf("app: set the clinic's time zone: %w", err)
	}
	return nil
}

// Physician is a physician of the clinic, as the front desk books them.
type Physician struct {
	Fingerprint string
	Name        string
}

// Physicians lists the clinic's active physicians by name.
func (s *Session) Physicians() ([]Physician, error) {
	r, err := s.can(roles.ReadCalendar)
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
