package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUnitFor: the systemd service counts for a server folder only when
// its unit runs that folder.
func TestUnitFor(t *testing.T) {
	units := t.TempDir()
	old := unitDirs
	unitDirs = []string{filepath.Join(units, "missing"), units}
	t.Cleanup(func() { unitDirs = old })
	dir := "/srv/medihaven 100%/server"
	if got := unitFor(dir); got != "" {
		t.Errorf("no unit installed: %q", got)
	}
	for _, c := range []struct {
		unitDir string
		want    string
	}{{dir, "medihaven-server"}, {"/srv/other", ""}} {
		text, err := Unit{Bin: "/usr/bin/medihaven", Dir: c.unitDir}.Text()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(units, UnitName), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := unitFor(dir); got != c.want {
			t.Errorf("a unit for %s: %q, want %q", c.unitDir, got, c.want)
		}
	}
}

// FuzzGreeting: whatever a program on the chat port answers, the probe
// neither panics nor takes it for the clinic's Prosody unless it opens its
// stream from the clinic's domain with its features.
func FuzzGreeting(f *testing.F) {
	f.Add([]byte(prosodyHello), "clinic.test")
	f.Add([]byte("SSH-2.0-OpenSSH_9.6\r\n"), "clinic.test")
	f.Add([]byte("<?xml version='1.0'?><stream:stream from='clinic.test'><stream:error><host-unknown/></stream:error></stream:stream>"), "clinic.test")
	f.Fuzz(func(t *testing.T, got []byte, domain string) {
		a := greeting(got, domain)
		if a == Ours && !strings.Contains(string(got), "<stream:features") {
			t.Errorf("%q taken for the clinic's Prosody", got)
		}
	})
}

const prosodyHello = "<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' xml:lang='en' id='5e1' from='clinic.test' version='1.0' xmlns='jabber:client'><stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>"

// TestGreeting: the clinic's Prosody, another clinic's, and other programs.
func TestGreeting(t *testing.T) {
	for _, c := range []struct {
		got, domain string
		want        Answer
	}{
		{prosodyHello, "clinic.test", Ours},
		{strings.ReplaceAll(prosodyHello, "'", `"`), "clinic.test", Ours},
		{prosodyHello, "other.test", Foreign},
		{"<?xml version='1.0'?><stream:stream from='clinic.test'><stream:error><host-unknown/></stream:error>", "clinic.test", Foreign},
		{"HTTP/1.0 400 Bad Request\r\n\r\n", "clinic.test", Foreign},
		{"", "clinic.test", Foreign},
	} {
		if got := greeting([]byte(c.got), c.domain); got != c.want {
			t.Errorf("greeting(%.40q, %s) = %v, want %v", c.got, c.domain, got, c.want)
		}
	}
}

// TestListening: the sockets a /proc/net/tcp table shows listening on a
// port (hexadecimal, state 0A), IPv4 and IPv6.
func TestListening(t *testing.T) {
	const tcp = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1466 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 51234 1 0000000000000000 100 0 0 10 0
   1: 0100007F:1466 0100007F:C0B6 01 00000000:00000000 00:00000000 00000000  1000        0 51299 1 0000000000000000 20 4 30 10 -1
   2: 00000000:1389 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 777 1 0000000000000000 100 0 0 10 0
   3: garbage
`
	const tcp6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1466 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 88 1 0000000000000000 100 0 0 10 0
`
	for _, c := range []struct {
		table string
		port  int
		want  string
	}{{tcp, 5222, "51234"}, {tcp, 5001, "777"}, {tcp, 5290, ""}, {tcp6, 5222, "88"}, {"", 5222, ""}} {
		if got := strings.Join(listening(c.table, c.port), ","); got != c.want {
			t.Errorf("port %d: %q, want %q", c.port, got, c.want)
		}
	}
}
