package server

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// TLS on the clinic's LAN (session 22, h-gate22). The record store's API
// gate and the join desk carry the workstations' Kubo API secret, which
// in plain HTTP anyone who reads the clinic's network (a guest Wi-Fi
// bridged in, a printer taken over, a mirror port) would read once and
// keep until the next revocation. Both speak TLS under the chat server's
// certificate (Prosody's, prosody/certs/DOMAIN.crt), which every
// workstation already pins by its SHA-256 (Config.CertPin, in every
// registration token and profile): the workstations check that exact
// certificate (internal/pinned), never the system's authorities.
//
// Both ports still take plain HTTP, only to answer it: a request in clear
// that would carry the secret gets 426 and a message saying what to do
// (an older workstation's; the secret it showed is in clear already, but
// it reaches nothing). The join desk answers in clear the questions that
// carry no secret (GET: a short code's sealed token, which only the code
// opens, and a token's state), so a newcomer whose short code names only
// the desk's address, or whose Medihaven is older, still resolves it.

// serverTLS is the TLS configuration of the gate and the desk: the chat
// server's certificate and key in the folder dir.
func serverTLS(dir string, c Config) (*tls.Config, error) {
	pf := prosodyPaths(dir, c.Domain)
	cert, err := tls.LoadX509KeyPair(pf.certFile, pf.keyFile)
	if err != nil {
		return nil, fmt.Errorf("server: the chat server's certificate, which the record store and the join desk serve TLS under: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// plainRefused is what a request in clear that needs TLS is answered.
const plainRefused = "this clinic's server takes the workstations' secret only over TLS (under its chat server's " +
	"certificate, which the workstations pin); this workstation spoke in clear: update Medihaven on it, and if it " +
	"still fails, give it the server certificate's pin with `medihaven settings --xmpp-cert-pin PIN` (the pin `medihaven server run` prints, in xmpp-cert.sha256)"

// needTLS serves h over TLS, and over plain HTTP only the requests plain
// allows (nil: none); the others get 426 with plainRefused, in the
// desk's JSON when asJSON.
func needTLS(h http.Handler, plain func(*http.Request) bool, asJSON bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS != nil || plain != nil && plain(r) {
			h.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Upgrade", "TLS/1.2, HTTP/1.1")
		w.Header().Set("Connection", "Upgrade")
		if asJSON {
			replyError(w, http.StatusUpgradeRequired, plainRefused)
			return
		}
		gateRefuse(w, http.StatusUpgradeRequired, plainRefused)
	})
}

// tlsOrPlain is l with each connection served TLS under cfg when its
// first byte opens a TLS handshake (0x16), and as it is otherwise (for
// needTLS to answer).
func tlsOrPlain(l net.Listener, cfg *tls.Config) net.Listener {
	s := &sniffing{Listener: l, cfg: cfg, conns: make(chan net.Conn), errs: make(chan error), done: make(chan struct{})}
	go s.accept()
	return s
}

type sniffing struct {
	net.Listener
	cfg   *tls.Config
	conns chan net.Conn
	errs  chan error
	done  chan struct{}
	once  sync.Once
}

// sniffWait bounds how long a connection may keep its first byte.
const sniffWait = 10 * time.Second

func (s *sniffing) accept() {
	for {
		c, err := s.Listener.Accept()
		if err != nil {
			select {
			case s.errs <- err:
			case <-s.done:
				return
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		go s.sniff(c)
	}
}

func (s *sniffing) sniff(c net.Conn) {
	var b [1]byte
	_ = c.SetReadDeadline(time.Now().Add(sniffWait))
	if _, err := io.ReadFull(c, b[:]); err != nil {
		c.Close()
		return
	}
	_ = c.SetReadDeadline(time.Time{})
	var out net.Conn = &peeked{Conn: c, r: io.MultiReader(bytes.NewReader(b[:]), c)}
	if b[0] == 0x16 { // a TLS record of type handshake
		out = tls.Server(out, s.cfg)
	}
	select {
	case s.conns <- out:
	case <-s.done:
		c.Close()
	}
}

func (s *sniffing) Accept() (net.Conn, error) {
	select {
	case c := <-s.conns:
		return c, nil
	case err := <-s.errs:
		return nil, err
	case <-s.done:
		return nil, net.ErrClosed
	}
}

func (s *sniffing) Close() error {
	s.once.Do(func() { close(s.done) })
	return s.Listener.Close()
}

// peeked is a connection whose first byte was read already.
type peeked struct {
	net.Conn
	r io.Reader
}

func (p *peeked) Read(b []byte) (int, error) { return p.r.Read(b) }
