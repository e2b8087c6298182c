package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
)

// testEnvelope returns the envelope at seq in device's chain, with ids and
// hashes derived from (device, seq) so that tests can name it again.
func testEnvelope(device string, seq uint64) Envelope {
	raw := fmt.Appendf(nil, "sealed bytes of %s/%d", device, seq)
	return Envelope{
		ID:      hexOf("id", device, seq),
		Device:  device,
		Seq:     seq,
		Lamport: seq,
		Entity:  "entity-1",
		Kind:    "patient",
		Scope:   "frontdesk",
		Epoch:   1,
		Author:  "fingerprint-" + device,
		Prev:    hexOf("raw", device, seq-1),
		Hash:    hexOf("raw", device, seq),
		Time:    1_700_000_000_000 + int64(seq),
		Raw:     raw,
	}
}

func hexOf(kind, device string, seq uint64) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s/%s/%d", kind, device, seq))
	return hex.EncodeToString(sum[:16])
}

func putEnvelopes(t testing.TB, db *DB, envs ...Envelope) {
	t.Helper()
	ctx := context.Background()
	update(t, db, func(tx *Tx) error {
		for _, e := range envs {
			if _, err := tx.PutEnvelope(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
}

func TestPutEnvelope(t *testing.T) {
	ctx := t.Context()
	stored := testEnvelope("d1", 1)
	other := testEnvelope("d1", 1)
	other.ID, other.Hash, other.Raw = "other-id", "other-hash", []byte("other bytes")
	sameIDOtherBytes := stored
	sameIDOtherBytes.Hash, sameIDOtherBytes.Raw = "other-hash", []byte("other bytes")
	tooLarge := testEnvelope("d1", 2)
	tooLarge.Seq = math.MaxInt64 + 1
	tests := []struct {
		name     string
		e        Envelope
		inserted bool
		err      error
	}{
		{"new envelope", testEnvelope("d1", 2), true, nil},
		{"another device, same seq", testEnvelope("d2", 1), true, nil},
		{"same envelope again", stored, false, nil},
		{"same id and hash, state differs", func() Envelope { e := stored; e.State = Rejected; return e }(), false, nil},
		{"other envelope at a taken place", other, false, ErrFork},
		{"same id, other bytes", sameIDOtherBytes, false, ErrConflict},
		{"no id", Envelope{Device: "d1", Hash: "h", Raw: []byte{1}}, false, ErrInvalid},
		{"no device", Envelope{ID: "x", Hash: "h", Raw: []byte{1}}, false, ErrInvalid},
		{"no hash", Envelope{ID: "x", Device: "d1", Raw: []byte{1}}, false, ErrInvalid},
		{"no bytes", Envelope{ID: "x", Device: "d1", Hash: "h"}, false, ErrInvalid},
		{"unknown state", func() Envelope { e := testEnvelope("d3", 1); e.State = 7; return e }(), false, ErrInvalid},
		{"seq beyond int64", tooLarge, false, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openTest(t)
			putEnvelopes(t, db, stored)
			var inserted bool
			err := db.Update(ctx, func(tx *Tx) (err error) {
				inserted, err = tx.PutEnvelope(ctx, tt.e)
				return err
			})
			if inserted != tt.inserted || !errors.Is(err, tt.err) {
				t.Fatalf("PutEnvelope = %v, %v; want %v, %v", inserted, err, tt.inserted, tt.err)
			}
			if err != nil {
				t.Log(err)
			}
			view(t, db, func(tx *Tx) error {
				got, err := tx.Envelope(ctx, stored.ID)
				if err != nil || !reflect.DeepEqual(got, stored) {
					t.Errorf("stored envelope now %+v, %v", got, err)
				}
				return nil
			})
		})
	}
}

// TestPutEvent: an envelope whose header id another holds (a copied id,
// h-sec17a C) is kept under its alias when its chain place is free, found
// again there (idempotent, EnvelopesOfEvent), and still refused at a
// taken place.
func TestPutEvent(t *testing.T) {
	ctx := t.Context()
	stored := testEnvelope("d1", 1)
	copied := testEnvelope("d2", 1) // Rita's own event under stored's id
	copied.ID = stored.ID
	alias := AliasID(stored.ID, copied.Hash)
	forkAtAlias := testEnvelope("d2", 1)
	forkAtAlias.ID, forkAtAlias.Hash, forkAtAlias.Raw = stored.ID, hexOf("raw", "y", 9), []byte("other bytes")
	forked := testEnvelope("d1", 1) // another envelope at stored's place, same id
	forked.Hash, forked.Raw = hexOf("raw", "x", 9), []byte("forked bytes")
	tests := []struct {
		name     string
		before   []Envelope
		e        Envelope
		row      string
		inserted bool
		err      error
		rows     []string // EnvelopesOfEvent(stored.ID) after, by row id
	}{
		{"a new id", nil, testEnvelope("d1", 2), testEnvelope("d1", 2).ID, true, nil, []string{stored.ID}},
		{"the same envelope again", nil, stored, stored.ID, false, nil, []string{stored.ID}},
		{"a copied id at a free place", nil, copied, alias, true, nil, []string{stored.ID, alias}},
		{"the copy again", []Envelope{copied}, copied, alias, false, nil, []string{stored.ID, alias}},
		{"the same id at the same place, other bytes", nil, forked, AliasID(stored.ID, forked.Hash), false, ErrFork, []string{stored.ID}},
		{"another copy where the alias's place is taken", []Envelope{copied}, forkAtAlias,
			AliasID(stored.ID, forkAtAlias.Hash), false, ErrFork, []string{stored.ID, alias}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openTest(t)
			putEnvelopes(t, db, stored)
			update(t, db, func(tx *Tx) error {
				for _, e := range tt.before {
					if _, _, err := tx.PutEvent(ctx, e); err != nil {
						return err
					}
				}
				return nil
			})
			var row string
			var inserted bool
			err := db.Update(ctx, func(tx *Tx) (err error) {
				row, inserted, err = tx.PutEvent(ctx, tt.e)
				return err
			})
			if row != tt.row || inserted != tt.inserted || !errors.Is(err, tt.err) {
				t.Fatalf("PutEvent = %s, %v, %v; want %s, %v, %v", row, inserted, err, tt.row, tt.inserted, tt.err)
			}
			if EventID(row) != tt.e.ID || !RowOf(row, tt.e.ID, tt.e.Hash) {
				t.Errorf("row %s does not name event %s (hash %s)", row, tt.e.ID, tt.e.Hash)
			}
			view(t, db, func(tx *Tx) error {
				got, err := tx.Envelope(ctx, stored.ID)
				if err != nil || !reflect.DeepEqual(got, stored) {
					t.Errorf("stored envelope now %+v, %v", got, err)
				}
				if tt.err == nil {
					e, err := tx.Envelope(ctx, row)
					if err != nil || e.Hash != tt.e.Hash {
						t.Errorf("envelope under %s: %+v, %v; want hash %s", row, e, err, tt.e.Hash)
					}
				}
				es, err := tx.EnvelopesOfEvent(ctx, stored.ID)
				var rows []string
				for _, e := range es {
					rows = append(rows, e.ID)
				}
				if err != nil || !reflect.DeepEqual(rows, tt.rows) {
					t.Errorf("EnvelopesOfEvent = %v, %v; want %v", rows, err, tt.rows)
				}
				return nil
			})
		})
	}
}

func TestEnvelopeRoundTrip(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	want := Envelope{
		ID: "id", Device: "dev", Seq: math.MaxInt64, Lamport: math.MaxInt64, Entity: "ent",
		Kind: "note", Scope: "clinical", Epoch: math.MaxUint32, Author: "fp", Prev: "p",
		Hash: "h", Time: -1, Raw: []byte{0, 1, 2, 0xFF}, State: Sealed, Reason: "no clinical key",
	}
	putEnvelopes(t, db, want)
	view(t, db, func(tx *Tx) error {
		for name, get := range map[string]func() (Envelope, error){
			"Envelope":   func() (Envelope, error) { return tx.Envelope(ctx, want.ID) },
			"EnvelopeAt": func() (Envelope, error) { return tx.EnvelopeAt(ctx, want.Device, want.Seq) },
		} {
			got, err := get()
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("%s = %+v, %v; want %+v", name, got, err, want)
			}
		}
		for name, get := range map[string]func() (Envelope, error){
			"unknown id":       func() (Envelope, error) { return tx.Envelope(ctx, "nope") },
			"unknown seq":      func() (Envelope, error) { return tx.EnvelopeAt(ctx, want.Device, 5) },
			"seq beyond int64": func() (Envelope, error) { return tx.EnvelopeAt(ctx, want.Device, math.MaxUint64) },
		} {
			if _, err := get(); !errors.Is(err, ErrNotFound) {
				t.Errorf("%s: %v, want ErrNotFound", name, err)
			}
		}
		return nil
	})
}

func TestSetEnvelopeState(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	e := testEnvelope("d1", 1)
	putEnvelopes(t, db, e)
	tests := []struct {
		name   string
		id     string
		state  EnvelopeState
		reason string
		err    error
	}{
		{"applied", e.ID, Applied, "", nil},
		{"rejected with a reason", e.ID, Rejected, "signature does not verify", nil},
		{"unknown id", "nope", Applied, "", ErrNotFound},
		{"unknown state", e.ID, -1, "", ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := db.Update(ctx, func(tx *Tx) error { return tx.SetEnvelopeState(ctx, tt.id, tt.state, tt.reason) })
			if !errors.Is(err, tt.err) {
				t.Fatalf("SetEnvelopeState: %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			view(t, db, func(tx *Tx) error {
				got, err := tx.Envelope(ctx, tt.id)
				if err != nil || got.State != tt.state || got.Reason != tt.reason {
					t.Errorf("state %v reason %q, %v; want %v %q", got.State, got.Reason, err, tt.state, tt.reason)
				}
				return nil
			})
		})
	}
}

