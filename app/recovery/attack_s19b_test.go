package recovery

// Session 19 review h-sec19b: the recovery's key choice.

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// TestAttackS19bEscrowCopyHidesTheShare: a physician's modified software
// copies the id of each of her colleague's escrow events into a valid
// escrow of her own (a key of her own making, with its commitment, its
// shares sealed to the split's administrators). Both are escrows of the
// epoch, so every workstation reads both. A release named each share by
// the escrow's event id alone, so the releasing administrator's share of
// the copy took the place of her share of the real escrow: the
// coordinating administrator rebuilt only the copy's key, which opens
// nothing, and the recovery refused. The clinic lost its clinical records.
func TestAttackS19bEscrowCopyHidesTheShare(t *testing.T) {
	ctx := context.Background()
	c, admin2, admin3, everyone, patient := splitClinic(t, "Hidden")
	mal := c.Phys2
	// Only the honest physician's workstation escrows for now.
	approveSplit(t, c.Phys, c.Phys, c.Admin, admin2, admin3)
	var real []store.Envelope
	err := rep(t, admin3).DB().View(ctx, func(tx *store.Tx) error {
		return tx.EachEnvelope(ctx, func(e store.Envelope) error {
			if e.Kind == kindRecoveryEscrow && e.Author == c.Phys.Fingerprint() {
				real = append(real, e)
			}
			return nil
		})
	})
	if err != nil || len(real) == 0 {
		t.Fatalf("the physician escrowed nothing: %v", err)
	}
	r := rep(t, mal)
	pol, err := readRecovery(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	f := newRecoveryForger(t, mal, c.Admin)
	for _, e := range real {
		env, err := crypto.ParseEnvelope(e.Raw)
		if err != nil {
			t.Fatal(err)
		}
		var body escrowBody
		if err := json.Unmarshal(env.Ciphertext, &body); err != nil {
			t.Fatal(err)
		}
		bogus := crypto.ScopeKey{Scope: body.Scope, Epoch: body.Epoch}
		_, _ = rand.Read(bogus.Secret[:])
		payload, err := splitKey(r, pol, bogus)
		if err != nil {
			t.Fatal(err)
		}
		f.signID(t, store.EventID(e.ID), kindRecoveryEscrow, scopeRecovery, e.Entity, crypto.ScopeKey{}, payload)
	}
	f.send(t, everyone...)
	mustSync(t, everyone...)
	if n := escrowCount(t, admin3); n < 2*len(real) {
		t.Fatalf("the copies are not read as escrows (%d escrows, %d copied): the test proves nothing", n, len(real))
	}
	// Every physician's workstation is lost.
	c.Phys.Close()
	c.Phys2.Close()
	newcomer := c.Join(t, "Dr Nadia New", roles.Physician)
	alive := []*app.Session{c.Admin, admin2, admin3, c.Recep, newcomer}
	rec, err := recoverFor(t, c.Admin, admin3, newcomer, alive...)
	if err != nil {
		t.Fatalf("%d escrow ids copied into a colleague's escrows: the recovery fails: %v", len(real), err)
	}
	if n := notesOf(t, newcomer, patient); n != 1 {
		t.Fatalf("recovered %+v, but the new physician reads %d notes of the chart", rec, n)
	}
}

// TestAttackS19bFirstRecordOutvotesTheKey: a physician's modified software
// seals one record of the clinical epoch with a key of her own making, on
// a device whose id sorts first, and escrows that key; everything else she
// writes is written as every workstation writes it. The recovery tried
// each candidate key on the first record of each author only, in the
// order of devices: the real key opened her colleague's, hers opened her
// own, a tie, and the epoch was left unrecovered. Her later records, which the real key opens, say which key
// the clinic wrote with.
func TestAttackS19bFirstRecordOutvotesTheKey(t *testing.T) {
	c, admin2, admin3, everyone, patient := splitClinic(t, "Outvoted")
	mal := c.Phys2
	bogus := falseKey(t, mal)
	// On a device whose id sorts first: the log is read by device.
	f := newRecoveryForgerOn(t, mal, c.Admin, "00000000"+crypto.NewEventID()[8:])
	sealAndEscrowBy(t, f, mal, everyone, patient, "sealed for nobody", bogus)
	// Then she writes as everyone does.
	note(t, mal, patient, "written with the clinic's key")
	approveSplit(t, c.Phys, without(everyone, c.Admin)...)
	mustSync(t, everyone...)
	c.Phys.Close()
	c.Phys2.Close()
	newcomer := c.Join(t, "Dr Nadia New", roles.Physician)
	alive := []*app.Session{c.Admin, admin2, admin3, c.Recep, newcomer}
	rec, err := recoverFor(t, c.Admin, admin3, newcomer, alive...)
	if err != nil {
		t.Fatalf("recovery: %v", err)
	}
	if n := notesOf(t, newcomer, patient); n != 2 {
		t.Fatalf("recovered %+v, but the new physician reads %d notes of the chart", rec, n)
	}
}

// TestAttackS19bPuppetsOutvoteTheKey (open: MEDIHAVEN_OPEN_ATTACKS=1): Ada,
// an administrator, admits two physicians of her own making, whom no
// physician confirms (they never hold the clinical key). Each one's
// modified software writes a record of the clinical epoch sealed with one
// key of Ada's making and escrows it. Every physician's workstation is
// lost, and Ben, an honest administrator, coordinates the recovery: the
// key that opens the records of the most authors wins, two puppets
// against one physician, and the newcomer (who reaches nobody by
// confirmations yet, so takes a key from any escrow) is handed Ada's key.
// Nothing Ben's workstation holds tells a puppet from a physician: both
// are physicians by an administrator's word, and confirmations among
// puppets look like confirmations among physicians (Known limits).
func TestAttackS19bPuppetsOutvoteTheKey(t *testing.T) {
	c, ben, cleo, everyone, patient := splitClinic(t, "Puppets")
	approveSplit(t, c.Phys, without(everyone, c.Admin)...)
	mustSync(t, everyone...)
	real, ok := rep(t, c.Phys).Key(roles.Clinical)
	if !ok {
		t.Fatal("the physician holds no clinical key")
	}
	bogus := crypto.ScopeKey{Scope: real.Scope, Epoch: real.Epoch}
	_, _ = rand.Read(bogus.Secret[:])
	for _, name := range []string{"Dr Puppet One", "Dr Puppet Two"} {
		p := c.Join(t, name, roles.Physician)
		everyone = append(everyone, p)
		mustSync(t, everyone...)
		sealAndEscrow(t, c, p, everyone, patient, bogus)
	}
	c.Phys.Close()
	c.Phys2.Close()
	newcomer := c.Join(t, "Dr Nadia New", roles.Physician)
	alive := []*app.Session{c.Admin, ben, cleo, c.Recep, newcomer}
	rec, err := recoverFor(t, ben, cleo, newcomer, alive...)
	if err != nil {
		t.Fatalf("recovery: %v", err)
	}
	if n := notesOf(t, newcomer, patient); n != 1 {
		t.Fatalf("recovered %+v, but the new physician reads %d notes of the chart", rec, n)
	}
}

// TestAttackS19bTieReportedAsRecovered: a physician's modified software
// writes every record of hers in the clinical epoch with a key of her own
// making and escrows it. Her key and the clinic's each open one author's
// records: nothing tells them apart, and the epoch is rightly not
// recovered. But Recover handed over the front-desk key and reported
// success: the administrator's screen said the recovery was done, and the
// clinic learned only from the newcomer that no chart opens.
func TestAttackS19bTieReportedAsRecovered(t *testing.T) {
	ctx := context.Background()
	c, admin2, admin3, everyone, patient := splitClinic(t, "Tied")
	mal := c.Phys2
	real, _ := rep(t, mal).Key(roles.Clinical)
	bogus := falseKey(t, mal)
	f := newRecoveryForger(t, mal, c.Admin)
	sealAndEscrowBy(t, f, mal, everyone, patient, "sealed for nobody", bogus)
	approveSplit(t, c.Phys, without(everyone, c.Admin)...)
	mustSync(t, everyone...)
	c.Phys.Close()
	c.Phys2.Close()
	newcomer := c.Join(t, "Dr Nadia New", roles.Physician)
	alive := []*app.Session{c.Admin, admin2, admin3, c.Recep, newcomer}
	mustSync(t, alive...)
	if err := New(admin3.Core()).Release(ctx, c.Admin.Fingerprint()); err != nil {
		t.Fatal(err)
	}
	mustSync(t, alive...)
	rec, err := New(c.Admin.Core()).Recover(ctx, newcomer.Fingerprint())
	if !errors.Is(err, ErrDisputed) || !strings.Contains(err.Error(), real.String()) {
		t.Errorf("a clinical epoch two keys tie for: Recover says %+v, %v; want ErrDisputed naming %s", rec, err, real)
	}
	if len(rec.Scopes) != 1 || rec.Scopes[0] != roles.FrontDesk {
		t.Errorf("what was recovered: %+v, want the front-desk key handed over", rec)
	}
}
