package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
	_ "time/tzdata" // the clinic's time zone must resolve on workstations without a zone database

	"github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// The clinic core as the domain packages beside app see it (issue 18):
// app/frontdesk, app/chart, app/prescribing, app/chat, app/admin and
// app/interop each build a Service on a session's Core and find here, on
// top of the session's own use cases, what they need to read and write
// records themselves: the replica once the role policy allows an action
// (a record's history is the replica's: Replica.History), the clock and
// the clinic's zone, the audit drop box (a record that joins the batch it
// records), a patient's registration as the clinic's own code makes it,
// the change feed, the device key for what stays on this workstation, and
// state of their own that lives as long as the session (Part). app/backup
// finds the keystore's entries and a profile's install (KeystoreEntries,
// InstallProfile), since only app touches the keystore and writes
// profiles. The typed records and their fields are app/records; how dates,
// names and fingerprints are written is words.go. Nothing here is for the
// UI.

// Core is a logged-in session as a domain package uses it: the session's
// use cases (SearchPatients, Audit...) and the methods below.
type Core struct{ *Session }

// Core returns the session as domain packages use it, e.g.
// interop.New(s.Core()).
func (s *Session) Core() Core { return Core{s} }

// CoreOf is the Core of s when s is a *Session or holds one embedded (as
// the GUI's synced session does): how a domain package's Of finds its
// session behind the interfaces the UI sees.
func CoreOf(s any) (Core, bool) {
	c, ok := s.(interface{ Core() Core })
	if !ok {
		return Core{}, false
	}
	return c.Core(), true
}

// ReplicaFor returns the replica when the staff member may do a: the
// session is unlocked, their access is not revoked, their role allows a
// and this workstation holds the key of the scope a needs.
func (c Core) ReplicaFor(a roles.Action) (*replica.Replica, error) { return c.can(a) }

// Now is the session's clock.
func (c Core) Now() time.Time { return c.env.Now() }

// NewID is n random bytes in hex, for ids that must not collide.
func NewID(n int) string { return newID(n) }

// DeviceKey is the workstation's device key while the session is
// unlocked (a zero key otherwise), for what a domain package keeps sealed
// on this workstation only (the chat's history).
func (c Core) DeviceKey() crypto.DeviceKey { return c.deviceKey() }

// Changed tells the change feed's listeners (the open screens) of ch.
func (c Core) Changed(ch ...replica.Changed) { c.changed(ch) }

// ---- state a domain package keeps for a session ----

// Part is what a domain package keeps for one session beyond the clinic
// log (the chat's link to the running sync and its opened history).
type Part interface {
	// Forget drops what the part holds in memory of the clinic's data:
	// the session locks or closes. It must not wait on disk or network.
	Forget()
}

// Part returns the session's part named name, made with make on first
// use, so that every caller of a session gets the same one.
func (c Core) Part(name string, make func() Part) Part {
	c.partsMu.Lock()
	defer c.partsMu.Unlock()
	if p, ok := c.parts[name]; ok {
		return p
	}
	if c.parts == nil {
		c.parts = map[string]Part{}
	}
	p := make()
	c.parts[name] = p
	return p
}

// forgetParts tells every part that the session locks or closes.
func (s *Session) forgetParts() {
	s.partsMu.Lock()
	ps := make([]Part, 0, len(s.parts))
	for _, p := range s.parts {
		ps = append(ps, p)
	}
	s.partsMu.Unlock()
	for _, p := range ps {
		p.Forget()
	}
}

// ---- upkeep a domain package runs (app/recovery) ----

// UpkeepStep is a domain package's share of a workstation's upkeep: the
// session's Maintain runs each step of its Env.Upkeep, after the grants,
// with the session's replica r, whatever the member's role. It returns how
// many changes it made. app/recovery's Upkeep escrows keys for recovery
// and takes the keys administrators recovered for this member.
type UpkeepStep func(ctx context.Context, c Core, r *replica.Replica) (int, error)

