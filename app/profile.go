package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/internal/atomicfile"
	"github.com/medihaven/medihaven/sync/netsync"
	"github.com/medihaven/medihaven/sync/store"
)

// Profile is one workstation profile: a folder holding the encrypted store
// and profile.json, which names the clinic, where its keys live and whose
// workstation it is. Nothing in it names a patient.
type Profile struct {
	Dir    string `json:"-"`
	ID     string `json:"id"`     // random, names the keyring entries
	Clinic string `json:"clinic"` // clinic name, for the login screen
	// Staff is the name of the staff member whose workstation this is, so
	// the login screen names the person and nobody types it. It names a
	// colleague, never a patient (Session.NoteStaffName writes it).
	Staff    string `json:"staff,omitempty"`
	ClinicID string `json:"clinic_id"` // the founder's fingerprint starts with it
	Device   string `json:"device"`
	Keystore string `json:"keystore"` // "os" or "file"
	// Anchors are administrator fingerprints trusted before the directory
	// can be read (the issuer of the token this profile was created from).
	Anchors []string `json:"anchors,omitempty"`
	Servers Servers  `json:"servers"`
}

// Servers are the clinic's network services.
type Servers struct {
	IPFS string `json:"ipfs,omitempty"` // Kubo API address
	// IPFSSecret is the Kubo API's bearer secret, "" when it asks none.
	// It opens the clinic's node to this workstation (ciphertext and the
	// clear headers only), so like the workstation's other secrets it is
	// kept sealed with the device key in the store (sealServerSecret) and
	// known only to a logged-in session: profile.json never holds it.
	// (Profiles written before hold it in clear until their next login.)
	IPFSSecret string `json:"ipfs_secret,omitempty"`
	// Desk is the clinic server's join desk (host:port), where tokens'
	// short codes resolve and newcomers learn whether they were refused.
	Desk   string `json:"desk,omitempty"`
	XMPP   string `json:"xmpp,omitempty"`   // host:port
	Domain string `json:"domain,omitempty"` // XMPP domain
	// XMPPCert pins the XMPP server's self-signed certificate (PEM); empty
	// means the system's certificate authorities verify it.
	XMPPCert string `json:"xmpp_cert,omitempty"`
	// XMPPCertPin pins the XMPP server's certificate by its SHA-256 (64
	// hex), as a registration token carries it: a newcomer trusts the
	// server its administrator uses without copying a certificate file.
	XMPPCertPin string `json:"xmpp_cert_pin,omitempty"`
	// OpenRegistration lets the workstation create its XMPP account
	// in-band: for a demo or test server on loopback only.
	OpenRegistration bool `json:"open_registration,omitempty"`
	// InviteOnly: the XMPP server makes accounts only with an invite (a
	// clinic's server from `medihaven server`): every token carries an
	// account invite, and its newcomer waits for approval.
	InviteOnly bool `json:"invite_only,omitempty"`
}

// SyncConfig is the network sync configuration of the profile's servers;
// false when the profile names no servers (a workstation that stays
// offline).
func (p Profile) SyncConfig() (netsync.Config, bool) {
	v := p.Servers
	if v.IPFS == "" || v.XMPP == "" || v.Domain == "" {
		return netsync.Config{}, false
	}
	return netsync.Config{IPFS: v.IPFS, IPFSSecret: v.IPFSSecret, IPFSPin: v.XMPPCertPin, XMPPAddr: v.XMPP, Domain: v.Domain, PinnedCert: []byte(v.XMPPCert),
		CertPin: v.XMPPCertPin, Register: v.OpenRegistration}, true
}

// certPin is the SHA-256 (hex) of the pinned XMPP server certificate, to
// hand to a newcomer in a registration token; "" when none is pinned.
func (v Servers) certPin() string {
	if v.XMPPCertPin != "" {
		return v.XMPPCertPin
	}
	block, _ := pem.Decode([]byte(v.XMPPCert))
	if block == nil || block.Type != "CERTIFICATE" {
		return ""
	}
	sum := sha256.Sum256(block.Bytes)
	return hex.EncodeToString(sum[:])
}

// Keystore kinds.
const (
	KeystoreOS   = "os"
	KeystoreFile = "file"
)

