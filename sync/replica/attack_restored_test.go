package replica

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/store"
)

// restoredCopy is s's workstation restored from a backup of its store on
// another computer: the same device, key and chain; marked restored as
// backup.Restore does when mark is set (else a copied profile).
func restoredCopy(t testing.TB, s *station, mark bool) *station {
	t.Helper()
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "medihaven.db")
	if err := s.db.Backup(ctx, file); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, file)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	p := s.r.p
	p.DB, p.OnChange, p.OnAppend = db, nil, nil
	r, err := Open(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if mark {
		if err := r.MarkRestored(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return &station{t: t, p: s.p, r: r, db: db}
}

// TestAttackRestoredChain: Attack (issue 16): a workstation restored from
// a backup is the same device as the old computer. What the old one wrote
// after the backup (its own key, extending the chain from the restored
// tip) is kept and applied, and the restored one's next write follows it:
// no fork. Anything else in its own chain is refused and reported as
// before: an extension signed by another member's key, one arriving at a
// copied profile that was not restored, and one arriving after the
// restored workstation wrote an event of its own (a real fork).
func TestAttackRestoredChain(t *testing.T) {
	tests := []struct {
		name      string
		restored  bool
		wroteOwn  bool // the restored workstation writes before it hears of the old one's events
		otherKey  bool // the extension is signed by the receptionist's key
		wantKept  bool
		wantFork  bool
		wantError string
	}{
		{name: "restored, extended with its own key", restored: true, wantKept: true},
		{name: "restored, extended with another key", restored: true, otherKey: true, wantFork: true, wantError: "signed with the key of"},
		{name: "not restored (a copied profile)", wantFork: true, wantError: "signed with this workstation's own key"},
		{name: "restored, but written since", restored: true, wroteOwn: true, wantFork: true, wantError: "own chain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClinic(t)
			old := c.sPhys
			back := restoredCopy(t, old, tt.restored)
			tip := old.r.mySeq
			if at, ok := back.r.Restored(); ok != tt.restored || tt.restored && at != tip {
				t.Fatalf("Restored() = %d, %v; want %d, %v", at, ok, tip, tt.restored)
			}
			var after []*crypto.Envelope
			if tt.otherKey {
				f := forged{Device: old.r.p.Device, Seq: tip + 1, Prev: old.r.myHash, Entity: crypto.NewEventID(),
					Kind: "patient", Scope: "frontdesk", Fields: fields(t, map[string]any{"family": "Squat"})}
				after = append(after, c.sRecep.forge(f))
			} else {
				after = append(after, old.writesEnv(t), old.writesEnv(t))
			}
			if tt.wroteOwn {
				back.writesEnv(t)
				if _, ok := back.r.Restored(); ok {
					t.Fatal("the restore mark stays after the restored workstation's own write")
				}
			}
			rep := back.apply(raws(after...)...)
			for _, env := range after {
				st, reason := back.state(env.Header.ID)
				if kept := st == store.Applied; kept != tt.wantKept {
					t.Errorf("event %d is %v (%s), kept %v, want %v", env.Header.Seq, st, reason, kept, tt.wantKept)
				}
			}
			fork := len(rep.Problems) > 0 && rep.Problems[0].OwnDevice
			if fork != tt.wantFork || fork && !strings.Contains(rep.Problems[0].Reason, tt.wantError) {
				t.Fatalf("report %+v, want a fork reported %v (%q)", rep, tt.wantFork, tt.wantError)
			}
			if !tt.wantKept {
				return
			}
			if back.r.mySeq != tip+2 || back.r.myHash != after[1].Hash() {
				t.Fatalf("the restored tip is %d, want %d (the old computer's last event)", back.r.mySeq, tip+2)
			}
			// Its next write follows the old computer's: every other
			// workstation keeps it, and the chain is whole.
			next := back.writesEnv(t)
			if next.Header.Seq != tip+3 || next.Header.Prev != after[1].Hash() {
				t.Fatalf("the restored workstation wrote seq %d after %s, want %d after the old computer's last", next.Header.Seq, next.Header.Prev, tip+3)
			}
			if _, ok := back.r.Restored(); ok {
				t.Fatal("the restore mark stays after the first write")
			}
			c.sAdmin.apply(old.own()...)
			if rep := c.sAdmin.apply(back.own()...); len(rep.Problems) != 0 {
				t.Fatalf("the administrator's workstation refuses the restored chain: %+v", rep.Problems)
			}
			if st, reason := c.sAdmin.state(next.Header.ID); st != store.Applied && st != store.Sealed {
				t.Fatalf("the restored workstation's write is %v (%s) on the administrator's", st, reason)
			}
			// Once written, its chain is its own again: the old computer's
			// next event is a fork.
			late := old.writesEnv(t)
			if rep := back.apply(late.Raw); len(rep.Problems) != 1 || !rep.Problems[0].OwnDevice {
				t.Fatalf("an old computer's event after the restored one wrote: %+v, want a fork reported", rep)
			}
		})
	}
}

// TestRestoredWritesHeld: a restored workstation's writes are refused
// while held (HoldWrites: its sync has not fetched the old computer's
// events yet), with the plain message, and go through once released; a
// workstation that is not restored is never held.
func TestRestoredWritesHeld(t *testing.T) {
	c := newClinic(t)
	restored := restoredCopy(t, c.sPhys, true)
	restored.r.HoldWrites(ErrRestoredFetching)
	c.sPh2.r.HoldWrites(ErrRestoredFetching)
	c.sPh2.writesEnv(t)
	_, err := restored.r.Append(context.Background(), Change{Entity: crypto.NewEventID(), Kind: "patient", Scope: "frontdesk",
		Fields: fields(t, map[string]any{"family": "F"})})
	if !errors.Is(err, ErrRestoredFetching) {
		t.Fatalf("a held restored workstation's write: %v, want ErrRestoredFetching", err)
	}
	restored.r.HoldWrites(nil)
	restored.writesEnv(t)
}
