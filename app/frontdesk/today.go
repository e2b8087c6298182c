package frontdesk

import (
	"context"
	"time"

	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/roles"
)

// DeskState is where a patient of the day stands, as the front desk sees it.
type DeskState string

// The front desk's states of an appointment.
const (
	Expected  DeskState = "expected"  // booked, not due yet
	Late      DeskState = "late"      // booked, start passed by more than LateAfter, not checked in
	Arrived   DeskState = "arrived"   // checked in, with the physician, or seen
	NoShow    DeskState = "no-show"   // marked as not come
	Cancelled DeskState = "cancelled" // cancelled (listed, not counted as expected)
)

// DeskStates lists the states in the order the today list counts them.
var DeskStates = []DeskState{Expected, Late, Arrived, NoShow, Cancelled}

// LateAfter is how long after the start a patient who has not checked in
// counts as late.
const LateAfter = 5 * time.Minute

// stateAt is the desk state of an appointment at time now.
func stateAt(a Appointment, now time.Time) DeskState {
	switch a.Status {
	case StatusArrived, records.StatusInVisit, records.StatusSeen:
		return Arrived
	case StatusNoShow:
		return NoShow
	case StatusCancelled:
		return Cancelled
	}
	if now.After(a.Start.Add(LateAfter)) {
		return Late
	}
	return Expected
}

// DeskRow is one appointment of the day's list.
type DeskRow struct {
	Appointment
	PhysicianName string
	State         DeskState
}

// DeskDay is the front desk's list of one day across every physician.
type DeskDay struct {
	Day    time.Time // local midnight in the clinic's zone
	Rows   []DeskRow // by time, then physician
	Counts map[DeskState]int
}

// FrontDeskDay returns every appointment of the clinic on the date of day
// (in the clinic's zone), with each one's state now: expected, late,
// arrived, no-show or cancelled, and how many of each.
func (s *Service) FrontDeskDay(ctx context.Context, day time.Time) (DeskDay, error) {
	r, err := s.c.ReplicaFor(roles.ReadCalendar)
	if err != nil {
		return DeskDay{}, err
	}
	zone := s.c.Zone(ctx, r)
	day = day.In(zone)
	date := day.Format("2006-01-02")
	now := s.c.Now()
	out := DeskDay{Day: time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, zone), Counts: map[DeskState]int{}}
	var all []Appointment
	names := map[string]string{}
	for _, m := range r.Members() {
		if m.Role != roles.Physician {
			continue
		}
		names[m.Fingerprint] = m.Name
		as, err := AppointmentsOn(ctx, r, m.Fingerprint, date)
		if err != nil {
			return DeskDay{}, err
		}
		markConflicts(as)
		all = append(all, as...)
	}
	if err := WithNames(ctx, r, all); err != nil {
		return DeskDay{}, err
	}
	SortAppointments(all)
	for _, a := range all {
		a.Start = a.Start.In(zone)
		row := DeskRow{Appointment: a, PhysicianName: names[a.Physician], State: stateAt(a, now)}
		out.Rows = append(out.Rows, row)
		out.Counts[row.State]++
	}
	return out, nil
}
