package ipfs_test

import (
	"bytes"
	"io"
	"testing"

	shell "github.com/ipfs/go-ipfs-api"

	"github.com/medihaven/medihaven/sync/ipfs"
	"github.com/medihaven/medihaven/sync/synctest"
)

func TestPutDir(t *testing.T) {
	kubo := synctest.StartKubo(t)
	c := ipfs.New(kubo.API)
	ctx := testContext(t)
	want := []ipfs.File{{Name: "README.txt", Data: []byte("read me")}, {Name: "big.bin", Data: randomBytes(t, 600<<10)}}
	cid, err := c.PutDir(ctx, want)
	if err != nil {
		t.Fatal(err)
	}
	sh := shell.NewShell(kubo.API)
	for _, f := range want {
		rc, err := sh.Cat(cid + "/" + f.Name)
		if err != nil {
			t.Fatalf("cat %s/%s: %v", cid, f.Name, err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, f.Data) {
			t.Fatalf("%s: got %d bytes (%v), want %d", f.Name, len(got), err, len(f.Data))
		}
	}
	pins, err := sh.Pins()
	if err != nil {
		t.Fatal(err)
	}
	if info, ok := pins[cid]; !ok || info.Type != string(shell.RecursivePin) {
		t.Fatalf("directory %s is not pinned recursively: %v", cid, pins[cid])
	}
	for _, bad := range [][]ipfs.File{nil, {{Name: "a/b"}}, {{Name: ""}}, {{Name: ".."}}} {
		if _, err := c.PutDir(ctx, bad); err == nil {
			t.Errorf("PutDir(%v) accepted", bad)
		}
	}
}
