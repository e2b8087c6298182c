package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/internal/atomicfile"
	"github.com/medihaven/medihaven/sync/replica"
)

// The store's seal (session 21, h-mac21; sync/replica/storeseal.go): each
// write of the store carries a device-key MAC over what decides trust,
// with a generation; the keyring keeps the latest durable generation
// (nameStoreSeal), written at login, at logout and at most every
// sealEvery at upkeep, never per record. A store below it was put back;
// one whose MAC or parts do not match was altered. Either is said to the
// user (StoreAltered), logged, audited once the workstation has caught up
// (an audit event written before would take the place of the events it
// fetches), and rebuilt by the replica.
//
// Since session 24 (h-keystore24) the keyring keeps beside the
// generation the seal's home: a random id of this copy of the profile on
// this computer, which every seal carries (version 4). Both copies of a
// restored profile (the new computer and the old disk) hold one device
// key, so a store of one put into the other's folder was sealed with the
// right key, and its generation may well pass the other computer's
// keyring; its home does not. A keyring item of before (a generation
// alone) logs in with no alarm and keeps a new home from then on.
// The keyring also keeps the chain the workstation wrote in, believed
// when no seal vouches for the store's note (replica.OwnChainKept).
//
// With the passphrase's file keystore the keys are a file in the profile
// folder, which whoever puts back medihaven.db can put back with it, and
// which can be written only with the passphrase (at login). Since session
// 24 its generation and home are kept outside the profile folder, in the
// user's state folder ($XDG_STATE_HOME/medihaven, else
// ~/.local/state/medihaven), one file a profile, sealed with the device
// key (nobody without the passphrase can forge it or take another
// profile's) and written when the keyring would be: at login, lock and
// logout, upkeep. Putting back the profile folder alone is found; whoever
// puts back both folders (or deletes the record) is not. The file is
// named after the profile id the keystore file itself keeps
// (nameProfileID), so editing profile.json's id cannot point it at none.

// nameStoreSeal is the keystore item holding the store seal's generation
// (and since session 24 its home: "GEN HOME").
const nameStoreSeal = "store-seal"

// nameProfileID is the file keystore's item holding the profile's id,
// under which its seal record is kept outside the profile folder.
const nameProfileID = "profile-id"

// sealEvery is how often upkeep keeps the seal's generation in the
// keyring (besides login and logout).
const sealEvery = 10 * time.Minute

// parseSealRecord reads a keystore's seal record: "GEN" (before session
// 24) or "GEN HOME CHAIN" (CHAIN: the chain it wrote in). Anything else
// is none.
func parseSealRecord(v []byte) (gen uint64, home, chain string) {
	f := strings.Fields(string(v))
	if len(f) != 1 && len(f) != 3 {
		return 0, "", ""
	}
	gen, err := strconv.ParseUint(f[0], 10, 64)
	if err != nil {
		return 0, "", ""
	}
	if len(f) == 3 {
		home, chain = f[1], f[2]
	}
	return gen, home, chain
}

func formatSealRecord(gen uint64, home, chain string) []byte {
	return []byte(strconv.FormatUint(gen, 10) + " " + home + " " + chain)
}

// readSealRecord reads what the keystore keeps of the store's seal (the
// OS keyring's item, or the file keystore's record in the state folder)
// into the session, before the replica opens: the floor, the home, and a
// new home when none was kept. ks is open, dk the device key.
func (s *Session) readSealRecord(ks crypto.Keystore, dk crypto.DeviceKey) {
	var v []byte
	var err error
	if s.prof.Keystore == KeystoreFile {
		s.sealID = fileKeystoreProfileID(ks, s.prof.ID)
		v, err = readSealFile(s.sealID, dk)
	} else {
		v, err = ks.Get(nameStoreSeal)
	}
	s.sealUnread = err != nil && !errors.Is(err, crypto.ErrNotFound) && !errors.Is(err, errSealFileForeign)
	if err != nil && !errors.Is(err, crypto.ErrNotFound) {
		log.Printf("medihaven: read the store seal's generation from the keystore: %v", err)
	}
	if s.sealUnread {
		// Not known: the store keeps the home it was sealed under, and
		// the keystore is not written this session (it may keep one).
		s.sealFloor, s.sealHome, s.sealHomeKept, s.sealChain = 0, "", false, ""
		s.sealGen.Store(0)
		return
	}
	gen, home, chain := parseSealRecord(v)
	s.sealFloor, s.sealHome, s.sealHomeKept, s.sealChain = gen, home, home != "", chain
	if home == "" {
		// First kept at this login's keepSeal (a keystore item of
		// before, a new or restored profile).
		s.sealHome = newID(16)
		s.sealGen.Store(0)
		return
	}
	s.sealGen.Store(gen)
}

