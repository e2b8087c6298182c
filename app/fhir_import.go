package app

import (
	"context"
	"io"
)

// ImportFHIR reads a FHIR R4 Bundle (a patient transferring from another
// clinic, or another Medihaven clinic's export) and writes all of it or
// nothing.
func (s *Session) ImportFHIR(ctx context.Context, r io.Reader) (FHIRImport, error) {
	return FHIRImport{}, errNotBuilt
}
