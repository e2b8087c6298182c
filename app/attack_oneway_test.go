package app

import (
	"context"
	"testing"

	"github.com/medihaven/medihaven/roles"
)

// TestAttackOneWayConfirmationSplitsNoClinic: Attack (session 11 review,
// finding 6, no attacker needed): Paul confirms newcomer Nia, who has not
// typed his code yet; Nia and another newcomer, Noor, confirm each other.
// Paul's workstation counted both as confirmed and granted them the
// clinical key, but Nia's own reckoning reached only Noor: Paul and Petra
// were strangers to her, so she retired their key and started an epoch
// only she and Noor held, and Paul could not open her notes. Now the key
// goes only to a colleague whose own reckoning reaches its giver
// (MayGrant): Nia waits until she confirms Paul, then they share it.
func TestAttackOneWayConfirmationSplitsNoClinic(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	p, err := c.recep.RegisterPatient(ctx, Patient{Family: "Quill", Given: "Xanthe", Birth: "1966-03-04"})
	if err != nil {
		t.Fatal(err)
	}
	nia, noor := joinPhysician(t, c, "Dr Nia New"), joinPhysician(t, c, "Dr Noor Newer")
	everyone := append(c.all(), nia, noor)
	mustSync(t, everyone...)
	if err := c.phys.ConfirmColleague(ctx, nia.Fingerprint(), ColleagueCode(c.phys.Fingerprint(), nia.Fingerprint())); err != nil {
		t.Fatal(err)
	}
	confirmEachOther(t, nia, noor)
	for range 3 {
		mustSync(t, everyone...)
	}
	if !rep(t, c.phys).Confirmed(roles.Clinical, nia.Fingerprint()) {
		t.Fatal("setup: Paul does not count Nia as confirmed")
	}
	// Until she confirms a colleague who reaches Paul, nobody gives Nia
	// (or Noor) the key: her workstation would count its giver a stranger.
	for _, x := range []*Session{nia, noor} {
		if rep(t, x).Holds(roles.Clinical) {
			t.Errorf("%s holds the clinical key before her own confirmations reach its givers", x.StaffName())
		}
	}
	if err := nia.ConfirmColleague(ctx, c.phys.Fingerprint(), ColleagueCode(nia.Fingerprint(), c.phys.Fingerprint())); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		mustSync(t, everyone...)
	}
	n := note(t, nia, p.ID, "Nia's note")
	for range 2 {
		mustSync(t, everyone...)
	}
	if !opens(rep(t, c.phys).Keys(roles.Clinical), n) {
		k, _ := rep(t, nia).Key(roles.Clinical)
		t.Errorf("Paul cannot open Nia's note once they confirmed each other: she writes with epoch %#x; Nia counts as unconfirmed %v",
			k.Epoch, rep(t, nia).Unconfirmed(roles.Clinical))
	}
}
