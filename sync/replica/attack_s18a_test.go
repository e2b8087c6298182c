package replica

// Session 18 review h-sec18a: the event aliases (h-id17) and the bound on
// devices no directory entry names (h-cap17).

import (
	"bytes"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
)

// TestAttackS18aClinicPrefixAuthorUnbounded: an outsider (no entry, his
// own key) on a device of his own writes events whose header names as
// author a fingerprint that starts with the clinic id (public: the first
// half of the founder's fingerprint, in every token, calendar and event
// header) and ends with anything. Nobody's key has that fingerprint, so
// none of them is ever verified; named() took the prefix alone for the
// founder (unnamed.go), so the bound did not apply and every event was
// stored pending, for ever.
func TestAttackS18aClinicPrefixAuthorUnbounded(t *testing.T) {
	const n = 200
	c := newClinic(t)
	otto := newPerson(t, "Otto Outsider", roles.Physician)
	device := crypto.NewEventID()
	claimed := c.id + strings.Repeat("0", len(otto.fp())-len(c.id))
	if claimed == c.admin.fp() {
		t.Fatal("the claimed author is the founder")
	}
	pad := strings.Repeat("x", 2000)
	var chain [][]byte
	prev := ""
	for i := range n {
		h := crypto.Header{ID: crypto.NewEventID(), Entity: "x" + crypto.NewEventID(), Kind: "licence", Scope: string(roles.Directory),
			Author: otto.fp(), Device: device, Seq: uint64(i + 1), Prev: prev, Lamport: uint64(i + 1), Time: c.sPh2.r.now().UnixMilli()}
		env, err := crypto.SealRaw(h, []byte(`{"pad":"`+pad+`"}`), otto.id)
		if err != nil {
			t.Fatal(err)
		}
		raw := bytes.Replace(env.Raw, []byte(otto.fp()), []byte(claimed), 1)
		p, err := crypto.ParseEnvelope(raw)
		if err != nil || p.Header.Author != claimed {
			t.Fatalf("patched envelope: %v", err)
		}
		chain, prev = append(chain, raw), p.Hash()
	}
	rep := c.sPh2.apply(chain...)
	rows, b, states := c.sPh2.deviceRows(device)
	t.Logf("sent %d events naming %s… as author; stored %d rows, %d bytes, by state %v; OverBound %d", n, c.id, rows, b, states, rep.OverBound)
	if rows > unnamedEvents || int64(b) > unnamedBytes {
		t.Fatalf("a device no entry names stored %d events (%d bytes) past the bound of %d/%d: an author merely starting with the clinic id named it",
			rows, b, unnamedEvents, unnamedBytes)
	}
}

// TestAttackS18aRevokedMemberFillsStore: Rita, a receptionist, is revoked;
// her workstation (modified software, her account still on the server)
// keeps writing into her own chain. Her entry stands (revoked), so named()
// takes her device as named and the bound on unnamed devices does not
// apply: every workstation stores each event she writes after her
// revocation, refused, for ever.
func TestAttackS18aRevokedMemberFillsStore(t *testing.T) {
	const n = 400
	c := newClinic(t)
	c.revoke(c.recep)
	exchange(t, c.stations()...)
	device := c.sRecep.r.Device()
	before, _, _ := c.sPh2.deviceRows(device)
	pad := strings.Repeat("x", 2000)
	for i := range n {
		c.sRecep.forge(forged{Entity: "x" + crypto.NewEventID(), Kind: "licence", Scope: string(roles.Directory),
			Fields: Fields{"pad": []byte(`"` + pad + `"`)}, Lamport: uint64(i + 100)})
	}
	rep := c.sPh2.apply(c.sRecep.own()...)
	rows, b, states := c.sPh2.deviceRows(device)
	t.Logf("revoked, she wrote %d events more; stored %d rows more (%d in all, %d bytes), by state %v; OverBound %d",
		n, rows-before, rows, b, states, rep.OverBound)
	if rows-before > unnamedEvents {
		t.Fatalf("a revoked member's device stored %d events written after her revocation: more than a device no entry names may (%d)", rows-before, unnamedEvents)
	}
}

// TestAttackS18aMemberKeyNotHereNamesAnyDevice: Nina's admission reached
// Paul's workstation, her own chain (her key) not yet. An outsider writes
// events naming her as author on a device of his own: her entry named
// the device, and none of them could be verified, so every one was
// stored pending until her key came (then they fail their signature and
// are dropped).
func TestAttackS18aMemberKeyNotHereNamesAnyDevice(t *testing.T) {
	const n = 200
	c := newClinic(t)
	nina, sNina := c.admittedBy(t, c.sAdmin, "Nina Newcomer", roles.Physician)
	c.sPh2.apply(c.sAdmin.own()...)
	if _, ok := c.sPh2.r.Member(nina.fp()); !ok {
		t.Fatal("her admission was not applied without her key")
	}
	otto := newPerson(t, "Otto Outsider", roles.Physician)
	device := crypto.NewEventID()
	pad := strings.Repeat("x", 2000)
	var chain [][]byte
	prev := ""
	for i := range n {
		h := crypto.Header{ID: crypto.NewEventID(), Entity: "x" + crypto.NewEventID(), Kind: "licence", Scope: string(roles.Directory),
			Author: otto.fp(), Device: device, Seq: uint64(i + 1), Prev: prev, Lamport: uint64(i + 1), Time: c.sPh2.r.now().UnixMilli()}
		env, err := crypto.SealRaw(h, []byte(`{"pad":"`+pad+`"}`), otto.id)
		if err != nil {
			t.Fatal(err)
		}
		raw := bytes.Replace(env.Raw, []byte(otto.fp()), []byte(nina.fp()), 1)
		p, err := crypto.ParseEnvelope(raw)
		if err != nil || p.Header.Author != nina.fp() {
			t.Fatalf("patched envelope: %v", err)
		}
		chain, prev = append(chain, raw), p.Hash()
	}
	c.sPh2.apply(chain...)
	rows, b, states := c.sPh2.deviceRows(device)
	c.sPh2.apply(sNina.own()...)
	after, _, _ := c.sPh2.deviceRows(device)
	t.Logf("before her key: %d of %d stored (%d bytes, %v); after her key: %d", rows, n, b, states, after)
	if rows > unnamedEvents || int64(b) > unnamedBytes {
		t.Fatalf("an author whose key is not here named a device: %d events (%d bytes) stored past the bound of %d/%d", rows, b, unnamedEvents, unnamedBytes)
	}
}
