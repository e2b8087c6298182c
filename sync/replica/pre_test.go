package replica

import (
	"fmt"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
)

// What the checking workers hand the rules (pre.go) is what the rules
// computed themselves before: each envelope's hash, and its record id
// judged by its kind, for honest, badly signed and altered envelopes and
// a record id bound to another kind.
func TestPreIsWhatTheRulesCompute(t *testing.T) {
	c := newClinic(t)
	envs := chainOf(t, c.sRecep, 5, 3)
	// A record id made for another kind, named by a patient event.
	bound := c.sRecep.forge(forged{Entity: roles.NewRecordID("appointment"), Kind: "patient", Scope: "frontdesk",
		Fields: fields(t, map[string]any{"family": "Bound"})})
	envs = append(envs, bound)
	raws := make([][]byte, 0, len(envs)+1)
	for _, e := range envs {
		raws = append(raws, e.Raw)
	}
	raws = append(raws, []byte("not an envelope"))
	r := c.sPhys.r
	r.mu.Lock()
	defer r.mu.Unlock()
	checked := r.check(raws)
	checked.stop()
	p := pre{hash: map[*crypto.Envelope]string{}, badID: map[kindID]error{}}
	hashed, badIDs := 0, 0
	for _, a := range checked.out {
		p.take(a)
		if a.env == nil {
			continue
		}
		if a.hash != "" {
			hashed++
		}
		if got, want := p.hashOf(a.env), a.env.Hash(); got != want {
			t.Errorf("hash of %s: %s, want %s", a.env.Header.ID, got, want)
		}
		k, _ := roles.KindOf(a.env.Header.Kind)
		got, want := p.checkID(k, a.env.Header.Kind, a.env.Header.Entity), k.CheckID(a.env.Header.Entity)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("record id check of %s: %v, want %v", a.env.Header.ID, got, want)
		}
		if want != nil {
			badIDs++
		}
	}
	if hashed == 0 || badIDs != 1 {
		t.Fatalf("%d hashes handed over, %d bad record ids: the test checks nothing", hashed, badIDs)
	}
}