const (
	profileFile  = "profile.json"
	storeFile    = "medihaven.db"
	keysFile     = "keys.mhk"
	keyringName  = "medihaven"
	nameIdentity = "identity"
	nameDevice   = "device"
)

// DefaultProfileDir is where a profile lives when none is named: under the
// user's configuration folder.
func DefaultProfileDir() (string, error) {
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("app: no configuration folder for profiles (%w): pass --profile DIR", err)
	}
	return filepath.Join(base, "medihaven", "default"), nil
}

// ReadProfile reads the profile in dir.
func ReadProfile(dir string) (Profile, error) {
	b, err := os.ReadFile(filepath.Join(dir, profileFile))
	if errors.Is(err, os.ErrNotExist) {
		return Profile{}, fmt.Errorf("%w %s: create one with `medihaven init` or redeem a registration token with `medihaven enroll`", ErrNoProfile, dir)
	}
	if err != nil {
		return Profile{}, fmt.Errorf("app: read profile: %w", err)
	}
	var p Profile
	if err := json.Unmarshal(b, &p); err != nil || p.ID == "" || p.Device == "" {
		return Profile{}, fmt.Errorf("app: %s is damaged: restore it from a backup or create a new profile", filepath.Join(dir, profileFile))
	}
	p.Dir = dir
	return p, nil
}

// oldTempFiles are the temporary files through which Medihaven before
// internal/atomicfile wrote the profile and the login lockout, under fixed
// names beside them. A crash between the write and the rename left one
// behind that nothing reads (an old profile.json.tmp may hold the Kubo
// API secret in clear, as profile.json once did).
var oldTempFiles = []string{profileFile + ".tmp", lockoutFile + ".tmp"}

// BackupCopyPrefix begins the name of the folder in the profile folder
// where a backup copies the store (app/backup): a plain SQLite file,
// deleted when the backup ends.
const BackupCopyPrefix = ".backup-"

// backupCopyAge is how old a backup's copy is before a login takes it for
// a crashed backup's and removes it: older than any backup takes, so that
// another process's backup running meanwhile keeps its copy.
const backupCopyAge = time.Hour

// removeOldTempFiles deletes oldTempFiles from the profile folder dir, and
// the copies of the store a backup killed meanwhile left there (h-sec26:
// nothing removed them, an older whole store beside the live one for
// good, one more with each crash); one that is not there is no error.
func removeOldTempFiles(dir string, now time.Time) error {
	var errs []error
	for _, name := range oldTempFiles {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), BackupCopyPrefix) {
			continue
		}
		if info, err := e.Info(); err != nil || now.Sub(info.ModTime()) < backupCopyAge {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (p Profile) write() error {
	p.Servers.IPFSSecret = "" // sealed in the store instead (sealServerSecret)
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(p.Dir, profileFile), b, 0o600); err != nil {
		return fmt.Errorf("app: profile: %w", err)
	}
	return nil
}

// ListProfiles returns the profiles found in the given folders and their
// immediate sub-folders, for the login screen.
func ListProfiles(dirs ...string) []Profile {
	var out []Profile
	seen := map[string]bool{}
	try := func(d string) {
		if seen[d] {
			return
		}
		seen[d] = true
		if p, err := ReadProfile(d); err == nil {
			if p.Clinic == "" {
				p.Clinic = "Clinic " + p.ClinicID[:min(8, len(p.ClinicID))] + " (joining)"
			}
			out = append(out, p)
		}
	}
	for _, d := range dirs {
		try(d)
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
				try(filepath.Join(d, e.Name()))
			}
		}
	}
	return out
}

// KeystoreOpener opens a profile's keystore. The file keystore needs the
// passphrase; the OS keyring does not.
type KeystoreOpener func(p Profile, passphrase []byte) (crypto.Keystore, error)

// OpenKeystore is the default opener: the OS keyring, or the
// passphrase-protected file when the profile opted into it.
func OpenKeystore(p Profile, passphrase []byte) (crypto.Keystore, error) {
	switch p.Keystore {
	case KeystoreOS, "":
		return prefixed{crypto.NewOSKeystore(keyringName), p.ID + "/"}, nil
	case KeystoreFile:
		return crypto.OpenFileKeystore(filepath.Join(p.Dir, keysFile), passphrase)
	}
	return nil, fmt.Errorf("app: unknown keystore %q in profile: use %q or %q", p.Keystore, KeystoreOS, KeystoreFile)
}

