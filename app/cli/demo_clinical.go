package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/app/frontdesk"
	"github.com/medihaven/medihaven/app/prescribing"
)

func init() { demoSeeders = append(demoSeeders, seedClinical) }

// demoCondition is a chronic problem with the drug usually taken for it.
type demoCondition struct {
	name, onset, drug, dose string
}

var (
	demoConditions = []demoCondition{
		{"Essential hypertension", "2018-05", "amlodipine 5 mg tablet", "1 tablet once daily"},
		{"Type 2 diabetes mellitus", "2020-02", "metformin 500 mg tablet", "1 tablet twice daily with meals"},
		{"Asthma", "2009", "salbutamol 100 mcg/dose inhaler", "2 puffs as needed"},
		{"Hyperlipidaemia", "2019-11", "atorvastatin 20 mg tablet", "1 tablet at night"},
		{"Osteoarthritis of the knee", "2021-08", "paracetamol 500 mg tablet", "2 tablets up to four times daily"},
		{"Depression", "2022-01", "sertraline 50 mg tablet", "1 tablet once daily"},
		{"Hypothyroidism", "2016", "levothyroxine 50 mcg tablet", "1 tablet before breakfast"},
		{"Atrial fibrillation", "2021-03", "warfarin 1 mg tablet", "as per INR clinic"},
	}
	demoAllergies = []chart.Allergy{
		{Substance: "Penicillin", Reaction: "hives", Severity: "moderate"},
		{Substance: "Sulfa", Reaction: "rash", Severity: "mild"},
		{Substance: "Aspirin", Reaction: "bronchospasm", Severity: "severe"},
		{Substance: "Latex", Reaction: "contact dermatitis", Severity: "mild"},
		{Substance: "Codeine", Reaction: "vomiting", Severity: "mild"},
	}
)

// seedClinical gives the patients booked on the demo's visit day a chart: problems,
// allergies, medications, two and a half years of vitals, a signed note
// and a prescription (some with an allergy warning overridden, with the
// reason kept). Those who arrived earlier today were seen: their visit
// holds the note and prescription, dated when it happened.
func seedClinical(ctx context.Context, dc DemoClinic) error {
	rng := dc.Rand
	today := time.Now()
	seen := map[string]bool{}
	for _, phys := range dc.Physicians {
		booked, err := frontdesk.New(phys.Core()).Calendar(ctx, phys.Fingerprint(), dc.VisitDay)
		if err != nil {
			return fmt.Errorf("demo charts: %w", err)
		}
		for n, a := range booked {
			if seen[a.Patient] {
				continue
			}
			seen[a.Patient] = true
			if a.Status == frontdesk.StatusArrived && a.End().Before(today) {
				// Seen this morning: the visit, its vitals, note and
				// prescription are dated when it happened.
				if err := seedPastVisit(ctx, dc.Clock, phys, a, n, rng.IntN); err != nil {
					return fmt.Errorf("demo visit %d: %w", n, err)
				}
				continue
			}
			if err := seedChart(ctx, phys, a, "", n, rng.IntN, today); err != nil {
				return fmt.Errorf("demo chart %d: %w", n, err)
			}
		}
	}
	return nil
}

// seedPastVisit is the visit of a patient who arrived earlier today: the
// physician started it a few minutes after her time, charted it and
// finished it before the slot ended.
func seedPastVisit(ctx context.Context, clock *DemoClock, phys *app.Session, a frontdesk.Appointment, n int, intN func(int) int) error {
	defer clock.At(time.Time{})
	start := a.Start.Add(time.Duration(1+intN(4)) * time.Minute)
	clock.At(start)
	en, err := chart.New(phys.Core()).StartVisit(ctx, a.ID, false)
	if err != nil {
		return err
	}
	if err := seedChart(ctx, phys, a, en.ID, n, intN, start.Add(2*time.Minute)); err != nil {
		return err
	}
	end := a.End().Add(-time.Minute)
	if end.Before(start.Add(5 * time.Minute)) {
		end = start.Add(5 * time.Minute)
	}
	clock.At(end)
	_, err = chart.New(phys.Core()).FinishVisit(ctx, en.ID)
	return err
}

