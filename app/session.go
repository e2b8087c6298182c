package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
)

// Env is what the use cases get from outside: where keys live, the clock,
// and who to tell about changes. The zero value uses the OS keyring (or the
// profile's file keystore) and the real clock.
type Env struct {
	OpenKeystore KeystoreOpener
	Now          func() time.Time
	OnChange     func([]replica.Changed)
	Upkeep       []UpkeepStep // domain packages' upkeep (core.go), e.g. recovery.Upkeep
}

func (e Env) defaults() Env {
	if e.OpenKeystore == nil {
		e.OpenKeystore = OpenKeystore
	}
	if e.Now == nil {
		e.Now = time.Now
	}
	return e
}

// MinPassphrase is the shortest passphrase accepted for a staff identity.
const MinPassphrase = 8

// Session is one staff member logged in on their workstation. Its methods
// are the clinic's use cases; each checks the role policy before acting.
type Session struct {
	env  Env
	prof Profile
	name string
	role roles.Role

	mu     sync.Mutex
	hooks  hooks
	db     *store.DB
	rep    *replica.Replica
	locked bool

	// dk is the device key while the session is unlocked: the one copy the
	// session owns (the replica holds the other), wiped by Lock and Close.
	// Its own mutex, because the chat reads it under its history lock,
	// which Lock takes too.
	dkMu sync.Mutex
	dk   *crypto.DeviceKey

	// parts is what domain packages keep for the session (core.go).
	partsMu sync.Mutex
	parts   map[string]Part

	// caughtUp: the sync's first catch-up is done (restored.go); syncing:
	// a network sync was started (firstkey.go waits for that catch-up).
	caughtUp, syncing atomic.Bool

	// The store's seal (storeseal.go): the keyring's generation read at
	// unlock, when it was last kept there (unix ns), and what the check
	// found altered, still to audit.
	sealFloor uint64
	// sealHome: the seal's home (a random id of this copy of the profile
	// on this computer, kept beside the generation); sealHomeKept: the
	// keystore kept it (else it is new at this login). sealID: the
	// profile id the file keystore's record is kept under.
	sealHome     string
	sealHomeKept bool
	sealChain    string // the chain the keystore kept beside them
	sealUnread   bool   // the keystore's record could not be read at login
	sealID       string
	sealKept     atomic.Int64
	// sealGen: the store seal's generation the keystore keeps.
	sealGen      atomic.Uint64
	alteredMu    sync.Mutex
	altered      string
	alteredAudit bool
	indexChecks  sync.WaitGroup // CheckIndex after each unlock
	// stopIndexCheck cancels it (under alteredMu).
	stopIndexCheck context.CancelFunc
}

// me is what a workstation remembers of its owner, sealed with the device
// key: name and role (the directory may not be readable yet).
type me struct {
	Name  string     `json:"name"`
	Role  roles.Role `json:"role"`
	Token string     `json:"token,omitempty"`
}

func newID(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("app: no randomness: " + err.Error()) // the OS has no entropy: nothing can be done safely
	}
	return hex.EncodeToString(b)
}

// checkName is a name as a person typed it, white space folded (a tab or
// a no-break space is one space), or why it cannot stand: empty, longer
// than 120 bytes, or holding a character that is not shown or that
// reorders the text around it (roles.CheckPersonName), since a name like
// that could pass for a colleague's on every screen.
func checkName(what, s string) (string, error) {
	s = strings.Join(strings.Fields(s), " ")
	switch {
	case s == "":
		return "", fmt.Errorf("%w: the %s is empty", ErrInvalidInput, what)
	case len(s) > 120:
		return "", fmt.Errorf("%w: the %s is longer than 120 characters", ErrInvalidInput, what)
	}
	if err := roles.CheckPersonName(s); err != nil {
		return "", fmt.Errorf("%w: the %s: %w", ErrInvalidInput, what, err)
	}
	if err := roles.CheckNameScripts(s); err != nil {
		return "", fmt.Errorf("%w: the %s: %w", ErrInvalidInput, what, err)
	}
	return s, nil
}

func checkPassphrase(p []byte) error {
	if len(p) < MinPassphrase {
		return fmt.Errorf("%w: the passphrase must have at least %d characters", ErrInvalidInput, MinPassphrase)
	}
	return nil
}

