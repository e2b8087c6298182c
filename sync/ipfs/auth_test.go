package ipfs_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/medihaven/medihaven/sync/ipfs"
)

// fakeProtectedNode answers the RPC API like Kubo with API.Authorizations:
// 403 unless the request carries the bearer secret.
func fakeProtectedNode(t *testing.T, secret string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+secret {
			http.Error(w, "403 - Forbidden", http.StatusForbidden)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"Version":"0.43.0"}`))
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func TestBearer(t *testing.T) {
	api := fakeProtectedNode(t, "s3cret")
	ctx := testContext(t)
	if err := ipfs.New(api, ipfs.WithBearer("s3cret")).Ping(ctx); err != nil {
		t.Fatalf("with the secret: %v", err)
	}
	for name, c := range map[string]*ipfs.Client{
		"no secret":    ipfs.New(api),
		"wrong secret": ipfs.New(api, ipfs.WithBearer("guess")),
	} {
		if err := c.Ping(ctx); !errors.Is(err, ipfs.ErrForbidden) {
			t.Errorf("%s: Ping = %v, want ErrForbidden", name, err)
		}
		if _, err := c.Put(ctx, []byte("x")); !errors.Is(err, ipfs.ErrForbidden) {
			t.Errorf("%s: Put = %v, want ErrForbidden", name, err)
		}
		if _, err := c.Get(ctx, "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy", 10); !errors.Is(err, ipfs.ErrForbidden) {
			t.Errorf("%s: Get = %v, want ErrForbidden", name, err)
		}
	}
}
