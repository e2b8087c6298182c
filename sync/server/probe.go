package server

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/medihaven/medihaven/internal/pinned"
)

// Answer is what answers on one of the clinic's server addresses.
type Answer int

const (
	// Silent: nothing answers there.
	Silent Answer = iota
	// Ours: the server of this folder answers (Prosody for the clinic's
	// domain; the Kubo node of this folder's repository).
	Ours
	// Foreign: another program holds the address (another service, or
	// another clinic's server).
	Foreign
)

// Runner is what runs the clinic's servers on this computer.
type Runner int

const (
	// RunByUnknown: nothing runs them, or this computer does not tell.
	RunByUnknown Runner = iota
	// RunByService: the system service (`server install-systemd`).
	RunByService
	// RunByCommand: `medihaven server run`, in a terminal or a script.
	RunByCommand
	// RunByWindow: a Medihaven window ("Run the clinic's servers on this
	// computer").
	RunByWindow
)

// Probe is what answers on the addresses of the servers a folder
// configures, and what runs them.
type Probe struct {
	// Chat is Prosody's client address; Storage is Kubo's API.
	Chat, Storage Answer
	// RunBy is what runs Prosody with this folder's configuration.
	RunBy Runner
	// Unit is the systemd service installed for this folder ("" when
	// none): `systemctl stop Unit` stops the servers it runs.
	Unit string
	// ChatHolder and StorageHolder name the program that holds the port
	// of a Foreign answer, when this computer tells ("" otherwise).
	ChatHolder, StorageHolder string
}

// probeTimeout bounds each address's answer.
const probeTimeout = time.Second

// ProbeServers asks the configured addresses of the servers in dir what
// answers there (each within a second, or until ctx ends). It dials only
// those addresses (the configuration's Listen address), logs in nowhere,
// and sends the server's own Kubo API secret only to the configured API
// address.
func ProbeServers(ctx context.Context, dir string) (Probe, error) {
	c, err := Load(dir)
	if err != nil {
		return Probe{}, err
	}
	var p Probe
	p.Chat = probeProsody(ctx, c)
	secret := ""
	if c.APIAuth {
		// The server's own secret reaches /api/v0/id; a folder an older
		// Medihaven wrote has none until its next start, and its running
		// Kubo still lets the workstations' secret reach everything.
		if secret, err = ServerAPISecret(dir); err == nil && secret == "" {
			secret, err = APISecret(dir)
		}
		if err != nil {
			return Probe{}, err
		}
	}
	p.Storage = probeKubo(ctx, c, secret, peerID(dir))
	if p.Chat == Ours { // what runs them matters only when they are the clinic's
		p.RunBy = runnerOf(prosodyPaths(dir, c.Domain).config)
	}
	p.Unit = unitFor(dir)
	if p.Chat == Foreign {
		p.ChatHolder = holderOf(c.XMPPPort)
	}
	if p.Storage == Foreign {
		p.StorageHolder = holderOf(c.APIPort)
	}
	return p, nil
}

// probeProsody opens an XMPP stream to the clinic's domain: the clinic's
// Prosody answers from that domain; anything else is another program.
func probeProsody(ctx context.Context, c Config) Answer {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	conn, err := new(net.Dialer).DialContext(ctx, "tcp", c.XMPPAddr())
	if err != nil {
		return Silent
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	open := fmt.Sprintf("<?xml version='1.0'?><stream:stream to='%s' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>", c.Domain)
	if _, err := io.WriteString(conn, open); err != nil {
		return Foreign
	}
	var got []byte
	buf := make([]byte, 1024)
	for len(got) < 8<<10 && !bytes.Contains(got, []byte("<stream:features")) && !bytes.Contains(got, []byte("</stream:stream>")) {
		n, err := conn.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			break
		}
	}
	_, _ = io.WriteString(conn, "</stream:stream>")
	return greeting(got, c.Domain)
}

// greeting is what the first bytes a server sent after a stream to domain
// was opened say of it: the clinic's Prosody opens its stream from that
// domain and offers its features; anything else is another program.
func greeting(got []byte, domain string) Answer {
	s := string(got)
	from := strings.Contains(s, "from='"+domain+"'") || strings.Contains(s, `from="`+domain+`"`)
	if from && strings.Contains(s, "<stream:features") && !strings.Contains(s, "host-unknown") {
		return Ours
	}
	return Foreign
}

// probeKubo asks the API which node it is: the clinic's Kubo takes the
// secret and names this folder's node.
func probeKubo(ctx context.Context, c Config, secret, peer string) Answer {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	// The gate speaks TLS under the chat server's certificate (tls.go).
	url := "https://" + net.JoinHostPort(c.Listen, fmt.Sprint(c.APIPort)) + "/api/v0/id"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
	if err != nil {
		return Foreign
	}
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	tc, _ := pinned.Config(c.CertPin, "")
	client := http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true, TLSClientConfig: tc}}
	resp, err := client.Do(req)
	if op := (*net.OpError)(nil); errors.As(err, &op) && op.Op == "dial" {
		return Silent
	} else if err != nil {
		return Foreign
	}
	defer resp.Body.Close()
	var id struct{ ID string }
	if resp.StatusCode != http.StatusOK || json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&id) != nil ||
		peer == "" || id.ID != peer {
		return Foreign
	}
	return Ours
}

// peerID is the node id of the Kubo repository in dir ("" if unreadable).
func peerID(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, DirKubo, "config"))
	if err != nil {
		return ""
	}
	var cfg struct{ Identity struct{ PeerID string } }
	if json.Unmarshal(b, &cfg) != nil {
		return ""
	}
	return cfg.Identity.PeerID
}

// unitDirs are where an installed systemd service is looked for.
var unitDirs = []string{"/etc/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"}

// unitFor is the name of the systemd service installed for the server
// folder dir, or "".
func unitFor(dir string) string {
	for _, d := range unitDirs {
		b, err := os.ReadFile(filepath.Join(d, UnitName))
		if err != nil {
			continue
		}
		if bytes.Contains(b, []byte("--dir \""+strings.ReplaceAll(dir, "%", "%%")+"\"")) {
			return strings.TrimSuffix(UnitName, ".service")
		}
	}
	return ""
}

// String says what runs the servers, for people.
func (r Runner) String() string {
	switch r {
	case RunByService:
		return "as the system service"
	case RunByCommand:
		return "in `medihaven server run`"
	case RunByWindow:
		return "in a Medihaven window"
	}
	return "started elsewhere"
}

// alreadyRunning turns a busy port into "they run already" when the
// clinic's own servers of dir answer on their addresses.
func alreadyRunning(ctx context.Context, dir string, busy error) error {
	if !errors.Is(busy, ErrPortBusy) {
		return busy
	}
	p, err := ProbeServers(ctx, dir)
	if err != nil || p.Chat != Ours || p.Storage != Ours {
		return busy
	}
	how := "stop them where they run"
	switch {
	case p.RunBy == RunByService || p.RunBy == RunByUnknown && p.Unit != "":
		how = "systemctl stop " + cmp.Or(p.Unit, "medihaven-server") + " stops them"
	case p.RunBy == RunByCommand:
		how = "Ctrl+C where it runs stops them"
	case p.RunBy == RunByWindow:
		how = "closing that window stops them"
	}
	return fmt.Errorf("%w of %s already run on this computer, %v (%s)", ErrRunning, dir, p.RunBy, how)
}