// prefixed keeps each profile's entries apart in a shared OS keyring.
type prefixed struct {
	ks     crypto.Keystore
	prefix string
}

func (p prefixed) Get(name string) ([]byte, error)      { return p.ks.Get(p.prefix + name) }
func (p prefixed) Set(name string, secret []byte) error { return p.ks.Set(p.prefix+name, secret) }
func (p prefixed) Delete(name string) error             { return p.ks.Delete(p.prefix + name) }

// SetServers changes where this workstation finds the clinic's Kubo node
// and XMPP server (the settings screen; a demo clinic). It takes effect at
// the next start of the sync.
func (s *Session) SetServers(v Servers) error {
	if v.XMPPCert != "" && !strings.Contains(v.XMPPCert, "BEGIN CERTIFICATE") {
		return fmt.Errorf("%w: the pinned certificate must be a PEM certificate", ErrInvalidInput)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rep == nil {
		return fmt.Errorf("%w: unlock it with your passphrase", ErrLocked)
	}
	// Store writes of a few bytes; the settings screen and `medihaven
	// sync` call this without a context.
	ctx := context.Background()
	p := s.prof
	p.Servers = v
	// The sealed copy first: profile.json is written from it at the next
	// login if the write below fails.
	if err := sealTrust(ctx, s.db, s.deviceKey(), p.trust()); err != nil {
		return err
	}
	if err := p.write(); err != nil {
		return err
	}
	s.prof = p
	return s.sealServerSecret(ctx)
}

// secretTrust names the sealed copy of what in profile.json decides whom
// this workstation trusts and where it talks (trust).
const secretTrust = "profile/trust"

// trust is what of a profile decides whom the workstation trusts and
// where it talks: the clinic, the administrators
// trusted before the directory can be read, and the servers. profile.json
// holds it in clear for the login screen and older versions, but anyone
// who can write the profile folder could write it there (an anchor of her
// own is an administrator to the replica; a server of her own receives
// the workstation's account password), so the store keeps it sealed with
// the device key too, and the sealed copy is the one believed. (The
// device id needs no copy: the device key's wrapping binds it, so an
// edited one fails the login.)
type trust struct {
	ClinicID string   `json:"clinic_id"`
	Anchors  []string `json:"anchors,omitempty"`
	Servers  Servers  `json:"servers"` // without the Kubo secret, sealed on its own
}

func (p Profile) trust() trust {
	t := trust{ClinicID: p.ClinicID, Anchors: p.Anchors, Servers: p.Servers}
	t.Servers.IPFSSecret = ""
	return t
}

func (t trust) equal(o trust) bool {
	return t.ClinicID == o.ClinicID && slices.Equal(t.Anchors, o.Anchors) && t.Servers == o.Servers
}

// sealTrust keeps t sealed with the device key in db.
func sealTrust(ctx context.Context, db *store.DB, dk crypto.DeviceKey, t trust) error {
	plain, err := json.Marshal(t)
	if err != nil {
		return err
	}
	sealed, err := dk.Seal(plain, []byte(secretTrust))
	if err != nil {
		return err
	}
	if err := db.Update(ctx, func(tx *store.Tx) error { return tx.PutSecret(ctx, secretTrust, sealed) }); err != nil {
		return fmt.Errorf("app: keep the profile's clinic and servers sealed: %w", err)
	}
	return nil
}

// nameTrustSealed is the keystore item saying the store keeps the
// profile's trust sealed: once set, a store without it is refused rather
// than sealing profile.json's word again (someone who can write the
// profile folder could delete the sealed row; session 15 review, T1).
const nameTrustSealed = "trust-sealed"

// trustedProfile is p with the sealed trust of db believed over what
// profile.json says, and whether they differed (then profile.json was
// changed outside Medihaven and is written again from the sealed copy).
// A store without one seals p's — a new profile, or one made before
// session 15, whose keystore ks says none was sealed — and from then on
// changes to profile.json take no effect.
func trustedProfile(ctx context.Context, db *store.DB, dk crypto.DeviceKey, ks crypto.Keystore, p Profile) (Profile, bool, error) {
	_, err := ks.Get(nameTrustSealed)
	marked := err == nil
	if err != nil && !errors.Is(err, crypto.ErrNotFound) {
		return p, false, fmt.Errorf("app: read the keystore: %w", err)
	}
	p, rewritten, err := believeSealedTrust(ctx, db, dk, p, marked)
	if err == nil && !marked {
		if err = ks.Set(nameTrustSealed, []byte("1")); err != nil {
			err = fmt.Errorf("app: keep in the keystore that the profile is sealed: %w", err)
		}
	}
	return p, rewritten, err
}

// believeSealedTrust is trustedProfile's reading of the store: marked
// says the keystore knows a trust was sealed.
func believeSealedTrust(ctx context.Context, db *store.DB, dk crypto.DeviceKey, p Profile, marked bool) (Profile, bool, error) {
	var plain []byte
	err := db.View(ctx, func(tx *store.Tx) error {
		sealed, err := tx.Secret(ctx, secretTrust)
		if err != nil {
			return err
		}
		plain, err = dk.Open(sealed, []byte(secretTrust))
		return err
	})
	if errors.Is(err, store.ErrNotFound) && marked {
		return p, false, fmt.Errorf("app: this workstation's store has lost its sealed clinic and server settings (it was damaged or altered): restore the profile from a backup")
	}
	if errors.Is(err, store.ErrNotFound) {
		return p, false, sealTrust(ctx, db, dk, p.trust())
	}
	var t trust
	if err == nil {
		err = json.Unmarshal(plain, &t)
	}
	if err != nil {
		return p, false, fmt.Errorf("app: open the profile's sealed clinic and servers (restore the profile from a backup): %w", err)
	}
	if t.equal(p.trust()) {
		return p, false, nil
	}
	secret := p.Servers.IPFSSecret
	p.ClinicID, p.Anchors, p.Servers = t.ClinicID, t.Anchors, t.Servers
	p.Servers.IPFSSecret = secret
	return p, true, nil
}

// secretIPFS names the Kubo API secret among the workstation's sealed
// secrets.
const secretIPFS = "sync/ipfs-api-secret"

// keepSealed keeps plain among the workstation's secrets under name,
// sealed with the device key (bound to its name).
func (s *Session) keepSealed(ctx context.Context, name string, plain []byte) error {
	sealed, err := s.deviceKey().Seal(plain, []byte(name))
	if err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *store.Tx) error { return tx.PutSecret(ctx, name, sealed) })
}

