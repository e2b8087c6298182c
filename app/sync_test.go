package app

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/medihaven/medihaven/app/records"
	"github.com/medihaven/medihaven/sync/replica"
)

func copyDir(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o700)
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(target)
		if err != nil {
			return err
		}
		defer out.Close()
		_, err = io.Copy(out, in)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func snapshot(t testing.TB, s *Session, kinds ...string) map[string]replica.State {
	t.Helper()
	r, err := s.Replica()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]replica.State{}
	for _, k := range kinds {
		rows, err := r.Entities(context.Background(), k)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range rows {
			out[e.ID] = e.State
		}
	}
	return out
}

// TestAnyOrderSameState: two copies of one workstation receive the same
// concurrent edits in many random orders and chunkings, and end identical.
func TestAnyOrderSameState(t *testing.T) {
	ctx := context.Background()
	c := newClinic(t)
	var patients []Patient
	for i := 0; i < 3; i++ {
		p, err := c.recep.RegisterPatient(ctx, Patient{Family: fmt.Sprintf("Order%d", i), Given: "Test", Birth: "1990-01-01"})
		if err != nil {
			t.Fatal(err)
		}
		patients = append(patients, p)
	}
	if err := SyncLocal(ctx, c.all()...); err != nil {
		t.Fatal(err)
	}
	// Concurrent edits: receptionist and both physicians change the same
	// fields without seeing each other.
	r2, _ := c.phys2.Replica()
	before, _ := r2.Heads(ctx)
	seen := map[string]uint64{}
	for _, h := range before {
		seen[h.Device] = h.Seq
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for i := 0; i < 40; i++ {
		s := []*Session{c.recep, c.phys}[rng.IntN(2)]
		p := patients[rng.IntN(len(patients))]
		r, _ := s.Replica()
		f, _ := replica.F(map[string]any{"phone": fmt.Sprintf("555%04d", i), []string{"given", "email"}[rng.IntN(2)]: fmt.Sprintf("v%d", i)})
		if _, err := r.Append(ctx, replica.Change{Entity: p.ID, Kind: records.KindPatient, Scope: "frontdesk", Fields: f}); err != nil {
			t.Fatal(err)
		}
		if i%7 == 0 {
			if _, err := clin(c.phys).WriteNote(ctx, Note{Patient: p.ID, Plan: fmt.Sprint("plan ", i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	var raws [][]byte
	for _, s := range []*Session{c.recep, c.phys} {
		r, _ := s.Replica()
		heads, _ := r.Heads(ctx)
		for _, h := range heads {
			if h.Device != r.Device() {
				continue
			}
			more, err := r.EnvelopesAfter(ctx, h.Device, seen[h.Device], -1)
			if err != nil {
				t.Fatal(err)
			}
			raws = append(raws, more...)
		}
	}
	if len(raws) < 40 {
		t.Fatalf("only %d new envelopes", len(raws))
	}
	dir := c.phys2.Profile().Dir
	c.phys2.Lock()
	var want map[string]replica.State
	for trial := 0; trial < 12; trial++ {
		copyTo := filepath.Join(t.TempDir(), "copy")
		copyDir(t, dir, copyTo)
		s, err := Login(ctx, c.env, copyTo, "", []byte(testPass))
		if err != nil {
			t.Fatal(err)
		}
		order := rng.Perm(len(raws))
		r, _ := s.Replica()
		for i := 0; i < len(order); {
			n := 1 + rng.IntN(8)
			var chunk [][]byte
			for ; n > 0 && i < len(order); n, i = n-1, i+1 {
				chunk = append(chunk, raws[order[i]])
			}
			if _, err := r.Apply(ctx, chunk); err != nil {
				t.Fatal(err)
			}
		}
		// And once more, all of it: nothing is applied twice.
		rep, err := r.Apply(ctx, raws)
		if err != nil || rep.New != 0 || rep.Rejected != 0 {
			t.Fatalf("re-apply: %+v %v", rep, err)
		}
		got := snapshot(t, s, records.KindPatient, records.KindNote)
		s.Close()
		if trial == 0 {
			want = got
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("trial %d: state differs from trial 0", trial)
		}
	}
}
