package replica

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
)

// TestRestoredMarkDoesNotWaitForApply: the status bar reads the restore
// mark (Restored) and the sync holds and releases writes (HoldWrites)
// while an Apply holds the replica's writer lock: neither waits for it.
// Under -race, the mark read and written beside Applies and writes races
// with nothing, and a write held is refused.
func TestRestoredMarkDoesNotWaitForApply(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	r := restoredCopy(t, c.sRecep, true)
	at, ok := r.r.Restored()
	if !ok {
		t.Fatal("not marked restored")
	}

	r.r.mu.Lock() // as a long Apply does
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.r.HoldWrites(ErrRestoredFetching)
		r.r.Restored()
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Restored and HoldWrites wait for the writer lock")
	}
	r.r.mu.Unlock()
	if _, err := r.r.Append(ctx, Change{Entity: crypto.NewEventID(), Kind: "patient", Scope: roles.FrontDesk,
		Fields: fields(t, map[string]any{"family": "Held"})}); !errors.Is(err, ErrRestoredFetching) {
		t.Fatalf("a write while held: %v, want ErrRestoredFetching", err)
	}

	// Applies and the status bar at once (go test -race).
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if got, ok := r.r.Restored(); !ok || got != at {
				t.Errorf("Restored %d %v while applying, want %d true", got, ok, at)
				return
			}
			r.r.HoldWrites(ErrRestoredFetching)
		}
	}()
	for i := range 5 {
		env := c.sRecep.append(Change{Entity: crypto.NewEventID(), Kind: "patient", Scope: roles.FrontDesk,
			Fields: fields(t, map[string]any{"family": "Apply", "given": string(rune('A' + i))})})
		r.apply(c.sAdmin.own()...)
		r.apply(env.Raw)
	}
	close(stop)
	wg.Wait()
	r.r.HoldWrites(nil)
	if _, err := r.r.Append(ctx, Change{Entity: crypto.NewEventID(), Kind: "patient", Scope: roles.FrontDesk,
		Fields: fields(t, map[string]any{"family": "Released"})}); err != nil {
		t.Fatalf("a write once released: %v", err)
	}
	if _, ok := r.r.Restored(); ok {
		t.Fatal("still marked restored after its first write")
	}
}