// newProfile creates a profile folder with a fresh identity and device key.
// On any failure it removes what it created, so nothing is half-written.
// The profile is usable only once commit is called.
func newProfile(ctx context.Context, env Env, dir string, p Profile, passphrase []byte, who me, anchors []string,
	build func(*Session) error) (*Session, error) {
	if err := checkPassphrase(passphrase); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, profileFile)); err == nil {
		return nil, fmt.Errorf("%w: %s (log in, or choose another folder with --profile)", ErrProfileExists, dir)
	}
	created := false
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		created = true
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("app: create profile folder: %w", err)
	}
	var ks crypto.Keystore
	defer func() {
		if ks != nil {
			crypto.CloseKeystore(ks)
		}
	}()
	s := &Session{env: env, name: who.Name, role: who.Role}
	fail := func(err error) (*Session, error) {
		s.closeStore()
		removeProfile(dir, created, ks) // core.go
		return nil, err
	}

	id, locked, err := crypto.NewStaffIdentity(who.Name, string(who.Role), passphrase)
	if err != nil {
		return fail(fmt.Errorf("app: create identity: %w", err))
	}
	if p.ClinicID == "" {
		p.ClinicID = id.Fingerprint()[:32]
	}
	// The device id is bound to the new key (crypto.NewDeviceID): nobody
	// else's event is kept in its chain, so a colleague who sees it in the
	// sync room before its first event spreads cannot take it.
	p.Dir, p.ID, p.Device, p.Anchors = dir, newID(16), newDeviceID(id.Fingerprint()), anchors
	if p.Keystore == "" {
		p.Keystore = KeystoreOS
	}
	if ks, err = env.OpenKeystore(p, passphrase); err != nil {
		return fail(err)
	}
	dk := new(crypto.DeviceKey)
	if *dk, err = crypto.NewDeviceKey(); err != nil {
		return fail(err)
	}
	wrapped, err := crypto.WrapDeviceKey(dk, id, p.Device)
	if err != nil {
		dk.Wipe()
		return fail(fmt.Errorf("app: protect the device key: %w", err))
	}
	if err := ks.Set(nameIdentity, locked); err != nil {
		dk.Wipe()
		return fail(fmt.Errorf("app: keep identity in the keystore: %w", err))
	}
	if err := ks.Set(nameDevice, wrapped); err != nil {
		dk.Wipe()
		return fail(fmt.Errorf("app: keep device key in the keystore: %w", err))
	}
	s.prof = p
	if err := s.open(ctx, id, dk, ks); err != nil {
		return fail(err)
	}
	if err := s.remember(ctx, who); err != nil {
		return fail(err)
	}
	if _, err := s.rep.PublishKey(ctx); err != nil {
		return fail(err)
	}
	if err := build(s); err != nil {
		return fail(err)
	}
	if err := p.write(); err != nil {
		return fail(err)
	}
	return s, nil
}

// open opens the store and the replica with the unlocked identity and the
// device key (ks is the open keystore they came from). The session takes
// both over: on failure they are wiped.
func (s *Session) open(ctx context.Context, id *crypto.Identity, dk *crypto.DeviceKey, ks crypto.Keystore) error {
	db, err := store.Open(ctx, filepath.Join(s.prof.Dir, storeFile))
	if err != nil {
		id.Clear()
		dk.Wipe()
		return fmt.Errorf("app: open the workstation's store: %w", err)
	}
	prof, rewritten, err := trustedProfile(ctx, db, *dk, ks, s.prof) // profile.go
	if err != nil {
		db.Close()
		id.Clear()
		dk.Wipe()
		return err
	}
	if rewritten {
		log.Printf("medihaven: %s was changed outside Medihaven (clinic, administrators or servers); the sealed copy is used and the file written again from it", filepath.Join(prof.Dir, profileFile))
		if err := prof.write(); err != nil {
			log.Printf("medihaven: %v", err)
		}
	}
	s.prof = prof
	// The chain it writes in: its device id's, or the bound id it moved
	// onto (move.go), as its store notes it and its seal holds.
	s.readSealRecord(ks, *dk) // storeseal.go
	chain, err := replica.OwnChainKept(ctx, db, id.Public(), s.prof.Device, *dk, s.sealChain)
	var rep *replica.Replica
	if err == nil {
		rep, err = replica.Open(ctx, s.replicaParams(db, chain, id, *dk))
	}
	if err != nil {
		db.Close()
		id.Clear()
		dk.Wipe()
		return fmt.Errorf("app: open the clinic log: %w", err)
	}
	s.dkMu.Lock()
	s.dk = dk
	s.dkMu.Unlock()
	s.db, s.rep, s.locked = db, rep, false
	// A store the seal found put back or altered may end its chain short
	// of what the clinic holds: it moves at once onto a new chain, as a
	// restore does (move.go), before the checks after login, which run on
	// the replica the session keeps.
	if rep.ChainSuspect() {
		if err := s.moveIfDue(ctx, true); err != nil {
			log.Printf("medihaven: %v", err)
		}
		if s.rep != rep {
			s.rep.CarryAltered(rep)
			rep = s.rep
		}
	}
	s.afterSealCheck(ctx, rep, ks) // storeseal.go
	// A restored workstation's writes wait for its first catch-up.
	s.holdRestored(rep, false)
	// profile.go: the Kubo API secret, sealed. A failure leaves the
	// session locked, as every other failure of open does.
	if err := s.sealServerSecret(ctx); err != nil {
		s.closeStore()
		return err
	}
	// A workstation on a random (legacy) id moves onto a bound one
	// (move.go); one that cannot yet stays where it is until a later
	// login.
	if err := s.moveIfDue(ctx, false); err != nil {
		log.Printf("medihaven: %v", err)
	}
	return nil
}

