package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// tok stands in for a blind-index token: a 16-byte keyed hash of a term.
func tok(term string) []byte {
	mac := hmac.New(sha256.New, []byte("test index key"))
	mac.Write([]byte(term))
	return mac.Sum(nil)[:16]
}

func toks(terms ...string) [][]byte {
	out := make([][]byte, len(terms))
	for i, t := range terms {
		out[i] = tok(t)
	}
	return out
}

func TestLookup(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	index := map[string][]string{
		"p1": {"name:smi", "name:smith", "born:1980-02-03", "phone:1234"},
		"p2": {"name:smi", "name:smithson", "born:1980-02-03"},
		"p3": {"name:smi", "name:smith", "born:1975-11-30", "phone:1234"},
		"p4": {"name:bro", "name:brown", "born:1980-02-03", "phone:1234"},
	}
	update(t, db, func(tx *Tx) error {
		for _, entity := range slices.Sorted(maps.Keys(index)) { // results come in this order
			if err := tx.SetIndex(ctx, entity, toks(index[entity]...)); err != nil {
				return err
			}
		}
		// Replacing p4's tokens drops the old ones.
		if err := tx.SetIndex(ctx, "p4", toks("name:bro", "name:brown", "name:bro")); err != nil {
			return err
		}
		// Every record but p2 has a state (LookupEntities finds those).
		for i, id := range []string{"p1", "p3", "p4"} {
			if err := tx.PutEntity(ctx, Entity{ID: id, Kind: "patient", Scope: "frontdesk", State: []byte(id), Lamport: uint64(i)}); err != nil {
				return err
			}
		}
		return nil
	})
	tests := []struct {
		name  string
		terms []string
		limit int
		want  []string
	}{
		{"one token", []string{"name:smi"}, 0, []string{"p1", "p2", "p3"}},
		{"two tokens: AND", []string{"name:smi", "born:1980-02-03"}, 0, []string{"p1", "p2"}},
		{"three tokens: AND", []string{"phone:1234", "name:smith", "born:1980-02-03"}, 0, []string{"p1"}},
		{"order of tokens does not matter", []string{"born:1980-02-03", "phone:1234", "name:smith"}, 0, []string{"p1"}},
		{"a token twice", []string{"name:smith", "name:smith"}, 0, []string{"p1", "p3"}},
		{"limit", []string{"name:smi"}, 2, []string{"p1", "p2"}},
		{"replaced tokens are gone", []string{"phone:1234"}, 0, []string{"p1", "p3"}},
		{"no match", []string{"name:smith", "name:brown"}, 0, nil},
		{"unknown token", []string{"name:zzz"}, 0, nil},
	}
	view(t, db, func(tx *Tx) error {
		for _, tt := range tests {
			got, err := tx.Lookup(ctx, toks(tt.terms...), tt.limit)
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s: Lookup(%v) = %v, %v; want %v", tt.name, tt.terms, got, err, tt.want)
			}
			if tt.limit != 0 {
				continue // pages: below
			}
			var withState []string
			for _, id := range tt.want {
				if id != "p2" {
					withState = append(withState, id)
				}
			}
			found, _, err := tx.LookupEntities(ctx, toks(tt.terms...), "", 0)
			var ids []string
			for _, e := range found {
				ids = append(ids, e.ID)
				if string(e.State) != e.ID || e.Kind != "patient" || e.Scope != "frontdesk" {
					t.Errorf("%s: LookupEntities gives %+v", tt.name, e)
				}
			}
			if err != nil || !reflect.DeepEqual(ids, withState) {
				t.Errorf("%s: LookupEntities(%v) = %v, %v; want %v", tt.name, tt.terms, ids, err, withState)
			}
		}
		return nil
	})

	view(t, db, func(tx *Tx) error { // a page at a time
		var pages [][]string
		for after, n := "", 0; n < 4; n++ {
			found, next, err := tx.LookupEntities(ctx, toks("name:smi"), after, 1)
			if err != nil {
				return err
			}
			var page []string
			for _, e := range found {
				page = append(page, e.ID)
			}
			pages = append(pages, page)
			if after = next; next == "" {
				break
			}
		}
		if want := [][]string{{"p1"}, {"p3"}}; !reflect.DeepEqual(pages, want) {
			t.Errorf("pages of one: %v, want %v", pages, want)
		}
		return nil
	})

	update(t, db, func(tx *Tx) error { return tx.SetIndex(ctx, "p1", nil) })
	view(t, db, func(tx *Tx) error {
		got, err := tx.Lookup(ctx, toks("name:smith"), 0)
		if err != nil || !reflect.DeepEqual(got, []string{"p3"}) {
			t.Errorf("after removing p1's tokens: %v, %v", got, err)
		}
		return nil
	})
}

