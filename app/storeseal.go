package app

import (
	"context"
	"errors"
	"log"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/medihaven/medihaven/crypto"
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
// With the passphrase's file keystore the keyring is a file in the
// profile folder too, which whoever puts back medihaven.db can put back
// with it: the generation then proves nothing, and only the MAC's check
// (rows altered in place) holds. So the generation is kept only in the
// OS keyring: keeping it in the file at login (the only time the file is
// open) rewrote keys.mhk and medihaven.db at every login after a session
// that wrote, and a preview or a refused command must change no file.

// nameStoreSeal is the keystore item holding the store seal's generation.
const nameStoreSeal = "store-seal"

// sealEvery is how often upkeep keeps the seal's generation in the
// keyring (besides login and logout).
const sealEvery = 10 * time.Minute

// sealFloor reads the generation the keyring last kept (0: none).
func sealFloor(ks crypto.Keystore) uint64 {
	v, err := ks.Get(nameStoreSeal)
	if err != nil {
		if !errors.Is(err, crypto.ErrNotFound) {
			log.Printf("medihaven: read the store seal's generation from the keystore: %v", err)
		}
		return 0
	}
	n, err := strconv.ParseUint(string(v), 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// keepSeal commits the seal durably and keeps its generation in ks,
// unless ks already keeps the generation of the store's last seal (kept):
// nothing was written since, and a login or lock that only read must not
// write the profile folder (a refused or preview command changes no file).
func keepSeal(ctx context.Context, rep *replica.Replica, ks crypto.Keystore, kept *atomic.Uint64) error {
	if g := rep.SealGen(); g != 0 && g == kept.Load() {
		return nil
	}
	gen, err := rep.SealNow(ctx)
	if err != nil || gen == 0 {
		return err
	}
	if err := ks.Set(nameStoreSeal, []byte(strconv.FormatUint(gen, 10))); err != nil {
		return err
	}
	kept.Store(gen)
	return nil
}

// keepSealLater keeps the seal's generation with the keystore opened
// again without the passphrase: the OS keyring only (a file keystore
// needs the passphrase, and keeps it at login).
func (s *Session) keepSealLater(ctx context.Context, rep *replica.Replica) {
	if s.prof.Keystore == KeystoreFile || rep == nil {
		return
	}
	ks, err := s.env.OpenKeystore(s.prof, nil)
	if err == nil {
		err = keepSeal(ctx, rep, ks, &s.sealGen)
		crypto.CloseKeystore(ks)
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
	if s.prof.Keystore != KeystoreFile {
		if err := keepSeal(ctx, rep, ks, &s.sealGen); err != nil {
			log.Printf("medihaven: keep the store seal's generation in the keystore: %v", err)
		} else {
			s.sealKept.Store(s.env.Now().UnixNano())
		}
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