// seedChart charts a booked patient; what today's visit recorded (the
// newest vitals, the note, the prescription) belongs to encounter when
// there is one.
func seedChart(ctx context.Context, phys *app.Session, a frontdesk.Appointment, encounter string, n int, intN func(int) int, now time.Time) error {
	pid := a.Patient
	var conds []demoCondition
	for _, i := range []int{n % len(demoConditions), intN(len(demoConditions))} {
		c := demoConditions[i]
		if len(conds) == 0 || conds[0].name != c.name {
			conds = append(conds, c)
		}
	}
	for _, c := range conds {
		if _, err := chart.New(phys.Core()).AddProblem(ctx, chart.Problem{Patient: pid, Name: c.name, Onset: c.onset}); err != nil {
			return err
		}
		if _, err := chart.New(phys.Core()).AddMedication(ctx, chart.Medication{Patient: pid, Name: c.drug, Dose: c.dose, Since: c.onset}); err != nil {
			return err
		}
	}
	if n%3 == 0 {
		p, err := chart.New(phys.Core()).AddProblem(ctx, chart.Problem{Patient: pid, Name: "Community-acquired pneumonia", Onset: "2023-01"})
		if err != nil {
			return err
		}
		if err := chart.New(phys.Core()).SetProblemStatus(ctx, p.ID, chart.ProblemResolved, "2023-02-10"); err != nil {
			return err
		}
	}
	var allergy *chart.Allergy
	if n%2 == 0 {
		al := demoAllergies[(n/2)%len(demoAllergies)]
		al.Patient = pid
		if _, err := chart.New(phys.Core()).AddAllergy(ctx, al); err != nil {
			return err
		}
		allergy = &al
	} else if n%4 == 1 { // asked, none known; the others were never asked
		if _, err := chart.New(phys.Core()).RecordNoKnownAllergies(ctx, pid); err != nil {
			return err
		}
	}
	// Vitals every five months for two and a half years: blood pressure
	// coming down on treatment, weight drifting.
	height := float64(155 + intN(35))
	weight := float64(58 + intN(40))
	sys, dia := 150+intN(15), 92+intN(8)
	for i := 6; i >= 0; i-- {
		v := chart.Vitals{Patient: pid, Time: now.AddDate(0, -5*i, -intN(10)), Systolic: sys - (6-i)*3 + intN(6), Diastolic: dia - (6-i)*2 + intN(4),
			Pulse: 64 + intN(20), TempC: 36.4 + float64(intN(6))/10, Resp: 12 + intN(6), SpO2: 95 + intN(5),
			WeightKg: weight + float64((6-i)*intN(3)) - float64(intN(2)), HeightCm: 0}
		if i == 6 {
			v.HeightCm = height
		}
		if i == 0 && encounter != "" { // measured at the visit
			v.Encounter, v.Time = encounter, now
		}
		if _, err := chart.New(phys.Core()).RecordVitals(ctx, v); err != nil {
			return err
		}
	}
	if _, err := chart.New(phys.Core()).WriteNote(ctx, chart.Note{Patient: pid, Encounter: encounter,
		Subjective: "Here for " + strings.ToLower(a.Reason) + ". Taking medication as prescribed; no new complaints.",
		Objective:  "Alert, well. Heart sounds normal, chest clear.",
		Assessment: conds[0].name + ", stable.",
		Plan:       "Continue current treatment. Review in three months with blood tests."}); err != nil {
		return err
	}
	rx := prescribing.Prescription{Patient: pid, Encounter: encounter, Drug: "amoxicillin 500 mg", Dose: "1 capsule", Frequency: "three times daily", Days: 7,
		Instructions: "Complete the course."}
	if allergy == nil || allergy.Substance != "Penicillin" {
		rx = prescribing.Prescription{Patient: pid, Encounter: encounter, Drug: "paracetamol 500 mg", Dose: "2 tablets", Frequency: "up to four times daily", Days: 5,
			Instructions: "No more than 8 tablets in 24 hours."}
	}
	_, err := prescribing.New(phys.Core()).Prescribe(ctx, rx)
	var oe *prescribing.OverrideError
	if errors.As(err, &oe) {
		rx.Overrides = oe.Warnings
		for i := range rx.Overrides {
			rx.Overrides[i].Reason = "Childhood rash only; tolerated amoxicillin in 2021 without reaction."
		}
		_, err = prescribing.New(phys.Core()).Prescribe(ctx, rx)
	}
	return err
}
