package app

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// TestOlderConfirmationsCarriedOverAtUpkeep: a physician whose software of
// an older version confirmed a colleague by her bare key has that
// confirmation written again, naming the colleague's admission, at her
// first upkeep of this version, once; the two count each other throughout,
// on every workstation.
func TestOlderConfirmationsCarriedOverAtUpkeep(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	tok, err := c.admin.IssueToken(ctx, roles.Physician, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tess, err := Redeem(ctx, c.env, Redemption{Dir: filepath.Join(c.dir, "tess"), Token: tok.String(), Name: "Dr Tess Third",
		Passphrase: []byte(testPass)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tess.Close() })
	everyone := append(c.all(), tess)
	mustSync(t, everyone...)
	r1, r3 := rep(t, c.phys), rep(t, tess)
	paul := c.phys.Fingerprint()
	// Her older software confirmed Paul by his bare key; Paul's confirms her.
	if _, err := r3.Append(ctx, replica.Change{Entity: replica.ConfirmsEntity(tess.Fingerprint()), Kind: replica.KindConfirms,
		Scope: roles.Directory, Fields: replica.Fields{"member/" + paul: []byte("true")}}); err != nil {
		t.Fatal(err)
	}
	if err := r1.Confirm(ctx, tess.Fingerprint()); err != nil {
		t.Fatal(err)
	}
	if !r3.Confirms(roles.Clinical, tess.Fingerprint(), paul) {
		t.Fatal("setup: the older form does not count before the upkeep")
	}
	u, err := tess.Maintain(ctx)
	if err != nil || u.Confirmed != 1 {
		t.Fatalf("Tess's first upkeep wrote %d confirmations (%v), want her one carried over", u.Confirmed, err)
	}
	if u, err := tess.Maintain(ctx); err != nil || u.Confirmed != 0 {
		t.Errorf("Tess's next upkeep wrote %d confirmations (%v), want none", u.Confirmed, err)
	}
	_, st, err := r3.Entity(ctx, replica.ConfirmsEntity(tess.Fingerprint()))
	if err != nil {
		t.Fatal(err)
	}
	named := false
	for name := range st {
		named = named || strings.HasPrefix(name, "member/"+paul+"/")
	}
	if !named {
		t.Errorf("Tess's record does not name Paul's admission: %v", st.Fields())
	}
	mustSync(t, everyone...)
	for _, s := range everyone {
		r := rep(t, s)
		if !r.Confirms(roles.Clinical, tess.Fingerprint(), paul) || !r.Confirms(roles.Clinical, paul, tess.Fingerprint()) {
			t.Errorf("on %s's workstation Tess and Paul no longer confirm each other", s.StaffName())
		}
	}
}
