package app

import (
	"context"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// TestAttackPlantedEpochNotUsedBeforeUpkeep: Attack (session 11 review,
// finding 11): an unconfirmed physician (an administrator's stand-in)
// grants a physician a clinical epoch of her own, numbered past any real
// one. Applying the grant made it the physician's newest key until the
// upkeep (which netsync runs on its own goroutine) retired it, so a note
// written meanwhile was sealed with a key she made. Now a key of a scope
// that needs confirmation is taken only from a colleague this workstation
// reached by confirmations (replica/keysource.go): hers waits aside.
func TestAttackPlantedEpochNotUsedBeforeUpkeep(t *testing.T) {
	ctx := context.Background()
	c, p := clinicWithPatient(t)
	standIn := joinPhysician(t, c, "Dr Sam Standin")
	everyone := append(c.all(), standIn)
	mustSync(t, everyone...)
	s := rep(t, standIn)
	planted, err := crypto.NewScopeKey(string(roles.Clinical), 0xFFFE<<16|7) // numbered past any real epoch
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Grant(ctx, planted, c.phys.Fingerprint()); err != nil {
		t.Fatal(err)
	}
	// The network hands her events to Paul's workstation (netsync applies
	// them; the upkeep follows on its own goroutine).
	deliver(t, standIn, c.phys)
	n := note(t, c.phys, p.ID, "written while the upkeep had not run yet")
	if opens([]crypto.ScopeKey{planted}, n) {
		t.Errorf("Paul's note was sealed with the stand-in's planted epoch %#x: she reads it", planted.Epoch)
	}
}

// TestAttackStrangersFakeGrantDoesNotBlindANewcomer: Attack (session 11
// review, finding 11, second effect): the stand-in sends a physician
// newcomer grants naming every genuine clinical epoch, with keys she made
// up, before any colleague grants the real ones. The newcomer kept them
// (and said so in her key-held record), so the real grants were skipped
// and, once confirmed, she never opened what her colleagues wrote. Now
// the made-up keys wait aside and the colleague's grants are taken.
func TestAttackStrangersFakeGrantDoesNotBlindANewcomer(t *testing.T) {
	ctx := context.Background()
	c, p := clinicWithPatient(t)
	mustSync(t, c.all()...)
	old := note(t, c.phys, p.ID, "written before the newcomer came")
	standIn, nia := joinPhysician(t, c, "Dr Sam Standin"), joinPhysician(t, c, "Dr Nia New")
	everyone := append(c.all(), standIn, nia)
	mustSync(t, everyone...)
	live, _ := rep(t, c.phys).Key(roles.Clinical)
	for _, k := range rep(t, c.phys).Keys(roles.Clinical) {
		fake, _ := crypto.NewScopeKey(string(roles.Clinical), k.Epoch)
		if _, err := rep(t, standIn).Grant(ctx, fake, nia.Fingerprint()); err != nil {
			t.Fatal(err)
		}
	}
	deliver(t, standIn, nia)
	confirmEachOther(t, c.phys, nia)
	for range 3 {
		mustSync(t, everyone...)
	}
	if !opens(rep(t, nia).Keys(roles.Clinical), old) {
		t.Errorf("confirmed by Paul, Nia cannot open his note of epoch %#x: the stand-in's made-up key took its place on her workstation", live.Epoch)
	}
}

// TestAttackStrangerNamesLiveEpochNobodyRotates: Attack (session 11
// review, finding 4): an unconfirmed physician writes a grant header
// naming the clinic's live clinical epoch (with a key of her own making:
// she holds none). Every confirmed physician retired the genuine epoch
// and started a new one, which she named again from its clear header, at
// will. Now a grant a stranger writes exposes nothing (RetireExposed):
// what she could know came through a grant addressed to her.
func TestAttackStrangerNamesLiveEpochNobodyRotates(t *testing.T) {
	ctx := context.Background()
	c, standIn, everyone := clinicWithStandIn(t)
	s := rep(t, standIn)
	if s.Holds(roles.Clinical) {
		t.Fatal("setup: the stand-in holds the clinical key")
	}
	rotations := 0
	for i := 0; i < 5; i++ {
		live, _ := rep(t, c.phys).Key(roles.Clinical)
		// Her modified software: a grant header naming the live epoch,
		// carrying a key she made up, addressed to a real physician.
		fake, err := crypto.NewScopeKey(string(roles.Clinical), live.Epoch)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Grant(ctx, fake, c.phys2.Fingerprint()); err != nil {
			t.Fatal(err)
		}
		mustSync(t, everyone...)
		after, _ := rep(t, c.phys).Key(roles.Clinical)
		if after.Epoch != live.Epoch || rep(t, c.phys).Retired(roles.Clinical, live.Epoch) {
			rotations++
		}
	}
	if s.Holds(roles.Clinical) {
		t.Error("the stand-in holds a clinical key")
	}
	if rotations > 0 {
		t.Errorf("an unconfirmed physician made the confirmed physicians retire their live clinical epoch %d times out of 5 (one grant header each)", rotations)
	}
	t.Logf("clinical epochs held by Paul now: %d", len(rep(t, c.phys).Keys(roles.Clinical)))
}

// TestAttackPlantedEpochDoesNotPushToLastGeneration: Attack (session 11
// review, finding 4, escalation): the stand-in plants one clinical epoch
// in generation 0xFFFE, then names the live epochs in forged headers; the
// physicians' next epoch was generation 0xFFFF, the last (NewEpoch went
// past every key held), so a few more rotations would make every upkeep
// fail with ErrNoEpoch. Now her key is never held and her headers retire
// nothing, and NewEpoch numbers past the keys of trusted sources only.
func TestAttackPlantedEpochDoesNotPushToLastGeneration(t *testing.T) {
	ctx := context.Background()
	c, standIn, everyone := clinicWithStandIn(t)
	s := rep(t, standIn)
	planted, err := crypto.NewScopeKey(string(roles.Clinical), 0xFFFE<<16|1)
	if err != nil {
		t.Fatal(err)
	}
	grantTo(t, s, planted, c.phys, c.phys2)
	mustSync(t, everyone...)
	live, _ := rep(t, c.phys).Key(roles.Clinical)
	// One forged header for each epoch still used for writing (they read
	// the numbers from the clear grant headers).
	for _, k := range rep(t, c.phys).Keys(roles.Clinical) {
		if rep(t, c.phys).Retired(roles.Clinical, k.Epoch) {
			continue
		}
		fake, _ := crypto.NewScopeKey(string(roles.Clinical), k.Epoch)
		if _, err := s.Grant(ctx, fake, c.phys2.Fingerprint()); err != nil {
			t.Fatal(err)
		}
	}
	mustSync(t, everyone...)
	now, _ := rep(t, c.phys).Key(roles.Clinical)
	t.Logf("live epoch before %#x, after %#x", live.Epoch, now.Epoch)
	if now.Epoch>>16 == 0xFFFF {
		t.Errorf("two events of an unconfirmed physician moved the clinic's clinical key to its last generation (%#x): at most 65,536 rotations remain before NewEpoch fails", now.Epoch)
	}
}

// joinPhysician is a physician the administrator admits: she redeems a
// token on her own workstation, and nobody confirmed her yet.
func joinPhysician(t *testing.T, c *clinic, name string) *Session {
	t.Helper()
	return c.redeem(t, name, roles.Physician)
}

// clinicWithPatient is a clinic with one patient registered.
func clinicWithPatient(t *testing.T) (*clinic, Patient) {
	t.Helper()
	c := newClinic(t)
	p, err := c.recep.RegisterPatient(context.Background(), Patient{Family: "Quill", Given: "Xanthe", Birth: "1966-03-04"})
	if err != nil {
		t.Fatal(err)
	}
	return c, p
}

// clinicWithStandIn is a clinic and a physician nobody confirmed (an
// administrator's stand-in), with everyone's workstations in step.
func clinicWithStandIn(t *testing.T) (*clinic, *Session, []*Session) {
	t.Helper()
	c := newClinic(t)
	standIn := joinPhysician(t, c, "Dr Sam Standin")
	everyone := append(c.all(), standIn)
	mustSync(t, everyone...)
	return c, standIn, everyone
}

// grantTo has r's modified software grant k to each of to.
func grantTo(t *testing.T, r *replica.Replica, k crypto.ScopeKey, to ...*Session) {
	t.Helper()
	for _, s := range to {
		if _, err := r.Grant(context.Background(), k, s.Fingerprint()); err != nil {
			t.Fatal(err)
		}
	}
}
