package app

import "context"

// HandOutPatientCopy makes a patient's own copy of their record, puts it
// on IPFS and returns the handout to print. The handout is audited.
func (s *Session) HandOutPatientCopy(ctx context.Context, patientID string) (PatientCopy, error) {
	return PatientCopy{}, errNotBuilt
}
