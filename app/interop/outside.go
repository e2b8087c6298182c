package interop

import (
	"context"
	"sort"

	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/roles"
)

// Outside is what other systems measured and did for a patient, kept as
// it was imported: results (vital signs and laboratory), procedures,
// immunizations and diagnostic reports, each list newest first.
type Outside struct {
	Results       []records.Result
	Procedures    []records.Procedure
	Immunizations []records.Immunization
	Reports       []records.Report
}

// Empty reports whether nothing was imported for the patient.
func (o Outside) Empty() bool {
	return len(o.Results)+len(o.Procedures)+len(o.Immunizations)+len(o.Reports) == 0
}

// OutsideRecords reads a patient's imported results, procedures,
// immunizations and reports, for the chart's Results section. Opening
// the chart is what is audited; this reads part of it.
func (s *Service) OutsideRecords(ctx context.Context, patientID string) (Outside, error) {
	r, err := s.c.ReplicaFor(roles.ReadChart)
	if err != nil {
		return Outside{}, err
	}
	recs, err := chart.PatientRecords(ctx, r, patientID, records.KindResult, records.KindProcedure,
		records.KindImmunization, records.KindReport)
	if err != nil {
		return Outside{}, err
	}
	var o Outside
	for _, e := range recs[records.KindResult] {
		o.Results = append(o.Results, records.ResultFromState(e.ID, e.State))
	}
	for _, e := range recs[records.KindProcedure] {
		o.Procedures = append(o.Procedures, records.ProcedureFromState(e.ID, e.State))
	}
	for _, e := range recs[records.KindImmunization] {
		o.Immunizations = append(o.Immunizations, records.ImmunizationFromState(e.ID, e.State))
	}
	for _, e := range recs[records.KindReport] {
		o.Reports = append(o.Reports, records.ReportFromState(e.ID, e.State))
	}
	// FHIR dateTimes of one offset sort as text; across offsets the
	// instant decides.
	newest := func(a, b string) bool {
		ta, _ := records.FHIRTime(a)
		tb, _ := records.FHIRTime(b)
		return ta.After(tb)
	}
	sort.SliceStable(o.Results, func(i, j int) bool {
		a, b := o.Results[i], o.Results[j]
		if a.Effective == b.Effective {
			return a.Code.Name() < b.Code.Name()
		}
		return newest(a.Effective, b.Effective)
	})
	sort.SliceStable(o.Procedures, func(i, j int) bool { return newest(o.Procedures[i].Start, o.Procedures[j].Start) })
	sort.SliceStable(o.Immunizations, func(i, j int) bool { return newest(o.Immunizations[i].Date, o.Immunizations[j].Date) })
	sort.SliceStable(o.Reports, func(i, j int) bool { return newest(o.Reports[i].Effective, o.Reports[j].Effective) })
	return o, nil
}