// ids returns the ids of envelopes, in order.
func ids(envs []Envelope) []string {
	var out []string
	for _, e := range envs {
		out = append(out, e.ID)
	}
	return out
}

func TestEnvelopeOrders(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	// Lamport clocks out of chain order across devices, and a tie.
	a1, a2, a3 := testEnvelope("a", 1), testEnvelope("a", 2), testEnvelope("a", 3)
	b1, b2 := testEnvelope("b", 1), testEnvelope("b", 2)
	a1.Lamport, a2.Lamport, a3.Lamport, b1.Lamport, b2.Lamport = 5, 7, 9, 5, 6
	a3.Entity = "entity-2"
	a2.State, b2.State = Applied, Applied
	putEnvelopes(t, db, b2, a3, a1, b1, a2) // insertion order must not matter

	view(t, db, func(tx *Tx) error {
		tests := []struct {
			name string
			get  func() ([]Envelope, error)
			want []Envelope
		}{
			{"pending by lamport then device", func() ([]Envelope, error) { return tx.EnvelopesInState(ctx, Pending, 0) }, []Envelope{a1, b1, a3}},
			{"pending, limit 2", func() ([]Envelope, error) { return tx.EnvelopesInState(ctx, Pending, 2) }, []Envelope{a1, b1}},
			{"applied", func() ([]Envelope, error) { return tx.EnvelopesInState(ctx, Applied, -1) }, []Envelope{b2, a2}},
			{"sealed: none", func() ([]Envelope, error) { return tx.EnvelopesInState(ctx, Sealed, 0) }, nil},
			{"after a/0", func() ([]Envelope, error) { return tx.EnvelopesAfter(ctx, "a", 0, 0) }, []Envelope{a1, a2, a3}},
			{"after a/1, limit 1", func() ([]Envelope, error) { return tx.EnvelopesAfter(ctx, "a", 1, 1) }, []Envelope{a2}},
			{"after a/3", func() ([]Envelope, error) { return tx.EnvelopesAfter(ctx, "a", 3, 0) }, nil},
			{"after a/max", func() ([]Envelope, error) { return tx.EnvelopesAfter(ctx, "a", math.MaxUint64, 0) }, nil},
			{"after unknown device", func() ([]Envelope, error) { return tx.EnvelopesAfter(ctx, "z", 0, 0) }, nil},
			{"entity-1", func() ([]Envelope, error) { return tx.EnvelopesForEntity(ctx, "entity-1") }, []Envelope{a1, b1, b2, a2}},
			{"entity-2", func() ([]Envelope, error) { return tx.EnvelopesForEntity(ctx, "entity-2") }, []Envelope{a3}},
			{"every envelope by device, seq", func() ([]Envelope, error) {
				var all []Envelope
				err := tx.EachEnvelope(ctx, func(e Envelope) error { all = append(all, e); return nil })
				return all, err
			}, []Envelope{a1, a2, a3, b1, b2}},
		}
		for _, tt := range tests {
			got, err := tt.get()
			if err != nil || !reflect.DeepEqual(ids(got), ids(tt.want)) {
				t.Errorf("%s: %v, %v; want %v", tt.name, ids(got), err, ids(tt.want))
			}
		}
		if _, err := tx.EnvelopesInState(ctx, 9, 0); !errors.Is(err, ErrInvalid) {
			t.Errorf("unknown state: %v, want ErrInvalid", err)
		}
		return nil
	})
}

