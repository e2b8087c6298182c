package server_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/medihaven/medihaven/sync/ipfs"
	"github.com/medihaven/medihaven/sync/server"
)

// TestEndingAnAccountRotatesTheKuboSecret: when an administrator's
// workstation ends a revoked member's account, the running server makes a
// new workstations' Kubo API secret and restarts Kubo with it: the secret
// the revoked member kept is refused from then on, the new one works, and
// every account still on the server (only those) can ask for it. A request
// left while the server was down is carried out at its next start.
func TestEndingAnAccountRotatesTheKuboSecret(t *testing.T) {
	res, sup := startServer(t, nil)
	ctx := testContext(t)
	accounts := serverAccounts{t, res}
	founder, colleague := accounts.dial("founder", true), accounts.dial("colleague", false)
	revoked := accounts.dial("revoked", false)

	old, _ := server.APISecret(res.Dir)
	got, err := revoked.KuboSecret(ctx)
	if err != nil || got != old {
		t.Fatalf("an account asks for the secret: %q, %v; want the server's %q", got, err, old)
	}
	if err := founder.RemoveServerAccount(ctx, accounts.account("revoked")); err != nil {
		t.Fatal(err)
	}
	var fresh string
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if fresh, _ = server.APISecret(res.Dir); fresh != old && fresh != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no new Kubo API secret 30 s after an account was ended")
		}
	}
	if got, err := colleague.KuboSecret(ctx); err != nil || got != fresh {
		t.Fatalf("a colleague asks for the new secret: %q, %v; want %q", got, err, fresh)
	}
	api := res.Config.APIAddr()
	// Kubo takes the new secret once it has restarted, a moment after the
	// file is written (until then it still takes the old one): each is
	// waited for.
	works := func(secret string) error {
		var err error
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			if _, err = gateIPFS(t, api, secret).Put(ctx, []byte("a pack after the revocation")); err == nil {
				return nil
			}
		}
		return err
	}
	refused := func(secret string) error {
		var err error
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			if _, err = gateIPFS(t, api, secret).Put(ctx, []byte("a pack after the revocation")); errors.Is(err, ipfs.ErrForbidden) {
				return err
			}
		}
		return err
	}
	if err := works(fresh); err != nil {
		t.Fatalf("the new secret: %v", err)
	}
	if err := refused(old); !errors.Is(err, ipfs.ErrForbidden) {
		t.Fatalf("the revoked member's old secret: %v, want ErrForbidden", err)
	}
	if _, err := os.Stat(filepath.Join(res.Dir, server.FileKuboRotate)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the request is still there: %v", err)
	}

	// A request the server did not see (it was down) is done at its start.
	sup.Stop()
	if err := os.WriteFile(filepath.Join(res.Dir, server.FileKuboRotate), []byte("other@clinic.test 2026-12-05T11:00:00Z\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	again, err := server.Start(ctx, res.Dir, server.RunOptions{IPFSBin: ipfsBin(t), StopGrace: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(again.Stop)
	third, _ := server.APISecret(res.Dir)
	if third == fresh || third == "" {
		t.Fatal("a request left while the server was down made no new secret at its start")
	}
	if err := works(third); err != nil {
		t.Fatalf("the secret made at the start: %v", err)
	}
	if err := refused(fresh); !errors.Is(err, ipfs.ErrForbidden) {
		t.Fatalf("the secret before it: %v, want ErrForbidden", err)
	}
}
