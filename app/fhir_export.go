package app

import (
	"context"
	"io"
)

// ExportFHIR writes a FHIR R4 Bundle of one patient (patientID, the
// patient's record id) or of the whole clinic (patientID ""), holding the
// resources this workstation's scopes allow.
func (s *Session) ExportFHIR(ctx context.Context, w io.Writer, patientID string) (FHIRExport, error) {
	return FHIRExport{}, errNotBuilt
}

// PatientBundle is ExportFHIR of one patient, as bytes.
func (s *Session) PatientBundle(ctx context.Context, patientID string) ([]byte, error) {
	return nil, errNotBuilt
}