func TestEachEnvelopeStopsAtError(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	putEnvelopes(t, db, testEnvelope("a", 1), testEnvelope("a", 2), testEnvelope("a", 3))
	stop := errors.New("gap found")
	view(t, db, func(tx *Tx) error {
		calls := 0
		err := tx.EachEnvelope(ctx, func(e Envelope) error {
			calls++
			// Reading through tx while the walk is open works.
			if _, err := tx.Envelope(ctx, e.ID); err != nil {
				return err
			}
			if e.Seq == 2 {
				return stop
			}
			return nil
		})
		if err != stop || calls != 2 {
			t.Errorf("EachEnvelope: %v after %d calls, want fn's error after 2", err, calls)
		}
		return nil
	})
}

func TestHeadsAndEnvelopesAfter(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	view(t, db, func(tx *Tx) error {
		heads, err := tx.Heads(ctx)
		if err != nil || len(heads) != 0 {
			t.Errorf("heads of an empty store: %v, %v", heads, err)
		}
		max, err := tx.MaxLamport(ctx)
		if err != nil || max != 0 {
			t.Errorf("MaxLamport of an empty store: %d, %v", max, err)
		}
		return nil
	})
	applied := func(e Envelope) Envelope { e.State = Applied; return e }
	// b has a gap (no seq 2): its head is still its highest applied seq.
	b3 := applied(testEnvelope("b", 3))
	b3.Lamport = 42
	putEnvelopes(t, db, applied(testEnvelope("a", 2)), applied(testEnvelope("a", 1)), applied(testEnvelope("b", 1)), b3)
	// An older envelope arriving late does not move the head back.
	putEnvelopes(t, db, applied(testEnvelope("a", 1)))
	// A pending envelope far ahead (nobody verified it) is no head and
	// does not move the clock; nor is a rejected one.
	far := testEnvelope("a", 9)
	far.Lamport = math.MaxInt64
	gone := testEnvelope("c", 1)
	gone.State, gone.Lamport = Rejected, 1000
	putEnvelopes(t, db, far, gone)

	want := []Head{
		{Device: "a", Seq: 2, Hash: testEnvelope("a", 2).Hash, Lamport: 2},
		{Device: "b", Seq: 3, Hash: b3.Hash, Lamport: 42},
	}
	view(t, db, func(tx *Tx) error {
		heads, err := tx.Heads(ctx)
		if err != nil || !reflect.DeepEqual(heads, want) {
			t.Errorf("Heads = %+v, %v; want %+v", heads, err, want)
		}
		max, err := tx.MaxLamport(ctx)
		if err != nil || max != 42 {
			t.Errorf("MaxLamport = %d, %v; want 42", max, err)
		}
		// A peer whose head for b is 1 gets 3, and sees the gap itself.
		after, err := tx.EnvelopesAfter(ctx, "b", 1, 0)
		if err != nil || !reflect.DeepEqual(ids(after), []string{b3.ID}) {
			t.Errorf("EnvelopesAfter(b, 1) = %v, %v", ids(after), err)
		}
		return nil
	})
}

