package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/internal/keyringtest"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
	"github.com/zalando/go-keyring"
)

// heldKeys is what an unlocked session holds in memory, reached through
// its fields as someone reading the process's memory would find it.
type heldKeys struct {
	dk  *crypto.DeviceKey // the session's own copy
	rep *replica.Replica  // holds a copy of the device key and the scope keys
	id  *crypto.Identity
}

func keysOf(t *testing.T, s *Session) heldKeys {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rep == nil || s.dk == nil {
		t.Fatal("the session is not unlocked")
	}
	return heldKeys{dk: s.dk, rep: s.rep, id: s.rep.Identity()}
}

// replicaField reads an unexported field of the replica by reflection.
func replicaField(r *replica.Replica, name string) reflect.Value {
	return reflect.ValueOf(r).Elem().FieldByName(name)
}

// replicaDeviceKey is the replica's own copy of the device key.
func replicaDeviceKey(r *replica.Replica) crypto.DeviceKey {
	v := replicaField(r, "p").FieldByName("DeviceKey")
	var k crypto.DeviceKey
	for i := range k {
		k[i] = byte(v.Index(i).Uint())
	}
	return k
}

// checkWiped fails unless every key the session held is gone from memory:
// both copies of the device key are zeros, the replica holds no scope or
// blind-index key, and the identity signs nothing.
func (h heldKeys) checkWiped(t *testing.T) {
	t.Helper()
	if !h.dk.Wiped() {
		t.Error("the session's device key is still in memory")
	}
	if k := replicaDeviceKey(h.rep); !k.Wiped() {
		t.Error("the replica's copy of the device key is still in memory")
	}
	for _, f := range []string{"keys", "index"} {
		if n := replicaField(h.rep, f).Len(); n != 0 {
			t.Errorf("the replica still holds %d scopes of %s keys", n, f)
		}
	}
	for _, scope := range roles.Scopes {
		if h.rep.Holds(scope) {
			t.Errorf("the replica still holds the %s key", scope)
		}
	}
	if _, err := h.id.Sign([]byte("x")); !errors.Is(err, crypto.ErrCleared) {
		t.Errorf("the identity still signs after Lock: %v", err)
	}
}

// TestAttackLockWipesEveryKey: Attack (issue 13, finding 11): someone who
// reads a locked workstation's memory (a debugger, a swap or crash dump)
// finds no key. Before the fix the keystore handle and the device key
// stayed in memory after Lock. Now every key byte array the session held
// is zero after Lock and after Close, and the scope keys are gone.
func TestAttackLockWipesEveryKey(t *testing.T) {
	c := newClinic(t)
	for _, s := range []*Session{c.phys, c.recep} {
		h := keysOf(t, s)
		if h.dk.Wiped() || !h.rep.Holds(roles.FrontDesk) {
			t.Fatal("the unlocked session holds no keys to wipe")
		}
		before := *h.dk
		if replicaDeviceKey(h.rep) != before {
			t.Fatal("reading the replica's device key by reflection does not work")
		}
		s.Lock()
		h.checkWiped(t)
		s.mu.Lock()
		if s.dk != nil || s.rep != nil || s.db != nil {
			t.Error("the locked session still points at its store, replica or device key")
		}
		s.mu.Unlock()
		if dk := s.deviceKey(); !dk.Wiped() {
			t.Error("deviceKey() of a locked session is not all zeros")
		}
		if err := s.Unlock(context.Background(), []byte(testPass)); err != nil {
			t.Fatal(err)
		}
		if again := keysOf(t, s); *again.dk != before {
			t.Error("Unlock did not bring back the same device key")
		}
	}
	h := keysOf(t, c.admin)
	c.admin.Close()
	h.checkWiped(t)
}

// lockedSafe are the methods that answer a locked session without a key:
// the screens show who is logged in and where, and the way back in.
var lockedSafe = map[string]bool{
	"Lock": true, "Unlock": true, "Close": true,
	"StaffName": true, "Role": true, "Clinic": true, "Profile": true, "Fingerprint": true,
	"IdleLockAfter": true, "OnChange": true,
	// The staff name the login screen shows is already in the clear
	// profile; writing it needs no key.
	"NoteStaffName": true,
}

// validSamples are arguments that pass the input checks some use cases make
// before they need a key, so that the call reaches the lock.
func validSamples(p Patient) map[reflect.Type]any {
	return map[reflect.Type]any{
		reflect.TypeFor[Allergy]():    Allergy{Patient: p.ID, Substance: "penicillin", Reaction: "rash", Severity: "mild"},
		reflect.TypeFor[Medication](): Medication{Patient: p.ID, Name: "amlodipine 5 mg tablet", Dose: "1 tablet once daily"},
		reflect.TypeFor[Problem]():    Problem{Patient: p.ID, Name: "Hypertension"},
		reflect.TypeFor[Vitals]():     Vitals{Patient: p.ID, Pulse: 70},
	}
}

