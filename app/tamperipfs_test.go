package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/medihaven/medihaven/roles"
	"github.com/medihaven/medihaven/sync/store"
)

// TestTamperedBlockOnIPFS changes the bytes of one pack inside the Kubo
// node's block store. A workstation that later catches up from it refuses
// the altered envelope, reports it, and goes on syncing everything else.
func TestTamperedBlockOnIPFS(t *testing.T) {
	ctx := context.Background()
	c := newNetClinic(t)
	ps := registerN(t, c.recep, "Tampered", 1)
	y := c.syncer[c.recep]
	rr, _ := c.recep.Replica()
	heads, _ := rr.Heads(ctx)
	for _, h := range heads {
		if h.Device == rr.Device() {
			waitFor(t, "pushed and announced", 10*time.Second, func() bool { return y.Status().Announced >= h.Seq })
		}
	}

	// Find the pack holding the patient's envelope and alter one byte of it.
	raws, err := rr.Everything(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var target []byte
	for _, raw := range raws {
		if bytes.Contains(raw, []byte(ps[0].ID)) {
			target = raw
		}
	}
	if target == nil {
		t.Fatal("patient's envelope not found")
	}
	needle := []byte(base64.StdEncoding.EncodeToString(target)[40:80])
	altered := 0
	filepath.Walk(filepath.Join(c.kubo.Dir, "blocks"), func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() || !strings.HasSuffix(p, ".data") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		if i := bytes.Index(b, needle); i >= 0 {
			b[i+10] ^= 0x02 // still base64, another byte
			if err := os.WriteFile(p, b, fi.Mode()); err != nil {
				t.Fatal(err)
			}
			altered++
		}
		return nil
	})
	if altered == 0 {
		t.Fatal("no block held the envelope")
	}

	// A new physician joins and catches up from IPFS.
	tok, err := c.admin.IssueToken(ctx, roles.Physician, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	late, err := Redeem(ctx, c.env, Redemption{Dir: filepath.Join(c.dir, "late"), Token: tok.String(), Name: "Dr Late", Passphrase: []byte(testPass)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { late.Close() })
	c.start(t, late)
	ly := c.syncer[late]
	waitFor(t, "the altered envelope reported", 30*time.Second, func() bool { return len(ly.Problems()) > 0 })
	defer func() {
		if !t.Failed() {
			return
		}
		r, _ := late.Replica()
		var pend []string
		r.DB().View(ctx, func(tx *store.Tx) error {
			rows, _ := tx.EnvelopesInState(ctx, store.Pending, 10)
			for _, e := range rows {
				pend = append(pend, e.Kind+"/"+e.Scope+": "+e.Reason)
			}
			return nil
		})
		t.Logf("late: members %d, directory %v, frontdesk %v, clinical %v, status %+v, pending %v",
			len(r.Members()), r.Holds(roles.Directory), r.Holds(roles.FrontDesk), r.Holds(roles.Clinical), ly.Status(), pend)
	}()
	// Sync went on: the newcomer was admitted, a physician and she
	// confirmed each other, and she was granted.
	c.confirm(t, c.phys, late)
	waitFor(t, "the late physician admitted and granted", 60*time.Second, func() bool {
		r, err := late.Replica()
		return err == nil && r.Holds(roles.Clinical) && r.Holds(roles.FrontDesk)
	})
	// The receptionist goes on working; nothing it writes after the altered
	// block is lost to the newcomer, and the altered record itself comes
	// back genuine: the newcomer asked for it again (mh1 want).
	after := registerN(t, c.recep, "Afterwards", 1)
	waitFor(t, "the record written after the altered one", 60*time.Second, func() bool {
		_, err := late.Patient(ctx, after[0].ID)
		return err == nil
	})
	waitFor(t, "the genuine copy of the altered record", 60*time.Second, func() bool {
		p, err := late.Patient(ctx, ps[0].ID)
		return err == nil && p.Family == ps[0].Family
	})
	for _, p := range ly.Problems() {
		if !p.Altered {
			t.Errorf("a problem not about altered bytes: %v", p)
		}
	}
	t.Logf("reported: %v", ly.Problems()[0])
}