// RecoverableScopes are the scopes whose keys app/recovery escrows.
// Revoking an administrator who may hold shares of them starts a new epoch
// of each (app/recovery's upkeep: rotate.go).
func RecoverableScopes() []roles.Scope { return []roles.Scope{roles.Clinical, roles.FrontDesk} }

// ---- the audit drop box ----

// AuditInBatch adds an audit record to batch b, so that it is written
// with what it records or not at all.
func (c Core) AuditInBatch(r *replica.Replica, b *replica.Batch, rec AuditRecord) error {
	return c.auditEvent(r, b, rec)
}

// AuditEventFHIR is an audit entry as a FHIR R4 AuditEvent (the audit
// log's export, app/admin, and the clinic's FHIR export, app/interop).
func (c Core) AuditEventFHIR(e AuditEntry) fhir.AuditEvent { return c.auditEventFHIR(e) }

// ---- reads and writes the front desk shares ----

// RegisterInBatch adds the registration of a valid patient to batch b: a
// new record id, an MRN that is free and none of taken, registered at now.
func RegisterInBatch(ctx context.Context, r *replica.Replica, b *replica.Batch, p Patient, now time.Time, taken map[string]bool) (Patient, error) {
	return registerInto(ctx, r, b, p, now, taken)
}

// DeskSettingsEntity is the entity of the front desk's settings (the
// clinic's time zone), of the front-desk scope.
const DeskSettingsEntity = roles.DeskSettingsID

// clinicZone is the clinic's time zone: the one set for the front desk,
// or this computer's.
func (s *Session) clinicZone(ctx context.Context, r *replica.Replica) *time.Location {
	kind, st, err := r.Entity(ctx, DeskSettingsEntity)
	if err != nil || kind != records.KindDeskSettings {
		return time.Local
	}
	zone := records.DeskSettingsFromState(st).Zone
	if loc, err := time.LoadLocation(zone); err == nil && zone != "" {
		return loc
	}
	return time.Local
}

// Zone is the clinic's time zone, read with r whatever the role (the
// front desk sets it; this computer's zone until it does).
func (c Core) Zone(ctx context.Context, r *replica.Replica) *time.Location {
	return c.clinicZone(ctx, r)
}

// ClinicZone is the time zone the clinic's hours and appointments are in.
func (s *Session) ClinicZone(ctx context.Context) (*time.Location, error) {
	r, err := s.can(roles.ReadCalendar)
	if err != nil {
		return nil, err
	}
	return s.clinicZone(ctx, r), nil
}

// CheckPhysician returns the directory entry of fingerprint fp when it is
// an active physician's, else an ErrInvalidInput.
func (c Core) CheckPhysician(r *replica.Replica, fp string) (replica.Member, error) {
	m, ok := r.Member(fp)
	if !ok || m.Role != roles.Physician || !m.Active() {
		return replica.Member{}, fmt.Errorf("%w: choose an active physician", ErrInvalidInput)
	}
	return m, nil
}

// ---- a workstation's backup and restore (app/backup) ----

// KeystoreEntries are a workstation's two keystore entries as they are
// kept: the identity locked by the passphrase and the device key wrapped
// to the identity. Neither opens without the passphrase.
type KeystoreEntries struct {
	Identity []byte `json:"identity"`
	Device   []byte `json:"device"`
}

