package app

// Helpers of the attack tests: a hostile or stale workstation's events
// reach everyone, as the network would hand them over.

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
)

func mustSync(t *testing.T, ss ...*Session) {
	t.Helper()
	if err := SyncLocal(context.Background(), ss...); err != nil {
		t.Fatal(err)
	}
}

// deliver hands every envelope from's store holds to each of to, as the
// network would: a stale or modified workstation's events reach everyone.
func deliver(t *testing.T, from *Session, to ...*Session) {
	t.Helper()
	ctx := context.Background()
	fr, err := from.Replica()
	if err != nil {
		t.Fatal(err)
	}
	raws, err := fr.Everything(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range to {
		r, _ := s.Replica()
		if _, err := r.Apply(ctx, raws); err != nil {
			t.Fatal(err)
		}
	}
}

func without(ss []*Session, drop *Session) []*Session {
	return slices.DeleteFunc(slices.Clone(ss), func(s *Session) bool { return s == drop })
}

func rep(t *testing.T, s *Session) *replica.Replica {
	t.Helper()
	r, err := s.Replica()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func note(t *testing.T, s *Session, patient, text string) *crypto.Envelope {
	t.Helper()
	ctx := context.Background()
	n, err := clin(s).WriteNote(ctx, Note{Patient: patient, Assessment: text})
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

func opens(keys []crypto.ScopeKey, env *crypto.Envelope) bool {
	for _, k := range keys {
		if k.Scope == env.Header.Scope && k.Epoch == env.Header.Epoch {
			if _, err := env.Open(k); err == nil {
				return true
			}
		}
	}
	return false
}