func TestIndexRefusesBadTokens(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	tooMany := make([][]byte, MaxLookupTokens+1)
	for i := range tooMany {
		tooMany[i] = tok(fmt.Sprint(i))
	}
	tests := []struct {
		name string
		run  func(tx *Tx) error
	}{
		{"set: empty entity", func(tx *Tx) error { return tx.SetIndex(ctx, "", toks("a")) }},
		{"set: empty token", func(tx *Tx) error { return tx.SetIndex(ctx, "p1", [][]byte{tok("a"), {}}) }},
		{"set: token too long", func(tx *Tx) error { return tx.SetIndex(ctx, "p1", [][]byte{make([]byte, MaxTokenSize+1)}) }},
		{"lookup: no tokens", func(tx *Tx) error { _, err := tx.Lookup(ctx, nil, 10); return err }},
		{"lookup: nil token", func(tx *Tx) error { _, err := tx.Lookup(ctx, [][]byte{nil}, 10); return err }},
		{"lookup: too many tokens", func(tx *Tx) error { _, err := tx.Lookup(ctx, tooMany, 10); return err }},
	}
	for _, tt := range tests {
		if err := db.Update(ctx, tt.run); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", tt.name, err)
		}
	}
}

// The benchmark clinic: 100k patients, each with ~15 blind-index tokens
// like the app's (surname and given-name prefixes, birth date and year,
// phone digits), and the same people in a plaintext table for the LIKE
// baseline. Built once per test binary and shared by the benchmarks.
const benchPatients = 100_000

var bench struct {
	once    sync.Once
	dir     string
	path    string
	err     error
	queries [][]string // search terms, one to three per query, of real patients
}

type benchPatient struct {
	id, surname, given, born, phone string
}

func (p benchPatient) terms() []string {
	var terms []string
	for n := 1; n <= 6; n++ {
		terms = append(terms, "sur:"+p.surname[:min(n, len(p.surname))])
	}
	for n := 1; n <= 5; n++ {
		terms = append(terms, "giv:"+p.given[:min(n, len(p.given))])
	}
	return append(terms, "born:"+p.born, "year:"+p.born[:4], "phone:"+p.phone[len(p.phone)-4:], "phone:"+p.phone)
}

// benchNames makes n pronounceable names; a few are far more common than
// the rest, as surnames are.
func benchNames(rng *rand.Rand, n int) []string {
	cons, vows := "bcdfghjklmnprstvwz", "aeiou"
	names := make([]string, n)
	for i := range names {
		var b []byte
		for range 2 + rng.IntN(3) {
			b = append(b, cons[rng.IntN(len(cons))], vows[rng.IntN(len(vows))])
		}
		names[i] = string(b)
	}
	return names
}

func benchDB(b *testing.B) string {
	bench.once.Do(func() { bench.err = buildBenchDB() })
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.path
}

