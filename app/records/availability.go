package records

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/medihaven/medihaven/sync/replica"
)

// Fields of a physician's availability (front-desk scope). Each weekday
// and each day off is a field of its own: two desks editing different
// days at once both keep their change.
const (
	AvailabilityPhysician = "physician"
	AvailabilitySlot      = "slot" // minutes
)

// AvailabilityWeek is the field of a weekday's working hours, as
// FormatHours writes them.
func AvailabilityWeek(d time.Weekday) string { return fmt.Sprintf("week/%d", d) }

// AvailabilityOff is the field that says whether date (YYYY-MM-DD) is a
// day off.
func AvailabilityOff(date string) string { return "off/" + date }

// AvailabilityHours are the fields of a weekly schedule: the physician,
// the slot length and the seven weekdays (not the days off).
func AvailabilityHours() []string {
	out := []string{AvailabilityPhysician, AvailabilitySlot}
	for d := time.Sunday; d <= time.Saturday; d++ {
		out = append(out, AvailabilityWeek(d))
	}
	return out
}

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
	// refused as outside working hours, only overlaps are. It is not
	// stored: a stored record is set.
	Set bool
}

// DayOff reports whether date (YYYY-MM-DD) is a day off.
func (av Availability) DayOff(date string) bool {
	i := sort.SearchStrings(av.DaysOff, date)
	return i < len(av.DaysOff) && av.DaysOff[i] == date
}

// Interval is a stretch of time.
type Interval struct {
	Start, End time.Time
}

// WallClock is the wall-clock time minutes after local midnight of date
// (y, m, d) in zone. time.Date normalises, so on a day of a daylight-saving
// change a wall-clock time is placed where the clocks of the clinic say it
// is.
func WallClock(y int, m time.Month, d, minutes int, zone *time.Location) time.Time {
	return time.Date(y, m, d, minutes/60, minutes%60, 0, 0, zone)
}

// WorkingHours returns the physician's working stretches on the local
// date of day in zone (none on a day off).
func (av Availability) WorkingHours(day time.Time, zone *time.Location) []Interval {
	day = day.In(zone)
	if av.DayOff(day.Format("2006-01-02")) {
		return nil
	}
	y, m, d := day.Date()
	var out []Interval
	for _, h := range av.Week[day.Weekday()] {
		out = append(out, Interval{WallClock(y, m, d, h.From, zone), WallClock(y, m, d, h.To, zone)})
	}
	return out
}

// The length of a physician's bookable slot, in minutes: the default until
// one is set, and the bounds the desk sets it within.
const (
	DefaultSlotMinutes = 15
	MinSlotMinutes     = 5
	MaxSlotMinutes     = 240
)

// CheckSlot says what is wrong with a slot length of minutes (nil when it
// is within MinSlotMinutes to MaxSlotMinutes). The desk checks it before
// writing, and every workstation reads a stored length by it
// (AvailabilityFromState): one outside, which only modified software
// writes, laid the physician's day out in rows of any length (2^62
// minutes: for ever; session 25 review, h-rev25a).
func CheckSlot(minutes int) error {
	if minutes < MinSlotMinutes || minutes > MaxSlotMinutes {
		return fmt.Errorf("%w: a slot lasts between %d minutes and %d hours", ErrInvalidInput, MinSlotMinutes, MaxSlotMinutes/60)
	}
	return nil
}

// AvailabilityFromState reads a physician's availability; a slot length
// CheckSlot refuses reads as the default.
func AvailabilityFromState(fp string, st replica.State) Availability {
	av := Availability{Physician: fp, Set: true, SlotMinutes: get[int](st, AvailabilitySlot)}
	if CheckSlot(av.SlotMinutes) != nil {
		av.SlotMinutes = DefaultSlotMinutes
	}
	for d := range av.Week {
		av.Week[d], _ = ParseHours(st.String(AvailabilityWeek(time.Weekday(d)))) // written by FormatHours, parsed before
	}
	for _, name := range st.Fields() {
		if date, ok := strings.CutPrefix(name, AvailabilityOff("")); ok && get[bool](st, name) {
			av.DaysOff = append(av.DaysOff, date)
		}
	}
	sort.Strings(av.DaysOff)
	return av
}

// Fields are the fields of a physician's weekly hours and days off.
func (av Availability) Fields() (replica.Fields, error) {
	e := enc{AvailabilityPhysician: av.Physician, AvailabilitySlot: av.SlotMinutes}
	for d, hs := range av.Week {
		e[AvailabilityWeek(time.Weekday(d))] = FormatHours(hs)
	}
	for _, date := range av.DaysOff {
		e[AvailabilityOff(date)] = true
	}
	return e.fields()
}

// Fields of the front desk's settings: the clinic's time zone (IANA,
// "Europe/Berlin") and country (ISO 3166 alpha-2, "DE"), by which phone
// numbers are kept in E.164.
const (
	DeskZone    = "zone"
	DeskCountry = "country"
)

// DeskSettings are the front desk's settings for the whole clinic.
type DeskSettings struct {
	Zone    string // IANA name; "" until set
	Country string // ISO 3166 alpha-2; "" until set
}

// DeskSettingsFromState reads the front desk's settings.
func DeskSettingsFromState(st replica.State) DeskSettings {
	return DeskSettings{Zone: st.String(DeskZone), Country: st.String(DeskCountry)}
}

// Fields are the fields of the front desk's settings (the country left
// out when empty: setting the zone does not clear it).
func (d DeskSettings) Fields() (replica.Fields, error) {
	e := enc{DeskZone: d.Zone}
	e.str(DeskCountry, d.Country)
	return e.fields()
}