// useIPFSSecret takes the workstations' Kubo API secret the clinic's
// server gave (it makes a new one when a revoked member's account is
// ended): the profile carries it from now on (tokens this workstation
// issues too), sealed with the device key for the next start.
func (s *Session) useIPFSSecret(ctx context.Context, secret string) error {
	s.mu.Lock()
	same := secret == "" || secret == s.prof.Servers.IPFSSecret
	if !same {
		s.prof.Servers.IPFSSecret = secret
	}
	s.mu.Unlock()
	if same {
		return nil
	}
	if err := s.keepSealed(ctx, secretIPFS, []byte(secret)); err != nil {
		return fmt.Errorf("app: keep the clinic's new storage secret: %w", err)
	}
	return nil
}

// sealServerSecret keeps the Kubo API secret sealed with the device key,
// once the session has it (open): a secret the profile brought in memory
// (a new workstation's, a changed one, or one an older profile.json kept
// in clear) is sealed into the store, and such a profile.json is written
// again without it; otherwise the sealed one is opened into the profile.
func (s *Session) sealServerSecret(ctx context.Context) error {
	dk := s.deviceKey()
	var stored string
	err := s.db.View(ctx, func(tx *store.Tx) error {
		sealed, err := tx.Secret(ctx, secretIPFS)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		plain, err := dk.Open(sealed, []byte(secretIPFS))
		stored = string(plain)
		return err
	})
	if err != nil {
		return fmt.Errorf("app: open the clinic's storage secret: %w", err)
	}
	secret := s.prof.Servers.IPFSSecret
	if secret == "" || secret == stored {
		s.prof.Servers.IPFSSecret = stored
		return nil
	}
	if err := s.keepSealed(ctx, secretIPFS, []byte(secret)); err != nil {
		return fmt.Errorf("app: keep the clinic's storage secret: %w", err)
	}
	if onDisk, err := ReadProfile(s.prof.Dir); err == nil && onDisk.Servers.IPFSSecret != "" {
		return s.prof.write() // an older profile: its clear copy goes
	}
	return nil
}
