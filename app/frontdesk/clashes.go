package frontdesk

import (
	"context"

	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/roles"
)

// PatientClashes returns the patient's other appointments that a booking
// of a would sit beside: those that still take their time on the same day
// (in the clinic's zone, with any physician) or overlap a's time, by
// time. The desk asks before booking a patient twice; the rules do not
// refuse it (a follow-up the same afternoon happens).
func (s *Service) PatientClashes(ctx context.Context, a Appointment) ([]Appointment, error) {
	r, err := s.c.ReplicaFor(roles.ReadCalendar)
	if err != nil {
		return nil, err
	}
	zone := s.c.Zone(ctx, r)
	all, err := appointmentsWith(ctx, r, records.PatientTerm(a.Patient))
	if err != nil {
		return nil, err
	}
	day := a.Start.In(zone).Format("2006-01-02")
	var out []Appointment
	for _, o := range all {
		if o.ID == a.ID || !occupies(o) {
			continue
		}
		sameDay := o.Start.In(zone).Format("2006-01-02") == day
		overlaps := o.Start.Before(a.End()) && a.Start.Before(o.End())
		if sameDay || overlaps {
			o.Start = o.Start.In(zone)
			out = append(out, o)
		}
	}
	return out, nil
}
