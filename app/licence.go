package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// What a printed prescription says of its prescriber and clinic beyond
// their names: the physician's licence or registration number and the
// clinic's address and phone, set by an administrator (directory scope,
// so every workstation prints them).

// maxLicence bounds a licence number.
const maxLicence = 64

// SetLicence records the licence or registration number of the physician
// fp, printed on their prescriptions from now on ("" removes it).
func (s *Session) SetLicence(ctx context.Context, fp, number string) error {
	r, err := s.can(roles.AdmitStaff)
	if err != nil {
		return err
	}
	number = strings.Join(strings.Fields(number), " ")
	if len(number) > maxLicence {
		return fmt.Errorf("%w: a licence number has at most %d characters", ErrInvalidInput, maxLicence)
	}
	if _, err := s.Core().CheckPhysician(r, fp); err != nil {
		return err
	}
	fields, err := records.Licence{Member: fp, Number: number}.Fields()
	if err != nil {
		return err
	}
	if _, err := r.Append(ctx, replica.Change{Entity: records.LicenceEntity(fp), Kind: records.KindLicence, Scope: roles.Directory,
		Fields: fields}); err != nil {
		return fmt.Errorf("app: save the licence number: %w", err)
	}
	return nil
}

// Licence is the licence or registration number of the member fp as an
// administrator recorded it, or "".
func (c Core) Licence(ctx context.Context, r *replica.Replica, fp string) string {
	kind, st, err := r.Entity(ctx, records.LicenceEntity(fp))
	if err != nil || kind != records.KindLicence {
		return ""
	}
	if l := records.LicenceFromState(st); l.Member == fp {
		return l.Number
	}
	return ""
}

// ClinicRecord is the clinic's public record (name, address, phone) as
// the directory holds it.
func (c Core) ClinicRecord(ctx context.Context, r *replica.Replica) records.Clinic {
	kind, st, err := r.Entity(ctx, entityClinic)
	if err != nil || kind != records.KindClinic {
		return records.Clinic{Name: c.prof.Clinic}
	}
	return records.ClinicFromState(st)
}

// SetClinicContact records the clinic's address and phone as printed on
// prescriptions and handouts (an administrator's act; "" clears one).
func (s *Session) SetClinicContact(ctx context.Context, address, phone string) error {
	r, err := s.can(roles.AdmitStaff)
	if err != nil {
		return err
	}
	address, phone = strings.Join(strings.Fields(address), " "), strings.TrimSpace(phone)
	if len(address) > 300 || len(phone) > 40 {
		return fmt.Errorf("%w: the address has at most 300 characters and the phone 40", ErrInvalidInput)
	}
	fields, err := records.Some(records.Clinic{Address: address, Phone: phone}, records.ClinicAddress, records.ClinicPhone)
	if err != nil {
		return err
	}
	if _, err := r.Append(ctx, replica.Change{Entity: entityClinic, Kind: records.KindClinic, Scope: roles.Directory, Fields: fields}); err != nil {
		return fmt.Errorf("app: save the clinic's address and phone: %w", err)
	}
	return nil
}

// ClinicContact is the clinic's address and phone as an administrator
// recorded them ("" for either not set).
func (s *Session) ClinicContact(ctx context.Context) (address, phone string, err error) {
	r, err := s.live()
	if err != nil {
		return "", "", err
	}
	c := s.Core().ClinicRecord(ctx, r)
	return c.Address, c.Phone, nil
}

// LicenceOf is the licence or registration number recorded for the
// member fp, or "".
func (s *Session) LicenceOf(ctx context.Context, fp string) (string, error) {
	r, err := s.live()
	if err != nil {
		return "", err
	}
	return s.Core().Licence(ctx, r, fp), nil
}
