package replica

import (
	"testing"

	"github.com/medihaven/medihaven/roles"
)

// TestRefusedTellsWhoWhatAndWhy: the refused list names the signer, the
// workstation, the kind and the rule in plain words, newest first, paged;
// nothing of the payload.
func TestRefusedTellsWhoWhatAndWhy(t *testing.T) {
	c := newClinic(t)
	at := afterValues(c)
	p := registered(t, c.sPhys, "Abbott", "MH0000001")
	exchange(t, c.stations()...)
	first := prescription(t, c.sPhys, p.Header.Entity, at, "lots")
	second := prescription(t, c.sPhys, p.Header.Entity, at+60_000, "0")
	c.sPh2.apply(c.sPhys.own()...)

	list, total, err := c.sPh2.r.Refused(t.Context(), 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if total != 2 || len(list) != 1 {
		t.Fatalf("Refused(0, 1) = %d of %d; want 1 of 2", len(list), total)
	}
	got := list[0]
	if got.Event != second.Header.ID || got.Kind != "prescription" || got.Name != c.phys.name ||
		got.Device != second.Header.Device || got.Seq != second.Header.Seq || got.Rule != ruleContent ||
		got.Why != "dose is not an amount" || got.Time.UnixMilli() != at+60_000 {
		t.Errorf("the newest refusal = %+v; want the second prescription, by %s, \"dose is not an amount\"", got, c.phys.name)
	}
	list, _, err = c.sPh2.r.Refused(t.Context(), 1, 1)
	if err != nil || len(list) != 1 || list[0].Event != first.Header.ID {
		t.Errorf("Refused(1, 1) = %+v, %v; want the first prescription", list, err)
	}
	rx, err := c.sPh2.r.RefusedOfKind(t.Context(), roles.Clinical, "prescription")
	if err != nil || len(rx) != 2 || rx[0].Event != second.Header.ID || rx[1].Event != first.Header.ID {
		t.Fatalf("RefusedOfKind = %+v, %v; want both, newest first", rx, err)
	}
	if got := string(rx[0].Fields["patient"]); got != `"`+p.Header.Entity+`"` {
		t.Errorf("the refused prescription opens to patient %q; want %q", got, p.Header.Entity)
	}
	sealed, err := c.sRecep.r.RefusedOfKind(t.Context(), roles.Clinical, "prescription")
	for _, x := range sealed {
		if x.Fields != nil {
			t.Errorf("the receptionist's workstation opened a refused prescription: %v", err)
		}
	}
}

// TestRefusalWords: each rule's reason, as the rules write it, in plain
// words; a reason's own text (which an older version may have written
// with what the event held) is never repeated.
func TestRefusalWords(t *testing.T) {
	for _, tc := range []struct{ rule, reason, want string }{
		{ruleContent, `drug 1 of a signed prescription (amoxicillin) has no dose the prescription form accepts: the dose is not an amount: "lots"`, "dose is not an amount"},
		{ruleContent, "an appointment's start is not a time", "appointment start out of reach (not a time, or more than ten years away)"},
		{ruleContent, fieldsPrefix + `patient records have no field "x"`, "fields its kind of record does not have"},
		{ruleContent, "payload is not a change", "its content is not a change of its kind"},
		{ruleClock, "its Lamport clock 5 is below that of the event before it in its device's chain (9): a chain's clocks never go down", "clock below its chain's: a chain's clocks never go down"},
		{ruleClock, "its Lamport clock 99 is past the highest any workstation accepts (4)", "clock past the highest any workstation accepts"},
		{ruleRevoked, "written after the author's membership was revoked", "written after the member was revoked"},
		{ruleRole, "a receptionist may not write prescription records", "the member's role may not write this"},
		{ruleKind, `"x" is no kind of record this clinic knows`, "a kind of record this clinic does not know"},
		{ruleBinding, "record r is a patient record in the frontdesk scope: …", "the record it changes is of another kind"},
		{"", "hash does not follow the previous event", "its workstation's chain is broken here: an event altered, missing or out of order"},
		{"newrule", "anything", "refused by the rule newrule"},
	} {
		if got := RefusalWords(tc.rule, tc.reason); got != tc.want {
			t.Errorf("RefusalWords(%q, %q) = %q; want %q", tc.rule, tc.reason, got, tc.want)
		}
	}
}
