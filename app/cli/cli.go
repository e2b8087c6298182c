package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/medihaven/medihaven/app"
	"github.com/medihaven/medihaven/app/recovery"
	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/roles"
)

// IO is the outside world of one command run.
type IO struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	Now    func() time.Time
}

// Global holds the flags every command shares.
type Global struct {
	Profile  string
	Keystore string
}

// ErrUsage marks a command line that could not be understood.
var ErrUsage = errors.New("usage")

const usage = `Usage: medihaven [--profile DIR] [--keystore os|file] COMMAND [flags]

With no command, opens the desktop application.

Commands:
  init --clinic NAME --admin NAME [--server-dir DIR]
                                      create a clinic and its first administrator (with the clinic's
                                      servers of server init, run on this computer)
  token issue --role ROLE [--expires DURATION] [--short]
                                      issue a registration token (prints only the token, or its short code)
  token list                          list registration tokens
  token revoke ID                     revoke an unused token
  enroll --token TOKEN --name NAME    join a clinic with a registration token or its short code (MH2-...)
  backup --out FILE                   write this workstation's encrypted backup (opens with your passphrase)
  restore --in FILE                   make the profile (--profile) from a backup, on a new computer
  demo --patients N                   create a demo clinic (profiles under --profile)
  verify                              check every chain and envelope of the profile
  settings [--ipfs ADDR] [--ipfs-secret-file FILE] [--desk HOST:PORT] [--xmpp HOST:PORT] [--domain D]
           [--xmpp-cert FILE | --xmpp-cert-pin SHA256] [--open-registration yes|no]
                                      show or change the clinic servers a registration token sets
  sync status [--wait DURATION]       changes waiting, devices and heads known, and whether the servers answer (or why not)
  sync run [--for DURATION]           sync with the clinic's servers until interrupted
  verify-rx CODE                      check a printed prescription's code against its signature
  colleague list | confirm NAME CODE  physicians: the code to compare with each colleague, and confirm one met in person
  colleague recovery | approve-recovery ID
                                      physicians: the recovery's administrators, and approve it to hold the clinical key's shares
  rx pdf CODE --out FILE              write the printable PDF of a prescription (physician)
  rx licence --physician NAME --number N
                                      a physician's licence number, printed on prescriptions (administrator)
  rx clinic-contact --address A --phone P
                                      the clinic's address and phone, printed on prescriptions (administrator)
  export fhir [--patient MRN]         write a FHIR R4 Bundle (one patient or the whole clinic) to standard output
  import fhir [--preview] FILE        import a FHIR R4 Bundle: what Medihaven keeps, all or nothing (--preview: say what, write nothing)
  export ics --physician NAME [--from DATE] [--to DATE] [--detail busy|initials|full]
                                      write a physician's calendar as iCalendar
  export keys [--name NAME]           write staff public keys (armored OpenPGP)
  handout --patient MRN --out FILE    put a patient's own encrypted copy on IPFS and write the handout PDF
  bench [--rounds N]                  measure search, chart, calendar and crypto on this profile (reads only)
  bench window [--runs N] [--shots DIR] [--theme T] [--only a,b] [--keyring DIR]
                                      the real window under Xvfb on each profile of a clinic folder: cold start, login → home, memory
  server init --domain DOMAIN [--dir DIR] [--listen IP] [--force]
                                      write the clinic's Prosody and Kubo configuration (invite-only, TLS, private network)
  server run [--dir DIR]              run and supervise the clinic's Prosody and Kubo until Ctrl-C or SIGTERM
  server install-systemd [--dir DIR] [--out DIR]
                                      write a systemd unit for server run
  server invite [--dir DIR] [--admin] make a one-time XMPP account invite

Passphrases come from MEDIHAVEN_PASSPHRASE or the first line of standard input,
never from a flag. MEDIHAVEN_KEYSTORE=file selects the file keystore.
`

