// Package synctest starts real Kubo (IPFS) and Prosody (XMPP) servers on
// loopback for tests, the way net/http/httptest starts an HTTP server.
//
//	kubo := synctest.StartKubo(t)         // fresh repo, API on 127.0.0.1:random
//	c := ipfs.New(kubo.API)
//
//	p := synctest.StartProsody(t)         // clinic.test + rooms.clinic.test
//	jid := p.Register(t, "alice", "pw")   // alice@clinic.test
//	s, err := xmpp.Dial(ctx, xmpp.Config{JID: jid, Password: "pw",
//		Addr: p.Addr, TLS: p.TLSConfig()}, onMessage)
//
// Each server gets its own temporary folder (repository or configuration,
// self-signed certificate and data), free loopback ports, a readiness wait
// and a log file whose tail is shown when it fails to start. Each runs in
// its own process group and is stopped by PID (SIGTERM, then SIGKILL after
// a grace period) through t.Cleanup; the kernel kills it if the test binary
// dies first. Stop and Start restart a server on the same data, for
// restart tests: Prosody keeps its port, Kubo's API port changes (read
// Kubo.API again). Kubo nodes know no peers until Kubo.Connect.
// UnusedAddr gives an address where nothing listens, for tests of a server
// that cannot be reached.
// NewWorkstation gives a fresh store, device id and device key for a
// test's replica, without app (sync/replica's and sync/netsync's small
// clinics).
//
// Kubo comes from $MEDIHAVEN_IPFS_BIN or the repository's .tools/ipfs,
// Prosody and prosodyctl from PATH; `make deps` installs both. Tests fail,
// rather than skip, when they are missing. Servers start on Linux only.
//
// Prosody's configuration is for loopback tests only: open in-band
// registration, a self-signed certificate, rate limits raised to 10 MB/s
// per client. Passwords given to Register appear on prosodyctl's command
// line.
//
// It is for tests only and must not be imported by production code.
package synctest
