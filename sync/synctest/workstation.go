package synctest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/store"
)

// Workstation is what a test opens a replica on (sync/replica's and
// sync/netsync's small clinics): a store of its own in a temporary
// folder, closed when the test ends, a new device id and a new device key.
type Workstation struct {
	DB        *store.DB
	Device    string
	DeviceKey crypto.DeviceKey
}

// NewWorkstation makes a workstation's store, device id and device key.
func NewWorkstation(t testing.TB) Workstation {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "medihaven.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	dk, err := crypto.NewDeviceKey()
	if err != nil {
		t.Fatal(err)
	}
	return Workstation{DB: db, Device: crypto.NewEventID(), DeviceKey: dk}
}