// ParseGlobal reads the global flags and returns the rest of the command line.
func ParseGlobal(args []string, getenv func(string) string) (Global, []string, error) {
	fs := flag.NewFlagSet("medihaven", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var g Global
	fs.StringVar(&g.Profile, "profile", "", "profile folder")
	fs.StringVar(&g.Keystore, "keystore", "", "where keys live: os (default) or file")
	if err := fs.Parse(args); err != nil {
		return g, nil, fmt.Errorf("%w: %w", ErrUsage, err)
	}
	if g.Keystore == "" {
		g.Keystore = getenv("MEDIHAVEN_KEYSTORE")
	}
	switch g.Keystore {
	case "", app.KeystoreOS, app.KeystoreFile:
	default:
		return g, nil, fmt.Errorf("%w: --keystore must be os or file", ErrUsage)
	}
	if g.Profile == "" {
		d, err := app.DefaultProfileDir()
		if err != nil {
			return g, nil, err
		}
		g.Profile = d
	}
	return g, fs.Args(), nil
}

// Run runs one headless command and returns the process exit code.
func Run(ctx context.Context, g Global, args []string, io IO) int {
	if io.Now == nil {
		io.Now = time.Now
	}
	err := dispatch(ctx, g, args, io)
	if err == nil {
		return 0
	}
	if errors.Is(err, ErrUsage) {
		fmt.Fprintf(io.Stderr, "medihaven: %v\n\n%s", strings.TrimPrefix(err.Error(), "usage: "), usage)
		return 2
	}
	fmt.Fprintf(io.Stderr, "medihaven: %s\n", Plain(err))
	return 1
}

// Env is how the sessions this program opens are set up, on the clock now
// (nil: the real one): the domain packages' upkeep runs in each, so that
// every workstation escrows its keys for recovery and takes the keys
// administrators recovered for it (app/recovery).
func Env(now func() time.Time) app.Env {
	return app.Env{Now: now, Upkeep: []app.UpkeepStep{recovery.Upkeep}}
}

// Plain drops the package prefixes from an error chain, for people.
func Plain(err error) string { return app.Plain(err) }

func dispatch(ctx context.Context, g Global, args []string, io IO) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: no command", ErrUsage)
	}
	env := Env(io.Now)
	switch args[0] {
	case "init":
		return cmdInit(ctx, env, g, args[1:], io)
	case "token":
		if len(args) < 2 {
			return fmt.Errorf("%w: token needs issue, list or revoke", ErrUsage)
		}
		switch args[1] {
		case "issue":
			return cmdTokenIssue(ctx, env, g, args[2:], io)
		case "list":
			return cmdTokenList(ctx, env, g, args[2:], io)
		case "revoke":
			return cmdTokenRevoke(ctx, env, g, args[2:], io)
		}
		return fmt.Errorf("%w: unknown token command %q", ErrUsage, args[1])
	case "enroll":
		return cmdEnroll(ctx, env, g, args[1:], io)
	case "backup":
		return cmdBackup(ctx, env, g, args[1:], io)
	case "restore":
		return cmdRestore(ctx, env, g, args[1:], io)
	case "demo":
		return cmdDemo(ctx, env, g, args[1:], io)
	case "verify":
		return cmdVerify(ctx, env, g, args[1:], io)
	case "settings":
		return cmdSettings(ctx, env, g, args[1:], io)
	case "sync":
		return cmdSync(ctx, env, g, args[1:], io)
	case "verify-rx":
		return cmdVerifyRx(ctx, env, g, args[1:], io)
	case "colleague":
		return cmdColleague(ctx, env, g, args[1:], io)
	case "rx":
		return cmdRx(ctx, env, g, args[1:], io)
	case "export":
		if len(args) < 2 {
			return fmt.Errorf("%w: export needs fhir, ics or keys", ErrUsage)
		}
		switch args[1] {
		case "fhir":
			return cmdExportFHIR(ctx, env, g, args[2:], io)
		case "ics":
			return cmdExportICS(ctx, env, g, args[2:], io)
		case "keys":
			return cmdExportKeys(ctx, env, g, args[2:], io)
		}
		return fmt.Errorf("%w: unknown export %q (fhir, ics or keys)", ErrUsage, args[1])
	case "import":
		if len(args) < 2 || args[1] != "fhir" {
			return fmt.Errorf("%w: import needs fhir FILE", ErrUsage)
		}
		return cmdImportFHIR(ctx, env, g, args[2:], io)
	case "handout":
		return cmdHandout(ctx, env, g, args[1:], io)
	case "bench":
		return cmdBench(ctx, env, g, args[1:], io)
	case "server":
		return cmdServer(ctx, args[1:], io)
	case "help", "-h", "--help":
		fmt.Fprint(io.Stdout, usage)
		return nil
	}
	return fmt.Errorf("%w: unknown command %q", ErrUsage, args[0])
}

