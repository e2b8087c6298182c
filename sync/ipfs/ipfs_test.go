package ipfs_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	gocid "github.com/ipfs/go-cid"
	shell "github.com/ipfs/go-ipfs-api"
	"github.com/multiformats/go-multihash"

	"github.com/medihaven/medihaven/sync/ipfs"
	"github.com/medihaven/medihaven/sync/synctest"
)

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPutGet(t *testing.T) {
	kubo := synctest.StartKubo(t)
	c := ipfs.New(kubo.API)
	ctx := testContext(t)

	for _, tc := range []struct {
		name   string
		size   int
		rawCID bool // a single raw block: the CID is the hash of the bytes
	}{
		{"empty", 0, true},
		{"one byte", 1, true},
		{"2 KB record", 2048, true},
		{"one full chunk", 256 << 10, true},
		{"several chunks", 1<<20 + 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := randomBytes(t, tc.size)
			id, err := c.Put(ctx, data)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.HasPrefix(id, "bafkrei"); got != tc.rawCID {
				t.Errorf("Put gave %s; raw block CID: %v, want %v", id, got, tc.rawCID)
			}
			again, err := c.Put(ctx, data)
			if err != nil || again != id {
				t.Errorf("second Put of the same bytes = %s, %v; want %s", again, err, id)
			}
			got, err := c.Get(ctx, id, int64(tc.size))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, data) {
				t.Fatalf("Get returned %d bytes that differ from the %d put", len(got), len(data))
			}
		})
	}
}

func TestGetLimits(t *testing.T) {
	kubo := synctest.StartKubo(t)
	c := ipfs.New(kubo.API)
	ctx := testContext(t)
	data := randomBytes(t, 2048)
	id, err := c.Put(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		max     int64
		wantErr error
	}{
		{-1, ipfs.ErrTooLarge},
		{0, ipfs.ErrTooLarge},
		{2047, ipfs.ErrTooLarge},
		{2048, nil},
		{1 << 62, nil},
		{1<<63 - 1, nil},
	} {
		t.Run(fmt.Sprint(tc.max), func(t *testing.T) {
			got, err := c.Get(ctx, id, tc.max)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Get(max %d) error = %v, want %v", tc.max, err, tc.wantErr)
			}
			if err == nil && !bytes.Equal(got, data) {
				t.Fatal("Get returned other bytes")
			}
		})
	}
	// The connection is still usable after a refused, unread answer.
	if _, err := c.Get(ctx, id, 2048); err != nil {
		t.Fatal(err)
	}
}

func TestBadCID(t *testing.T) {
	// No node: invalid CIDs are refused before any network traffic.
	c := ipfs.New(synctest.UnusedAddr(t))
	ctx := testContext(t)
	for _, tc := range []string{
		"",
		"notacid",
		"/ipfs/bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy",
		"bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy?arg=x",
		"bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52z",
		"Qm",
		strings.Repeat("b", 10000),
	} {
		if _, err := c.Get(ctx, tc, 100); !errors.Is(err, ipfs.ErrBadCID) {
			t.Errorf("Get(%.20q) error = %v, want ErrBadCID", tc, err)
		}
		if err := c.Unpin(ctx, tc); !errors.Is(err, ipfs.ErrBadCID) {
			t.Errorf("Unpin(%.20q) error = %v, want ErrBadCID", tc, err)
		}
	}
	for _, ok := range []string{
		"bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy",
		"QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG",
	} {
		if err := ipfs.CheckCID(ok); err != nil {
			t.Errorf("CheckCID(%s) = %v, want nil", ok, err)
		}
	}
}

func TestGetNotFound(t *testing.T) {
	kubo := synctest.StartKubo(t)
	c := ipfs.New(kubo.API)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := c.Get(ctx, absentCID(t), 100); !errors.Is(err, ipfs.ErrNotFound) {
		t.Fatalf("Get of a block nobody has: error = %v, want ErrNotFound", err)
	}
}

func TestUnavailable(t *testing.T) {
	c := ipfs.New(synctest.UnusedAddr(t))
	ctx := testContext(t)
	if err := c.Ping(ctx); !errors.Is(err, ipfs.ErrUnavailable) {
		t.Errorf("Ping error = %v, want ErrUnavailable", err)
	}
	if _, err := c.Put(ctx, []byte("x")); !errors.Is(err, ipfs.ErrUnavailable) {
		t.Errorf("Put error = %v, want ErrUnavailable", err)
	}
	if _, err := c.Get(ctx, absentCID(t), 100); !errors.Is(err, ipfs.ErrUnavailable) {
		t.Errorf("Get error = %v, want ErrUnavailable", err)
	}
}

func TestAddressForms(t *testing.T) {
	kubo := synctest.StartKubo(t)
	parts := strings.Split(kubo.API, "/") // /ip4/127.0.0.1/tcp/N
	for _, api := range []string{kubo.API, parts[2] + ":" + parts[4], "http://" + parts[2] + ":" + parts[4]} {
		if err := ipfs.New(api).Ping(testContext(t)); err != nil {
			t.Errorf("New(%q).Ping() = %v", api, err)
		}
	}
}