func buildBenchDB() error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "store-bench-")
	if err != nil {
		return err
	}
	bench.dir, bench.path = dir, filepath.Join(dir, "medihaven.db")
	db, err := Open(ctx, bench.path)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.writer.ExecContext(ctx, `CREATE TABLE names (id TEXT PRIMARY KEY, surname TEXT, given TEXT, year TEXT);
		CREATE INDEX names_surname ON names (surname COLLATE NOCASE)`); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	surnames, givens := benchNames(rng, 3000), benchNames(rng, 800)
	zipf := rand.NewZipf(rng, 1.1, 1, uint64(len(surnames)-1))
	state := make([]byte, 300)
	patients := make([]benchPatient, benchPatients)
	for i := range patients {
		patients[i] = benchPatient{
			id:      fmt.Sprintf("%016x", rng.Uint64()),
			surname: surnames[zipf.Uint64()],
			given:   givens[rng.IntN(len(givens))],
			born:    time.Date(1935+rng.IntN(90), 1, 1+rng.IntN(365), 0, 0, 0, 0, time.UTC).Format(time.DateOnly),
			phone:   fmt.Sprintf("06%08d", rng.IntN(100_000_000)),
		}
	}
	const batch = 5000
	for start := 0; start < len(patients); start += batch {
		err := db.Update(ctx, func(tx *Tx) error {
			for _, p := range patients[start : start+batch] {
				if err := tx.PutEntity(ctx, Entity{ID: p.id, Kind: "patient", Scope: "frontdesk", State: state, Lamport: 1}); err != nil {
					return err
				}
				if err := tx.SetIndex(ctx, p.id, toks(p.terms()...)); err != nil {
					return err
				}
				if _, err := tx.tx.ExecContext(ctx, `INSERT INTO names VALUES (?, ?, ?, ?)`, p.id, p.surname, p.given, p.born[:4]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	// What a receptionist types: a surname start; surname and given-name
	// starts; a one-letter surname with a birth year and a given initial
	// (three common tokens with a small intersection, the hard case).
	for range 2000 {
		p := patients[rng.IntN(len(patients))]
		var q []string
		switch rng.IntN(3) {
		case 0:
			q = []string{"sur:" + p.surname[:3]}
		case 1:
			q = []string{"sur:" + p.surname[:3], "giv:" + p.given[:2]}
		default:
			q = []string{"sur:" + p.surname[:1], "year:" + p.born[:4], "giv:" + p.given[:1]}
		}
		bench.queries = append(bench.queries, q)
	}
	return nil
}

func removeBenchDB() {
	if bench.dir != "" {
		os.RemoveAll(bench.dir)
	}
}

// runSearches times each query as the app runs it (one View per search,
// first 50 results) and reports p50 and p99 over the 2000 queries.
func runSearches(b *testing.B, search func(q []string) error) {
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := search(bench.queries[i%len(bench.queries)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.StopTimer()
	times := make([]time.Duration, len(bench.queries))
	for i, q := range bench.queries {
		start := time.Now()
		if err := search(q); err != nil {
			b.Fatal(err)
		}
		times[i] = time.Since(start)
	}
	slices.Sort(times)
	ms := func(p float64) float64 { return float64(times[int(p*float64(len(times)-1))]) / 1e6 }
	b.ReportMetric(ms(0.50), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
}

func BenchmarkLookup100k(b *testing.B) {
	ctx := b.Context()
	db, err := Open(ctx, benchDB(b))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	runSearches(b, func(q []string) error {
		return db.View(ctx, func(tx *Tx) error {
			_, err := tx.Lookup(ctx, toks(q...), 50)
			return err
		})
	})
}

// BenchmarkPlainLikeSearch100k is the baseline Medihaven refuses to ship:
// names in clear, searched with LIKE on an index.
func BenchmarkPlainLikeSearch100k(b *testing.B) {
	ctx := b.Context()
	db, err := Open(ctx, benchDB(b))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	runSearches(b, func(q []string) error {
		return db.View(ctx, func(tx *Tx) error {
			query, args := `SELECT id FROM names WHERE surname LIKE ?`, []any{q[0][len("sur:"):] + "%"}
			if len(q) > 1 {
				query += ` AND given LIKE ?`
				args = append(args, q[len(q)-1][len("giv:"):]+"%")
			}
			if len(q) > 2 {
				query += ` AND year = ?`
				args = append(args, q[1][len("year:"):])
			}
			rows, err := tx.tx.QueryContext(ctx, query+` LIMIT 50`, args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					return err
				}
			}
			return rows.Err()
		})
	})
}

// TestSetIndexesMatchesSetIndex: the bulk form leaves the same index as one
// SetIndex per entity, replacing old tokens.
func TestSetIndexesMatchesSetIndex(t *testing.T) {
	ctx := context.Background()
	tok := func(s string) []byte { return []byte(s + "-token-16bytes!!")[:16] }
	db := openTest(t)
	err := db.Update(ctx, func(tx *Tx) error {
		if err := tx.SetIndex(ctx, "e1", [][]byte{tok("old")}); err != nil {
			return err
		}
		return tx.SetIndexes(ctx, map[string][][]byte{
			"e1": {tok("a"), tok("b")},
			"e2": {tok("b"), tok("c")},
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		tokens [][]byte
		want   []string
	}{
		{[][]byte{tok("old")}, nil},
		{[][]byte{tok("a")}, []string{"e1"}},
		{[][]byte{tok("b")}, []string{"e1", "e2"}},
		{[][]byte{tok("b"), tok("c")}, []string{"e2"}},
	}
	for _, tt := range tests {
		var got []string
		db.View(ctx, func(tx *Tx) error {
			var err error
			got, err = tx.Lookup(ctx, tt.tokens, 10)
			return err
		})
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("Lookup(%q) = %v, want %v", tt.tokens, got, tt.want)
		}
	}
}
