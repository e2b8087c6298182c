package chart

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// RefusedPrescription is a prescription for the chart's patient that a
// colleague's software signed and this workstation refused (it broke a
// rule every workstation keeps: a dose that is no amount, written after
// its author was revoked...). It is not part of the chart, and the checks
// of a new prescription do not count it; but it was signed, perhaps
// printed and handed over, so the chart says it was: nothing signed
// vanishes without a word.
type RefusedPrescription struct {
	Time   time.Time // when its author's software says it was signed
	Author string    // the signer's fingerprint
	Name   string    // the signer's name in the directory, "" when unknown
	Why    string    // the rule, in plain words (replica.RefusalWords)
	// Drugs are the generic names it lists, as signed (shown as the
	// refused text they are), at most maxRefusedDrugs of 40 runes each.
	Drugs []string
}

const maxRefusedDrugs = 8

// refusedFor returns the refused prescriptions whose sealed content names
// patient, newest first.
func refusedFor(ctx context.Context, r *replica.Replica, patient string) ([]RefusedPrescription, error) {
	list, err := r.RefusedOfKind(ctx, roles.Clinical, records.KindPrescription)
	if err != nil {
		return nil, fmt.Errorf("app: the refused prescriptions: %w", err)
	}
	var out []RefusedPrescription
	for _, c := range list {
		var who string
		if json.Unmarshal(c.Fields["patient"], &who) != nil || who != patient {
			continue
		}
		out = append(out, RefusedPrescription{Time: c.Time, Author: c.Author, Name: c.Name, Why: c.Why, Drugs: signedDrugs(c.Fields)})
	}
	return out, nil
}

// signedDrugs are the generic names a prescription's signed document
// lists, each made visible (roles.VisibleName) and cut to 40 runes.
func signedDrugs(f replica.Fields) []string {
	var doc string
	if json.Unmarshal(f["doc"], &doc) != nil {
		return nil
	}
	var signed RxDoc
	if json.Unmarshal([]byte(doc), &signed) != nil {
		return nil
	}
	var out []string
	for _, it := range signed.Items {
		if len(out) == maxRefusedDrugs {
			break
		}
		name := []rune(roles.VisibleName(it.Generic))
		if len(name) > 40 {
			name = append(name[:40], '…')
		}
		if len(name) > 0 {
			out = append(out, string(name))
		}
	}
	return out
}
