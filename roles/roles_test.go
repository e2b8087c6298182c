package roles

import (
	"errors"
	"testing"
)

// TestPolicy states the whole policy as a table, one row per action, and
// checks every role against every action: nothing is allowed by accident.
func TestPolicy(t *testing.T) {
	type allow struct{ admin, recep, phys bool }
	table := map[Action]allow{
		IssueToken:   {true, false, false},
		RevokeToken:  {true, false, false},
		AdmitStaff:   {true, false, false},
		RevokeStaff:  {true, false, false},
		ReadAudit:    {true, false, false},
		SplitRecover: {true, false, false},
		SetSecurity:  {true, false, false},

		ReadDirectory: {true, true, true},
		Chat:          {true, true, true},

		RegisterPatient:   {false, true, true},
		EditPatient:       {false, true, true},
		SearchPatients:    {false, true, true},
		BookAppointment:   {false, true, true},
		CancelAppointment: {false, true, true},
		CheckInPatient:    {false, true, true},
		EditAvailability:  {false, true, true},
		ReadCalendar:      {false, true, true},
		ExportCalendar:    {false, true, true},
		// From the chart or the front desk; a receptionist's copy holds
		// only demographics and appointments (the keys it has).
		HandOutPatientCopy: {false, true, true},

		ReadChart:      {false, false, true},
		WriteNote:      {false, false, true},
		RecordVitals:   {false, false, true},
		EditProblems:   {false, false, true},
		EditAllergies:  {false, false, true},
		Prescribe:      {false, false, true},
		ExportClinical: {false, false, true},
	}
	if len(table) != len(Actions) {
		t.Fatalf("table has %d actions, package lists %d: keep them in step", len(table), len(Actions))
	}
	for _, a := range Actions {
		want, ok := table[a]
		if !ok {
			t.Errorf("action %s missing from the policy table", a)
			continue
		}
		for role, w := range map[Role]bool{Administrator: want.admin, Receptionist: want.recep, Physician: want.phys} {
			t.Run(string(role)+"/"+string(a), func(t *testing.T) {
				if got := role.Can(a); got != w {
					t.Errorf("%s.Can(%s) = %v, want %v", role, a, got, w)
				}
				err := role.Check(a)
				if w && err != nil {
					t.Errorf("Check: %v", err)
				}
				if !w && !errors.Is(err, ErrForbidden) {
					t.Errorf("Check = %v, want ErrForbidden", err)
				}
			})
		}
	}
}

func TestScopes(t *testing.T) {
	tests := []struct {
		role Role
		want map[Scope]bool
	}{
		{Administrator, map[Scope]bool{Directory: true, Admin: true}},
		{Receptionist, map[Scope]bool{Directory: true, FrontDesk: true}},
		{Physician, map[Scope]bool{Directory: true, FrontDesk: true, Clinical: true}},
		{Role("janitor"), map[Scope]bool{}},
	}
	for _, tt := range tests {
		for _, s := range Scopes {
			if got := tt.role.Holds(s); got != tt.want[s] {
				t.Errorf("%s.Holds(%s) = %v, want %v", tt.role, s, got, tt.want[s])
			}
		}
		if len(tt.role.Scopes()) != len(tt.want) {
			t.Errorf("%s.Scopes() = %v", tt.role, tt.role.Scopes())
		}
	}
}

func TestCreates(t *testing.T) {
	// An administrator must never create, and so never hold, a clinical key.
	for _, r := range All {
		for _, s := range Scopes {
			if r.Creates(s) && !r.Holds(s) {
				t.Errorf("%s creates %s but does not hold it", r, s)
			}
		}
	}
	if Administrator.Creates(Clinical) || Receptionist.Creates(Clinical) || !Physician.Creates(Clinical) {
		t.Error("only a physician may create the clinical key")
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    Role
		wantErr bool
	}{
		{"physician", Physician, false},
		{" Receptionist ", Receptionist, false},
		{"ADMINISTRATOR", Administrator, false},
		{"", "", true},
		{"nurse", "", true},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("Parse(%q) = %q, %v", tt.in, got, err)
		}
		if tt.wantErr && !errors.Is(err, ErrUnknownRole) {
			t.Errorf("Parse(%q) error %v does not wrap ErrUnknownRole", tt.in, err)
		}
	}
}
