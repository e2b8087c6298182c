package cli

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/chat"
	"github.com/medihaven/medihaven/sync/netsync"
)

// cmdSettings shows and sets the clinic servers this workstation uses:
// every field a registration token carries. The Kubo API secret comes from
// a file or MEDIHAVEN_IPFS_SECRET, never a flag. What a token carries
// beyond servers (the clinic, the role, the one-time secret) is this
// workstation's identity: `medihaven enroll` sets it.
func cmdSettings(ctx context.Context, env app.Env, g Global, args []string, io IO) error {
	fs := newFlags("settings")
	ipfsAddr := fs.String("ipfs", "", "clinic Kubo API address")
	ipfsSecretFile := fs.String("ipfs-secret-file", "", "file holding the Kubo API's bearer secret (or set MEDIHAVEN_IPFS_SECRET)")
	desk := fs.String("desk", "", "the clinic server's join desk host:port")
	xmppAddr := fs.String("xmpp", "", "clinic XMPP server host:port")
	domain := fs.String("domain", "", "clinic XMPP domain")
	certFile := fs.String("xmpp-cert", "", "PEM file of the XMPP server's self-signed certificate, to pin")
	certPin := fs.String("xmpp-cert-pin", "", "SHA-256 of the XMPP server's certificate (64 hex), to pin")
	openReg := fs.String("open-registration", "", "yes: create the XMPP account in-band (loopback test servers only); no: never")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("%w: settings takes flags only (%s); the clinic, role and identity come from `medihaven enroll`", ErrUsage, strings.Join(fs.Args(), " "))
	}
	s, err := login(ctx, env, g, io)
	if err != nil {
		return err
	}
	defer s.Close()
	v := s.Profile().Servers
	changed := false
	set := func(dst *string, val string) {
		if val != "" {
			*dst, changed = strings.TrimSpace(val), true
		}
	}
	set(&v.IPFS, *ipfsAddr)
	set(&v.Desk, *desk)
	set(&v.XMPP, *xmppAddr)
	set(&v.Domain, *domain)
	secret := io.Getenv("MEDIHAVEN_IPFS_SECRET")
	if *ipfsSecretFile != "" {
		b, err := os.ReadFile(*ipfsSecretFile)
		if err != nil {
			return fmt.Errorf("--ipfs-secret-file: %w", err)
		}
		secret = string(b)
	}
	set(&v.IPFSSecret, secret)
	if *certFile != "" {
		pem, err := os.ReadFile(*certFile)
		if err != nil {
			return fmt.Errorf("--xmpp-cert: %w", err)
		}
		v.XMPPCert, changed = string(pem), true
	}
	if pin := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(*certPin), ":", "")); pin != "" {
		if _, err := hex.DecodeString(pin); err != nil || len(pin) != 64 {
			return fmt.Errorf("%w: --xmpp-cert-pin takes the certificate's SHA-256 as 64 hex digits", ErrUsage)
		}
		v.XMPPCertPin, changed = pin, true
	}
	switch strings.ToLower(strings.TrimSpace(*openReg)) {
	case "":
	case "yes", "true", "on":
		v.OpenRegistration, changed = true, true
	case "no", "false", "off":
		v.OpenRegistration, changed = false, true
	default:
		return fmt.Errorf("%w: --open-registration takes yes or no", ErrUsage)
	}
	if changed {
		if err := s.SetServers(v); err != nil {
			return err
		}
	}
	pinned := "no (the system's certificate authorities verify the server)"
	switch {
	case v.XMPPCert != "":
		pinned = "yes (certificate file)"
	case v.XMPPCertPin != "":
		pinned = "yes (SHA-256 " + v.XMPPCertPin[:min(16, len(v.XMPPCertPin))] + "…)"
	}
	secretSet := "(not set)"
	if v.IPFSSecret != "" {
		secretSet = "set (not shown)"
	}
	reg := "no"
	if v.OpenRegistration {
		reg = "yes (loopback test servers only)"
	}
	fmt.Fprintf(io.Stdout, "Kubo API:     %s\nKubo secret:  %s\nJoin desk:    %s\nXMPP server:  %s\nXMPP domain:  %s\nPinned cert:  %s\nOpen registration: %s\n",
		orNone(v.IPFS), secretSet, orNone(v.Desk), orNone(v.XMPP), orNone(v.Domain), pinned, reg)
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "(not set)"
	}
	return s
}

