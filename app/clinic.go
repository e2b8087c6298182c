package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// NewClinic describes a clinic to create.
type NewClinic struct {
	Dir        string // profile folder of the founding administrator
	Clinic     string // the clinic's name
	Address    string // optional, for the clinic's record
	Phone      string // optional
	Zone       string // the clinic's IANA time zone ("Europe/Berlin"); "" for none
	Admin      string // the founding administrator's name
	Passphrase []byte
	Keystore   string // KeystoreOS (default) or KeystoreFile
	Servers    Servers
	// ServerInvite is the administrator account invite of the clinic's
	// XMPP server (`medihaven server invite --admin`, or StartLocalServers):
	// the founder's workstation makes its account with it, and may then
	// make account invites for newcomers' tokens. Needed when Servers are
	// set and the server makes accounts only with an invite.
	ServerInvite string
}

// Entity ids of the clinic's own records.
const (
	entityClinic   = roles.ClinicID   // directory: name, audit key
	entityAuditKey = roles.AuditKeyID // admin: the audit key's private half
)

// CreateClinic creates a clinic and its founding administrator's
// workstation: identity, the directory and admin scopes, the audit key.
func CreateClinic(ctx context.Context, env Env, c NewClinic) (*Session, error) {
	env = env.defaults()
	name, err := checkName("clinic name", c.Clinic)
	if err != nil {
		return nil, err
	}
	admin, err := checkName("administrator's name", c.Admin)
	if err != nil {
		return nil, err
	}
	if c.Zone != "" {
		if _, err := time.LoadLocation(c.Zone); err != nil || strings.EqualFold(c.Zone, "local") {
			return nil, fmt.Errorf("%w: %q is not a time zone name like Europe/Berlin or America/New_York", ErrInvalidInput, c.Zone)
		}
	}
	// With the server's administrator invite, the servers are checked and
	// the founder's account made before anything is kept.
	_, online := c.Servers.config()
	online = online && c.ServerInvite != ""
	if online {
		if err := checkIPFS(ctx, c.Servers); err != nil {
			return nil, err
		}
	}
	p := Profile{Clinic: name, Keystore: c.Keystore, Servers: c.Servers}
	p.Servers.InviteOnly = p.Servers.InviteOnly || online
	who := me{Name: admin, Role: roles.Administrator}
	return newProfile(ctx, env, c.Dir, p, c.Passphrase, who, nil, func(s *Session) error {
		for _, scope := range []roles.Scope{roles.Directory, roles.Admin} {
			if _, err := s.rep.NewEpoch(ctx, scope); err != nil {
				return err
			}
		}
		fp := s.rep.Fingerprint()
		fields, err := replica.F(map[string]any{
			"name": admin, "role": roles.Administrator, "status": replica.StatusActive,
			"joined": env.Now().UnixMilli(), "devices": []string{s.rep.Device()},
		})
		if err != nil {
			return err
		}
		if _, err := s.rep.Append(ctx, replica.Change{Entity: fp, Kind: replica.KindMember, Scope: roles.Directory, Fields: fields}); err != nil {
			return err
		}
		if err := s.createAuditKey(ctx, records.Clinic{Name: name, Address: strings.TrimSpace(c.Address),
			Phone: strings.TrimSpace(c.Phone), Zone: c.Zone}); err != nil {
			return err
		}
		if online {
			return s.registerAccount(ctx, c.Servers, c.ServerInvite)
		}
		return nil
	})
}

// The audit key is an OpenPGP key pair: every member encrypts audit events
// to its public half (kept in the directory), only administrators hold the
// private half (kept in the admin scope). So a physician's chart read is
// audited without the physician holding the admin key.
func (s *Session) createAuditKey(ctx context.Context, clinic records.Clinic) error {
	pass := []byte(newID(32))
	id, locked, err := crypto.NewIdentity("Medihaven audit", pass)
	if err != nil {
		return fmt.Errorf("app: audit key: %w", err)
	}
	defer id.Clear()
	clinic.AuditPub = id.Public().Bytes()
	pub, err := clinic.Fields()
	if err != nil {
		return err
	}
	if _, err := s.rep.Append(ctx, replica.Change{Entity: entityClinic, Kind: records.KindClinic, Scope: roles.Directory, Fields: pub}); err != nil {
		return err
	}
	priv, err := records.AuditKey{Locked: locked, Pass: string(pass)}.Fields()
	if err != nil {
		return err
	}
	_, err = s.rep.Append(ctx, replica.Change{Entity: entityAuditKey, Kind: records.KindAuditKey, Scope: roles.Admin, Fields: priv})
	return err
}
