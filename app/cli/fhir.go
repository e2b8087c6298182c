package cli

import (
	"context"
	"fmt"

	"github.com/medihaven/medihaven/app"
)

// cmdExportFHIR: medihaven export fhir [--patient MRN] > bundle.json
func cmdExportFHIR(ctx context.Context, env app.Env, g Global, args []string, io IO) error {
	return fmt.Errorf("%w: export fhir is not built yet", ErrUsage)
}

// cmdImportFHIR: medihaven import fhir FILE
func cmdImportFHIR(ctx context.Context, env app.Env, g Global, args []string, io IO) error {
	return fmt.Errorf("%w: import fhir is not built yet", ErrUsage)
}
