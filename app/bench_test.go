package app

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/medihaven/medihaven/roles"
)

// BenchmarkSearchPatients100k searches a receptionist's workstation holding
// 100,000 patients by name prefixes, birth date and phone, over the blind
// index, and reports p50 and p99 latency besides ns/op.
func BenchmarkSearchPatients100k(b *testing.B) {
	ctx := context.Background()
	searchFixture.Do(func() { searchRecep, searchQueries = newSearchFixture(b) })
	if searchRecep == nil {
		b.Fatal("fixture failed")
	}
	recep, queries := searchRecep, searchQueries
	b.ResetTimer()
	lat := make([]time.Duration, 0, b.N)
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if _, err := recep.SearchPatients(ctx, queries[i%len(queries)], 50); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// The 100k-patient workstation is built once per benchmark process (it
// takes a while) and shared by every run of the benchmark.
var (
	searchFixture sync.Once
	searchRecep   *Session
	searchQueries []string
	searchDir     string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if searchDir != "" {
		os.RemoveAll(searchDir)
	}
	os.Exit(code)
}

func newSearchFixture(b *testing.B) (*Session, []string) {
	ctx := context.Background()
	env, _ := testEnv(b)
	dir, err := os.MkdirTemp("", "medihaven-bench-")
	if err != nil {
		b.Fatal(err)
	}
	searchDir = dir
	admin, err := CreateClinic(ctx, env, NewClinic{Dir: filepath.Join(dir, "admin"), Clinic: "Bench", Admin: "Ada", Passphrase: []byte(testPass)})
	if err != nil {
		b.Fatal(err)
	}
	tok, err := admin.IssueToken(ctx, roles.Receptionist, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	recep, err := Redeem(ctx, env, Redemption{Dir: filepath.Join(dir, "recep"), Token: tok.String(), Name: "Rita", Passphrase: []byte(testPass)})
	if err != nil {
		b.Fatal(err)
	}
	if err := SyncLocal(ctx, admin, recep); err != nil {
		b.Fatal(err)
	}
	given := []string{"Olivia", "Liam", "Emma", "Noah", "Ava", "Elijah", "Sophia", "Mateo", "Isabella", "Lucas", "Mia", "Levi", "Amelia", "Ezra", "Harper", "Asher"}
	family := make([]string, 2000)
	for i := range family {
		family[i] = fmt.Sprintf("Fam%c%c%dson", 'a'+rune(i%26), 'a'+rune(i/26%26), i)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 100_000
	batch := make([]Patient, 0, 2000)
	for i := 0; i < n; i++ {
		batch = append(batch, Patient{Given: given[rng.IntN(len(given))], Family: family[rng.IntN(len(family))],
			Birth: fmt.Sprintf("19%02d-%02d-%02d", 30+rng.IntN(70), 1+rng.IntN(12), 1+rng.IntN(28)),
			Phone: fmt.Sprintf("555%07d", rng.IntN(10_000_000))})
		if len(batch) == cap(batch) {
			if _, err := recep.RegisterPatients(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	queries := []string{}
	for i := 0; i < 200; i++ {
		f := family[rng.IntN(len(family))]
		switch i % 4 {
		case 0:
			queries = append(queries, f[:4])
		case 1:
			queries = append(queries, f+" "+given[rng.IntN(len(given))][:2])
		case 2:
			queries = append(queries, fmt.Sprintf("19%02d-%02d-%02d", 30+rng.IntN(70), 1+rng.IntN(12), 1+rng.IntN(28)))
		default:
			queries = append(queries, fmt.Sprintf("555%07d", rng.IntN(10_000_000)))
		}
	}
	admin.Close()
	return recep, queries
}
