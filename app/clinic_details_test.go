package app

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/crypto"
)

// TestCreateClinicKeepsItsDetails: the address, phone and time zone given
// at creation are in the clinic's record; a zone that is not one is
// refused before anything is made.
func TestCreateClinicKeepsItsDetails(t *testing.T) {
	ctx := context.Background()
	env := Env{OpenKeystore: func(Profile, []byte) (crypto.Keystore, error) { return crypto.NewMemoryKeystore(), nil }}
	base := NewClinic{Clinic: "Riverside Family Practice", Admin: "Alex Morgan", Passphrase: []byte("a long passphrase"),
		Address: " 12 River Road, Springfield ", Phone: "+1 555 0100", Zone: "America/Chicago"}

	bad := base
	bad.Dir, bad.Zone = filepath.Join(t.TempDir(), "bad"), "Mars/Olympus"
	if _, err := CreateClinic(ctx, env, bad); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("a made-up zone: %v, want ErrInvalidInput", err)
	}
	if _, err := ReadProfile(bad.Dir); err == nil {
		t.Error("a refused clinic left a profile")
	}

	base.Dir = filepath.Join(t.TempDir(), "admin")
	s, err := CreateClinic(ctx, env, base)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, st, err := s.rep.Entity(ctx, entityClinic)
	if err != nil {
		t.Fatal(err)
	}
	got := records.ClinicFromState(st)
	if got.Name != base.Clinic || got.Address != "12 River Road, Springfield" || got.Phone != base.Phone || got.Zone != base.Zone || len(got.AuditPub) == 0 {
		t.Errorf("clinic record = %+v", got)
	}
}
