package recovery

// The test clinic, and how the attack tests move events between its
// workstations as the network would.

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/apptest"
	"github.com/medihaven/medihaven/app/chart"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
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

// note has physician s write a note on patient and returns its envelope.
func note(t *testing.T, s *app.Session, patient, text string) *crypto.Envelope {
	t.Helper()
	ctx := context.Background()
	n, err := chart.New(s.Core()).WriteNote(ctx, chart.Note{Patient: patient, Assessment: text})
	if err != nil {
		t.Fatal(err)
	}
	var env *crypto.Envelope
	err = rep(t, s).DB().View(ctx, func(tx *store.Tx) error {
		rows, err := tx.EnvelopesForEntity(ctx, n.ID)
		if err != nil || len(rows) == 0 {
			return errors.Join(err, errors.New("the note's envelope is not in the store"))
		}
		env, err = crypto.ParseEnvelope(rows[0].Raw)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return env
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

// addDevice has administrator admin add device to member's directory
// entry, as a member's new workstation is added.
func addDevice(t *testing.T, admin *app.Session, member, device string) *crypto.Envelope {
	t.Helper()
	r := rep(t, admin)
	m, ok := r.Member(member)
	if !ok {
		t.Fatalf("%s is not in the directory", member)
	}
	devices, err := replica.F(map[string]any{"devices": append(m.Devices, device)})
	if err != nil {
		t.Fatal(err)
	}
	env, err := r.Append(context.Background(), replica.Change{Entity: member, Kind: replica.KindMember, Scope: roles.Directory, Fields: devices})
	if err != nil {
		t.Fatal(err)
	}
	return env
}
