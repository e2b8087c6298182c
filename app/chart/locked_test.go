package chart_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/app/prescribing"
)

// TestLockedSessionRefusesEveryChartUseCase is the chart's and
// prescribing's part of the attack test of a locked workstation (issue
// 13, finding 11, app's TestAttackLockedSessionRefusesEveryUseCase): code
// holding a locked session calls their use cases directly, and every
// exported method that can fail answers app.ErrLocked, found by reflection
// so a use case added later is checked too.
func TestLockedSessionRefusesEveryChartUseCase(t *testing.T) {
	ctx := context.Background()
	c := apptest.NewClinic(t)
	p, a := c.Visit(t)
	c.Phys.Lock()
	samples := map[reflect.Type]any{
		reflect.TypeFor[chart.Allergy]():    chart.Allergy{Patient: p.ID, Substance: "penicillin", Reaction: "rash", Severity: "mild"},
		reflect.TypeFor[chart.Medication](): chart.Medication{Patient: p.ID, Name: "amlodipine 5 mg tablet", Dose: "1 tablet once daily"},
		reflect.TypeFor[chart.Problem]():    chart.Problem{Patient: p.ID, Name: "Hypertension"},
		reflect.TypeFor[chart.Vitals]():     chart.Vitals{Patient: p.ID, Pulse: 70},
		reflect.TypeFor[chart.Note]():       chart.Note{Patient: p.ID, Plan: "Review"},
		reflect.TypeFor[prescribing.Prescription](): prescribing.Prescription{Patient: p.ID, Drug: "paracetamol 500 mg", Dose: "1",
			Frequency: "daily", Days: 3},
	}
	safe := map[string]bool{
		"Formulary":     true, // the drug list bundled with the program: public
		"ReadUnaudited": true, // reads with the replica its caller got from the lock's check (Core.ReplicaFor)
		"Commit":        true, // writes with the replica its caller got from the lock's check
	}
	errType := reflect.TypeFor[error]()
	checked := 0
	var wrong []string
	for _, svc := range []any{chart.New(c.Phys.Core()), prescribing.New(c.Phys.Core())} {
		v := reflect.ValueOf(svc)
		for i := range v.NumMethod() {
			m, name := v.Method(i), v.Type().Method(i).Name
			mt := m.Type()
			if safe[name] || mt.NumOut() == 0 || mt.Out(mt.NumOut()-1) != errType {
				continue
			}
			var args []reflect.Value
			for j := range mt.NumIn() {
				in := mt.In(j)
				switch {
				case in == reflect.TypeFor[context.Context]():
					cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
					defer cancel()
					args = append(args, reflect.ValueOf(cctx))
				case samples[in] != nil:
					args = append(args, reflect.ValueOf(samples[in]))
				case in.Kind() == reflect.String && name == "StartVisit":
					args = append(args, reflect.ValueOf(a.ID))
				case in.Kind() == reflect.String:
					args = append(args, reflect.ValueOf(p.ID).Convert(in)) // a real patient id where one is asked
				default:
					args = append(args, reflect.Zero(in))
				}
			}
			out := m.Call(args)
			err, _ := out[len(out)-1].Interface().(error)
			checked++
			if !errors.Is(err, app.ErrLocked) {
				wrong = append(wrong, fmt.Sprintf("%s: %v", name, err))
			}
		}
	}
	sort.Strings(wrong)
	if len(wrong) > 0 {
		t.Errorf("%d of %d use cases of a locked session did not answer ErrLocked:\n%s", len(wrong), checked, strings.Join(wrong, "\n"))
	}
	if checked < 20 {
		t.Errorf("only %d use cases were found by reflection", checked)
	}
	if err := c.Phys.Unlock(ctx, []byte(apptest.Passphrase)); err != nil {
		t.Fatal(err)
	}
	if _, err := chart.New(c.Phys.Core()).OpenChart(ctx, p.ID); err != nil {
		t.Errorf("OpenChart after Unlock: %v", err)
	}
}
