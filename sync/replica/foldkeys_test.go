package replica

import (
	"bytes"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// TestFoldKeysFollowTheKeys: foldGroup seals records' states and makes
// their tokens with keys set up once for each of its workers (foldKeys),
// never kept beyond it: after the device key and the scope's index key
// change, the next fold seals with the new device key (the old one no
// longer opens the state) and tokenises with the new index key, for every
// record, on every worker.
func TestFoldKeysFollowTheKeys(t *testing.T) {
	c := newClinic(t)
	r := c.sRecep.r
	r.p.Index = func(_ string, st State) []Term { return []Term{{Field: "family", Value: st.String("family")}} }
	scope := roles.FrontDesk

	foldAll := func(round int) grouped {
		t.Helper()
		var g grouped
		for i := range 40 { // several workers' worth (16 records a worker)
			id := string(rune('a'+round)) + string(rune('a'+i%26)) + string(rune('a'+i/26))
			h := crypto.Header{Entity: id, Kind: "patient", Scope: string(scope), Lamport: uint64(1 + i), Device: "d", Seq: uint64(1 + i), Time: 1}
			g.order = append(g.order, &merge{rec: store.Entity{ID: id, Kind: "patient", Scope: string(scope)}})
			g.hs = append(g.hs, []crypto.Header{h})
			g.fs = append(g.fs, []Fields{fields(t, map[string]any{"family": "Okafor"})})
		}
		if err := r.foldGroup(g, false); err != nil {
			t.Fatal(err)
		}
		return g
	}
	check := func(g grouped, dk crypto.DeviceKey, ik crypto.IndexKey, other crypto.DeviceKey) {
		t.Helper()
		want := ik.Token(string(scope)+"/family", "Okafor")
		for _, m := range g.order {
			if len(m.tokens) != 1 || !bytes.Equal(m.tokens[0], want) {
				t.Fatalf("%s: tokens %x, want %x (the index key of this fold)", m.rec.ID, m.tokens, want)
			}
			if _, err := dk.Open(m.rec.State, []byte(m.rec.ID)); err != nil {
				t.Fatalf("%s: the device key of this fold does not open its state: %v", m.rec.ID, err)
			}
			if _, err := other.Open(m.rec.State, []byte(m.rec.ID)); err == nil {
				t.Fatalf("%s: the other device key opens its state", m.rec.ID)
			}
		}
	}

	r.state.RLock()
	oldDK, oldIK := r.p.DeviceKey, r.index[string(scope)]
	r.state.RUnlock()
	newDK, err := crypto.NewDeviceKey()
	if err != nil {
		t.Fatal(err)
	}
	sk, err := crypto.NewScopeKey(string(scope), 99)
	if err != nil {
		t.Fatal(err)
	}
	newIK := crypto.DeriveIndexKey(sk)

	check(foldAll(0), oldDK, oldIK, newDK)
	r.state.Lock()
	r.p.DeviceKey, r.index[string(scope)] = newDK, newIK
	r.state.Unlock()
	check(foldAll(1), newDK, newIK, oldDK)
}
