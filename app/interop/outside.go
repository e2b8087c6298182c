package interop

import (
	"context"
	"sort"
	"strings"

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
	// Coded are the problems, allergies and medications imported with
	// codes, or matched (or not) to the formulary.
	Coded []Coded
}

// Coded is a problem, allergy or medication as imported: its codes and,
// for a medication, what the prescribing checks make of it.
type Coded struct {
	Kind      string // records.KindProblem, KindAllergy or KindMedication
	Name      string
	Codes     []records.Coding
	Formulary string // the formulary's name for a medication it matched
	Unchecked bool   // a medication the formulary does not know: not checked
}

// Empty reports whether nothing was imported for the patient.
func (o Outside) Empty() bool {
	return len(o.Results)+len(o.Procedures)+len(o.Immunizations)+len(o.Reports)+len(o.Coded) == 0
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
	coded, err := chart.PatientRecords(ctx, r, patientID, records.KindProblem, records.KindAllergy, records.KindMedication)
	if err != nil {
		return Outside{}, err
	}
	for _, kind := range []string{records.KindProblem, records.KindAllergy, records.KindMedication} {
		for _, e := range coded[kind] {
			c := Coded{Kind: kind, Name: e.State.String(records.ProblemName), Codes: records.CodesFromState(e.State),
				Formulary: e.State.String(records.MedicationFormulary)}
			if kind == records.KindAllergy {
				c.Name = e.State.String(records.AllergySubstance)
			}
			e.State.Get(records.MedicationUnchecked, &c.Unchecked) //nolint:errcheck // absent or not a bool: not flagged
			if len(c.Codes) > 0 || c.Formulary != "" || c.Unchecked {
				o.Coded = append(o.Coded, c)
			}
		}
	}
	rank := map[string]int{records.KindProblem: 0, records.KindAllergy: 1, records.KindMedication: 2}
	sort.SliceStable(o.Coded, func(i, j int) bool {
		a, b := o.Coded[i], o.Coded[j]
		if a.Kind != b.Kind {
			return rank[a.Kind] < rank[b.Kind]
		}
		return strings.ToLower(a.Name) < strings.ToLower(b.Name)
	})
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