// TestAttackLockedSessionRefusesEveryUseCase: Attack (issue 13, finding
// 11): a passer-by at a locked workstation (or code holding the locked
// session) calls use cases directly. Every exported method of Session that
// can fail answers ErrLocked, found by reflection so a use case added
// later is checked too. Unlock with a wrong passphrase keeps it locked and
// wiped; the right one restores work.
func TestAttackLockedSessionRefusesEveryUseCase(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	p, err := c.recep.RegisterPatient(ctx, Patient{Given: "Ottilie", Family: "Lockwood", Birth: "1961-03-04", Sex: "female"})
	if err != nil {
		t.Fatal(err)
	}
	if err := SyncLocal(ctx, c.all()...); err != nil {
		t.Fatal(err)
	}
	h := keysOf(t, c.phys)
	c.phys.Lock()

	typ := reflect.TypeFor[*Session]()
	errType := reflect.TypeFor[error]()
	samples := validSamples(p)
	checked := 0
	var wrong []string
	for i := range typ.NumMethod() {
		m := typ.Method(i)
		mt := m.Type
		if lockedSafe[m.Name] || mt.NumOut() == 0 || mt.Out(mt.NumOut()-1) != errType {
			continue
		}
		args := []reflect.Value{reflect.ValueOf(c.phys)}
		for j := 1; j < mt.NumIn(); j++ {
			in := mt.In(j)
			switch {
			case in == reflect.TypeFor[context.Context]():
				cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				defer cancel()
				args = append(args, reflect.ValueOf(cctx))
			case samples[in] != nil:
				args = append(args, reflect.ValueOf(samples[in]))
			case in.Kind() == reflect.String:
				args = append(args, reflect.ValueOf(p.ID).Convert(in)) // a real patient id where one is asked
			default:
				args = append(args, reflect.Zero(in))
			}
		}
		err := callRecovering(m.Func, args)
		checked++
		if !errors.Is(err, ErrLocked) {
			wrong = append(wrong, fmt.Sprintf("%s: %v", m.Name, err))
		}
	}
	sort.Strings(wrong)
	if len(wrong) > 0 {
		t.Errorf("%d of %d use cases of a locked session did not answer ErrLocked:\n%s", len(wrong), checked, strings.Join(wrong, "\n"))
	}
	// The domain packages' use cases are checked beside them (app/chart's
	// TestLockedSessionRefusesEveryChartUseCase for the chart and
	// prescribing).
	if checked < 25 {
		t.Errorf("only %d use cases were found by reflection", checked)
	}
	h.checkWiped(t)

	if err := c.phys.Unlock(ctx, []byte("not the passphrase")); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("Unlock with a wrong passphrase: %v, want ErrWrongPassphrase", err)
	}
	if _, err := clin(c.phys).OpenChart(ctx, p.ID); !errors.Is(err, ErrLocked) {
		t.Errorf("OpenChart after a wrong passphrase: %v, want ErrLocked", err)
	}
	h.checkWiped(t)

	if err := c.phys.Unlock(ctx, []byte(testPass)); err != nil {
		t.Fatal(err)
	}
	ch, err := clin(c.phys).OpenChart(ctx, p.ID)
	if err != nil || ch.Patient.Family != "Lockwood" {
		t.Fatalf("OpenChart after Unlock: %+v, %v", ch.Patient, err)
	}
	if _, err := clin(c.phys).WriteNote(ctx, Note{Patient: p.ID, Subjective: "Seen after unlocking."}); err != nil {
		t.Errorf("WriteNote after Unlock: %v", err)
	}
}

// callRecovering calls fn and returns its last result as an error; a panic
// is reported as an error too (a locked session must not panic).
func callRecovering(fn reflect.Value, args []reflect.Value) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	out := fn.Call(args)
	if e, _ := out[len(out)-1].Interface().(error); e != nil {
		return e
	}
	return errors.New("succeeded")
}

// dumpKeystore is what an attacker copies from the keyring: every item of
// the profile.
func dumpKeystore(t *testing.T, env Env, p Profile) map[string][]byte {
	t.Helper()
	ks, err := env.OpenKeystore(p, []byte(testPass))
	if err != nil {
		t.Fatal(err)
	}
	defer crypto.CloseKeystore(ks)
	out := map[string][]byte{}
	for _, name := range []string{nameIdentity, nameDevice} {
		b, err := ks.Get(name)
		if err != nil {
			t.Fatalf("keystore item %s: %v", name, err)
		}
		out[name] = b
	}
	return out
}

