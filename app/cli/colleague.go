package cli

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/recovery"
	"github.com/medihaven/medihaven/roles"
)

// cmdColleague lists this physician's or receptionist's colleagues with
// the code both screens show, and confirms one in person (the clinical key
// passes between two physicians once each confirmed the other, the front
// desk's between any two of them): the headless form of the Colleagues
// screen, for a workstation enrolled with enroll.
func cmdColleague(ctx context.Context, env app.Env, g Global, args []string, io IO) error {
	if len(args) == 0 || !slices.Contains([]string{"list", "confirm", "recovery", "approve-recovery"}, args[0]) {
		return fmt.Errorf("%w: colleague needs list, confirm NAME CODE, recovery or approve-recovery ID", ErrUsage)
	}
	if args[0] == "approve-recovery" && len(args) != 2 {
		return fmt.Errorf("%w: colleague approve-recovery needs the recovery's id (colleague recovery shows it)", ErrUsage)
	}
	if args[0] == "confirm" && len(args) != 3 {
		return fmt.Errorf("%w: colleague confirm needs the colleague's name (or key fingerprint) and the twelve-digit code her screen shows, in quotes", ErrUsage)
	}
	s, err := login(ctx, env, g, io)
	if err != nil {
		return err
	}
	defer s.Close()
	if args[0] == "recovery" || args[0] == "approve-recovery" {
		return colleagueRecovery(ctx, s, args, io)
	}
	list, err := s.Colleagues()
	if err != nil {
		return err
	}
	if args[0] == "list" {
		if len(list) == 0 {
			fmt.Fprintln(io.Stdout, "No other physician or receptionist in the clinic yet.")
		}
		for _, c := range list {
			fmt.Fprintf(io.Stdout, "%s  %s  %s (%s)  %s, %s\n", c.Code, c.Fingerprint[:16], c.Name, c.Role, colleagueState(c), countsFor(c.For))
		}
		if s.AwaitingColleague() {
			fmt.Fprintln(io.Stdout, "Patients' records open once a colleague and you confirm each other: compare the code beside her name with her screen.")
		}
		return nil
	}
	q := strings.ToLower(strings.Join(strings.Fields(args[1]), " "))
	var found []app.Colleague
	for _, c := range list {
		if strings.ToLower(c.Name) == q || c.Fingerprint == strings.ReplaceAll(q, " ", "") {
			found = append(found, c)
		}
	}
	switch len(found) {
	case 0:
		return fmt.Errorf("%w: no physician or receptionist named %q (colleague list shows them)", app.ErrInvalidInput, args[1])
	case 1:
	default:
		return fmt.Errorf("%w: %d colleagues are named %q: give the key fingerprint colleague list shows", app.ErrInvalidInput, len(found), args[1])
	}
	if err := s.ConfirmColleague(ctx, found[0].Fingerprint, args[2]); err != nil {
		return err
	}
	fmt.Fprintf(io.Stdout, "Confirmed %s, %s. The key passes between you once she has confirmed you too (run sync to send it).\n",
		found[0].Name, countsFor(found[0].For))
	return nil
}

// countsFor says what a confirmation counts for.
func countsFor(s roles.Scope) string {
	if s == roles.Clinical {
		return "for the clinical records and the front desk"
	}
	return "for the front desk"
}

func colleagueState(c app.Colleague) string {
	switch {
	case c.YouConfirmed && c.ConfirmedYou:
		return "you confirmed each other"
	case c.YouConfirmed:
		return "you confirmed her; she has not confirmed you yet"
	case c.ConfirmedYou:
		return "she confirmed you; confirm her once you compared codes"
	case c.Confirmed:
		return "confirmed by colleagues"
	}
	return "not confirmed"
}

// colleagueRecovery shows the recovery split in force and who approved it
// to hold the clinical key's shares, or approves it.
func colleagueRecovery(ctx context.Context, s *app.Session, args []string, io IO) error {
	svc := recovery.New(s.Core())
	if args[0] == "approve-recovery" {
		if err := svc.ApproveClinical(ctx, args[1]); err != nil {
			return err
		}
		fmt.Fprintln(io.Stdout, "Approved. The physicians' workstations escrow their clinical keys to it at their next sync (run sync to send it).")
		return nil
	}
	a, err := svc.ClinicalApproval(ctx)
	if err != nil {
		return err
	}
	if !a.Set {
		fmt.Fprintln(io.Stdout, "No recovery is set up.")
		return nil
	}
	fmt.Fprintf(io.Stdout, "Recovery %s, set up by %s: %d of these administrators together: %s\n", a.ID, a.SetBy, a.Threshold, strings.Join(a.Admins, ", "))
	switch {
	case a.You:
		fmt.Fprintf(io.Stdout, "You approved it (approved by %s).\n", strings.Join(a.ApprovedBy, ", "))
	case len(a.ApprovedBy) > 0:
		fmt.Fprintf(io.Stdout, "Approved by %s.\n", strings.Join(a.ApprovedBy, ", "))
	default:
		fmt.Fprintln(io.Stdout, "Not approved: the clinical key is not escrowed to it. Approve it only if these are your clinic's administrators.")
	}
	return nil
}
