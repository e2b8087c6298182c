package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/blake2b"
)

// rowSealer folds each committed transaction's RowChanges, as the
// replica's seal does (sync/replica/storeseal.go); its marks of the rows
// stored are computed with Go's BLAKE2b (golang.org/x/crypto), a check of
// the C one's.
type rowSealer struct {
	key  [32]byte
	rows RowMarks
}

func newRowSealer() *rowSealer {
	s := &rowSealer{}
	for i := range s.key {
		s.key[i] = byte(i*7 + 1)
	}
	return s
}

func (s *rowSealer) Seal(ctx context.Context, tx *Tx) (func(), error) {
	ch := tx.RowChanges()
	return func() {
		for t := range ch {
			for i := range ch[t] {
				s.rows[t][i] ^= ch[t][i]
			}
		}
	}, nil
}

func (s *rowSealer) Mark(token, entity int64) [16]byte { return [16]byte{} }

func (s *rowSealer) RowKey() ([32]byte, bool) { return s.key, true }

// MarkRow is BLAKE2b-128 under the key, by Go's implementation.
func (s *rowSealer) MarkRow(row []byte) (m [16]byte) {
	h, err := blake2b.New(16, s.key[:])
	if err != nil {
		panic(err)
	}
	h.Write(row)
	copy(m[:], h.Sum(nil))
	return m
}

