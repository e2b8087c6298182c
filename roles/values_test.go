package roles

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestValueRules: an appointment's start and a prescription's doses, as
// every workstation judges an event stated at ValuesSince + 1 h (and not
// at all before ValuesSince).
func TestValueRules(t *testing.T) {
	const at = ValuesSince + 3_600_000 // 2026-12-07T01:00:00Z
	doc := func(doses ...string) map[string]any {
		var items []map[string]any
		for _, d := range doses {
			items = append(items, map[string]any{"generic": "amoxicillin", "dose": d})
		}
		b, _ := json.Marshal(map[string]any{"id": "x", "items": items})
		return map[string]any{"doc": string(b), "sig": "c2ln"}
	}
	for _, tt := range []struct {
		name   string
		kind   string
		fields map[string]any
		stated int64
		bad    string // in the reason; "" when it stands
	}{
		{"start a week ahead", "appointment", map[string]any{"start": "2026-12-14T10:00:00+01:00"}, at, ""},
		{"start ten years ahead to the day", "appointment", map[string]any{"start": "2036-12-07T23:30:00+01:00"}, at, ""},
		{"start ten years and two days ahead", "appointment", map[string]any{"start": "2036-12-09T10:00:00Z"}, at, "within 10 years"},
		{"start ten years before, entered after the fact", "appointment", map[string]any{"start": "2016-12-07T00:30:00Z"}, at, ""},
		{"start in 9999", "appointment", map[string]any{"start": "9999-01-01T10:00:00Z"}, at, "within 10 years"},
		{"start in year 1", "appointment", map[string]any{"start": "0001-01-01T00:00:00Z"}, at, "within 10 years"},
		{"start no time", "appointment", map[string]any{"start": "tomorrow"}, at, "not a time"},
		{"start a date only", "appointment", map[string]any{"start": "2026-12-14"}, at, "not a time"},
		{"start erased", "appointment", map[string]any{"start": nil}, at, "not a time"},
		{"start a number", "appointment", map[string]any{"start": 1796605200000}, at, "is a time"},
		{"no start (a check-in)", "appointment", map[string]any{"status": "arrived"}, at, ""},
		{"an import of 1990", "appointment", map[string]any{"start": "1990-05-01T10:00:00Z", "imported": at}, at, ""},
		{"an import that is no time", "appointment", map[string]any{"start": "soon", "imported": at}, at, "not a time"},
		{"start in 9999 signed before the rules", "appointment", map[string]any{"start": "9999-01-01T10:00:00Z"}, ValuesSince - 1, ""},
		{"doses amounts", "prescription", doc("1", "1/2", "500 mg", "1-2 puffs"), at, ""},
		{"dose lots", "prescription", doc("1", "lots"), at, "drug 2"},
		{"dose 0", "prescription", doc("0"), at, "not an amount"},
		{"dose -1", "prescription", doc("-1"), at, "not an amount"},
		{"dose none", "prescription", doc(""), at, "not an amount"},
		{"dose lots signed before the rules", "prescription", doc("lots"), ValuesSince - 1, ""},
		{"a document that is no prescription", "prescription", map[string]any{"doc": "{", "sig": "c2ln"}, at, ""},
		{"a dose as a number", "prescription", map[string]any{"doc": `{"items":[{"dose":0}]}`}, at, ""},
		{"the dose of before prescriptions were signed", "prescription", map[string]any{"dose": "lots"}, at, "not an amount"},
		{"a note", "note", map[string]any{"doc": `{"items":[{"dose":"lots"}]}`}, at, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := map[string]json.RawMessage{}
			for k, v := range tt.fields {
				f[k], _ = json.Marshal(v)
			}
			k, _ := KindOf(tt.kind)
			err := k.CheckValuesAt(tt.stated, f)
			switch {
			case tt.bad == "" && err != nil:
				t.Errorf("CheckValuesAt = %v, want it to stand", err)
			case tt.bad != "" && (err == nil || !strings.Contains(err.Error(), tt.bad)):
				t.Errorf("CheckValuesAt = %v, want a reason with %q", err, tt.bad)
			}
		})
	}
}

// FuzzValueRules: whatever a payload writes as a start or a signed
// document, the value rules answer without panicking, the same way twice.
func FuzzValueRules(f *testing.F) {
	f.Add(`"2026-12-14T10:00:00+01:00"`, `{"items":[{"dose":"1"}]}`, int64(ValuesSince))
	f.Add(`"9999-01-01T10:00:00Z"`, `{"items":[{"dose":"lots"}]}`, int64(ValuesSince+1))
	f.Add(`null`, `{"items":null}`, int64(0))
	f.Add(`12`, `[`, int64(-1))
	f.Fuzz(func(t *testing.T, start, doc string, stated int64) {
		docJSON, _ := json.Marshal(doc)
		for _, c := range []struct {
			kind   string
			fields map[string]json.RawMessage
		}{
			{"appointment", map[string]json.RawMessage{"start": json.RawMessage(start)}},
			{"prescription", map[string]json.RawMessage{"doc": docJSON}},
		} {
			k, _ := KindOf(c.kind)
			a, b := k.CheckValuesAt(stated, c.fields), k.CheckValuesAt(stated, c.fields)
			if (a == nil) != (b == nil) || a != nil && a.Error() != b.Error() {
				t.Errorf("%s: %v then %v", c.kind, a, b)
			}
		}
	})
}
