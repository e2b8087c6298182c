package roles

import "fmt"

// Action is one thing a staff member can do in Medihaven.
type Action string

// The actions, grouped by the scope whose data they touch.
const (
	// Membership and audit (admin scope).
	IssueToken   Action = "issue-token"
	RevokeToken  Action = "revoke-token"
	AdmitStaff   Action = "admit-staff"
	RevokeStaff  Action = "revoke-staff"
	ReadAudit    Action = "read-audit"
	SplitRecover Action = "split-recovery"
	SetSecurity  Action = "set-security"

	// Staff directory and chat (directory scope).
	ReadDirectory Action = "read-directory"
	Chat          Action = "chat"

	// Front desk (frontdesk scope).
	RegisterPatient   Action = "register-patient"
	EditPatient       Action = "edit-patient"
	SearchPatients    Action = "search-patients"
	BookAppointment   Action = "book-appointment"
	CancelAppointment Action = "cancel-appointment"
	CheckInPatient    Action = "check-in-patient"
	EditAvailability  Action = "edit-availability"
	ReadCalendar      Action = "read-calendar"
	ExportCalendar    Action = "export-calendar"
	// HandOutPatientCopy works from the chart or the front desk: the copy
	// holds only what the workstation's scopes can read.
	HandOutPatientCopy Action = "hand-out-patient-copy"

	// Clinical (clinical scope).
	ReadChart      Action = "read-chart"
	WriteNote      Action = "write-note"
	RecordVitals   Action = "record-vitals"
	EditProblems   Action = "edit-problems"
	EditAllergies  Action = "edit-allergies"
	Prescribe      Action = "prescribe"
	ExportClinical Action = "export-clinical"
)

// Actions lists every action.
var Actions = []Action{
	IssueToken, RevokeToken, AdmitStaff, RevokeStaff, ReadAudit, SplitRecover, SetSecurity,
	ReadDirectory, Chat,
	RegisterPatient, EditPatient, SearchPatients, BookAppointment, CancelAppointment,
	CheckInPatient, EditAvailability, ReadCalendar, ExportCalendar, HandOutPatientCopy,
	ReadChart, WriteNote, RecordVitals, EditProblems, EditAllergies, Prescribe,
	ExportClinical,
}

// needs maps each action to the scope whose key it requires. A role may take
// an action exactly when it holds that scope: the policy and the keys cannot
// disagree.
var needs = map[Action]Scope{
	IssueToken: Admin, RevokeToken: Admin, AdmitStaff: Admin, RevokeStaff: Admin,
	ReadAudit: Admin, SplitRecover: Admin, SetSecurity: Admin,

	ReadDirectory: Directory, Chat: Directory,

	RegisterPatient: FrontDesk, EditPatient: FrontDesk, SearchPatients: FrontDesk,
	BookAppointment: FrontDesk, CancelAppointment: FrontDesk, CheckInPatient: FrontDesk,
	EditAvailability: FrontDesk, ReadCalendar: FrontDesk, ExportCalendar: FrontDesk,
	HandOutPatientCopy: FrontDesk,

	ReadChart: Clinical, WriteNote: Clinical, RecordVitals: Clinical,
	EditProblems: Clinical, EditAllergies: Clinical, Prescribe: Clinical,
	ExportClinical: Clinical,
}

// Needs returns the scope an action requires.
func (a Action) Needs() Scope { return needs[a] }

// Can reports whether role r may take action a.
func (r Role) Can(a Action) bool {
	s, ok := needs[a]
	return ok && r.Holds(s)
}

// ErrForbidden is wrapped by Check when a role may not take an action.
var ErrForbidden = fmt.Errorf("roles: not allowed")

// Check returns nil when r may take a, and otherwise an error a person can read.
func (r Role) Check(a Action) error {
	if r.Can(a) {
		return nil
	}
	return fmt.Errorf("%w: a %s cannot %s", ErrForbidden, r, a.phrase())
}

func (a Action) phrase() string {
	switch a {
	case ReadChart:
		return "open patient charts"
	case Prescribe:
		return "prescribe"
	case IssueToken:
		return "issue registration tokens"
	case RegisterPatient:
		return "register patients"
	case SetSecurity:
		return "change the clinic's security settings"
	}
	return "do this (" + string(a) + ")"
}