func TestCountEnvelopes(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	view(t, db, func(tx *Tx) error {
		counts, err := tx.CountEnvelopes(ctx)
		want := map[EnvelopeState]int{Pending: 0, Applied: 0, Sealed: 0, Rejected: 0}
		if err != nil || !reflect.DeepEqual(counts, want) {
			t.Errorf("CountEnvelopes of an empty store = %v, %v", counts, err)
		}
		return nil
	})
	states := []EnvelopeState{Pending, Applied, Applied, Sealed, Applied}
	for i, s := range states {
		e := testEnvelope("d", uint64(i+1))
		e.State = s
		putEnvelopes(t, db, e)
	}
	view(t, db, func(tx *Tx) error {
		counts, err := tx.CountEnvelopes(ctx)
		want := map[EnvelopeState]int{Pending: 1, Applied: 3, Sealed: 1, Rejected: 0}
		if err != nil || !reflect.DeepEqual(counts, want) {
			t.Errorf("CountEnvelopes = %v, %v; want %v", counts, err, want)
		}
		return nil
	})
}

func TestEnvelopesAreImmutable(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	e := testEnvelope("d", 1)
	e.State = Applied // only a pending (unverified) envelope may be discarded
	putEnvelopes(t, db, e)
	for _, stmt := range []string{
		`UPDATE envelope_bytes SET raw = x'00'`,
		`UPDATE envelopes SET body = body + 1`,
		`UPDATE envelopes SET seq = 2`,
		`DELETE FROM envelopes`,
	} {
		err := db.Update(ctx, func(tx *Tx) error {
			_, err := tx.tx.ExecContext(ctx, stmt)
			return err
		})
		if err == nil {
			t.Errorf("%s succeeded", stmt)
		}
	}
	view(t, db, func(tx *Tx) error {
		got, err := tx.Envelope(ctx, e.ID)
		if err != nil || !reflect.DeepEqual(got, e) {
			t.Errorf("envelope changed: %+v, %v", got, err)
		}
		return nil
	})
}

func TestEnvelopeStateString(t *testing.T) {
	for s, want := range map[EnvelopeState]string{Pending: "pending", Applied: "applied", Sealed: "sealed", Rejected: "rejected", 9: "EnvelopeState(9)", -1: "EnvelopeState(-1)"} {
		if got := s.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(s), got, want)
		}
	}
}

// FuzzEnvelopeRoundTrip stores envelopes with arbitrary fields (as they
// come off the network): each is stored and read back unchanged, or
// refused with ErrInvalid.
func FuzzEnvelopeRoundTrip(f *testing.F) {
	f.Add("id", "dev", uint64(1), uint64(1), "ent", "kind", "scope", uint32(1), "author", "prev", "hash", int64(1), []byte("raw"), 1, "")
	f.Add("\x00", "é", uint64(math.MaxUint64), uint64(0), "", "", "", uint32(0), "", "", "\xff", int64(-1), []byte{0}, -1, "\x00")
	db := openTest(f)
	f.Fuzz(func(t *testing.T, id, device string, seq, lamport uint64, entity, kind, scope string, epoch uint32,
		author, prev, hash string, tm int64, raw []byte, state int, reason string) {
		ctx := context.Background()
		e := Envelope{ID: id, Device: device, Seq: seq, Lamport: lamport, Entity: entity, Kind: kind, Scope: scope,
			Epoch: epoch, Author: author, Prev: prev, Hash: hash, Time: tm, Raw: raw, State: EnvelopeState(state), Reason: reason}
		err := db.Update(ctx, func(tx *Tx) error {
			if _, err := tx.PutEnvelope(ctx, e); err != nil {
				return err
			}
			got, err := tx.Envelope(ctx, e.ID)
			if err != nil {
				return err
			}
			if !reflect.DeepEqual(got, e) {
				t.Errorf("read back %+v, stored %+v", got, e)
			}
			return errRollBack
		})
		if !errors.Is(err, ErrInvalid) && !errors.Is(err, errRollBack) {
			t.Errorf("PutEnvelope: %v", err)
		}
	})
}

// benchEnvelope returns a ~2 KB envelope at seq in device's chain.
func benchEnvelope(rng *rand.ChaCha8, device string, seq uint64) Envelope {
	e := testEnvelope(device, seq)
	e.Raw = make([]byte, 2048)
	rng.Read(e.Raw)
	return e
}

