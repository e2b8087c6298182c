package cli

import (
	"context"
	"fmt"

	"github.com/medihaven/medihaven/app"
)

// cmdExportICS: medihaven export ics --physician NAME [--from DATE --to DATE] > calendar.ics
func cmdExportICS(ctx context.Context, env app.Env, g Global, args []string, io IO) error {
	return fmt.Errorf("%w: export ics is not built yet", ErrUsage)
}

// cmdExportKeys: medihaven export keys [--name NAME] > staff.asc
func cmdExportKeys(ctx context.Context, env app.Env, g Global, args []string, io IO) error {
	return fmt.Errorf("%w: export keys is not built yet", ErrUsage)
}

// cmdHandout: medihaven handout --patient MRN --out handout.pdf
func cmdHandout(ctx context.Context, env app.Env, g Global, args []string, io IO) error {
	return fmt.Errorf("%w: handout is not built yet", ErrUsage)
}
