package cli

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/chat"
	"github.com/medihaven/medihaven/sync/store"
)

func cmdSettings(ctx context.Context, env app.Env, g Global, args []string, io IO) error {
	fs := newFlags("settings")
	ipfsAddr := fs.String("ipfs", "", "clinic Kubo API address")
	xmppAddr := fs.String("xmpp", "", "clinic XMPP server host:port")
	domain := fs.String("domain", "", "clinic XMPP domain")
	certFile := fs.String("xmpp-cert", "", "PEM file of the XMPP server's self-signed certificate, to pin")
	if err := parse(fs, args); err != nil {
		return err
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
	set(&v.XMPP, *xmppAddr)
	set(&v.Domain, *domain)
	if *certFile != "" {
		pem, err := os.ReadFile(*certFile)
		if err != nil {
			return fmt.Errorf("--xmpp-cert: %w", err)
		}
		v.XMPPCert, changed = string(pem), true
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
		pinned = "yes (SHA-256 " + v.XMPPCertPin[:16] + "…, from the registration token)"
	}
	fmt.Fprintf(io.Stdout, "Kubo API:     %s\nXMPP server:  %s\nXMPP domain:  %s\nPinned cert:  %s\n", orNone(v.IPFS), orNone(v.XMPP), orNone(v.Domain), pinned)
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
		if err := parse(newFlags("sync status"), args[1:]); err != nil {
			return err
		}
		s, err := login(ctx, env, g, io)
		if err != nil {
			return err
		}
		defer s.Close()
		return printSyncStatus(ctx, s, io)
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
		stop := y.OnStatus(func(st app.SyncStatus) {
			state := "offline"
			if st.Connected {
				state = "connected"
			}
			fmt.Fprintf(io.Stdout, "%s  %s, %d waiting, %d behind, %d refused\n", time.Now().Format("15:04:05"), state, st.Waiting, st.Behind, st.Problems)
			if st.Forked != "" {
				fmt.Fprintf(io.Stdout, "%s  WARNING: %s\n", time.Now().Format("15:04:05"), st.Forked)
			}
		})
		<-ctx.Done()
		stop()
		y.Stop()
		return nil
	}
	return fmt.Errorf("%w: unknown sync command %q", ErrUsage, args[0])
}

func printSyncStatus(ctx context.Context, s *app.Session, io IO) error {
	r, err := s.Replica()
	if err != nil {
		return err
	}
	var waiting int
	var counts map[store.EnvelopeState]int
	var heads []store.Head
	err = r.DB().View(ctx, func(tx *store.Tx) error {
		var err error
		if waiting, err = tx.OutboxLen(ctx); err != nil {
			return err
		}
		if counts, err = tx.CountEnvelopes(ctx); err != nil {
			return err
		}
		heads, err = tx.Heads(ctx)
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(io.Stdout, "Changes waiting to be sent: %d\n", waiting)
	fmt.Fprintf(io.Stdout, "Events: %d applied, %d kept sealed (no key here), %d waiting, %d refused\n",
		counts[store.Applied], counts[store.Sealed], counts[store.Pending], counts[store.Rejected])
	fmt.Fprintln(io.Stdout, "Devices:")
	for _, h := range heads {
		me := ""
		if h.Device == r.Device() {
			me = "  (this workstation)"
		}
		fmt.Fprintf(io.Stdout, "  %s  up to event %d%s\n", h.Device, h.Seq, me)
	}
	return nil
}