// replicaParams are the clinic log's parameters on device.
func (s *Session) replicaParams(db *store.DB, device string, id *crypto.Identity, dk crypto.DeviceKey) replica.Params {
	return replica.Params{
		DB: db, Device: device, Identity: id, DeviceKey: dk, Clinic: s.prof.ClinicID,
		Anchors: s.prof.Anchors, Index: records.IndexTerms, OnChange: s.changed, OnAppend: s.appended, Now: s.env.Now,
		Seal: &replica.SealCheck{Floor: s.sealFloor, Home: s.sealHome, HomeKept: s.sealHomeKept},
	}
}

func (s *Session) remember(ctx context.Context, who me) error {
	plain, err := json.Marshal(who)
	if err != nil {
		return err
	}
	dk := s.deviceKey()
	sealed, err := dk.Seal(plain, []byte("me"))
	if err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *store.Tx) error { return tx.PutSecret(ctx, "me", sealed) })
}

// deviceKey is a copy of the device key; a locked session's is all zeros,
// which seals and opens nothing.
func (s *Session) deviceKey() crypto.DeviceKey {
	s.dkMu.Lock()
	defer s.dkMu.Unlock()
	if s.dk == nil {
		return crypto.DeviceKey{}
	}
	return *s.dk
}

// Login unlocks the staff member's identity with their passphrase and opens
// their workstation's store.
func Login(ctx context.Context, env Env, dir, staffName string, passphrase []byte) (*Session, error) {
	env = env.defaults()
	p, err := ReadProfile(dir)
	if err != nil {
		return nil, err
	}
	if err := removeOldTempFiles(p.Dir, env.Now()); err != nil {
		log.Printf("medihaven: old temporary files left in the profile folder: %v", err)
	}
	s := &Session{env: env, prof: p}
	if err := s.guardedUnlock(ctx, passphrase); err != nil { // lockout.go
		return nil, err
	}
	if staffName != "" && !sameName(staffName, s.name) {
		s.closeStore()
		return nil, fmt.Errorf("%w: log in with the name this workstation was set up for", ErrWrongStaff)
	}
	if err := s.learnClinicName(ctx, s.rep); err != nil {
		s.closeStore()
		return nil, err
	}
	return s, nil
}

func sameName(a, b string) bool {
	return strings.EqualFold(strings.Join(strings.Fields(a), " "), strings.Join(strings.Fields(b), " "))
}

// errKeyMissing says what to do when the keystore lost this profile's keys.
var errKeyMissing = errors.New("app: this workstation's key is missing from the keystore: it was deleted or the profile was copied from another computer; redeem a new registration token")