// KeystoreEntries reads this workstation's keystore entries once
// passphrase proves to be the member's own: app/backup puts them in the
// backup, which only app can read from the keystore.
func (c Core) KeystoreEntries(passphrase []byte) (KeystoreEntries, error) {
	var k KeystoreEntries
	ks, err := c.env.OpenKeystore(c.Profile(), passphrase)
	if errors.Is(err, crypto.ErrWrongPassphrase) {
		return k, fmt.Errorf("%w: check it and try again", ErrWrongPassphrase)
	}
	if err != nil {
		return k, err
	}
	defer crypto.CloseKeystore(ks)
	if k.Identity, err = ks.Get(nameIdentity); err == nil {
		k.Device, err = ks.Get(nameDevice)
	}
	if err != nil {
		return k, fmt.Errorf("%w: %w", errKeyMissing, err)
	}
	id, err := crypto.UnlockIdentity(k.Identity, passphrase)
	if err != nil {
		return k, fmt.Errorf("%w: the backup is encrypted to your own passphrase; check it and try again", ErrWrongPassphrase)
	}
	id.Clear()
	return k, nil
}

// Installation is a workstation's profile, keys and database from
// elsewhere (a backup), to install in Dir, which must hold no profile.
type Installation struct {
	Dir        string
	Profile    Profile
	Keys       KeystoreEntries
	Database   []byte // the SQLite database, as a backup holds it
	Passphrase []byte
}

// InstallProfile installs in under a new profile id (its own keystore
// entries, even beside the old profile), logs in with the passphrase and
// runs check; any failure, check's too, removes what it made. It is how
// app/backup restores, since only app writes profiles and the keystore.
func InstallProfile(ctx context.Context, env Env, in Installation, check func(*Session) error) (*Session, error) {
	env = env.defaults()
	if _, err := os.Stat(filepath.Join(in.Dir, profileFile)); err == nil {
		return nil, fmt.Errorf("%w: %s (restore into an empty folder)", ErrProfileExists, in.Dir)
	}
	if len(in.Keys.Identity) == 0 || len(in.Keys.Device) == 0 || len(in.Database) == 0 {
		return nil, fmt.Errorf("%w: the keys or the database are missing", ErrInvalidInput)
	}
	p := in.Profile
	p.ID, p.Dir = newID(16), in.Dir
	_, err := os.Stat(in.Dir)
	created := errors.Is(err, os.ErrNotExist)
	var ks crypto.Keystore
	fail := func(err error) (*Session, error) {
		removeProfile(in.Dir, created, ks)
		if ks != nil {
			crypto.CloseKeystore(ks)
		}
		return nil, err
	}
	if err := os.MkdirAll(in.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("app: restore: %w", err)
	}
	if err := os.WriteFile(filepath.Join(in.Dir, storeFile), in.Database, 0o600); err != nil {
		return fail(fmt.Errorf("app: restore: %w", err))
	}
	if ks, err = env.OpenKeystore(p, in.Passphrase); err != nil {
		return fail(err)
	}
	for name, entry := range map[string][]byte{nameIdentity: in.Keys.Identity, nameDevice: in.Keys.Device} {
		if err := ks.Set(name, entry); err != nil {
			return fail(fmt.Errorf("app: restore the keys into the keystore: %w", err))
		}
	}
	crypto.CloseKeystore(ks)
	if err := p.write(); err != nil {
		return fail(err)
	}
	s, err := Login(ctx, env, in.Dir, "", in.Passphrase)
	if err == nil {
		if err = check(s); err != nil {
			s.Close()
		}
	}
	if err != nil {
		return fail(err)
	}
	return s, nil
}

// removeProfile removes what a failed profile's making left: its entries
// in ks (when not nil) and the folder dir when it was created, else the
// profile's files in it.
func removeProfile(dir string, created bool, ks crypto.Keystore) {
	if ks != nil {
		ks.Delete(nameIdentity)    //nolint:errcheck // best effort clean-up
		ks.Delete(nameDevice)      //nolint:errcheck
		ks.Delete(nameTrustSealed) //nolint:errcheck
		ks.Delete(nameStoreSeal)   //nolint:errcheck
	}
	if created {
		os.RemoveAll(dir)
		return
	}
	for _, f := range []string{storeFile, storeFile + "-wal", storeFile + "-shm", keysFile, profileFile} {
		os.Remove(filepath.Join(dir, f))
	}
}
