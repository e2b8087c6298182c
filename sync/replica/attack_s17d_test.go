package replica

import (
	"bytes"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
)

// TestAttackS17dKeyKindNamesMember: an outsider (no entry, own key) on a
// random (legacy-shaped) device id writes "key" events whose header names
// a member (the founder) as author. Key events are not verified on
// arrival (arrive.go verify: KindKey skipped), so named() takes the
// claimed author as a member and the unnamed-device bound (unnamed.go)
// does not apply: every event is stored.
func TestAttackS17dKeyKindNamesMember(t *testing.T) {
	const n = 200
	c := newClinic(t)
	otto := newPerson(t, "Otto Outsider", roles.Physician)
	device := crypto.NewEventID() // a random id: no bound to check
	victim := c.admin.fp()
	pad := strings.Repeat("x", 2000)
	var chain [][]byte
	prev := ""
	for i := range n {
		h := crypto.Header{ID: crypto.NewEventID(), Entity: victim, Kind: KindKey, Scope: ScopePublic, Author: otto.fp(),
			Device: device, Seq: uint64(i + 1), Prev: prev, Lamport: uint64(i + 1), Time: c.sPh2.r.now().UnixMilli()}
		env, err := crypto.SealRaw(h, []byte(`{"pad":"`+pad+`"}`), otto.id)
		if err != nil {
			t.Fatal(err)
		}
		raw := bytes.Replace(env.Raw, []byte(otto.fp()), []byte(victim), 1)
		p, err := crypto.ParseEnvelope(raw)
		if err != nil {
			t.Fatalf("patched envelope does not parse: %v", err)
		}
		if p.Header.Author != victim {
			t.Fatalf("author not patched: %s", p.Header.Author)
		}
		chain, prev = append(chain, raw), p.Hash()
	}
	rep := c.sPh2.apply(chain...)
	rows, b, states := c.sPh2.deviceRows(device)
	t.Logf("sent %d key events naming the founder; stored %d rows, %d bytes, by state %v; report OverBound %d rejected %d", n, rows, b, states, rep.OverBound, rep.Rejected)
	if rows > unnamedEvents || int64(b) > unnamedBytes {
		t.Fatalf("a device no entry names stored %d events (%d bytes) past the bound of %d/%d: the claimed author of an unverified key event named it", rows, b, unnamedEvents, unnamedBytes)
	}
}