// sealedInCopy reads sealed values from a copied profile folder's store:
// the sealed "me" secret and the sealed state of entity id.
func sealedInCopy(t *testing.T, dir, id string) (me, state []byte) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(dir, storeFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(ctx, func(tx *store.Tx) error {
		if me, err = tx.Secret(ctx, "me"); err != nil {
			return err
		}
		e, err := tx.Entity(ctx, id)
		state = e.State
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return me, state
}

// checkDumpRevealsNothing is the attacker's attempt with a copied profile
// folder and a dump of the keyring: the device item is not the device key,
// holds no copy of it, and neither it nor anything made of it without the
// passphrase opens a sealed value of the store. With the passphrase
// (the check that the attempt itself is sound) it does.
func checkDumpRevealsNothing(t *testing.T, dump map[string][]byte, p Profile, dk crypto.DeviceKey, me, state []byte, entity string) {
	t.Helper()
	item := dump[nameDevice]
	if len(item) == len(dk) || bytes.Contains(item, dk[:]) {
		t.Fatalf("the keyring item holds the device key in clear (%d bytes)", len(item))
	}
	var guesses []crypto.DeviceKey
	for off := 0; off+len(dk) <= len(item); off++ { // every 32-byte window of the item
		guesses = append(guesses, crypto.DeviceKey(item[off:off+len(dk)]))
	}
	for _, g := range guesses {
		if _, err := g.Open(me, []byte("me")); err == nil {
			t.Fatal("a window of the keyring item opens the profile")
		}
		if _, err := g.Open(state, []byte(entity)); err == nil {
			t.Fatal("a window of the keyring item opens a stored record")
		}
	}
	if _, err := crypto.UnlockIdentity(dump[nameIdentity], []byte("a guess at the passphrase")); !errors.Is(err, crypto.ErrWrongPassphrase) {
		t.Fatalf("the dumped identity opened without the passphrase: %v", err)
	}
	// With the passphrase, the same dump does open: the attempt was sound.
	id, err := crypto.UnlockIdentity(dump[nameIdentity], []byte(testPass))
	if err != nil {
		t.Fatal(err)
	}
	defer id.Clear()
	got, err := crypto.UnwrapDeviceKey(item, id, p.Device)
	if err != nil || got != dk {
		t.Fatalf("the wrapped device key does not open with the passphrase: %v", err)
	}
	if _, err := got.Open(state, []byte(entity)); err != nil {
		t.Fatalf("the device key does not open the record: %v", err)
	}
}

// TestAttackCopiedProfileAndKeystoreDump: Attack (issue 13, finding 11): a
// workstation's disk is copied, profile folder and keystore items both
// (the OS keyring's items as the test keystore holds them, and the opt-in
// keystore file opened with the passphrase). Before the fix the keyring's
// device item was the device key itself, which opens every stored record
// and scope key; now it is wrapped under the staff key the passphrase
// locks, and nothing in the copy opens without the passphrase.
func TestAttackCopiedProfileAndKeystoreDump(t *testing.T) {
	ctx := context.Background()
	for _, kind := range []string{KeystoreOS, KeystoreFile} {
		t.Run(kind, func(t *testing.T) {
			env, _ := testEnv(t)
			if kind == KeystoreFile {
				env.OpenKeystore = OpenKeystore
			}
			dir := filepath.Join(t.TempDir(), "admin")
			s, err := CreateClinic(ctx, env, NewClinic{Dir: dir, Clinic: "Copied Clinic", Admin: "Ada Admin", Passphrase: []byte(testPass), Keystore: kind})
			if err != nil {
				t.Fatal(err)
			}
			dk := *keysOf(t, s).dk
			p := s.Profile()
			s.Close()
			copied := filepath.Join(t.TempDir(), "copy")
			copyDir(t, dir, copied)
			me, state := sealedInCopy(t, copied, entityClinic)
			checkDumpRevealsNothing(t, dumpKeystore(t, env, p), p, dk, me, state, entityClinic)
		})
	}
}

// TestAttackPlantedDeviceKeyIsRefused: Attack (issue 13, finding 11):
// someone who can write the keyring (another program of the same desktop
// user) replaces the device item by a key they know, hoping the
// workstation seals new records with it. A key in clear that does not open
// the profile is refused and not adopted; a key wrapped to the member's
// public key but signed by the attacker's own key is refused.
func TestAttackPlantedDeviceKeyIsRefused(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	p := c.recep.Profile()
	r, err := c.admin.Replica()
	if err != nil {
		t.Fatal(err)
	}
	recep, ok := r.PublicKey(c.recep.Fingerprint())
	if !ok {
		t.Fatal("the receptionist's public key is not in the directory")
	}
	c.recep.Close()
	ks, err := c.env.OpenKeystore(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	genuine, err := ks.Get(nameDevice)
	if err != nil {
		t.Fatal(err)
	}
	known, _ := crypto.NewDeviceKey()
	attacker, err := crypto.GenerateIdentity("Mallory")
	if err != nil {
		t.Fatal(err)
	}
	plain := append([]byte("MHD1"), byte(len(p.Device)))
	plain = append(append(plain, p.Device...), known[:]...)
	forged, err := recep.Encrypt(plain, attacker)
	if err != nil {
		t.Fatal(err)
	}
	for name, planted := range map[string][]byte{"key in clear": known[:], "wrapped by another key": forged} {
		if err := ks.Set(nameDevice, planted); err != nil {
			t.Fatal(err)
		}
		if _, err := Login(ctx, c.env, p.Dir, "", []byte(testPass)); err == nil {
			t.Errorf("%s: the login accepted the planted device key", name)
		}
		if got, _ := ks.Get(nameDevice); !bytes.Equal(got, planted) {
			t.Errorf("%s: the planted item was rewritten (adopted)", name)
		}
	}
	if err := ks.Set(nameDevice, genuine); err != nil {
		t.Fatal(err)
	}
	s, err := Login(ctx, c.env, p.Dir, "", []byte(testPass))
	if err != nil {
		t.Fatalf("the genuine item no longer opens: %v", err)
	}
	s.Close()
}

// TestOldProfileDeviceKeyIsWrappedOnLogin: a profile made before the device
// key was wrapped (the keystore holds its 32 bytes in clear) still opens,
// and the login replaces the item by the wrapped form, which opens to the
// same key with the member's identity.
func TestOldProfileDeviceKeyIsWrappedOnLogin(t *testing.T) {
	ctx := context.Background()
	for _, kind := range []string{KeystoreOS, KeystoreFile} {
		t.Run(kind, func(t *testing.T) {
			env, _ := testEnv(t)
			if kind == KeystoreFile {
				env.OpenKeystore = OpenKeystore
			}
			dir := filepath.Join(t.TempDir(), "admin")
			s, err := CreateClinic(ctx, env, NewClinic{Dir: dir, Clinic: "Old Clinic", Admin: "Ada Admin", Passphrase: []byte(testPass), Keystore: kind})
			if err != nil {
				t.Fatal(err)
			}
			dk := *keysOf(t, s).dk
			p := s.Profile()
			s.Close()
			makeLegacy(t, env, p, dk)

			s, err = Login(ctx, env, dir, "", []byte(testPass))
			if err != nil {
				t.Fatalf("an old-format profile does not open: %v", err)
			}
			if *keysOf(t, s).dk != dk {
				t.Error("the old profile opened with another device key")
			}
			if _, err := s.SecuritySettings(ctx); err != nil {
				t.Errorf("the old profile's records do not read: %v", err)
			}
			s.Close()
			me, state := sealedInCopy(t, dir, entityClinic)
			checkDumpRevealsNothing(t, dumpKeystore(t, env, p), p, dk, me, state, entityClinic)

			s, err = Login(ctx, env, dir, "", []byte(testPass)) // the wrapped form opens too
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
		})
	}
}

// makeLegacy writes the device key in clear, as profiles made before the
// key was wrapped hold it.
func makeLegacy(t *testing.T, env Env, p Profile, dk crypto.DeviceKey) {
	t.Helper()
	ks, err := env.OpenKeystore(p, []byte(testPass))
	if err != nil {
		t.Fatal(err)
	}
	defer crypto.CloseKeystore(ks)
	if err := ks.Set(nameDevice, dk[:]); err != nil {
		t.Fatal(err)
	}
}

// TestAttackKeyringDumpSecretService runs TestAttackKeyringDumpInner against
// a real gnome-keyring (Secret Service), in its own D-Bus session.
func TestAttackKeyringDumpSecretService(t *testing.T) {
	keyringtest.Run(t, "TestAttackKeyringDumpInner")
}

// TestAttackKeyringDumpInner: Attack (issue 13, finding 11), with the real
// OS keyring: the attacker reads the profile's items out of the Secret
// Service (as any program of the desktop user can) and copies the profile
// folder. The device item is not the device key and nothing made of it
// opens a sealed record without the passphrase. An old profile whose item
// holds the key in clear is rewritten in wrapped form by the next login.
func TestAttackKeyringDumpInner(t *testing.T) {
	if !keyringtest.Inside() {
		t.Skip("run by TestAttackKeyringDumpSecretService in its own D-Bus session")
	}
	ctx := context.Background()
	env := Env{}.defaults() // the OS keyring, for real
	dir := filepath.Join(t.TempDir(), "admin")
	s, err := CreateClinic(ctx, env, NewClinic{Dir: dir, Clinic: "Keyring Clinic", Admin: "Ada Admin", Passphrase: []byte(testPass)})
	if err != nil {
		t.Fatal(err)
	}
	dk := *keysOf(t, s).dk
	p := s.Profile()
	s.Close()
	dump := func() map[string][]byte { // straight from the Secret Service, as stored
		out := map[string][]byte{}
		for _, name := range []string{nameIdentity, nameDevice} {
			v, err := keyring.Get(keyringName, p.ID+"/"+name)
			if err != nil {
				t.Fatalf("keyring item %s: %v", name, err)
			}
			b, err := base64.StdEncoding.DecodeString(v)
			if err != nil {
				t.Fatal(err)
			}
			out[name] = b
		}
		return out
	}
	copied := filepath.Join(t.TempDir(), "copy")
	copyDir(t, dir, copied)
	me, state := sealedInCopy(t, copied, entityClinic)
	checkDumpRevealsNothing(t, dump(), p, dk, me, state, entityClinic)

	makeLegacy(t, env, p, dk) // as a profile made before this change
	if got := dump()[nameDevice]; !bytes.Equal(got, dk[:]) {
		t.Fatal("the old-format item was not written")
	}
	s, err = Login(ctx, env, dir, "", []byte(testPass))
	if err != nil {
		t.Fatalf("an old-format profile does not open: %v", err)
	}
	s.Close()
	checkDumpRevealsNothing(t, dump(), p, dk, me, state, entityClinic)
}

// TestAttackLockDuringWrites: Attack (issue 13, finding 11): the idle lock
// fires while the workstation writes (the front desk registering, a sync
// applying what a colleague wrote). Lock waits for the running write, so
// nothing is sealed with a half-wiped key; every later write fails; after
// Unlock every stored record still opens and writing goes on.
func TestAttackLockDuringWrites(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	from, err := c.phys.Replica()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan int)
	for _, write := range []func(i int) error{
		func(i int) error {
			_, err := c.recep.RegisterPatient(ctx, Patient{Given: "Writer", Family: fmt.Sprintf("Number%d", i), Birth: "1970-01-01"})
			return err
		},
		func(i int) error { // a colleague's records arriving
			if _, err := c.phys.RegisterPatient(ctx, Patient{Given: "Synced", Family: fmt.Sprintf("Number%d", i), Birth: "1970-01-01"}); err != nil {
				return err
			}
			raws, err := from.Everything(ctx)
			if err != nil {
				return err
			}
			r, err := c.recep.Replica()
			if err != nil {
				return err
			}
			_, err = r.Apply(ctx, raws)
			return err
		},
	} {
		go func() {
			n := 0
			for ; n < 1000; n++ {
				if write(n) != nil {
					break
				}
			}
			done <- n
		}()
	}
	time.Sleep(300 * time.Millisecond)
	h := keysOf(t, c.recep)
	c.recep.Lock()
	h.checkWiped(t)
	wrote := <-done + <-done
	if _, err := c.recep.RegisterPatient(ctx, Patient{Given: "After", Family: "Lock", Birth: "1970-01-01"}); !errors.Is(err, ErrLocked) {
		t.Errorf("a write after Lock: %v, want ErrLocked", err)
	}
	if err := c.recep.Unlock(ctx, []byte(testPass)); err != nil {
		t.Fatal(err)
	}
	r, err := c.recep.Replica()
	if err != nil {
		t.Fatal(err)
	}
	ps, err := r.Entities(ctx, records.KindPatient)
	if err != nil {
		t.Fatalf("a record written around the lock does not open: %v", err)
	}
	if len(ps) == 0 || wrote == 0 {
		t.Fatalf("nothing was written before the lock (%d writes, %d patients)", wrote, len(ps))
	}
	if _, err := c.recep.RegisterPatient(ctx, Patient{Given: "After", Family: "Unlock", Birth: "1970-01-01"}); err != nil {
		t.Errorf("a write after Unlock: %v", err)
	}
	t.Logf("%d writes before the lock, %d patients open after unlocking", wrote, len(ps))
}
