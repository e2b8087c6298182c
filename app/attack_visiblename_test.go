package app

import (
	"context"
	"testing"
	"time"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
)

// TestAttackColleaguesShowBackdatedHiddenNames: Attack (session 11 review,
// finding 9): an entry signed as written
// before the name rule (its header time is the writer's word) escapes the
// rule; ARCHITECTURE says such names are "shown with their hidden
// characters written out". Members() does; Colleagues() (the physician's
// Colleagues screen, where she picks whom to confirm) and the recovery
// approval's names read the replica directly and show them raw.
func TestAttackColleaguesShowBackdatedHiddenNames(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	now := c.clock.Now()
	c.clock.Set(time.UnixMilli(1_796_342_400_000 - 60_000)) // the administrator's software signs a time before the rule
	hidden := "Dr Petra Second\u200b"
	if _, err := rep(t, c.admin).Append(ctx, replica.Change{Entity: c.phys2.Fingerprint(), Kind: replica.KindMember,
		Scope: roles.Directory, Fields: replica.Fields{"name": []byte(`"Dr Petra Second\u200b"`)}}); err != nil {
		t.Fatal(err)
	}
	c.clock.Set(now)
	mustSync(t, c.all()...)
	list, err := c.phys.Colleagues()
	if err != nil {
		t.Fatal(err)
	}
	for _, col := range list {
		if col.Fingerprint == c.phys2.Fingerprint() && col.Name == hidden {
			t.Errorf("Colleagues shows the backdated name with its hidden rune as is: %q (Members shows %q)", col.Name, roles.VisibleName(hidden))
		}
	}
}
