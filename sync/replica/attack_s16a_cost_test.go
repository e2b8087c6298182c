package replica

// Session 16 hostile review h-sec16a: the cost of reading claims.

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/medihaven/medihaven/roles"
)

// TestAttackS16aRefusedDirectoryEventsCostQuadratic (a measurement, run
// with HOLDN=10000): every event of a member's entry refused by the
// revocation, role or token rule marks her entry dirty (decide), and
// every reading of a dirty entry opens every such event again
// (entryClaims: holdClaimOf decrypts whatever its writer), though only an
// administrator's can hold. Rita, a receptionist, writes N events into
// Paul's entry (all refused by the role rule); a workstation catching up
// in pages of 200 reads them N/200 times. Measured (HOLDN=10000): 7.2 s
// against 1.1 s for as many events of another kind; 1.3 s before the V2
// fix (7cbccf9^). Skipped without HOLDN (timing).
func TestAttackS16aRefusedDirectoryEventsCostQuadratic(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("HOLDN"))
	if n == 0 {
		t.Skip("a measurement: HOLDN=10000")
	}
	for _, member := range []bool{false, true} {
		c := newClinic(t)
		sRita := c.sRecep
		heads := memberHeads(t, sRita, c.phys)
		for i := range n {
			if member {
				sRita.forge(forged{Entity: c.phys.fp(), Kind: KindMember, Scope: string(roles.Directory),
					Fields: fields(t, map[string]any{"status": StatusRevoked, "revoked_heads": heads, "name": strconv.Itoa(i)})})
			} else {
				sRita.forge(forged{Entity: fmt.Sprintf("%s%040x", roles.LicencePrefix, i), Kind: "licence", Scope: string(roles.Directory),
					Fields: fields(t, map[string]any{"number": strconv.Itoa(i)})})
			}
		}
		evs := sRita.own()
		start := time.Now()
		for i := 0; i < len(evs); i += 200 {
			c.sPh2.apply(evs[i:min(i+200, len(evs))]...)
		}
		t.Logf("member %v: %d events in pages of 200: %v", member, n, time.Since(start))
		start = time.Now()
		c.sPh2.apply(c.sPhys.own()...)
		t.Logf("member %v: then Paul's chain: %v", member, time.Since(start))
	}
}