func cmdSync(ctx context.Context, env app.Env, g Global, args []string, io IO) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: sync needs status or run", ErrUsage)
	}
	switch args[0] {
	case "status":
		fs := newFlags("sync status")
		wait := fs.Duration("wait", 10*time.Second, "how long to try the clinic's servers (0: do not try)")
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		s, err := login(ctx, env, g, io)
		if err != nil {
			return err
		}
		defer s.Close()
		if err := printSyncStatus(ctx, s, io); err != nil {
			return err
		}
		return printNetwork(ctx, s, *wait, io)
	case "run":
		fs := newFlags("sync run")
		d := fs.Duration("for", 0, "stop after this long (default: until interrupted)")
		if err := parse(fs, args[1:]); err != nil {
			return err
		}
		s, err := login(ctx, env, g, io)
		if err != nil {
			return err
		}
		defer s.Close()
		cfg, ok := s.Profile().SyncConfig()
		if !ok {
			return fmt.Errorf("this workstation knows no clinic servers: set them with `medihaven settings --ipfs ADDR --xmpp HOST:PORT --domain D`")
		}
		if *d > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, *d)
			defer cancel()
		}
		y, err := s.StartSync(ctx, cfg, chat.New(s.Core()).SyncHooks())
		if err != nil {
			return err
		}
		said := ""
		stop := y.OnStatus(func(st netsync.Status) {
			state := "offline"
			if st.Connected {
				state = "connected"
			}
			fmt.Fprintf(io.Stdout, "%s  %s, %d waiting, %d behind, %d refused\n", time.Now().Format("15:04:05"), state, st.Waiting, st.Behind, st.Problems)
			if st.Forked != "" {
				fmt.Fprintf(io.Stdout, "%s  WARNING: %s\n", time.Now().Format("15:04:05"), st.Forked)
			} else if p := SyncProblem(st); p != "" && p != said {
				fmt.Fprintf(io.Stdout, "%s  Last problem: %s\n", time.Now().Format("15:04:05"), p)
			}
			said = SyncProblem(st)
		})
		<-ctx.Done()
		stop()
		y.Stop()
		return nil
	}
	return fmt.Errorf("%w: unknown sync command %q", ErrUsage, args[0])
}

func printSyncStatus(ctx context.Context, s *app.Session, io IO) error {
	st, err := s.LogStatus(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(io.Stdout, "Changes waiting to be sent: %d\n", st.Waiting)
	fmt.Fprintf(io.Stdout, "Events: %d applied, %d kept sealed (no key here), %d waiting, %d refused\n",
		st.Applied, st.Sealed, st.Pending, st.Rejected)
	fmt.Fprintln(io.Stdout, "Devices:")
	for _, h := range st.Devices {
		me := ""
		if h.Mine {
			me = "  (this workstation)"
		}
		fmt.Fprintf(io.Stdout, "  %s  up to event %d%s\n", h.Device, h.Seq, me)
	}
	return nil
}

// SyncProblem is the sync's last trouble in words for people, "" when
// there is none: that someone writes in this workstation's own chain
// before anything else, then the last error (the chat server refusing the
// account, Kubo out of reach...) without package prefixes.
func SyncProblem(st netsync.Status) string {
	p := st.LastError
	if st.Forked != "" {
		p = st.Forked
	}
	p = Plain(errors.New(p))
	for _, prefix := range []string{"xmpp: ", "ipfs: ", "netsync: ", "sync: "} {
		p = strings.ReplaceAll(p, prefix, "")
	}
	// A network error's details (a socket, an URL) are for the log.
	for _, t := range []string{`: Post "`, `: Get "`, ": dial tcp ", ": read tcp ", ": write tcp "} {
		if i := strings.Index(p, t); i > 0 {
			p = p[:i]
		}
	}
	p = strings.TrimSpace(p)
	if p == "" {
		return ""
	}
	r, size := utf8.DecodeRuneInString(p)
	return string(unicode.ToUpper(r)) + p[size:]
}

// printNetwork tries the clinic's servers for up to wait and says whether
// this workstation gets through, or why not.
func printNetwork(ctx context.Context, s *app.Session, wait time.Duration, io IO) error {
	cfg, ok := s.Profile().SyncConfig()
	switch {
	case !ok:
		fmt.Fprintln(io.Stdout, "Network: this workstation knows no clinic servers (medihaven settings sets them)")
		return nil
	case wait <= 0:
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	y, err := s.StartSync(ctx, cfg, chat.New(s.Core()).SyncHooks())
	if err != nil {
		fmt.Fprintf(io.Stdout, "Network: offline: %s\n", SyncProblem(netsync.Status{LastError: err.Error()}))
		return nil
	}
	defer y.Stop()
	done := make(chan netsync.Status, 1)
	stop := y.OnStatus(func(st netsync.Status) {
		if st.Connected || st.LastError != "" || st.Forked != "" {
			select {
			case done <- st:
			default:
			}
		}
	})
	defer stop()
	select {
	case st := <-done:
		switch p := SyncProblem(st); {
		case st.Connected && p == "":
			fmt.Fprintln(io.Stdout, "Network: connected to the clinic's servers")
		case st.Connected:
			fmt.Fprintf(io.Stdout, "Network: connected; last problem: %s\n", p)
		default:
			fmt.Fprintf(io.Stdout, "Network: offline: %s\n", p)
		}
	case <-ctx.Done():
		fmt.Fprintf(io.Stdout, "Network: offline: no answer from the clinic's servers within %s; check that they run and the addresses (medihaven settings)\n", wait)
	}
	return nil
}