// fileKeystoreProfileID is the profile's id as the file keystore keeps
// it: profile.json's id the first time (kept in the keystore file then,
// once), else the kept one, whatever profile.json now says.
func fileKeystoreProfileID(ks crypto.Keystore, id string) string {
	v, err := ks.Get(nameProfileID)
	switch {
	case err == nil && len(v) > 0:
		if string(v) != id {
			log.Printf("medihaven: profile.json's id was changed outside Medihaven; the keystore file's is used")
		}
		return string(v)
	case errors.Is(err, crypto.ErrNotFound):
		if err := ks.Set(nameProfileID, []byte(id)); err != nil {
			log.Printf("medihaven: keep the profile's id in the keystore file: %v", err)
		}
	}
	return id
}

// sealStateDir is where the file keystore's seal records are kept:
// outside every profile folder.
func sealStateDir() (string, error) {
	if d := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "medihaven"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".local", "state", "medihaven"), nil
}

// sealFilePath is the record's file of profile id (a hash of the id: the
// id is any text a keystore file holds).
func sealFilePath(id string) (string, error) {
	dir, err := sealStateDir()
	if err != nil {
		return "", err
	}
	h := sha256.Sum256([]byte(id))
	return filepath.Join(dir, "store-seal-"+hex.EncodeToString(h[:16])), nil
}

// sealFileAD binds a record to its profile: another profile's record,
// copied over, does not open.
func sealFileAD(id string) []byte { return []byte("medihaven store seal record\x00" + id) }

// readSealFile reads the file keystore's seal record of profile id,
// opened with the device key (crypto.ErrNotFound: none).
func readSealFile(id string, dk crypto.DeviceKey) ([]byte, error) {
	path, err := sealFilePath(id)
	if err != nil {
		return nil, err
	}
	sealed, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, crypto.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	plain, err := dk.Open(sealed, sealFileAD(id))
	if err != nil {
		return nil, fmt.Errorf("%w: %s", errSealFileForeign, path)
	}
	return plain, nil
}

// errSealFileForeign: a record that does not open with this workstation's
// key (altered, or another's): taken as none, and written anew.
var errSealFileForeign = errors.New("app: the store seal's record does not open with this workstation's key; it is written anew")

// writeSealFile keeps the file keystore's seal record of profile id.
func writeSealFile(id string, dk crypto.DeviceKey, v []byte) error {
	if dk.Wiped() {
		return errors.New("app: the session is locked")
	}
	path, err := sealFilePath(id)
	if err != nil {
		return err
	}
	sealed, err := dk.Seal(v, sealFileAD(id))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return atomicfile.Write(path, sealed, 0o600)
}

// keepSeal commits the seal durably and keeps its generation with keep,
// unless keep already keeps the generation of the store's last seal
// (kept): nothing was written since, and a login or lock that only read
// must not write the profile folder (a refused or preview command changes
// no file).
func keepSeal(ctx context.Context, rep *replica.Replica, keep func(gen uint64, chain string) error, kept *atomic.Uint64) error {
	if g := rep.SealGen(); g != 0 && g == kept.Load() {
		return nil
	}
	gen, err := rep.SealNow(ctx)
	if err != nil || gen == 0 {
		return err
	}
	if err := keep(gen, rep.Device()); err != nil {
		return err
	}
	kept.Store(gen)
	return nil
}

// keepSealIn keeps the seal's generation and home: in ks (the OS
// keyring), or for the file keystore in its record (ks unused).
func (s *Session) keepSealIn(ks crypto.Keystore) func(gen uint64, chain string) error {
	return func(gen uint64, chain string) error {
		if s.sealUnread {
			return errors.New("app: not kept: the keystore's record could not be read at login")
		}
		v := formatSealRecord(gen, s.sealHome, chain)
		if s.prof.Keystore == KeystoreFile {
			dk := s.deviceKey()
			defer dk.Wipe()
			return writeSealFile(s.sealID, dk, v)
		}
		return ks.Set(nameStoreSeal, v)
	}
}