// passphrase reads the passphrase from MEDIHAVEN_PASSPHRASE or the first
// line of standard input.
func passphrase(io IO) ([]byte, error) {
	if p := io.Getenv("MEDIHAVEN_PASSPHRASE"); p != "" {
		return []byte(p), nil
	}
	if io.Stdin == nil {
		return nil, errors.New("no passphrase: set MEDIHAVEN_PASSPHRASE or write it on standard input")
	}
	line, err := bufio.NewReader(io.Stdin).ReadString('\n')
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		if err != nil && !errors.Is(err, os.ErrClosed) {
			return nil, errors.New("no passphrase: set MEDIHAVEN_PASSPHRASE or write it on standard input")
		}
		return nil, errors.New("the passphrase is empty")
	}
	return []byte(line), nil
}

func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrUsage, fs.Name(), err)
	}
	return nil
}

func login(ctx context.Context, env app.Env, g Global, io IO) (*app.Session, error) {
	p, err := passphrase(io)
	if err != nil {
		return nil, err
	}
	return app.Login(ctx, env, g.Profile, "", p)
}

func cmdInit(ctx context.Context, env app.Env, g Global, args []string, io IO) error {
	fs := newFlags("init")
	clinic := fs.String("clinic", "", "clinic name")
	admin := fs.String("admin", "", "first administrator's name")
	ipfsAddr := fs.String("ipfs", "", "clinic Kubo API address")
	xmppAddr := fs.String("xmpp", "", "clinic XMPP server host:port")
	domain := fs.String("domain", "", "clinic XMPP domain")
	serverDir := fs.String("server-dir", "", "the clinic's servers' folder (server init), running on this computer")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *clinic == "" || *admin == "" {
		return fmt.Errorf("%w: init needs --clinic NAME and --admin NAME", ErrUsage)
	}
	nc := app.NewClinic{Dir: g.Profile, Clinic: *clinic, Admin: *admin, Keystore: g.Keystore,
		Servers: app.Servers{IPFS: *ipfsAddr, XMPP: *xmppAddr, Domain: *domain}}
	if *serverDir != "" {
		var err error
		if nc.Servers, nc.ServerInvite, err = localServers(ctx, *serverDir); err != nil {
			return err
		}
	}
	p, err := passphrase(io)
	if err != nil {
		return err
	}
	nc.Passphrase = p
	s, err := app.CreateClinic(ctx, env, nc)
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Fprintf(io.Stdout, "Created clinic %q in %s; %s is its administrator.\n", s.Clinic(), g.Profile, s.StaffName())
	return nil
}

func cmdTokenIssue(ctx context.Context, env app.Env, g Global, args []string, io IO) error {
	fs := newFlags("token issue")
	roleName := fs.String("role", "", "administrator, receptionist or physician")
	expires := fs.Duration("expires", app.DefaultTokenTTL, "how long the token stays valid, e.g. 24h")
	short := fs.Bool("short", false, "print the short code (left at the clinic's join desk) instead of the whole token")
	if err := parse(fs, args); err != nil {
		return err
	}
	role, err := roles.Parse(*roleName)
	if err != nil {
		return fmt.Errorf("%w: --role: %w", ErrUsage, err)
	}
	s, err := login(ctx, env, g, io)
	if err != nil {
		return err
	}
	defer s.Close()
	t, err := s.IssueToken(ctx, role, *expires)
	if err != nil {
		return err
	}
	if *short {
		code, err := s.Deposit(ctx, t)
		if err != nil {
			return fmt.Errorf("%w (the whole token still works: %s)", err, t.String())
		}
		fmt.Fprintln(io.Stdout, code)
		return nil
	}
	fmt.Fprintln(io.Stdout, t.String())
	return nil
}

