package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/prescribing"
)

// cmdVerifyRx checks a printed prescription's verification code against
// the prescriber's signature, on a physician's workstation (only they hold
// the clinical key). It prints what was signed, so a pharmacist's question
// can be answered by comparing it with the paper, and exits non-zero when
// the code is unknown, the signature fails or the prescription was
// cancelled.
func cmdVerifyRx(ctx context.Context, env app.Env, g Global, args []string, io IO) error {
	fs := newFlags("verify-rx")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: verify-rx needs the verification code printed on the prescription, like ABCDE-23456", ErrUsage)
	}
	s, err := login(ctx, env, g, io)
	if err != nil {
		return err
	}
	defer s.Close()
	p, err := prescribing.New(s.Core()).VerifyPrescription(ctx, fs.Arg(0))
	if errors.Is(err, prescribing.ErrRxSignature) {
		fmt.Fprintf(io.Stdout, "BAD  %s: the signature does not match the prescription\n", p.Code)
		return err
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(io.Stdout, "Prescription %s, signed %s by %s\n", p.Code, p.Time.Format("2 Jan 2006 15:04"), p.PrescriberName)
	fmt.Fprintf(io.Stdout, "  patient MRN %s\n", p.PatientMRN)
	for i, it := range p.Items {
		fmt.Fprintf(io.Stdout, "  %d. %s: %s; quantity %s; refills %d\n", i+1, it.Drug, it.Directions(), it.Quantity, it.Refills)
	}
	if p.Status == prescribing.RxCancelled {
		fmt.Fprintf(io.Stdout, "CANCELLED on %s by %s: %s\n", p.Cancellation.Time.Format("2 Jan 2006"), p.Cancellation.AuthorName, p.Cancellation.Reason)
		return fmt.Errorf("prescription %s was cancelled: do not dispense it", p.Code)
	}
	fmt.Fprintln(io.Stdout, "OK   the prescriber's signature matches")
	return nil
}