// unlock opens the keystore with the passphrase, unlocks the identity, opens
// the device key with it, and opens the store. The keystore is closed again
// before unlock returns: nothing of it stays in memory.
func (s *Session) unlock(ctx context.Context, passphrase []byte) error {
	ks, err := s.env.OpenKeystore(s.prof, passphrase)
	if errors.Is(err, crypto.ErrWrongPassphrase) {
		return fmt.Errorf("%w: check it and try again", ErrWrongPassphrase)
	}
	if err != nil {
		return err
	}
	defer crypto.CloseKeystore(ks)
	locked, err := ks.Get(nameIdentity)
	if errors.Is(err, crypto.ErrNotFound) {
		return errKeyMissing
	}
	if err != nil {
		return err
	}
	id, err := crypto.UnlockIdentity(locked, passphrase)
	if errors.Is(err, crypto.ErrWrongPassphrase) {
		return fmt.Errorf("%w: check it and try again", ErrWrongPassphrase)
	}
	if err != nil {
		return fmt.Errorf("app: unlock identity: %w", err)
	}
	dk, legacy, err := s.openDeviceKey(ks, id)
	if err != nil {
		id.Clear()
		return err
	}
	if err := s.open(ctx, id, dk, ks); err != nil {
		return err
	}
	var sealed []byte
	err = s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		sealed, err = tx.Secret(ctx, "me")
		return err
	})
	if err != nil {
		s.closeStore()
		return fmt.Errorf("app: profile is incomplete: %w", err)
	}
	plain, err := dk.Open(sealed, []byte("me"))
	var who me
	if err == nil {
		err = json.Unmarshal(plain, &who)
	}
	if err != nil {
		s.closeStore()
		return fmt.Errorf("app: profile cannot be read with this workstation's device key: %w", err)
	}
	if legacy {
		if err := s.wrapLegacyDeviceKey(ks, id, dk); err != nil {
			s.closeStore()
			return err
		}
	}
	s.name, s.role = who.Name, who.Role
	if m, ok := s.rep.Member(s.rep.Fingerprint()); ok {
		s.name, s.role = m.Name, m.Role
		if !m.Active() {
			s.closeStore()
			return fmt.Errorf("%w: speak to your clinic's administrator", ErrRevoked)
		}
	}
	return nil
}

// openDeviceKey reads the device key from the keystore and opens it with
// the unlocked identity. A profile made before the device key was wrapped
// holds it in clear (32 bytes): it is accepted once, reported as legacy,
// and wrapped by the caller after it has proved to open the profile.
func (s *Session) openDeviceKey(ks crypto.Keystore, id *crypto.Identity) (dk *crypto.DeviceKey, legacy bool, err error) {
	stored, err := ks.Get(nameDevice)
	if errors.Is(err, crypto.ErrNotFound) {
		return nil, false, errKeyMissing
	}
	if err != nil {
		return nil, false, err
	}
	defer clear(stored)
	dk = new(crypto.DeviceKey)
	if len(stored) == len(dk) {
		*dk, err = crypto.DeviceKeyFromBytes(stored)
		return dk, true, err
	}
	if *dk, err = crypto.UnwrapDeviceKey(stored, id, s.prof.Device); err != nil {
		return nil, false, fmt.Errorf("app: this workstation's device key does not open with your key (it was replaced or damaged); redeem a new registration token: %w", err)
	}
	return dk, false, nil
}

// wrapLegacyDeviceKey replaces a device key kept in clear by its wrapped
// form, in one write of the keystore (the OS keyring replaces the item, the
// file keystore renames a new file into place), so a crash leaves one or
// the other, both of which open.
func (s *Session) wrapLegacyDeviceKey(ks crypto.Keystore, id *crypto.Identity, dk *crypto.DeviceKey) error {
	wrapped, err := crypto.WrapDeviceKey(dk, id, s.prof.Device)
	if err == nil {
		err = ks.Set(nameDevice, wrapped)
	}
	if err != nil {
		return fmt.Errorf("app: protect this workstation's device key with your passphrase (check that the keyring is unlocked, then log in again): %w", err)
	}
	return nil
}

// StaffName is the logged-in member's name.
func (s *Session) StaffName() string { return s.name }

// Role is the logged-in member's role.
func (s *Session) Role() roles.Role { return s.role }

// Clinic is the clinic's name ("your clinic" until a newcomer's
// workstation has received the directory).
func (s *Session) Clinic() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.prof.Clinic == "" {
		return "Your clinic (joining)"
	}
	return s.prof.Clinic
}

// Profile is the workstation profile.
func (s *Session) Profile() Profile {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.prof
}

// Fingerprint is the logged-in member's key fingerprint.
func (s *Session) Fingerprint() string {
	if r, err := s.live(); err == nil {
		return r.Fingerprint()
	}
	return ""
}

// Lock closes the store and wipes every key the session held: the unlocked
// identity, the device key, the scope and blind-index keys. Nothing can be
// read or written until Unlock with the passphrase. A write running when
// Lock is called finishes first.
func (s *Session) Lock() {
	s.mu.Lock()
	s.keepSealLater(context.Background(), s.rep) // storeseal.go
	wipe := s.takeStore()
	s.locked = true
	s.mu.Unlock()
	wipe() // without s.mu: a running write may call back into the session
}

