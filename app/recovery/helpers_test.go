package recovery

// The test clinic, and how the attack tests move events between its
// workstations as the network would.

import (
	"context"
	"slices"
	"testing"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/replica"
)

// newClinic is the test clinic (app/apptest) whose workstations run the
// recovery's upkeep, as main and the CLI wire it.
func newClinic(t *testing.T) *apptest.Clinic { return apptest.NewClinicWith(t, Upkeep) }

func mustSync(t *testing.T, ss ...*app.Session) {
	t.Helper()
	if err := app.SyncLocal(context.Background(), ss...); err != nil {
		t.Fatal(err)
	}
}

func rep(t *testing.T, s *app.Session) *replica.Replica {
	t.Helper()
	r, err := s.Replica()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// deliver hands every envelope from's store holds to each of to: a stale
// or modified workstation's events reach everyone.
func deliver(t *testing.T, from *app.Session, to ...*app.Session) {
	t.Helper()
	raws, err := rep(t, from).Everything(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range to {
		if _, err := rep(t, s).Apply(context.Background(), raws); err != nil {
			t.Fatal(err)
		}
	}
}

func without(ss []*app.Session, drop *app.Session) []*app.Session {
	return slices.DeleteFunc(slices.Clone(ss), func(s *app.Session) bool { return s == drop })
}

// note has physician s write a note on patient and returns its envelope,
// as the clinic's log holds it.
func note(t *testing.T, s *app.Session, patient, text string) *crypto.Envelope {
	t.Helper()
	ctx := context.Background()
	n, err := chart.New(s.Core()).WriteNote(ctx, chart.Note{Patient: patient, Assessment: text})
	if err != nil {
		t.Fatal(err)
	}
	raws, err := rep(t, s).Everything(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range raws {
		if env, err := crypto.ParseEnvelope(raw); err == nil && env.Header.Entity == n.ID {
			return env
		}
	}
	t.Fatalf("the note's envelope is not in the log")
	return nil
}

// opens reports whether one of keys opens env.
func opens(keys []crypto.ScopeKey, env *crypto.Envelope) bool {
	return slices.ContainsFunc(keys, func(k crypto.ScopeKey) bool {
		if k.Scope != env.Header.Scope || k.Epoch != env.Header.Epoch {
			return false
		}
		_, err := env.Open(k)
		return err == nil
	})
}
