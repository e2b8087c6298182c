package app

import "testing"

// TestAuditSaysWhatInClinicWords: the audit log's lines for the records
// each write seals read in a clinic manager's words. They read "changed a
// token record" for a token just issued, "changed a heads-seen record",
// "changed a desk-settings record": the kinds as the code names them.
func TestAuditSaysWhatInClinicWords(t *testing.T) {
	for _, tt := range []struct{ action, want string }{
		{"change.token", "saved a record: registration token"},
		{"change.heads-seen", "saved a record: sync check between workstations"},
		{"change.desk-settings", "saved a record: front-desk settings"},
		{"change.patient", "saved a record: patient"},
		{"change.availability", "saved a record: working hours and days off"},
		{"change.something-new", "saved a record: something-new"},
		{"chart.read", "opened a chart"},
	} {
		e := AuditEntry{Readable: true, Record: AuditRecord{Action: tt.action}}
		if got := e.Describe(); got != tt.want {
			t.Errorf("%s reads %q, want %q", tt.action, got, tt.want)
		}
	}
}