// keepSealLater keeps the seal's generation with the keystore opened
// again without the passphrase (the OS keyring), or in the file
// keystore's record (the device key is still held).
func (s *Session) keepSealLater(ctx context.Context, rep *replica.Replica) {
	if rep == nil {
		return
	}
	var err error
	if s.prof.Keystore == KeystoreFile {
		err = keepSeal(ctx, rep, s.keepSealIn(nil), &s.sealGen)
	} else {
		var ks crypto.Keystore
		if ks, err = s.env.OpenKeystore(s.prof, nil); err == nil {
			err = keepSeal(ctx, rep, s.keepSealIn(ks), &s.sealGen)
			crypto.CloseKeystore(ks)
		}
	}
	if err != nil {
		log.Printf("medihaven: keep the store seal's generation in the keyring: %v", err)
		return
	}
	s.sealKept.Store(s.env.Now().UnixNano())
}

// sealDue keeps the generation at upkeep, at most every sealEvery.
func (s *Session) sealDue(ctx context.Context, rep *replica.Replica) {
	if s.env.Now().Sub(time.Unix(0, s.sealKept.Load())) < sealEvery {
		return
	}
	s.keepSealLater(ctx, rep)
}

// afterSealCheck keeps the generation at login and says what the check
// found (the keystore ks is open).
func (s *Session) afterSealCheck(ctx context.Context, rep *replica.Replica, ks crypto.Keystore) {
	if err := keepSeal(ctx, rep, s.keepSealIn(ks), &s.sealGen); err != nil {
		log.Printf("medihaven: keep the store seal's generation in the keystore: %v", err)
	} else {
		s.sealKept.Store(s.env.Now().UnixNano())
	}
	msg := rep.Altered()
	s.alteredMu.Lock()
	s.altered = msg
	s.alteredAudit = msg != ""
	s.alteredMu.Unlock()
	if msg != "" {
		log.Printf("medihaven: %s", msg)
	}
	// The blind index is checked after login, off its path (a
	// reception's index is some 1,500,000 postings).
	ctx, cancel := context.WithCancel(context.Background())
	s.alteredMu.Lock()
	s.stopIndexCheck = cancel
	s.alteredMu.Unlock()
	s.indexChecks.Add(1)
	go s.checkIndex(ctx, rep)
}

// endIndexCheck stops a check of the index still running and waits for
// it (the store is about to close).
func (s *Session) endIndexCheck() {
	s.alteredMu.Lock()
	stop := s.stopIndexCheck
	s.stopIndexCheck = nil
	s.alteredMu.Unlock()
	if stop != nil {
		stop()
	}
	s.indexChecks.Wait()
}

// checkIndex checks the blind index against the seal and, when it was
// altered, has it written again and says so.
func (s *Session) checkIndex(ctx context.Context, rep *replica.Replica) {
	defer s.indexChecks.Done()
	altered, err := rep.CheckIndex(ctx)
	// The check read every posting (some 1,500,000 at a reception): give
	// the garbage it left back to the system now rather than at the
	// scavenger's pace (issue 17: RSS after login).
	debug.FreeOSMemory()
	if err != nil {
		// A session locked meanwhile closed the store: checked at the
		// next login.
		log.Printf("medihaven: %v", err)
		return
	}
	if !altered {
		return
	}
	msg := rep.Altered()
	s.alteredMu.Lock()
	s.altered, s.alteredAudit = msg, true
	s.alteredMu.Unlock()
	log.Printf("medihaven: %s", msg)
}

// auditAltered writes the audit record of an altered store once, when
// the workstation may write again: at the upkeep after its first
// catch-up, or, on one that does not sync, after its user's first write.
func (s *Session) auditAltered(ctx context.Context, rep *replica.Replica) {
	if _, restored := rep.Restored(); restored && !s.caughtUp.Load() {
		return // its first write must follow what it fetches
	}
	s.alteredMu.Lock()
	msg, due := s.altered, s.alteredAudit
	s.alteredAudit = false
	s.alteredMu.Unlock()
	if !due {
		return
	}
	if err := s.Audit(ctx, AuditRecord{Action: "store.altered", Entity: s.prof.Device, Detail: msg}); err != nil {
		log.Printf("medihaven: audit the altered store: %v", err)
		s.alteredMu.Lock()
		s.alteredAudit = true
		s.alteredMu.Unlock()
	}
}

// StoreAltered says, in plain words, that this workstation's store was
// found altered or put back at the last login, and what was done ("" when
// it was not).
func (s *Session) StoreAltered() string {
	s.alteredMu.Lock()
	defer s.alteredMu.Unlock()
	return s.altered
}