func BenchmarkPutEnvelope(b *testing.B) {
	ctx := b.Context()
	db := openTest(b)
	rng := rand.NewChaCha8([32]byte{})
	seq := uint64(0)
	b.SetBytes(2048)
	for b.Loop() {
		seq++
		e := benchEnvelope(rng, "d1", seq)
		err := db.Update(ctx, func(tx *Tx) error {
			_, err := tx.PutEnvelope(ctx, e)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPutEnvelopeBatch100(b *testing.B) {
	ctx := b.Context()
	db := openTest(b)
	rng := rand.NewChaCha8([32]byte{})
	seq := uint64(0)
	batch := make([]Envelope, 100)
	b.SetBytes(100 * 2048)
	for b.Loop() {
		for i := range batch {
			seq++
			batch[i] = benchEnvelope(rng, "d1", seq)
		}
		err := db.Update(ctx, func(tx *Tx) error {
			for _, e := range batch {
				if _, err := tx.PutEnvelope(ctx, e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// plainInsert is the baseline: the same bytes into a table with no
// indexes, no triggers and no checks, through the same transactions.
func plainInsert(b *testing.B, perTx int) {
	ctx := b.Context()
	db := openTest(b)
	if _, err := db.writer.ExecContext(ctx, `CREATE TABLE plain (id INTEGER PRIMARY KEY, raw BLOB NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	rng := rand.NewChaCha8([32]byte{})
	raws := make([][]byte, perTx)
	b.SetBytes(int64(perTx) * 2048)
	for b.Loop() {
		for i := range raws {
			raws[i] = make([]byte, 2048)
			rng.Read(raws[i])
		}
		err := db.Update(ctx, func(tx *Tx) error {
			for _, raw := range raws {
				if _, err := tx.tx.ExecContext(ctx, `INSERT INTO plain (raw) VALUES (?)`, raw); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPlainInsert(b *testing.B)         { plainInsert(b, 1) }
func BenchmarkPlainInsertBatch100(b *testing.B) { plainInsert(b, 100) }

func TestDiscardPending(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	pending := testEnvelope("dev1", 1)
	applied := testEnvelope("dev1", 2)
	applied.State = Applied
	err := db.Update(ctx, func(tx *Tx) error {
		for _, e := range []Envelope{pending, applied} {
			if _, err := tx.PutEnvelope(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(ctx, func(tx *Tx) error { return tx.DiscardPending(ctx, applied.ID) })
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("discard of an applied envelope: %v, want ErrInvalid", err)
	}
	err = db.Update(ctx, func(tx *Tx) error {
		if err := tx.DiscardPending(ctx, pending.ID); err != nil {
			return err
		}
		if _, err := tx.Envelope(ctx, pending.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("discarded envelope still there: %v", err)
		}
		// Its place is free for another envelope.
		other := testEnvelope("dev1", 1)
		other.ID, other.Hash = other.ID+"x", other.Hash+"x"
		_, err := tx.PutEnvelope(ctx, other)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestHeadsFollowState: a head moves up when a pending envelope is applied
// or sealed, and back down when a vouched envelope is refused later (a
// revocation that arrived after it).
func TestHeadsFollowState(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	a1, a2 := testEnvelope("a", 1), testEnvelope("a", 2)
	a1.State = Applied
	putEnvelopes(t, db, a1, a2)
	head := func() uint64 {
		var seq uint64
		view(t, db, func(tx *Tx) error {
			heads, err := tx.Heads(ctx)
			if len(heads) == 1 {
				seq = heads[0].Seq
			}
			return err
		})
		return seq
	}
	if got := head(); got != 1 {
		t.Fatalf("head %d with seq 2 pending, want 1", got)
	}
	update(t, db, func(tx *Tx) error { return tx.SetEnvelopeState(ctx, a2.ID, Sealed, "") })
	if got := head(); got != 2 {
		t.Fatalf("head %d after seq 2 was sealed, want 2", got)
	}
	update(t, db, func(tx *Tx) error { return tx.Refuse(ctx, a2.ID, "revoked", "written after revocation") })
	if got := head(); got != 1 {
		t.Fatalf("head %d after seq 2 was refused, want 1", got)
	}
	view(t, db, func(tx *Tx) error {
		e, err := tx.Envelope(ctx, a2.ID)
		if err != nil || e.State != Rejected || e.Rule != "revoked" {
			t.Errorf("refused envelope: state %v rule %q, %v", e.State, e.Rule, err)
		}
		return nil
	})
	update(t, db, func(tx *Tx) error { return tx.SetEnvelopeState(ctx, a2.ID, Pending, "again") })
	view(t, db, func(tx *Tx) error {
		e, err := tx.Envelope(ctx, a2.ID)
		if err != nil || e.Rule != "" {
			t.Errorf("a pending envelope keeps rule %q, %v", e.Rule, err)
		}
		return nil
	})
}

func TestBindingsAndDevices(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	b := Binding{Entity: "e1", Kind: "patient", Scope: "frontdesk", Lamport: 7, Device: "d", Seq: 2}
	update(t, db, func(tx *Tx) error {
		if _, err := tx.Binding(ctx, "e1"); !errors.Is(err, ErrNotFound) {
			t.Errorf("binding of an unknown entity: %v", err)
		}
		if err := tx.PutBinding(ctx, b); err != nil {
			return err
		}
		got, err := tx.Binding(ctx, "e1")
		if err != nil || got != b {
			t.Errorf("Binding = %+v, %v; want %+v", got, err, b)
		}
		if err := tx.DeleteBinding(ctx, "e1"); err != nil {
			return err
		}
		if _, err := tx.Binding(ctx, "e1"); !errors.Is(err, ErrNotFound) {
			t.Errorf("binding after delete: %v", err)
		}
		if err := tx.PutDevice(ctx, "d1", "alice"); err != nil {
			return err
		}
		if err := tx.PutDevice(ctx, "d1", "alice"); err != nil {
			t.Errorf("same owner again: %v", err)
		}
		if err := tx.PutDevice(ctx, "d1", "mallory"); !errors.Is(err, ErrConflict) {
			t.Errorf("another owner of a device: %v, want ErrConflict", err)
		}
		if err := tx.PutDevice(ctx, "d2", "alice"); err != nil {
			return err
		}
		owner, err := tx.DeviceOwner(ctx, "d1")
		if err != nil || owner != "alice" {
			t.Errorf("DeviceOwner = %q, %v", owner, err)
		}
		devs, err := tx.DevicesOf(ctx, "alice")
		if err != nil || !reflect.DeepEqual(devs, []string{"d1", "d2"}) {
			t.Errorf("DevicesOf = %v, %v", devs, err)
		}
		// The directory gives d1 to another member.
		if err := tx.DeleteDevice(ctx, "d1"); err != nil {
			return err
		}
		if _, err := tx.DeviceOwner(ctx, "d1"); !errors.Is(err, ErrNotFound) {
			t.Errorf("owner of a deleted device: %v", err)
		}
		if err := tx.PutDevice(ctx, "d1", "bob"); err != nil {
			t.Errorf("a new owner after delete: %v", err)
		}
		return tx.DeleteDevice(ctx, "unknown")
	})
}

// TestDropEnvelope: an applied envelope that turned out to be a squat is
// dropped: gone, its place free for the genuine one, and the device's head
// back to the highest envelope left.
func TestDropEnvelope(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	a1, a2 := testEnvelope("a", 1), testEnvelope("a", 2)
	a1.State, a2.State = Applied, Sealed
	putEnvelopes(t, db, a1, a2)
	update(t, db, func(tx *Tx) error {
		if err := tx.DropEnvelope(ctx, a2.ID); err != nil {
			return err
		}
		if _, err := tx.Envelope(ctx, a2.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("dropped envelope still there: %v", err)
		}
		heads, err := tx.Heads(ctx)
		if err != nil || len(heads) != 1 || heads[0].Seq != 1 {
			t.Errorf("heads after the drop: %+v, %v; want seq 1", heads, err)
		}
		if err := tx.DropEnvelope(ctx, a1.ID); err != nil {
			return err
		}
		if heads, err := tx.Heads(ctx); err != nil || len(heads) != 0 {
			t.Errorf("heads after every envelope was dropped: %+v, %v", heads, err)
		}
		genuine := testEnvelope("a", 1)
		genuine.ID, genuine.Hash = genuine.ID+"g", genuine.Hash+"g"
		if _, err := tx.PutEnvelope(ctx, genuine); err != nil {
			t.Errorf("the genuine envelope cannot take the freed place: %v", err)
		}
		if err := tx.DropEnvelope(ctx, "unknown"); !errors.Is(err, ErrNotFound) {
			t.Errorf("drop of an unknown envelope: %v, want ErrNotFound", err)
		}
		return nil
	})
}

// TestAddEnvelopes: new envelopes added in every number a catch-up
// hands over are written a page per statement, and read as stored at once
// in the same transaction (Placed without writing them, everything else
// after); each is readable after the commit and counted in its device's
// head. One that is already stored, or added twice, fails the
// transaction; an envelope without bytes is refused when added.
func TestAddEnvelopes(t *testing.T) {
	ctx := t.Context()
	for _, c := range []struct {
		name    string
		n       int
		clash   int // index of an envelope that repeats the first one's id (0: none)
		invalid int // index of an envelope without bytes (0: none)
	}{
		{"one", 1, 0, 0},
		{"a few", 7, 0, 0},
		{"a page", 64, 0, 0},
		{"pages and the rest", 151, 0, 0},
		{"a repeated id", 70, 69, 0},
		{"a repeated id in the last page", 70, 3, 0},
		{"an envelope without bytes", 70, 0, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			db := openTest(t)
			es := make([]Envelope, c.n)
			for i := range es {
				es[i] = testEnvelope("dev1", uint64(i+1))
				es[i].State = Applied
			}
			if c.clash > 0 {
				es[c.clash].ID = es[0].ID
			}
			if c.invalid > 0 {
				es[c.invalid].Raw = nil
			}
			err := db.Update(ctx, func(tx *Tx) error {
				for _, e := range es {
					if err := tx.AddEnvelope(ctx, e); err != nil {
						return err
					}
				}
				last := es[c.n-1]
				if placed, err := tx.Placed(ctx, "elsewhere", last.Device, last.Seq); err != nil || !placed {
					t.Errorf("the last one added is not placed: %v, %v", placed, err)
				}
				if got, err := tx.EnvelopeAt(ctx, last.Device, last.Seq); (err != nil || got.ID != last.ID) && c.clash == 0 {
					t.Errorf("the last one added reads %+v, %v", got, err)
				}
				return nil
			})
			switch {
			case c.invalid > 0 && !errors.Is(err, ErrInvalid):
				t.Fatalf("err %v, want ErrInvalid", err)
			case c.clash > 0 && err == nil:
				t.Fatal("a repeated id was stored")
			case c.clash == 0 && c.invalid == 0 && err != nil:
				t.Fatal(err)
			}
			view(t, db, func(tx *Tx) error {
				counts, err := tx.CountEnvelopes(ctx)
				if err != nil {
					return err
				}
				heads, err := tx.Heads(ctx)
				if err != nil {
					return err
				}
				if c.clash > 0 || c.invalid > 0 {
					if counts[Applied] != 0 || len(heads) != 0 {
						t.Errorf("after a failed transaction: %v, heads %v; want nothing kept", counts, heads)
					}
					return nil
				}
				if counts[Applied] != c.n || len(heads) != 1 || heads[0].Seq != uint64(c.n) {
					t.Errorf("counts %v, heads %+v; want %d applied, head at %d", counts, heads, c.n, c.n)
				}
				for _, want := range []Envelope{es[0], es[c.n-1]} {
					got, err := tx.Envelope(ctx, want.ID)
					if err != nil || got.Hash != want.Hash || !bytes.Equal(got.Raw, want.Raw) || got.State != Applied {
						t.Errorf("envelope %s: %+v, %v", want.ID, got, err)
					}
				}
				return nil
			})
		})
	}
}

// TestReadPlaced: after ReadPlaced, Placed answers as it does without it
// for every envelope of a page (more than one statement's worth, two
// devices): stored by id, stored at its place under another id, neither
// (then without a read), and, once stored in the same transaction by
// AddEnvelope (written or still held) or PutEnvelope, placed; an envelope
// the read did not ask about is read on its own, and a second read
// replaces the first.
func TestReadPlaced(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	var stored []Envelope
	for seq := uint64(1); seq <= 40; seq++ {
		stored = append(stored, testEnvelope("dev1", seq))
	}
	putEnvelopes(t, db, stored...)
	elsewhere := testEnvelope("dev1", 5)
	elsewhere.ID = hexOf("id", "other", 5) // another id at a stored place
	var fresh []Envelope
	for seq := uint64(41); seq <= 140; seq++ {
		fresh = append(fresh, testEnvelope("dev1", seq), testEnvelope("dev2", seq))
	}
	spots := func(es ...Envelope) []Spot {
		var out []Spot
		for _, e := range es {
			out = append(out, Spot{ID: e.ID, Device: e.Device, Seq: e.Seq})
		}
		return out
	}
	update(t, db, func(tx *Tx) error {
		page := append(append([]Envelope{stored[0], stored[39], elsewhere}, fresh[:150]...), fresh[150:]...)
		if err := tx.ReadPlaced(ctx, spots(page...)); err != nil {
			return err
		}
		for _, c := range []struct {
			name string
			e    Envelope
			want bool
		}{
			{"stored", stored[0], true},
			{"stored, the last", stored[39], true},
			{"another id at a stored place", elsewhere, true},
			{"new", fresh[0], false},
			{"new, another device", fresh[1], false},
			{"new, the last", fresh[199], false},
			{"not asked about, stored", stored[20], true},
		} {
			if placed, err := tx.Placed(ctx, c.e.ID, c.e.Device, c.e.Seq); err != nil || placed != c.want {
				t.Errorf("%s: placed %v, %v; want %v", c.name, placed, err, c.want)
			}
		}
		for _, e := range fresh[:70] { // a page written, the rest held
			e.State = Applied
			if err := tx.AddEnvelope(ctx, e); err != nil {
				return err
			}
		}
		if _, err := tx.PutEnvelope(ctx, fresh[199]); err != nil {
			return err
		}
		for _, e := range []Envelope{fresh[0], fresh[69], fresh[199]} {
			if placed, err := tx.Placed(ctx, e.ID, e.Device, e.Seq); err != nil || !placed {
				t.Errorf("%s/%d stored after the read: placed %v, %v", e.Device, e.Seq, placed, err)
			}
			other := hexOf("id", "another", e.Seq) // its place, under another id
			if placed, err := tx.Placed(ctx, other, e.Device, e.Seq); err != nil || !placed {
				t.Errorf("the place of %s/%d, stored after the read: placed %v, %v", e.Device, e.Seq, placed, err)
			}
		}
		if placed, err := tx.Placed(ctx, fresh[100].ID, fresh[100].Device, fresh[100].Seq); err != nil || placed {
			t.Errorf("new, not stored: placed %v, %v", placed, err)
		}
		// A second read replaces the first: what it asks is answered
		// (by reading or not), the rest is read again.
		if err := tx.ReadPlaced(ctx, spots(stored[1], fresh[150])); err != nil {
			return err
		}
		for _, c := range []struct {
			e    Envelope
			want bool
		}{{stored[1], true}, {fresh[150], false}, {fresh[100], false}, {fresh[0], true}} {
			if placed, err := tx.Placed(ctx, c.e.ID, c.e.Device, c.e.Seq); err != nil || placed != c.want {
				t.Errorf("after a second read, %s/%d: placed %v, %v; want %v", c.e.Device, c.e.Seq, placed, err, c.want)
			}
		}
		return nil
	})
}

// TestSetStates: the envelopes named get the state and reason, a page per
// statement, whatever their number; an unknown id or state is refused.
func TestSetStates(t *testing.T) {
	ctx := t.Context()
	for _, c := range []struct {
		name  string
		n     int  // envelopes whose state is set, of 100 stored sealed
		bogus bool // one more id that is not stored
		state EnvelopeState
		want  error
	}{
		{"none", 0, false, Applied, nil},
		{"one", 1, false, Applied, nil},
		{"pages and the rest", 91, false, Applied, nil},
		{"an unknown id", 70, true, Applied, ErrNotFound},
		{"an unknown state", 3, false, EnvelopeState(9), ErrInvalid},
	} {
		t.Run(c.name, func(t *testing.T) {
			db := openTest(t)
			var ids []string
			update(t, db, func(tx *Tx) error {
				for i := range 100 {
					e := testEnvelope("dev1", uint64(i+1))
					e.State = Sealed
					if err := tx.AddEnvelope(ctx, e); err != nil {
						return err
					}
					if i < c.n {
						ids = append(ids, e.ID)
					}
				}
				return nil
			})
			if c.bogus {
				ids = append(ids, "not-stored")
			}
			err := db.Update(ctx, func(tx *Tx) error { return tx.SetStates(ctx, ids, c.state, "opened") })
			if !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
				t.Fatalf("err %v, want %v", err, c.want)
			}
			view(t, db, func(tx *Tx) error {
				counts, err := tx.CountEnvelopes(ctx)
				want := map[EnvelopeState]int{Sealed: 100 - c.n, Applied: c.n}
				if c.want != nil {
					want = map[EnvelopeState]int{Sealed: 100}
				}
				if err != nil || counts[Sealed] != want[Sealed] || counts[Applied] != want[Applied] {
					t.Errorf("counts %v, %v; want %v", counts, err, want)
				}
				if c.n > 0 && c.want == nil {
					got, err := tx.Envelope(ctx, ids[c.n-1])
					if err != nil || got.State != c.state || got.Reason != "opened" {
						t.Errorf("envelope %s: %v %q, %v", ids[c.n-1], got.State, got.Reason, err)
					}
				}
				return nil
			})
		})
	}
}

// TestReadPlacedFailedKeepsNothing: a read of places that fails (here a
// sequence number no store can hold) leaves Placed reading for itself, so
// a stored envelope asked about before the failure is still found.
func TestReadPlacedFailedKeepsNothing(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	stored := testEnvelope("dev1", 1)
	putEnvelopes(t, db, stored)
	update(t, db, func(tx *Tx) error {
		err := tx.ReadPlaced(ctx, []Spot{{ID: stored.ID, Device: stored.Device, Seq: stored.Seq}, {ID: hexOf("id", "huge", 1), Device: "dev1", Seq: 1 << 63}})
		if err == nil {
			t.Error("a sequence number of 2^63 was read")
		}
		if placed, err := tx.Placed(ctx, stored.ID, stored.Device, stored.Seq); err != nil || !placed {
			t.Errorf("after a failed read the stored envelope is placed %v, %v; want true", placed, err)
		}
		return nil
	})
}

// TestAnyInScope: whether the store holds an envelope of a scope.
func TestAnyInScope(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	err := db.Update(ctx, func(tx *Tx) error {
		_, err := tx.PutEnvelope(ctx, testEnvelope("dev1", 1))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		scope string
		want  bool
	}{{testEnvelope("dev1", 1).Scope, true}, {"clinical-not-here", false}} {
		var got bool
		err := db.View(ctx, func(tx *Tx) (err error) { got, err = tx.AnyInScope(ctx, tt.scope); return err })
		if err != nil || got != tt.want {
			t.Errorf("AnyInScope(%q) = %v, %v; want %v", tt.scope, got, err, tt.want)
		}
	}
}

// TestAnyInScopeBy: whether the store holds an envelope of a scope by one
// of some authors, looked up by their devices (or, for an author whose
// entry names none, by author).
func TestAnyInScopeBy(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	e := testEnvelope("dev1", 1) // frontdesk, by fingerprint-dev1
	if err := db.Update(ctx, func(tx *Tx) error { _, err := tx.PutEnvelope(ctx, e); return err }); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		scope   string
		authors map[string][]string
		want    bool
	}{
		{"author by her device", e.Scope, map[string][]string{e.Author: {"dev1"}}, true},
		{"author who names no device", e.Scope, map[string][]string{e.Author: nil}, true},
		{"another scope", "clinical", map[string][]string{e.Author: {"dev1"}}, false},
		{"another author", e.Scope, map[string][]string{"fingerprint-dev2": {"dev2"}, "fingerprint-dev3": nil}, false},
		{"another author's device named", e.Scope, map[string][]string{"fingerprint-dev2": {"dev1"}}, false},
		{"her other device", e.Scope, map[string][]string{e.Author: {"dev9"}}, false},
		{"nobody", e.Scope, nil, false},
	} {
		var got bool
		err := db.View(ctx, func(tx *Tx) (err error) { got, err = tx.AnyInScopeBy(ctx, tt.scope, tt.authors); return err })
		if err != nil || got != tt.want {
			t.Errorf("%s: AnyInScopeBy = %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
}

// TestMaxLamportThrough: the highest clock of an author's envelopes in a
// device's chain up to a place, refused ones included, pending ones and
// other authors' not (session 21, h-sec21a).
func TestMaxLamportThrough(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	applied := func(e Envelope, lamport uint64) Envelope { e.State, e.Lamport = Applied, lamport; return e }
	a1, a2, a3 := applied(testEnvelope("a", 1), 50), applied(testEnvelope("a", 2), 3), applied(testEnvelope("a", 3), 7)
	a2.State = Rejected
	far := testEnvelope("a", 4) // pending: nobody verified it
	far.Lamport = 9000
	other := applied(testEnvelope("a", 5), 800)
	other.Author = "someone else"
	putEnvelopes(t, db, a1, a2, a3, far, other)
	author := a1.Author
	for _, tc := range []struct {
		seq  uint64
		who  string
		want uint64
	}{{0, author, 0}, {1, author, 50}, {3, author, 50}, {9, author, 50}, {9, "someone else", 800}, {9, "nobody", 0}} {
		view(t, db, func(tx *Tx) error {
			if got, err := tx.MaxLamportThrough(ctx, "a", tc.who, tc.seq); err != nil || got != tc.want {
				t.Errorf("MaxLamportThrough(a, %s, %d) = %d, %v; want %d", tc.who, tc.seq, got, err, tc.want)
			}
			return nil
		})
	}
	view(t, db, func(tx *Tx) error {
		if got, err := tx.MaxLamportThrough(ctx, "a", author, 2); err != nil || got != 50 {
			t.Errorf("through a refused one: %d, %v; want 50", got, err)
		}
		return nil
	})
}