func TestUnpin(t *testing.T) {
	kubo := synctest.StartKubo(t)
	c := ipfs.New(kubo.API)
	ctx := testContext(t)
	id, err := c.Put(ctx, randomBytes(t, 2048))
	if err != nil {
		t.Fatal(err)
	}
	if !pinned(t, kubo, id) {
		t.Fatalf("%s not pinned after Put", id)
	}
	for i := range 2 { // the second time it is not pinned: still no error
		if err := c.Unpin(ctx, id); err != nil {
			t.Fatalf("Unpin #%d: %v", i+1, err)
		}
	}
	if pinned(t, kubo, id) {
		t.Fatalf("%s still pinned after Unpin", id)
	}
}

func TestGetFromPeer(t *testing.T) {
	a, b := synctest.StartKubo(t), synctest.StartKubo(t)
	b.Connect(t, a)
	ctx := testContext(t)
	data := randomBytes(t, 2048)
	id, err := ipfs.New(a.API).Put(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ipfs.New(b.API).Get(ctx, id, 2048)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("peer returned other bytes")
	}
}

func FuzzCheckCID(f *testing.F) {
	for _, seed := range []string{
		"bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy",
		"QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG",
		"bafkqaaa",
		"zb2rhe5P4gXftAwvA4eXQ5HJwsER2owDyS9sKaQRRVQPn93bA",
		"f01551220",
		"", "Qm", "b", "/ipfs/x",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ipfs.CheckCID(s) != nil {
			return
		}
		id, err := gocid.Decode(s)
		if err != nil {
			t.Fatalf("CheckCID accepted %q that does not decode: %v", s, err)
		}
		if ipfs.CheckCID(id.String()) != nil {
			t.Fatalf("CheckCID accepted %q but refuses its canonical form %s", s, id)
		}
	})
}

func BenchmarkPut(b *testing.B) {
	c := ipfs.New(synctest.StartKubo(b).API)
	ctx := context.Background()
	record := make([]byte, 2048)
	b.SetBytes(int64(len(record)))
	for i := 0; b.Loop(); i++ {
		record[0], record[1], record[2], record[3] = byte(i), byte(i>>8), byte(i>>16), byte(i>>24)
		if _, err := c.Put(ctx, record); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPutNewShell is the baseline: go-ipfs-api's default client,
// which opens a connection per request.
func BenchmarkPutNewShell(b *testing.B) {
	sh := shell.NewShell(synctest.StartKubo(b).API)
	record := make([]byte, 2048)
	b.SetBytes(int64(len(record)))
	for i := 0; b.Loop(); i++ {
		record[0], record[1], record[2], record[3] = byte(i), byte(i>>8), byte(i>>16), byte(i>>24)
		if _, err := sh.Add(bytes.NewReader(record), shell.CidVersion(1), shell.RawLeaves(true)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPutParallel(b *testing.B) {
	c := ipfs.New(synctest.StartKubo(b).API)
	ctx := context.Background()
	var n atomic.Uint64
	b.SetBytes(2048)
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		record := make([]byte, 2048)
		for pb.Next() {
			i := n.Add(1)
			record[0], record[1], record[2], record[3] = byte(i), byte(i>>8), byte(i>>16), byte(i>>24)
			if _, err := c.Put(ctx, record); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkGet(b *testing.B) {
	c := ipfs.New(synctest.StartKubo(b).API)
	ctx := context.Background()
	id, err := c.Put(ctx, randomBytes(b, 2048))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(2048)
	for b.Loop() {
		if _, err := c.Get(ctx, id, 2048); err != nil {
			b.Fatal(err)
		}
	}
}

// absentCID is the CID of random bytes that no node holds.
func absentCID(t testing.TB) string {
	sum, err := multihash.Sum(randomBytes(t, 32), multihash.SHA2_256, -1)
	if err != nil {
		t.Fatal(err)
	}
	return gocid.NewCidV1(gocid.Raw, sum).String()
}

// pinned asks the node itself, bypassing the client under test.
func pinned(t testing.TB, kubo *synctest.Kubo, id string) bool {
	pins, err := shell.NewShell(kubo.API).Pins()
	if err != nil {
		t.Fatal(err)
	}
	_, ok := pins[id]
	return ok
}

// TestGetLocal answers from the node's own store at once: a block it does
// not hold is ErrNotFound without waiting for peers.
func TestGetLocal(t *testing.T) {
	kubo := synctest.StartKubo(t)
	c := ipfs.New(kubo.API)
	ctx := testContext(t)
	data := randomBytes(t, 1000)
	cid, err := c.Put(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.GetLocal(ctx, cid, 1000); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("GetLocal of a held block: %v", err)
	}
	start := time.Now()
	if _, err := c.GetLocal(ctx, absentCID(t), 100); !errors.Is(err, ipfs.ErrNotFound) {
		t.Fatalf("GetLocal of a block nobody has: error = %v, want ErrNotFound", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("GetLocal of an absent block took %v", d)
	}
}
