package netsync

import (
	"context"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/replica"
)

// TestOwnEventRefusedSaysWhere: an event of this workstation's chain that
// it did not write was written elsewhere (a fork); one it wrote and that
// is refused later (its writer revoked before she wrote it) was not, and
// the status said so for both.
func TestOwnEventRefusedSaysWhere(t *testing.T) {
	founder, err := crypto.GenerateIdentity("Ada Admin")
	if err != nil {
		t.Fatal(err)
	}
	here := newStation(t, founder)
	own := here.r.Device()
	for _, tc := range []struct {
		name string
		p    replica.Problem
		want string
	}{
		{"written elsewhere", replica.Problem{Device: own, Seq: 7, Reason: "not written here", OwnDevice: true}, "was written elsewhere and refused"},
		{"written here, refused later", replica.Problem{Device: own, Seq: 8, Reason: "written after the author's membership was revoked"}, "written on this workstation was refused by the clinic's rules"},
		{"another workstation's", replica.Problem{Device: "another", Seq: 9, Reason: "revoked"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			y := &Syncer{ws: here, ctx: context.Background(), behind: map[string]int{}}
			y.report(tc.p)
			got := y.Status().Forked
			if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
				t.Errorf("status says %q; want %q", got, tc.want)
			}
		})
	}
}