// Unlock reopens a locked session.
func (s *Session) Unlock(ctx context.Context, passphrase []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.locked {
		return nil
	}
	return s.guardedUnlock(ctx, passphrase) // lockout.go
}

// Close logs out.
func (s *Session) Close() error {
	s.Lock()
	return nil
}

// closeStore closes the store and wipes the keys after a failure (callers
// hold s.mu or own s alone): the session is locked, so that Unlock tries
// again rather than report an unlocked session without a store.
func (s *Session) closeStore() {
	s.takeStore()()
	s.locked = true
}

// takeStore takes the store, the replica and the device key out of the
// session (callers hold s.mu or own s alone) and returns the function that
// closes and wipes them. The store closes first, so no write starts after
// the keys are wiped; the replica waits for a running one to end.
func (s *Session) takeStore() (wipe func()) {
	db, rep := s.db, s.rep
	s.db, s.rep = nil, nil
	s.dkMu.Lock()
	dk := s.dk
	s.dk = nil
	s.dkMu.Unlock()
	return func() {
		s.forgetParts()   // the chat's opened history leaves memory too
		s.endIndexCheck() // storeseal.go: before the store closes
		if db != nil {
			db.Close()
		}
		if rep != nil {
			rep.Wipe() // device key, scope and index keys, identity
		}
		if dk != nil {
			dk.Wipe()
		}
	}
}

// live returns the replica of an unlocked session.
func (s *Session) live() (*replica.Replica, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rep == nil {
		return nil, fmt.Errorf("%w: unlock it with your passphrase", ErrLocked)
	}
	return s.rep, nil
}

// Replica gives the sync layer and tests the session's replica.
func (s *Session) Replica() (*replica.Replica, error) { return s.live() }

// can checks the role policy and that the session is unlocked.
func (s *Session) can(a roles.Action) (*replica.Replica, error) {
	r, err := s.live()
	if err != nil {
		return nil, err
	}
	// The directory's role, which an administrator may have changed since
	// login: what the other workstations will judge this write by.
	role := s.role
	if m, ok := r.Member(r.Fingerprint()); ok {
		if !m.Active() {
			return nil, fmt.Errorf("%w: speak to your clinic's administrator", ErrRevoked)
		}
		role = m.Role
	}
	if err := role.Check(a); err != nil {
		if role != s.role {
			return nil, fmt.Errorf("%w: an administrator has made you %s; log out and in again", err, roleWord(role))
		}
		return nil, err
	}
	if !r.Holds(a.Needs()) {
		return nil, s.noKeyError(r, a.Needs()) // firstkey.go
	}
	return r, nil
}

var randRead = rand.Read

// hooks are the listeners of a session's changes: the UI's change feed and
// the network sync's push.
type hooks struct {
	mu       sync.Mutex
	next     int
	onChange map[int]func([]replica.Changed)
	onAppend []func()
}

// Changed names an entity whose state changed (the change feed).
type Changed = replica.Changed

// OnChange calls fn after each commit with the entities that changed, local
// or from the network, until stop is called. fn runs on the committing
// goroutine: keep it short, and the UI hops to its own with kit.OnUI.
func (s *Session) OnChange(fn func([]Changed)) (stop func()) {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	if s.hooks.onChange == nil {
		s.hooks.onChange = map[int]func([]replica.Changed){}
	}
	s.hooks.next++
	id := s.hooks.next
	s.hooks.onChange[id] = fn
	return func() {
		s.hooks.mu.Lock()
		delete(s.hooks.onChange, id)
		s.hooks.mu.Unlock()
	}
}

func (s *Session) changed(c []replica.Changed) {
	if s.env.OnChange != nil {
		s.env.OnChange(c)
	}
	s.hooks.mu.Lock()
	fns := make([]func([]replica.Changed), 0, len(s.hooks.onChange))
	for _, fn := range s.hooks.onChange {
		fns = append(fns, fn)
	}
	s.hooks.mu.Unlock()
	for _, fn := range fns {
		fn(c)
	}
}

func (s *Session) onAppend(fn func()) {
	s.hooks.mu.Lock()
	s.hooks.onAppend = append(s.hooks.onAppend, fn)
	s.hooks.mu.Unlock()
}

func (s *Session) appended() {
	s.hooks.mu.Lock()
	fns := append([]func(){}, s.hooks.onAppend...)
	s.hooks.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}
