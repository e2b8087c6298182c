package app

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/medihaven/medihaven/sync/replica"
)

// TestUpkeepSteps: Maintain runs each of Env.Upkeep's steps (a domain
// package's share of the upkeep, app/recovery's) with the session's own
// Core and replica, counts what they changed, and stops at the first
// that fails, returning its error.
func TestUpkeepSteps(t *testing.T) {
	boom := errors.New("step failed")
	tests := []struct {
		name    string
		results []error // one step a result; each step changes 2
		ran     int
		granted int
		err     error
	}{
		{"none", nil, 0, 0, nil},
		{"two", []error{nil, nil}, 2, 4, nil},
		{"the first fails", []error{boom, nil}, 1, 2, boom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			env, _ := testEnv(t)
			var ran int
			var s *Session
			for _, res := range tt.results {
				env.Upkeep = append(env.Upkeep, func(_ context.Context, c Core, r *replica.Replica) (int, error) {
					ran++
					if s != nil && (c.Session != s || r != s.rep) { // s is nil while CreateClinic runs
						t.Error("a step got another session or replica")
					}
					return 2, res
				})
			}
			var err error
			s, err = CreateClinic(ctx, env, NewClinic{Dir: filepath.Join(t.TempDir(), "admin"), Clinic: "Test Clinic", Admin: "Ada Admin", Passphrase: []byte(testPass)})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			if _, err := s.Maintain(ctx); !errors.Is(err, tt.err) { // settles what creating the clinic left
				t.Fatalf("first upkeep: %v, want %v", err, tt.err)
			}
			ran = 0
			u, err := s.Maintain(ctx)
			if !errors.Is(err, tt.err) || ran != tt.ran || u.Granted != tt.granted {
				t.Errorf("upkeep: %d steps ran, granted %d, %v; want %d, %d, %v", ran, u.Granted, err, tt.ran, tt.granted, tt.err)
			}
		})
	}
}
