package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/prescribing"
	"github.com/medihaven/medihaven/internal/atomicfile"
	"github.com/medihaven/medihaven/roles"
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

// cmdRx runs the prescription commands a script needs: the printable PDF
// of a prescription by its verification code (a physician's workstation),
// and what a prescription prints of its prescriber and clinic (an
// administrator's).
func cmdRx(ctx context.Context, env app.Env, g Global, args []string, io IO) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: rx needs pdf, licence or clinic-contact", ErrUsage)
	}
	switch args[0] {
	case "pdf":
		return cmdRxPDF(ctx, env, g, args[1:], io)
	case "licence":
		return cmdRxLicence(ctx, env, g, args[1:], io)
	case "clinic-contact":
		return cmdRxClinicContact(ctx, env, g, args[1:], io)
	}
	return fmt.Errorf("%w: unknown rx command %q (pdf, licence or clinic-contact)", ErrUsage, args[0])
}

// cmdRxPDF writes the PDF of the prescription a verification code names,
// the same the Print and Save as PDF… buttons make (audited as saved); a prescription whose
// signature fails or that was cancelled is refused.
func cmdRxPDF(ctx context.Context, env app.Env, g Global, args []string, io IO) error {
	fs := newFlags("rx pdf")
	out := fs.String("out", "", "the PDF file to write")
	code := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		code, args = args[0], args[1:]
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if code == "" && fs.NArg() == 1 {
		code = fs.Arg(0)
	}
	if code == "" || *out == "" {
		return fmt.Errorf("%w: rx pdf needs the verification code and --out FILE, like: rx pdf ABCDE-23456 --out rx.pdf", ErrUsage)
	}
	s, err := login(ctx, env, g, io)
	if err != nil {
		return err
	}
	defer s.Close()
	rx := prescribing.New(s.Core())
	p, err := rx.VerifyPrescription(ctx, code)
	if err != nil {
		return err
	}
	data, err := rx.PrescriptionPDF(ctx, p.ID, prescribing.PDFSave)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(*out, data, 0o600); err != nil { // a new file of ours, 0600, whatever was there
		return fmt.Errorf("the PDF could not be written: %w", err)
	}
	fmt.Fprintf(io.Stdout, "Prescription %s written to %s\n", p.Code, *out)
	return nil
}

// cmdRxLicence records a physician's licence or registration number,
// printed on their prescriptions.
func cmdRxLicence(ctx context.Context, env app.Env, g Global, args []string, io IO) error {
	fs := newFlags("rx licence")
	who := fs.String("physician", "", "the physician's name or key fingerprint")
	number := fs.String("number", "", "the licence or registration number (empty: remove it)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *who == "" {
		return fmt.Errorf("%w: rx licence needs --physician NAME and --number NUMBER", ErrUsage)
	}
	s, err := login(ctx, env, g, io)
	if err != nil {
		return err
	}
	defer s.Close()
	m, err := findMember(ctx, s, *who, roles.Physician)
	if err != nil {
		return err
	}
	if err := s.SetLicence(ctx, m.Fingerprint, *number); err != nil {
		return err
	}
	fmt.Fprintf(io.Stdout, "Licence number of %s: %s\n", m.Name, orNone(strings.TrimSpace(*number)))
	return nil
}

// cmdRxClinicContact records the clinic's address and phone, printed on
// prescriptions.
func cmdRxClinicContact(ctx context.Context, env app.Env, g Global, args []string, io IO) error {
	fs := newFlags("rx clinic-contact")
	address := fs.String("address", "", "the clinic's postal address, on one line")
	phone := fs.String("phone", "", "the clinic's phone number")
	if err := parse(fs, args); err != nil {
		return err
	}
	s, err := login(ctx, env, g, io)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.SetClinicContact(ctx, *address, *phone); err != nil {
		return err
	}
	fmt.Fprintf(io.Stdout, "Clinic address: %s\nClinic phone: %s\n", orNone(strings.TrimSpace(*address)), orNone(strings.TrimSpace(*phone)))
	return nil
}
