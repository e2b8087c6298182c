package server_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"mellium.im/sasl"
	"mellium.im/xmlstream"
	"mellium.im/xmpp"
	"mellium.im/xmpp/jid"
	"mellium.im/xmpp/stanza"

	"github.com/medihaven/medihaven/internal/pinned"
	"github.com/medihaven/medihaven/sync/ipfs"
	"github.com/medihaven/medihaven/sync/server"
	"github.com/medihaven/medihaven/sync/synctest"
	mhxmpp "github.com/medihaven/medihaven/sync/xmpp"
)

// Tests here start the real Prosody and Kubo on loopback through the
// supervisor, as `medihaven server run` does.

// helperEnv makes the test binary run the supervisor on the folder it
// names instead of the tests (TestSIGTERMStopsBoth).
const helperEnv = "MEDIHAVEN_SERVER_TEST_RUN"

func TestMain(m *testing.M) {
	if dir := os.Getenv(helperEnv); dir != "" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := server.Run(ctx, dir, server.RunOptions{Out: os.Stdout})
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// startServer writes a configuration and starts the supervisor; it is
// stopped when the test ends.
func startServer(t *testing.T, mod func(*server.Options)) (server.Result, *server.Supervisor) {
	t.Helper()
	res := initServer(t, mod)
	s, err := server.Start(testContext(t), res.Dir, server.RunOptions{
		IPFSBin: ipfsBin(t), MinBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, StopGrace: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return res, s
}

// gatePins are the certificate pins of the API gates the tests started,
// by host:port: the tests reach a gate over TLS to its pin (tls.go), and
// Kubo's own addresses, or the tests' other nodes, in plain HTTP.
var gatePins sync.Map

// hostPort is HOST:PORT of a multiaddr /ip4/HOST/tcp/PORT.
func hostPort(t testing.TB, api string) string {
	t.Helper()
	parts := strings.Split(api, "/")
	if len(parts) != 5 {
		t.Fatalf("API address %q", api)
	}
	return net.JoinHostPort(parts[2], parts[4])
}

// gateBase is https://HOST:PORT for an API gate the tests started,
// http://HOST:PORT for another Kubo API, and the TLS configuration to
// reach it with (nil for plain HTTP).
func gateBase(t testing.TB, api string) (string, *tls.Config) {
	t.Helper()
	hp := hostPort(t, api)
	pin, ok := gatePins.Load(hp)
	if !ok {
		return "http://" + hp, nil
	}
	tc, err := pinned.Config(pin.(string), "")
	if err != nil {
		t.Fatal(err)
	}
	return "https://" + hp, tc
}

// gateIPFS is a client of the Kubo API api with the bearer secret, over
// TLS to its pin when api is a gate the tests started.
func gateIPFS(t testing.TB, api, secret string) *ipfs.Client {
	t.Helper()
	pin, _ := gatePins.Load(hostPort(t, api))
	p, _ := pin.(string)
	return ipfs.New(api, ipfs.WithBearer(secret), ipfs.WithPin(p))
}

// pinnedTLS trusts only the server's certificate.
func pinnedTLS(res server.Result) *tls.Config {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(res.CertPEM)
	return &tls.Config{RootCAs: pool, ServerName: res.Config.Domain, MinVersion: tls.VersionTLS12}
}

func TestRegistrationNeedsAnInvite(t *testing.T) {
	res, _ := startServer(t, nil)
	ctx := testContext(t)
	c := res.Config

	// A plain XMPP client tries in-band registration without an invite:
	// the server refuses to make the account, and says why.
	err := registerWithInvite(ctx, res, "stranger", "pw-stranger", "")
	var refusal stanza.Error
	if !errors.As(err, &refusal) || !strings.Contains(err.Error(), "invitation only") {
		t.Fatalf("registration without an invite: %v, want the server's refusal", err)
	}
	// The workstations' own client (sync/xmpp with Register, as the demo
	// uses it) gets no account either, and says that an invite is needed.
	_, err = mhxmpp.Dial(ctx, mhxmpp.Config{JID: "stranger@" + c.Domain, Password: "pw-stranger",
		Addr: c.XMPPAddr(), TLS: pinnedTLS(res), Register: true}, nil)
	if !errors.Is(err, mhxmpp.ErrInvite) {
		t.Fatalf("sync/xmpp registration without an invite: %v, want ErrInvite", err)
	}
	// A wrong invite is refused too, by both.
	if err := registerWithInvite(ctx, res, "stranger", "pw-stranger", "made-up-token"); err == nil || !strings.Contains(err.Error(), "invalid or expired") {
		t.Errorf("registration with a made-up invite: %v", err)
	}
	_, err = mhxmpp.Dial(ctx, mhxmpp.Config{JID: "stranger@" + c.Domain, Password: "pw-stranger",
		Addr: c.XMPPAddr(), TLS: pinnedTLS(res), Invite: "made-up-token"}, nil)
	if !errors.Is(err, mhxmpp.ErrInvite) {
		t.Fatalf("sync/xmpp registration with a made-up invite: %v, want ErrInvite", err)
	}

	// With an invite from the server, the same client registers, logs in
	// and joins the sync room, where real JIDs are shown.
	token, uri, err := server.Invite(ctx, res.Dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(uri, "xmpp:"+c.Domain+"?register;preauth=") {
		t.Errorf("invite URI %q", uri)
	}
	if err := registerWithInvite(ctx, res, "device-a", "pw-a", token); err != nil {
		t.Fatalf("registration with an invite: %v", err)
	}
	s, err := mhxmpp.Dial(ctx, mhxmpp.Config{JID: "device-a@" + c.Domain, Password: "pw-a", Addr: c.XMPPAddr(), TLS: pinnedTLS(res)}, nil)
	if err != nil {
		t.Fatalf("log in with the invited account: %v", err)
	}
	defer s.Close()
	if err := s.JoinRoom(ctx, "sync@"+c.MUC, "device-a"); err != nil {
		t.Fatalf("join the sync room: %v", err)
	}
	// It created the room, so Prosody made it the owner; the server's
	// mod_medihaven_rooms lets no client change it (sync/xmpp's
	// TestClinicRoomsBelongToTheServer tries everything as the owner).
	token2, _, err := server.Invite(ctx, res.Dir, false)
	if err != nil {
		t.Fatal(err)
	}
	other, err := registerSession(ctx, res, "device-c", "pw-c", token2)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	go other.Serve(nil) //nolint:errcheck // ends with the test
	destroy := xmlstream.Wrap(xmlstream.Wrap(nil, xml.StartElement{Name: xml.Name{Local: "destroy"}}),
		xml.StartElement{Name: xml.Name{Space: "http://jabber.org/protocol/muc#owner", Local: "query"}})
	if answer, err := iqAnswer(ctx, other, destroy, "sync@"+c.MUC); err != nil || !strings.Contains(answer, "configured by its server") {
		t.Errorf("destroying the sync room: %s, %v; want the refusal of mod_medihaven_rooms (is it loaded?)", answer, err)
	}

	// An invite makes one account.
	if err := registerWithInvite(ctx, res, "device-b", "pw-b", token); err == nil {
		t.Error("an invite made a second account")
	}
	if _, err := mhxmpp.Dial(ctx, mhxmpp.Config{JID: "device-b@" + c.Domain, Password: "pw-b", Addr: c.XMPPAddr(), TLS: pinnedTLS(res)}, nil); !errors.Is(err, mhxmpp.ErrAuth) {
		t.Errorf("log in as the refused account: %v, want ErrAuth", err)
	}
}

// registerWithInvite creates an account in-band after presenting an invite
// token (XEP-0401: the preauth IQ of urn:xmpp:pars:0, then XEP-0077; no
// preauth when token is ""), then logs in with it, as a workstation
// redeeming a token would. The server's refusal of either IQ is returned
// as is (mellium would go on to log in and report only that failure).
func registerWithInvite(ctx context.Context, res server.Result, user, password, token string) error {
	xs, err := registerSession(ctx, res, user, password, token)
	if err != nil {
		return err
	}
	return xs.Close()
}

// registerSession is registerWithInvite keeping the logged-in session.
func registerSession(ctx context.Context, res server.Result, user, password, token string) (_ *xmpp.Session, err error) {
	var refused error
	defer func() {
		if refused != nil {
			err = refused
		}
	}()
	conn, err := net.Dial("tcp", res.Config.XMPPAddr())
	if err != nil {
		return nil, err
	}
	register := xmpp.StreamFeature{
		Name:       xml.Name{Space: "http://jabber.org/features/iq-register", Local: "register"},
		Necessary:  xmpp.Secure,
		Prohibited: xmpp.Authn,
		Parse: func(_ context.Context, d *xml.Decoder, _ *xml.StartElement) (bool, any, error) {
			return false, nil, d.Skip()
		},
		Negotiate: func(_ context.Context, s *xmpp.Session, _ any) (xmpp.SessionState, io.ReadWriter, error) {
			if token != "" {
				preauth := xmlstream.Wrap(nil, xml.StartElement{Name: xml.Name{Space: "urn:xmpp:pars:0", Local: "preauth"},
					Attr: []xml.Attr{{Name: xml.Name{Local: "token"}, Value: token}}})
				if err := iq(s, "preauth", preauth); err != nil {
					refused = fmt.Errorf("preauth: %w", err)
					return 0, nil, refused
				}
			}
			field := func(name, value string) xml.TokenReader {
				return xmlstream.Wrap(xmlstream.Token(xml.CharData(value)), xml.StartElement{Name: xml.Name{Local: name}})
			}
			query := xmlstream.Wrap(xmlstream.MultiReader(field("username", user), field("password", password)),
				xml.StartElement{Name: xml.Name{Space: "jabber:iq:register", Local: "query"}})
			if err := iq(s, "register", query); err != nil {
				refused = fmt.Errorf("register: %w", err)
				return 0, nil, refused
			}
			return 0, nil, nil
		},
	}
	addr := jid.MustParse(user + "@" + res.Config.Domain)
	xs, err := xmpp.NewClientSession(ctx, addr, conn, xmpp.StartTLS(pinnedTLS(res)), register,
		xmpp.SASL("", password, sasl.ScramSha256, sasl.ScramSha1), xmpp.BindResource())
	if err != nil {
		conn.Close()
		return nil, err
	}
	return xs, nil
}

// iq sends a set IQ with payload during stream negotiation and reads the
// answer: nil for a result, the stanza error otherwise.
func iq(s *xmpp.Session, id string, payload xml.TokenReader) error {
	w := s.TokenWriter()
	_, err := xmlstream.Copy(w, stanza.IQ{ID: id, Type: stanza.SetIQ}.Wrap(payload))
	if err == nil {
		err = w.Flush()
	}
	w.Close()
	if err != nil {
		return err
	}
	r := s.TokenReader()
	defer r.Close()
	d := xml.NewTokenDecoder(r)
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		var answer struct {
			stanza.IQ
			Err stanza.Error `xml:"error"`
		}
		if err := d.DecodeElement(&answer, &start); err != nil {
			return err
		}
		if answer.Type == stanza.ResultIQ {
			return nil
		}
		return answer.Err
	}
}

// kuboCall posts one RPC command to a Kubo API (a multiaddr) with an
// optional bearer secret and returns the status and body.
func kuboCall(t testing.TB, api, secret, cmd string, args ...string) (int, []byte) {
	t.Helper()
	base, tc := gateBase(t, api)
	u := base + "/api/v0/" + cmd
	if len(args) > 0 {
		u += "?arg=" + strings.Join(args, "&arg=")
	}
	req, err := http.NewRequestWithContext(testContext(t), http.MethodPost, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	resp, err := (&http.Client{Transport: &http.Transport{TLSClientConfig: tc}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, body
}

// swarmAddr is a node's loopback TCP swarm address with its peer id.
func swarmAddr(t testing.TB, api, secret string) string {
	t.Helper()
	status, body := kuboCall(t, api, secret, "id")
	if status != http.StatusOK {
		t.Fatalf("id: %d %s", status, body)
	}
	var id struct {
		ID        string
		Addresses []string
	}
	if err := json.Unmarshal(body, &id); err != nil {
		t.Fatal(err)
	}
	for _, a := range id.Addresses {
		if strings.HasPrefix(a, "/ip4/127.0.0.1/tcp/") {
			return a
		}
	}
	t.Fatalf("no loopback TCP address in %v", id.Addresses)
	return ""
}

func TestKuboAPISecret(t *testing.T) {
	res, _ := startServer(t, nil)
	ctx := testContext(t)
	api := res.Config.APIAddr()
	secret, err := server.APISecret(res.Dir)
	if err != nil || secret == "" {
		t.Fatalf("secret %q: %v", secret, err)
	}

	for name, s := range map[string]string{"no secret": "", "a wrong secret": strings.Repeat("0", 64)} {
		if status, body := kuboCall(t, api, s, "version"); status != http.StatusForbidden {
			t.Errorf("%s: %d %s, want 403", name, status, body)
		}
	}
	if status, body := kuboCall(t, api, secret, "version"); status != http.StatusOK {
		t.Errorf("with the secret: %d %s, want 200", status, body)
	}

	// The workstation's client: refused without the secret, works with it.
	if err := gateIPFS(t, api, "").Ping(ctx); !errors.Is(err, ipfs.ErrForbidden) {
		t.Errorf("ipfs client without the secret: %v, want ErrForbidden", err)
	}
	c := gateIPFS(t, api, secret)
	cid, err := c.Put(ctx, []byte("sealed bytes"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.Get(ctx, cid, 100); err != nil || string(got) != "sealed bytes" {
		t.Errorf("Get = %q, %v", got, err)
	}

	// No gateway listens: the API port is the node's only HTTP.
	own, _ := server.ServerAPISecret(res.Dir)
	status, body := kuboCall(t, api, own, "config", "Addresses.Gateway")
	if status != http.StatusOK || !strings.Contains(string(body), `"Value":[]`) {
		t.Errorf("Addresses.Gateway: %d %s", status, body)
	}
}

func TestKuboPrivateNetwork(t *testing.T) {
	res, _ := startServer(t, nil)
	secret, _ := server.ServerAPISecret(res.Dir) // swarm commands: the server's own
	api := res.Config.APIAddr()
	ours := swarmAddr(t, api, secret)

	// A stranger's node (no swarm key) can neither connect to the clinic's
	// node nor be connected to.
	stranger := synctest.StartKubo(t)
	if status, body := kuboCall(t, stranger.API, "", "swarm/connect", ours); status == http.StatusOK {
		t.Errorf("a node without the swarm key connected: %s", body)
	}
	if status, body := kuboCall(t, api, secret, "swarm/connect", swarmAddr(t, stranger.API, "")); status == http.StatusOK {
		t.Errorf("the clinic's node connected to a node without the swarm key: %s", body)
	}
	if _, body := kuboCall(t, api, secret, "swarm/peers"); strings.Contains(string(body), "/p2p/") {
		t.Errorf("the clinic's node has peers: %s", body)
	}

	// A node holding the clinic's swarm key connects (a second server of
	// the clinic, e.g. a backup copy).
	friend, _ := startServerWithKey(t, filepath.Join(res.Dir, "kubo", "swarm.key"))
	friendSecret, _ := server.ServerAPISecret(friend.Dir)
	if status, body := kuboCall(t, friend.Config.APIAddr(), friendSecret, "swarm/connect", ours); status != http.StatusOK {
		t.Errorf("a node with the swarm key could not connect: %d %s", status, body)
	}
}

// startServerWithKey starts a second server sharing the swarm key in
// keyFile.
func startServerWithKey(t *testing.T, keyFile string) (server.Result, *server.Supervisor) {
	t.Helper()
	res := initServer(t, nil)
	key, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(res.Dir, "kubo", "swarm.key"), key, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := server.Start(testContext(t), res.Dir, server.RunOptions{IPFSBin: ipfsBin(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return res, s
}

// alive reports whether a process with pid exists.
func alive(pid int) bool { return pid > 0 && syscall.Kill(pid, 0) == nil }

// waitFor polls cond until it holds or the time is up.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRestartsAKilledDaemon(t *testing.T) {
	res, s := startServer(t, nil)
	secret, _ := server.APISecret(res.Dir)
	ctx := testContext(t)
	p0, k0 := s.PIDs()
	if !alive(p0) || !alive(k0) {
		t.Fatalf("pids %d, %d", p0, k0)
	}

	if err := syscall.Kill(p0, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Prosody restarted", func() bool { p, _ := s.PIDs(); return p != 0 && p != p0 })
	if _, err := mhxmpp.Dial(ctx, mhxmpp.Config{JID: "nobody@" + res.Config.Domain, Password: "x",
		Addr: res.Config.XMPPAddr(), TLS: pinnedTLS(res)}, nil); !errors.Is(err, mhxmpp.ErrAuth) {
		t.Errorf("the restarted Prosody: %v, want it to answer (ErrAuth for an unknown account)", err)
	}

	if err := syscall.Kill(k0, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Kubo restarted", func() bool { _, k := s.PIDs(); return k != 0 && k != k0 })
	if err := gateIPFS(t, res.Config.APIAddr(), secret).Ping(ctx); err != nil {
		t.Errorf("the restarted Kubo: %v", err)
	}
	if p, k := s.Restarts(); p != 1 || k != 1 {
		t.Errorf("restarts %d, %d; want 1, 1", p, k)
	}

	p1, k1 := s.PIDs()
	s.Stop()
	if alive(p1) || alive(k1) {
		t.Errorf("after Stop: Prosody alive %v, Kubo alive %v", alive(p1), alive(k1))
	}
	logs := readFile(t, filepath.Join(res.Dir, "logs", "prosody.log")) + readFile(t, filepath.Join(res.Dir, "logs", "kubo.log"))
	if n := strings.Count(logs, "--- medihaven server: starting"); n != 4 {
		t.Errorf("logs show %d starts, want 4", n)
	}
}

func TestSIGTERMStopsBoth(t *testing.T) {
	res := initServer(t, nil)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+res.Dir, "MEDIHAVEN_IPFS_BIN="+ipfsBin(t))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	// Read the addresses it prints until it says where its logs are.
	pidRe := regexp.MustCompile(`\(pid (\d+)\)`)
	var pids []int
	var printed strings.Builder
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		printed.WriteString(lines.Text() + "\n")
		if m := pidRe.FindStringSubmatch(lines.Text()); m != nil {
			pid, _ := strconv.Atoi(m[1])
			pids = append(pids, pid)
		}
		if strings.Contains(lines.Text(), "logs in") {
			break
		}
	}
	if len(pids) != 2 || !alive(pids[0]) || !alive(pids[1]) {
		t.Fatalf("server run printed:\n%s\nstderr: %s", printed.String(), stderr.String())
	}
	for _, want := range []string{res.Config.XMPPAddr(), res.Config.APIAddr(), res.Config.CertPin} {
		if !strings.Contains(printed.String(), want) {
			t.Errorf("server run did not print %s:\n%s", want, printed.String())
		}
	}
	go io.Copy(io.Discard, out)

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("server run exited with %v after SIGTERM: %s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("server run did not exit after SIGTERM")
	}
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("daemon %d still runs after SIGTERM", pid)
		}
	}
}

func TestRunRefusesBusyPortAndMissingBinary(t *testing.T) {
	res := initServer(t, nil)
	ctx := testContext(t)

	l, err := net.Listen("tcp", res.Config.XMPPAddr())
	if err != nil {
		t.Fatal(err)
	}
	_, err = server.Start(ctx, res.Dir, server.RunOptions{IPFSBin: ipfsBin(t)})
	l.Close()
	if !errors.Is(err, server.ErrPortBusy) || !strings.Contains(err.Error(), res.Config.XMPPAddr()) {
		t.Errorf("XMPP port taken: %v, want ErrPortBusy naming it", err)
	}

	for name, o := range map[string]server.RunOptions{
		"no Prosody": {IPFSBin: ipfsBin(t), ProsodyBin: "/nonexistent/prosody"},
		"no Kubo":    {IPFSBin: "/nonexistent/ipfs"},
	} {
		if name == "no Kubo" {
			t.Setenv("MEDIHAVEN_IPFS_BIN", "/nonexistent/ipfs")
			o.IPFSBin = ""
		}
		if _, err := server.Start(ctx, res.Dir, o); !errors.Is(err, server.ErrNotInstalled) {
			t.Errorf("%s: %v, want ErrNotInstalled", name, err)
		}
	}
	if _, err := server.Start(ctx, t.TempDir(), server.RunOptions{}); !errors.Is(err, server.ErrNoConfig) {
		t.Errorf("no configuration: %v, want ErrNoConfig", err)
	}
	if entries, _ := os.ReadDir(filepath.Join(res.Dir, "logs")); len(entries) != 0 {
		t.Errorf("a refused start wrote logs: %v", entries)
	}
}

// TestMembersOnlyWouldShutOutWorkstations backs the choice documented in
// the package: with Prosody 0.12's members-only rooms, the first
// workstation to join owns the room and the next one is refused, because
// nobody makes it a member. (The clinic's own rooms are pinned open by
// mod_medihaven_rooms whatever the defaults say, so the test uses another.)
func TestMembersOnlyWouldShutOutWorkstations(t *testing.T) {
	res := initServer(t, nil)
	cfgFile := filepath.Join(res.Dir, "prosody", "prosody.cfg.lua")
	cfg := strings.Replace(readFile(t, cfgFile), "muc_room_default_members_only = false", "muc_room_default_members_only = true", 1)
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := server.Start(testContext(t), res.Dir, server.RunOptions{IPFSBin: ipfsBin(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	ctx := testContext(t)
	var sessions []*mhxmpp.Session
	for _, user := range []string{"device-a", "device-b"} {
		token, _, err := server.Invite(ctx, res.Dir, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := registerWithInvite(ctx, res, user, "pw-"+user, token); err != nil {
			t.Fatal(err)
		}
		xs, err := mhxmpp.Dial(ctx, mhxmpp.Config{JID: user + "@" + res.Config.Domain, Password: "pw-" + user,
			Addr: res.Config.XMPPAddr(), TLS: pinnedTLS(res)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer xs.Close()
		sessions = append(sessions, xs)
	}
	room := "lab@" + res.Config.MUC
	if err := sessions[0].JoinRoom(ctx, room, "device-a"); err != nil {
		t.Fatalf("the first workstation: %v", err)
	}
	err = sessions[1].JoinRoom(ctx, room, "device-b")
	if err == nil {
		t.Fatal("a second workstation joined a members-only room nobody made it a member of: members-only could be turned on")
	}
	t.Logf("the second workstation is refused: %v", err)
}

// TestAdminInviteMakesAccountInvites walks the path a clinic's workstations
// can take: `server invite --admin` gives the founding administrator's
// workstation an account with Prosody's admin role, which then makes an
// account invite for each registration token with the ad-hoc command
// urn:xmpp:invite#create-account; a newcomer registers with it. An
// ordinary account may not make account invites.
func TestAdminInviteMakesAccountInvites(t *testing.T) {
	res, _ := startServer(t, nil)
	ctx := testContext(t)
	token, _, err := server.Invite(ctx, res.Dir, true)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := registerSession(ctx, res, "admin-device", "pw-admin", token)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	go admin.Serve(nil)

	invite, err := createAccountInvite(ctx, admin, res.Config.Domain)
	if err != nil {
		t.Fatalf("the administrator's account cannot make invites: %v", err)
	}
	if err := registerWithInvite(ctx, res, "newcomer-device", "pw-new", invite); err != nil {
		t.Fatalf("registration with the administrator's invite: %v", err)
	}

	// The same through sync/xmpp, as workstations do it: the founder's
	// workstation registers with the server's admin invite, asks for an
	// account invite, the newcomer's registers with it (Config.Invite),
	// and a second use of it is refused with ErrInvite.
	token, _, err = server.Invite(ctx, res.Dir, true)
	if err != nil {
		t.Fatal(err)
	}
	cfg := func(user, invite string) mhxmpp.Config {
		return mhxmpp.Config{JID: user + "@" + res.Config.Domain, Password: "pw-" + user, Addr: res.Config.XMPPAddr(),
			TLS: pinnedTLS(res), Invite: invite}
	}
	founder, err := mhxmpp.Dial(ctx, cfg("founder-device", token), nil)
	if err != nil {
		t.Fatalf("the founder's workstation registers with the admin invite: %v", err)
	}
	defer founder.Close()
	inv, err := founder.CreateAccountInvite(ctx)
	if err != nil || inv.Token == "" || inv.Expires.Before(time.Now()) {
		t.Fatalf("CreateAccountInvite = %+v, %v", inv, err)
	}
	joiner, err := mhxmpp.Dial(ctx, cfg("joiner-device", inv.Token), nil)
	if err != nil {
		t.Fatalf("the newcomer registers with the account invite: %v", err)
	}
	if _, err := joiner.CreateAccountInvite(ctx); !errors.Is(err, mhxmpp.ErrNoInviteRight) {
		t.Errorf("an ordinary workstation's account made an invite: %v, want ErrNoInviteRight", err)
	}
	joiner.Close()
	if _, err := mhxmpp.Dial(ctx, cfg("thief-device", inv.Token), nil); !errors.Is(err, mhxmpp.ErrInvite) {
		t.Errorf("a used invite: %v, want ErrInvite", err)
	}

	token, _, err = server.Invite(ctx, res.Dir, false)
	if err != nil {
		t.Fatal(err)
	}
	member, err := registerSession(ctx, res, "member-device", "pw-member", token)
	if err != nil {
		t.Fatal(err)
	}
	defer member.Close()
	go member.Serve(nil)
	invite, err = createAccountInvite(ctx, member, res.Config.Domain)
	if err == nil || !strings.Contains(err.Error(), "forbidden") {
		t.Fatalf("an ordinary account asked for an account invite: %q, %v; want forbidden", invite, err)
	}
}

var preauthRe = regexp.MustCompile(`preauth=([A-Za-z0-9_-]+)`)

// createAccountInvite runs the ad-hoc command (XEP-0050) that makes an
// account invite and returns its token.
func createAccountInvite(ctx context.Context, xs *xmpp.Session, domain string) (string, error) {
	cmd := xmlstream.Wrap(nil, xml.StartElement{Name: xml.Name{Space: "http://jabber.org/protocol/commands", Local: "command"},
		Attr: []xml.Attr{{Name: xml.Name{Local: "node"}, Value: "urn:xmpp:invite#create-account"}, {Name: xml.Name{Local: "action"}, Value: "execute"}}})
	answer, err := iqAnswer(ctx, xs, cmd, domain)
	if err != nil {
		return "", err
	}
	m := preauthRe.FindStringSubmatch(answer)
	if m == nil {
		return "", fmt.Errorf("no invite in the answer: %s", answer)
	}
	return m[1], nil
}

// iqAnswer sends a set IQ with payload to to and returns the answer as
// XML text, whether a result or an error.
func iqAnswer(ctx context.Context, xs *xmpp.Session, payload xml.TokenReader, to string) (string, error) {
	r, err := xs.SendIQElement(ctx, payload, stanza.IQ{Type: stanza.SetIQ, To: jid.MustParse(to)})
	if err != nil {
		return "", err
	}
	defer r.Close()
	var answer bytes.Buffer
	e := xml.NewEncoder(&answer)
	if _, err := xmlstream.Copy(e, r); err != nil {
		return "", err
	}
	if err := e.Flush(); err != nil {
		return "", err
	}
	return answer.String(), nil
}
