package roles

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestFieldsRule: each kind accepts the names it declares (those a past
// version wrote included) and refuses any other, and no event writes more
// than MaxEventFields fields.
func TestFieldsRule(t *testing.T) {
	many := func(n int, name func(int) string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = name(i)
		}
		return out
	}
	days := func(i int) string { return fmt.Sprintf("off/%04d-01-01", 2000+i) }
	epochs := func(i int) string { return fmt.Sprintf("clinical/%d", 1<<16|i) }
	for _, c := range []struct {
		kind  string
		names []string
		bad   string // "" when accepted, else a word of the reason
	}{
		{"patient", []string{"family", "given", "birth", "former_ids"}, ""},
		{"patient", []string{"family", "junk/00000001"}, `no field "junk/00000001"`},
		{"patient", []string{"note"}, `no field "note"`},
		{"note", []string{"doc", "sig", "patient", "encounter", "attribution", "imported"}, ""},
		{"note", []string{"patient", "author", "time", "subjective", "objective", "assessment", "plan"}, ""}, // before notes were signed
		{"prescription", []string{"patient", "prescriber", "time", "drug", "dose", "frequency", "days", "instructions"}, ""},
		{"prescription", []string{"doc", "sig", "patient", "code"}, ""},
		{"availability", []string{"physician", "slot", "week/0", "week/6"}, ""},
		{"availability", []string{"physician", "off/2026-12-24"}, ""},
		{"availability", []string{"off/0001-01-01"}, ""},
		{"availability", []string{"physician", "off/2026-12-24", "off/2026-12-25"}, "more than the 1 one event may"},
		{"availability", []string{"week/7"}, `no field "week/7"`},
		{"availability", []string{"off/2026-02-30"}, `no field "off/2026-02-30"`},
		{"availability", []string{"off/2026-1-01"}, "no field"},
		{"availability", []string{"off/+026-01-01"}, "no field"},
		{"availability", []string{"off/"}, "no field"},
		{"availability", many(MaxEventFields+1, days), "more than the 256"},
		{"desk-settings", []string{"zone", "country"}, ""},
		{"desk-settings", []string{"zone", "physician/abc"}, "no field"},
		{"key-held", []string{"directory/65537", "frontdesk/1", "clinical/4294967295", "admin/131072"}, ""},
		{"key-held", []string{"clinical/007"}, "no field"},
		{"key-held", []string{"clinical/4294967296"}, "no field"},
		{"key-held", []string{"clinical/-1"}, "no field"},
		{"key-held", []string{"audit/65537"}, "no field"},
		{"key-held", []string{"junk/00000001-00000002"}, "no field"},
		{"key-held", many(MaxEventFields, epochs), ""},
		{"key-held", many(MaxEventFields+1, epochs), "more than"},
		{"member", []string{"name", "role", "status", "token", "admitted_by", "joined", "devices", "revoked_heads", "revoked_by", "revoked", "role_changes", "role_heads"}, ""},
		{"member", []string{"name", "superuser"}, `no field "superuser"`},
		{"member", []string{"role", "role_change/1", "role_change/64"}, ""},
		{"member", []string{"role_change/65"}, "no field"},
		{"member", []string{"role_change/01"}, "no field"},
		{"member", []string{"role_change/x"}, "no field"},
		{"recovery", []string{"id", "pub", "threshold", "shares", "set_by", "set_at", "sig", "admins"}, ""},
		{"recovery-release", []string{"recovery", "from", "to", "share", "shares"}, ""},
		{"token", []string{"role", "approval", "used_by", "used_at"}, ""},
		{"medication", []string{"patient", "name", "codes", "unchecked", "formulary", "rx_status", "dosage"}, ""},
		{"encounter", []string{"patient", "types", "class", "finished"}, ""},
	} {
		k, ok := KindOf(c.kind)
		if !ok {
			t.Fatalf("no kind %s", c.kind)
		}
		err := k.CheckFields(slices.Values(c.names))
		switch {
		case c.bad == "" && err != nil:
			t.Errorf("%s %d names %q...: %v", c.kind, len(c.names), c.names[0], err)
		case c.bad != "" && (err == nil || !strings.Contains(err.Error(), c.bad)):
			t.Errorf("%s %d names %q...: %v, want a refusal saying %q", c.kind, len(c.names), c.names[0], err, c.bad)
		}
	}
}

// TestFieldsRuleReasonIsOrderFree: the reason names the first name the
// kind does not declare, whatever order the names come in.
func TestFieldsRuleReasonIsOrderFree(t *testing.T) {
	k, _ := KindOf("patient")
	a := k.CheckFields(slices.Values([]string{"zz", "family", "aa", "mm"}))
	b := k.CheckFields(slices.Values([]string{"mm", "aa", "family", "zz"}))
	if a == nil || b == nil || a.Error() != b.Error() || !strings.Contains(a.Error(), `"aa"`) {
		t.Errorf("reasons %v and %v, want both to name aa", a, b)
	}
}

// BenchmarkCheckFields: the fields rule on a patient's registration (15
// fields), as every workstation judges each event it opens.
func BenchmarkCheckFields(b *testing.B) {
	k, _ := KindOf("patient")
	names := slices.Clone(k.Fields)
	b.ReportAllocs()
	for b.Loop() {
		if err := k.CheckFields(slices.Values(names)); err != nil {
			b.Fatal(err)
		}
	}
}

// TestFieldsVersion: the version names the declarations, so a change to
// any of them makes workstations judge their stores again.
func TestFieldsVersion(t *testing.T) {
	v := FieldsVersion()
	if len(v) != 16 || v != FieldsVersion() {
		t.Fatalf("FieldsVersion() = %q", v)
	}
	k := kinds["desk-settings"]
	kinds["desk-settings"] = Kind{Name: k.Name, Scope: k.Scope, Create: k.Create, Change: k.Change, Fields: append(slices.Clone(k.Fields), "currency")}
	defer func() { kinds["desk-settings"] = k }()
	if declarationsHash() == v {
		t.Error("a new field leaves the version as it was")
	}
}

// TestConfirmationNamesAdmission: a confirmations record declares a
// colleague's key with the hash of her admission, or alone (the older
// form); the declarations' version differs from session 12's, the last
// whose fields rule knew the older form only, so its stores judge again
// what they refused.
func TestConfirmationNamesAdmission(t *testing.T) {
	fp, adm := strings.Repeat("ab", 20), strings.Repeat("0f", 32)
	k := kinds["confirms"]
	for _, tc := range []struct {
		name string
		want bool
	}{
		{"member/" + fp + "/" + adm, true},
		{"desk/" + fp + "/" + adm, true},
		{"member/" + fp, true},
		{"desk/" + strings.Repeat("ab", 32) + "/" + adm, true},
		{"member/" + fp + "/", false},
		{"member/" + fp + "/" + adm[:62], false},
		{"member/" + fp + "/" + strings.ToUpper(adm), false},
		{"desk/" + fp + "/" + adm + "/" + adm, false},
		{"recovery/" + strings.Repeat("ab", 16) + "/" + adm, false},
	} {
		if got := k.Declares(tc.name); got != tc.want {
			t.Errorf("Declares(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
	if v := FieldsVersion(); v == "9f3376087bf801b7" {
		t.Errorf("FieldsVersion() = %q, session 12's: its stores would not judge again what they refused", v)
	}
}
