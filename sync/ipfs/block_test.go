package ipfs_test

import (
	"bytes"
	"fmt"
	"testing"

	gocid "github.com/ipfs/go-cid"
	shell "github.com/ipfs/go-ipfs-api"
	"github.com/multiformats/go-multihash"

	"github.com/medihaven/medihaven/sync/ipfs"
	"github.com/medihaven/medihaven/sync/synctest"
)

// TestPutSameCIDAsAdd: a block stored with block/put has the CID `ipfs add
// --cid-version 1 --raw-leaves` gives the same bytes (what Put used
// before, and what another workstation's older Medihaven announces), on
// either side of the 256 KiB chunk size.
func TestPutSameCIDAsAdd(t *testing.T) {
	kubo := synctest.StartKubo(t)
	c := ipfs.New(kubo.API)
	sh := shell.NewShell(kubo.API)
	ctx := testContext(t)
	for _, size := range []int{0, 1, 2048, 256<<10 - 1, 256 << 10, 256<<10 + 1} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			data := randomBytes(t, size)
			byAdd, err := sh.Add(bytes.NewReader(data), shell.CidVersion(1), shell.RawLeaves(true), shell.OnlyHash(true))
			if err != nil {
				t.Fatal(err)
			}
			byPut, err := c.Put(ctx, data)
			if err != nil {
				t.Fatal(err)
			}
			if byPut != byAdd {
				t.Errorf("Put gave %s, add gives %s", byPut, byAdd)
			}
		})
	}
}

// TestPutKeptByGC: what Put stores is pinned recursively (as add pinned
// it), so the node's garbage collection keeps it, and Unpin lets it go.
func TestPutKeptByGC(t *testing.T) {
	kubo := synctest.StartKubo(t)
	c := ipfs.New(kubo.API)
	sh := shell.NewShell(kubo.API)
	ctx := testContext(t)
	data := randomBytes(t, 2048)
	id, err := c.Put(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	pins, err := sh.Pins()
	if err != nil {
		t.Fatal(err)
	}
	if shell.PinType(pins[id].Type) != shell.RecursivePin {
		t.Fatalf("%s pinned %q after Put, want %q", id, pins[id].Type, shell.RecursivePin)
	}
	gc := func() {
		t.Helper()
		if err := sh.Request("repo/gc").Exec(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}
	gc()
	if got, err := c.GetLocal(ctx, id, 2048); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("GetLocal after a garbage collection: %v", err)
	}
	if err := c.Unpin(ctx, id); err != nil {
		t.Fatal(err)
	}
	gc()
	if _, err := c.GetLocal(ctx, id, 2048); err == nil {
		t.Fatalf("%s still held after Unpin and a garbage collection", id)
	}
}

// TestGetWhatAddStored: packs an older Medihaven stored with add are
// still read, a raw block (up to 256 KiB) and a file DAG alike, from the
// node's own store and from a peer.
func TestGetWhatAddStored(t *testing.T) {
	a, b := synctest.StartKubo(t), synctest.StartKubo(t)
	b.Connect(t, a)
	ctx := testContext(t)
	for _, size := range []int{2048, 1<<20 + 1} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			data := randomBytes(t, size)
			id, err := shell.NewShell(a.API).Add(bytes.NewReader(data), shell.CidVersion(1), shell.RawLeaves(true), shell.Pin(true))
			if err != nil {
				t.Fatal(err)
			}
			for _, tc := range []struct {
				name string
				get  func() ([]byte, error)
			}{
				{"local", func() ([]byte, error) { return ipfs.New(a.API).GetLocal(ctx, id, int64(size)) }},
				{"from a peer", func() ([]byte, error) { return ipfs.New(b.API).Get(ctx, id, int64(size)) }},
			} {
				got, err := tc.get()
				if err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				if !bytes.Equal(got, data) {
					t.Fatalf("%s: %d bytes that differ from the %d added", tc.name, len(got), size)
				}
			}
			if _, err := ipfs.New(a.API).Get(ctx, id, int64(size-1)); err == nil {
				t.Errorf("Get with max one byte short: no error")
			}
		})
	}
}

// TestCheckRawCID: Put refuses a CID the node answered that is not the
// raw SHA2-256 block of the bytes it was given (a node that ignored an
// option), and takes the one that is.
func TestCheckRawCID(t *testing.T) {
	data := []byte("a pack")
	sum, err := multihash.Sum(data, multihash.SHA2_256, -1)
	if err != nil {
		t.Fatal(err)
	}
	other, err := multihash.Sum([]byte("another pack"), multihash.SHA2_256, -1)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		id   string
		ok   bool
	}{
		{"raw, sha2-256", gocid.NewCidV1(gocid.Raw, sum).String(), true},
		{"dag-pb codec", gocid.NewCidV1(gocid.DagProtobuf, sum).String(), false},
		{"CIDv0", gocid.NewCidV0(sum).String(), false},
		{"other bytes", gocid.NewCidV1(gocid.Raw, other).String(), false},
		{"not a CID", "hello", false},
	} {
		err := ipfs.CheckRawCID(c.id, data)
		if (err == nil) != c.ok {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}
