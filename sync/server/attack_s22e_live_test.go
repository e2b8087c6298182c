package server_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/ipfs"
	"github.com/medihaven/medihaven/sync/joindesk"
	"github.com/medihaven/medihaven/sync/server"
)

// The hostile review of session 22 (h-gate22): someone on the clinic's
// LAN (a guest Wi-Fi bridged in, a compromised printer, a mirror port)
// who reads the traffic between a workstation and the clinic's server.

// tap is a loopback relay in front of addr that keeps every byte the
// client sends: what anyone on the wire between them reads.
type tap struct {
	addr string
	mu   sync.Mutex
	seen bytes.Buffer
}

func newTap(t testing.TB, addr string) *tap {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tp := &tap{addr: l.Addr().String()}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				up, err := net.DialTimeout("tcp", addr, 5*time.Second)
				if err != nil {
					return
				}
				defer up.Close()
				go func() { _, _ = io.Copy(c, up); c.Close() }()
				buf := make([]byte, 32<<10)
				for {
					n, err := c.Read(buf)
					if n > 0 {
						tp.mu.Lock()
						tp.seen.Write(buf[:n])
						tp.mu.Unlock()
						if _, werr := up.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return tp
}

func (tp *tap) saw(s string) bool {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return bytes.Contains(tp.seen.Bytes(), []byte(s))
}

// workstationIPFS is the record store's client as a workstation makes it
// from its profile (the API address, the secret, the chat server's pin).
func workstationIPFS(api, secret, pin string) *ipfs.Client {
	return ipfs.New(api, ipfs.WithBearer(secret), ipfs.WithPin(pin))
}

// TestAttackS22eLANReadsTheWorkstationsSecret: the workstations' Kubo API
// secret crosses the clinic's LAN in clear on every call to the record
// store, and so does each deposit at the join desk: a listener on the LAN
// reads it once and can then store junk (fill the disk) and read every
// block's ciphertext and clear headers. A request in clear with the
// secret must not be served either (an older workstation, or one led to
// speak plainly, would go on showing it).
func TestAttackS22eLANReadsTheWorkstationsSecret(t *testing.T) {
	res, _ := startServer(t, nil)
	ctx := testContext(t)
	secret, err := server.APISecret(res.Dir)
	if err != nil || secret == "" {
		t.Fatalf("secret %q: %v", secret, err)
	}
	parts := strings.Split(res.Config.APIAddr(), "/")
	api := newTap(t, net.JoinHostPort(parts[2], parts[4]))
	c := workstationIPFS("/ip4/127.0.0.1/tcp/"+strings.Split(api.addr, ":")[1], secret, res.Config.CertPin)
	if _, err := c.Put(ctx, []byte("a sealed pack")); err != nil {
		t.Fatalf("a workstation's put through the wire: %v", err)
	}
	if api.saw(secret) {
		t.Errorf("the workstations' secret crossed the wire to the record store in clear")
	}

	desk := newTap(t, res.Config.DeskAddr())
	tok, err := crypto.NewToken(strings.Repeat("ab", 16), "physician", strings.Repeat("cd", 20), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	tok.Desk = desk.addr
	if _, err := deposit(ctx, desk.addr, secret, res.Config.CertPin, tok); err != nil {
		t.Fatalf("a deposit through the wire: %v", err)
	}
	if desk.saw(secret) {
		t.Errorf("the workstations' secret crossed the wire to the join desk in clear")
	}

	// In clear, the secret reaches nothing, and an older workstation is
	// told what to do.
	if _, err := ipfs.New(res.Config.APIAddr(), ipfs.WithBearer(secret)).Put(ctx, []byte("x")); !errors.Is(err, ipfs.ErrPlain) {
		t.Errorf("a put in clear: %v, want ErrPlain", err)
	}
	base := apiBase(t, res.Config.APIAddr())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, strings.Replace(base, "https://", "http://", 1)+"/api/v0/version", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Errorf("the record store served a request that showed the secret in clear: %d %s", resp.StatusCode, b)
		}
	}
	req, _ = http.NewRequestWithContext(ctx, http.MethodPut, "http://"+res.Config.DeskAddr()+"/v1/state/0123456789abcdef",
		strings.NewReader(`{"state":"revoked"}`))
	req.Header.Set("Authorization", "Bearer "+secret)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		resp.Body.Close()
		if resp.StatusCode != http.StatusUpgradeRequired {
			t.Errorf("the join desk judged a state change that showed the secret in clear: %d %s", resp.StatusCode, b)
		}
	}
}

// TestAttackS22eLANPosesAsTheServer: someone on the LAN who answers in
// the server's place (ARP spoofing) with a certificate of her own sees no
// secret: the workstation's record store client and its desk calls accept
// only the pinned certificate, and fail before they send a request.
func TestAttackS22eLANPosesAsTheServer(t *testing.T) {
	res := initServer(t, nil)
	ctx := testContext(t)
	var mu sync.Mutex
	var shown []string
	impostor := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		shown = append(shown, r.Header.Get("Authorization"))
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
	}))
	defer impostor.Close()
	addr := impostor.Listener.Addr().String()
	c := workstationIPFS("/ip4/127.0.0.1/tcp/"+strings.Split(addr, ":")[1], "the-secret", res.Config.CertPin)
	if err := c.Ping(ctx); err == nil {
		t.Errorf("the record store's client took an impostor's certificate")
	}
	tok, err := crypto.NewToken(strings.Repeat("ab", 16), "physician", strings.Repeat("cd", 20), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	tok.Desk = addr
	if _, err := deposit(ctx, addr, "the-secret", res.Config.CertPin, tok); err == nil {
		t.Errorf("a deposit at an impostor's desk was taken")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(shown) != 0 {
		t.Errorf("the impostor was sent %d requests (%q)", len(shown), shown)
	}
}

// deposit is a deposit as an administrator's workstation makes it.
func deposit(ctx context.Context, addr, secret, pin string, t crypto.Token) (string, error) {
	return joindesk.Deposit(ctx, addr, pin, secret, t)
}
