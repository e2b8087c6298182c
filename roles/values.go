package roles

// values.go: rules on the values an event writes, which the workstation
// writing it keeps and every workstation applying it keeps again (session
// 28, h-secb28). Each is judged from the event alone (its fields and the
// time it states it was written), never from "now", so the verdict is the
// same on every workstation whenever it applies the event; the bounds are
// internal/values', the ones the desk and the prescription form check.
//
// The time an event states is its writer's word: one signed as written
// before the rules began (ValuesSince) is not judged by them, so what an
// older version wrote stands as it was signed (a prescription an older
// version signed with the dose "lots" stays in the chart), and modified
// software that backdates an event escapes them, as it escapes the name
// rule; the readers bound what they make of such a value still
// (app/records reads a start out of reach or that does not parse as
// such).

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/medihaven/medihaven/internal/values"
)

// ValuesSince is when the value rules begin: 2026-12-07T00:00:00Z in unix
// milliseconds. An event signed as written earlier is not judged by them.
const ValuesSince = 1_796_601_600_000

// ValueRule is a kind's rule on what one event writes: Check returns why
// an event stating it was written at stated may not write fields. Name
// is its name in the declarations (FieldsVersion). The error never quotes
// a value it judges: it is the reason a workstation keeps a refused
// envelope with, a column in clear of its store (session 29: a refused
// prescription's drug and dose were kept there).
type ValueRule struct {
	Name  string
	Check func(stated time.Time, fields map[string]json.RawMessage) error
}

// CheckValuesAt returns why one event of kind k, signed as written at
// stated (unix milliseconds), may not write fields by k's value rule (nil
// when it may, when k has none, or when stated is before ValuesSince).
func (k Kind) CheckValuesAt(stated int64, fields map[string]json.RawMessage) error {
	if k.Values.Check == nil || stated < ValuesSince {
		return nil
	}
	return k.Values.Check(time.UnixMilli(stated).UTC(), fields)
}

// startRule: an appointment's start is a time (RFC 3339, as the desk
// writes it) within values.MaxStartYears of when the event was written,
// a day either way for the clocks of two workstations and the zones (the
// desk bounds it by its own clock just before it signs). An import keeps
// the start its bundle names, however old (history), as long as it is a
// time.
var startRule = ValueRule{Name: "start within reach", Check: func(stated time.Time, fields map[string]json.RawMessage) error {
	raw, ok := fields["start"]
	if !ok {
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return errors.New("an appointment's start is a time, written as text: this one is not")
	}
	start, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return errors.New("an appointment's start is not a time")
	}
	if _, imported := fields["imported"]; imported {
		return nil
	}
	if !values.StartInRange(start, stated.AddDate(0, 0, -1)) && !values.StartInRange(start, stated.AddDate(0, 0, 1)) {
		return fmt.Errorf("an appointment starts within %d years of when it is booked or moved: this event, written %s, moves it further",
			values.MaxStartYears, stated.Format("2006-01-02"))
	}
	return nil
}}

// doseRule: every drug of a signed prescription (its "doc", the signed
// document: {"items": [{"dose": ...}]}) has a dose that is an amount
// (values.CheckDose), as the prescription form and Prescribe ask before
// it is signed; and so has the dose a prescription wrote before they were
// signed. A document that does not read as a prescription is not judged
// here: the chart shows it as a problem, its signature unchecked.
var doseRule = ValueRule{Name: "doses are amounts", Check: func(_ time.Time, fields map[string]json.RawMessage) error {
	if raw, ok := fields["dose"]; ok {
		var dose string
		if json.Unmarshal(raw, &dose) != nil {
			return fmt.Errorf("a prescription's dose is an amount: %w", values.ErrNoAmount)
		}
		if values.CheckDose(dose) != nil {
			return fmt.Errorf("a prescription's dose is an amount: %w", values.ErrNoAmount)
		}
	}
	var doc string
	if json.Unmarshal(fields["doc"], &doc) != nil {
		return nil
	}
	var signed struct {
		Items []struct {
			Dose string `json:"dose"`
		} `json:"items"`
	}
	if json.Unmarshal([]byte(doc), &signed) != nil {
		return nil
	}
	for i, it := range signed.Items {
		if values.CheckDose(it.Dose) != nil {
			return fmt.Errorf("drug %d of a signed prescription has no dose the prescription form accepts: %w", i+1, values.ErrNoAmount)
		}
	}
	return nil
}}