func (s *rowSealer) now(t testing.TB, db *DB) RowMarks {
	t.Helper()
	var got RowMarks
	err := db.View(context.Background(), func(tx *Tx) error {
		var err error
		got, err = tx.RowMarksNow(context.Background(), s.MarkRow)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestSealRowsFollowEveryWrite: after every kind of write the store
// makes, the marks folded by the triggers are those of the rows it holds;
// a transaction rolled back folds nothing.
func TestSealRowsFollowEveryWrite(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	s := newRowSealer()
	db.SetSealer(s)
	e1, e2, e3 := testEnvelope("d1", 1), testEnvelope("d1", 2), testEnvelope("d2", 1)
	e1.State, e2.State = Applied, Pending
	e3.Entity = "entity-2"
	steps := []struct {
		name string
		fn   func(tx *Tx) error
	}{
		{"add envelopes", func(tx *Tx) error {
			for _, e := range []Envelope{e1, e2} {
				if err := tx.AddEnvelope(ctx, e); err != nil {
					return err
				}
			}
			return nil
		}},
		{"put envelope", func(tx *Tx) error { _, err := tx.PutEnvelope(ctx, e3); return err }},
		{"state", func(tx *Tx) error { return tx.SetEnvelopeState(ctx, e2.ID, Applied, "ok") }},
		{"states", func(tx *Tx) error { return tx.SetStates(ctx, []string{e1.ID, e3.ID}, Sealed, "no key") }},
		{"refuse", func(tx *Tx) error { return tx.Refuse(ctx, e3.ID, "role", "no") }},
		{"entities", func(tx *Tx) error {
			return tx.PutEntities(ctx, []Entity{{ID: "entity-1", Kind: "patient", Scope: "frontdesk", State: []byte("v1"), Lamport: 1, Updated: 5},
				{ID: "0123456789abcdef0123456789abcdef", Kind: "allergy", Scope: "clinical", State: []byte("a"), Lamport: 2, Updated: 6}})
		}},
		{"entity again", func(tx *Tx) error {
			return tx.PutEntity(ctx, Entity{ID: "entity-1", Kind: "patient", Scope: "frontdesk", State: []byte("v2"), Lamport: 3, Updated: 7})
		}},
		{"binding", func(tx *Tx) error {
			return tx.PutBinding(ctx, Binding{Entity: "entity-1", Kind: "patient", Scope: "frontdesk", Lamport: 1, Device: "d1", Seq: 1})
		}},
		{"binding again", func(tx *Tx) error {
			return tx.PutBinding(ctx, Binding{Entity: "entity-1", Kind: "patient", Scope: "frontdesk", Lamport: 2, Device: "d1", Seq: 2})
		}},
		{"device", func(tx *Tx) error { return tx.PutDevice(ctx, "d1", "fingerprint-d1") }},
		{"delete entity", func(tx *Tx) error { return tx.DeleteEntity(ctx, "0123456789abcdef0123456789abcdef") }},
		{"delete binding", func(tx *Tx) error { return tx.DeleteBinding(ctx, "entity-1") }},
		{"drop envelope", func(tx *Tx) error { return tx.DropEnvelope(ctx, e2.ID) }},
		{"rolled back", func(tx *Tx) error {
			if err := tx.PutEntity(ctx, Entity{ID: "entity-3", Kind: "patient", Scope: "frontdesk", State: []byte("x"), Lamport: 1}); err != nil {
				return err
			}
			return errors.New("no")
		}},
	}
	for _, st := range steps {
		err := db.Update(ctx, st.fn)
		if err != nil && st.name != "rolled back" {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := s.now(t, db); got != s.rows {
			for tb := range got {
				if got[tb] != s.rows[tb] {
					t.Errorf("after %s: the %s folded differ from those stored", st.name, RowTableNames[tb])
				}
			}
		}
	}
	// A row changed behind the store's back is seen.
	if _, err := db.writer.ExecContext(ctx, `UPDATE main.envelopes SET rule = 'x' WHERE id = ?`, e1.ID); err != nil {
		t.Fatal(err)
	}
	if got := s.now(t, db); got[RowEnvelopes] == s.rows[RowEnvelopes] {
		t.Error("an event's rule changed and the marks did not")
	}
}

// TestSealRowsCost measures what the rows' seal adds to a catch-up
// (MEDIHAVEN_MEASURE=1): envelopes added in transactions of 5,000 with a
// record written for each and every one then applied, sealed, with the
// triggers firing but the key withheld (seal_row folds nothing), and
// without the sealer (a store without one has no triggers), and the
// whole scan (marked as the replica's check does, MarkRow). The least CPU
// of each over the rounds is said at the end. MEDIHAVEN_MEASURE_N sets
// how many envelopes (10,000; one round then), MEDIHAVEN_MEASURE_ROUNDS
// how many rounds.
func TestSealRowsCost(t *testing.T) {
	if os.Getenv("MEDIHAVEN_MEASURE") == "" {
		t.Skip("a measurement: MEDIHAVEN_MEASURE=1")
	}
	n := 10000
	rounds := 3
	if v := os.Getenv("MEDIHAVEN_MEASURE_N"); v != "" {
		fmt.Sscan(v, &n)
		rounds = 1
	}
	if v := os.Getenv("MEDIHAVEN_MEASURE_ROUNDS"); v != "" {
		fmt.Sscan(v, &rounds)
	}
	ctx := context.Background()
	variants := []string{"sealed", "triggers only", "bare"}
	least := map[string]time.Duration{}
	for round := 0; round < rounds; round++ {
		for _, variant := range variants {
			db := openTest(t)
			s := newRowSealer()
			switch variant {
			case "sealed":
				db.SetSealer(s)
			case "triggers only":
				db.SetSealer(keyless{s})
			}
			rng := rand.NewChaCha8([32]byte{})
			cpu0 := cpuTime()
			start := time.Now()
			for page := 0; page < n; page += 5000 {
				err := db.UpdateRefetchable(ctx, func(tx *Tx) error {
					var es []Entity
					var ids []string
					for i := page; i < min(page+5000, n); i++ {
						e := benchEnvelope(rng, fmt.Sprintf("d%d", i%20), uint64(i/20+1))
						e.Raw = e.Raw[:1100]
						e.Entity = fmt.Sprintf("%032x", i)
						if err := tx.AddEnvelope(ctx, e); err != nil {
							return err
						}
						ids = append(ids, e.ID)
						es = append(es, Entity{ID: e.Entity, Kind: "patient", Scope: "frontdesk", State: e.Raw[:400], Lamport: e.Lamport, Updated: e.Time})
					}
					if err := tx.PutEntities(ctx, es); err != nil {
						return err
					}
					return tx.SetStates(ctx, ids, Applied, "")
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			took, cpu := time.Since(start), cpuTime()-cpu0
			if l, ok := least[variant]; !ok || cpu < l {
				least[variant] = cpu
			}
			start, cpu0 = time.Now(), cpuTime()
			var got RowMarks
			err := db.View(ctx, func(tx *Tx) error {
				var err error
				got, err = tx.RowMarksNow(ctx, func(row []byte) [16]byte { return MarkRow(&s.key, row) })
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if variant == "sealed" && got != s.rows {
				t.Error("the marks folded differ from those stored")
			}
			t.Logf("%d envelopes, %s: %v, CPU %v (%.1f µs CPU an envelope); the rows' whole scan %v, CPU %v",
				n, variant, took.Round(time.Millisecond), cpu.Round(time.Millisecond), float64(cpu.Microseconds())/float64(n),
				time.Since(start).Round(time.Millisecond), (cpuTime() - cpu0).Round(time.Millisecond))
		}
	}
	for _, v := range variants {
		t.Logf("least over %d rounds, %s: %.1f µs CPU an envelope", rounds, v, float64(least[v].Microseconds())/float64(n))
	}
}

// keyless is a sealer that withholds its rows' key: the triggers fire and
// seal_row is called, but folds nothing.
type keyless struct{ *rowSealer }

func (keyless) RowKey() ([32]byte, bool) { return [32]byte{}, false }

// cpuTime is the CPU time this process has used.
func cpuTime() time.Duration {
	var u syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &u)
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

// TestMarkRowIsKeyedBLAKE2b: the C marks (MarkRow, and seal_row's through
// the triggers above) are BLAKE2b-128 under the key, rows of every length
// across its 128-byte blocks.
func TestMarkRowIsKeyedBLAKE2b(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 1100; n++ {
		s := &rowSealer{}
		for i := range s.key {
			s.key[i] = byte(rng.Uint32())
		}
		row := make([]byte, n)
		for i := range row {
			row[i] = byte(rng.Uint32())
		}
		if got, want := MarkRow(&s.key, row), s.MarkRow(row); got != want {
			t.Fatalf("%d bytes: C %x, Go %x", n, got, want)
		}
	}
}

// TestSealRowsFileTriggerWritesAreMarked: a row a trigger stored in the
// file writes (here one that adds a name at every event) is marked like
// any other: the temporary triggers fire for it, and seal_row, which the
// file's trigger itself may not call, is called by them.
func TestSealRowsFileTriggerWritesAreMarked(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	s := newRowSealer()
	db.SetSealer(s)
	if _, err := db.writer.ExecContext(ctx, `CREATE TRIGGER main.named AFTER INSERT ON main.envelopes
		BEGIN INSERT INTO names (name) VALUES ('from the file ' || NEW.seq); END`); err != nil {
		t.Fatal(err)
	}
	for seq := uint64(1); seq <= 3; seq++ {
		if err := db.Update(ctx, func(tx *Tx) error { return tx.AddEnvelope(ctx, testEnvelope("d1", seq)) }); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := db.writer.QueryRowContext(ctx, `SELECT count(*) FROM main.names WHERE name LIKE 'from the file %'`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("the file's trigger wrote %d names (%v)", n, err)
	}
	if got := s.now(t, db); got != s.rows {
		t.Error("rows written by a trigger of the file: the folded marks differ from those stored")
	}
}
