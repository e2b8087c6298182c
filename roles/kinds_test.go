package roles

import "testing"

func TestKindsTable(t *testing.T) {
	if len(Kinds()) == 0 {
		t.Fatal("no kinds")
	}
	for _, k := range Kinds() {
		switch {
		case k.Raw && (k.Scope != AuditTrail && k.Scope != RecoveryEscrow):
			t.Errorf("raw kind %s in scope %s: raw kinds live in the audit or recovery scope", k.Name, k.Scope)
		case !k.Raw && !k.Scope.Valid():
			t.Errorf("kind %s in scope %q, which no key exists for", k.Name, k.Scope)
		case len(k.Create) == 0 || len(k.Change) == 0:
			t.Errorf("kind %s: nobody may write it", k.Name)
		case k.Raw != (len(k.Fields) == 0 && len(k.Keyed) == 0):
			t.Errorf("kind %s (raw %v) declares %d fields: a record kind declares its fields, a raw kind none", k.Name, k.Raw, len(k.Fields)+len(k.Keyed))
		}
		for _, r := range append(append([]Role(nil), k.Create...), k.Change...) {
			if !r.Valid() {
				t.Errorf("kind %s names role %q", k.Name, r)
			}
			if !k.Raw && !r.Holds(k.Scope) {
				t.Errorf("kind %s: a %s may write it but holds no %s key", k.Name, r, k.Scope)
			}
		}
		if got, ok := KindOf(k.Name); !ok || got.Name != k.Name {
			t.Errorf("KindOf(%s) = %+v, %v", k.Name, got, ok)
		}
	}
	if _, ok := KindOf("superuser"); ok {
		t.Error("an unknown kind is in the table")
	}
	for _, c := range []struct {
		kind string
		role Role
		may  bool
	}{
		{"member", Administrator, true}, {"member", Receptionist, false}, {"member", Physician, false},
		{"allergy", Physician, true}, {"allergy", Receptionist, false}, {"allergy", Administrator, false},
		{"patient", Receptionist, true}, {"patient", Administrator, false},
		{"key-held", Receptionist, true}, {"audit", Physician, true},
	} {
		k, _ := KindOf(c.kind)
		if k.MayCreate(c.role) != c.may || k.MayChange(c.role) != c.may {
			t.Errorf("a %s may write %s: %v, want %v", c.role, c.kind, k.MayCreate(c.role), c.may)
		}
	}
	member, _ := KindOf("member")
	allergy, _ := KindOf("allergy")
	patient, _ := KindOf("patient")
	if !(member.Precedence() > allergy.Precedence() && allergy.Precedence() > patient.Precedence()) {
		t.Error("precedence must put directory records before clinical ones before front-desk ones")
	}
}