func cmdTokenList(ctx context.Context, env app.Env, g Global, args []string, io IO) error {
	if err := parse(newFlags("token list"), args); err != nil {
		return err
	}
	s, err := login(ctx, env, g, io)
	if err != nil {
		return err
	}
	defer s.Close()
	ts, err := s.Tokens(ctx)
	if err != nil {
		return err
	}
	names := map[string]string{}
	if dir, err := s.Directory(); err == nil {
		for _, m := range dir {
			names[m.Fingerprint] = m.Name
		}
	}
	fmt.Fprintf(io.Stdout, "%-16s  %-13s  %-8s  %-16s  %s\n", "ID", "ROLE", "STATUS", "EXPIRES", "USED BY")
	for _, t := range ts {
		fmt.Fprintf(io.Stdout, "%-16s  %-13s  %-8s  %-16s  %s\n", t.ID, t.Role, t.Status, t.Expires.Local().Format("2006-01-02 15:04"), names[t.UsedBy])
	}
	return nil
}

func cmdTokenRevoke(ctx context.Context, env app.Env, g Global, args []string, io IO) error {
	fs := newFlags("token revoke")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: token revoke needs the token ID (see token list)", ErrUsage)
	}
	s, err := login(ctx, env, g, io)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.RevokeToken(ctx, fs.Arg(0)); err != nil {
		return err
	}
	fmt.Fprintf(io.Stdout, "Revoked token %s.\n", fs.Arg(0))
	return nil
}

func cmdEnroll(ctx context.Context, env app.Env, g Global, args []string, io IO) error {
	fs := newFlags("enroll")
	token := fs.String("token", "", "registration token")
	name := fs.String("name", "", "your name")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *token == "" || *name == "" {
		return fmt.Errorf("%w: enroll needs --token TOKEN and --name NAME", ErrUsage)
	}
	if !crypto.IsShortCode(*token) {
		if _, err := app.ParseToken(*token, env.Now); err != nil {
			return err // before asking for a passphrase
		}
	}
	p, err := passphrase(io)
	if err != nil {
		return err
	}
	s, err := app.Join(ctx, env, app.Redemption{Dir: g.Profile, Token: *token, Name: *name, Passphrase: p, Keystore: g.Keystore})
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Fprintf(io.Stdout, "Enrollment of %s as %s written to %s; an administrator's workstation admits it when it next syncs.\n",
		s.StaffName(), s.Role(), g.Profile)
	if code, err := s.ComparisonCode(ctx); err == nil && code != "" && s.Profile().Servers.InviteOnly {
		fmt.Fprintf(io.Stdout, "The administrator approves it after comparing this code with the one their screen shows: %s\n"+
			"Run `medihaven sync run` so the request reaches them.\n", code)
	}
	return nil
}

func cmdVerify(ctx context.Context, env app.Env, g Global, args []string, io IO) error {
	if err := parse(newFlags("verify"), args); err != nil {
		return err
	}
	s, err := login(ctx, env, g, io)
	if err != nil {
		return err
	}
	defer s.Close()
	problems, err := s.CheckChains(ctx)
	if err != nil {
		return err
	}
	for _, p := range problems {
		fmt.Fprintln(io.Stdout, "BAD  "+p)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%d bad event(s): the log of %s is not intact", len(problems), g.Profile)
	}
	fmt.Fprintln(io.Stdout, "OK   every chain and envelope is intact")
	return nil
}
