// Package server writes and supervises the clinic's own servers: the
// Prosody (XMPP) server that carries sync announcements and staff chat, and
// the Kubo (IPFS) node that stores the clinic's ciphertext packs. It is what
// `medihaven server init|run|install-systemd|invite` runs, and what
// `make run` uses for its loopback demo, so there is one configuration to
// keep right.
//
//	res, err := server.Init(ctx, server.Options{Domain: "clinic.example", Dir: dir, Listen: "192.168.1.10"})
//	// res.Config.CertPin goes into registration tokens; the Kubo API secret
//	// is in dir/kubo-api-secret.
//	err = server.Run(ctx, dir, server.RunOptions{Out: os.Stdout}) // until ctx ends
//
// Init writes, into a temporary folder beside Dir that is renamed into place
// at the end (nothing is left behind on error, and an existing
// configuration is kept unless Force, which moves it aside):
//
//   - server.json: the choices below, read by Run.
//   - prosody/prosody.cfg.lua: registration by invite only (mod_invites,
//     invites_register, invites_adhoc; registration_invite_only), c2s TLS
//     required with a generated self-signed ECDSA certificate whose SHA-256
//     pin is printed and written to xmpp-cert.sha256 (the certificate itself
//     to xmpp-cert.pem), no server-to-server, the MUC service rooms.DOMAIN
//     (real JIDs shown to occupants, no room locking, rooms created only by
//     the server's own accounts), MAM for one year, c2s limited to 1 MB/s per
//     client, listening on the Listen address only.
//   - prosody/plugins/mod_medihaven_rooms.lua (internal/prosodyconf;
//     rewritten on every start like the next): sync@ and clinic@ are
//     configured by the server when made and whenever someone joins, and
//     no client, their creator included, may reconfigure, destroy, ban,
//     kick or register nicknames in them.
//   - prosody/plugins/mod_medihaven_admins.lua (rewritten on every start,
//     and a configuration an older Medihaven wrote without it is written
//     again from server.json):
//     an ad-hoc command by which an account with Prosody's administrator
//     role, the only kind that may create account invites, gives that
//     role to another account or takes it away. The founder's account has
//     it from `server invite --admin`; administrators' workstations keep
//     it in step with the clinic's directory (app/serveradmins.go), so
//     every active administrator, and nobody else, can issue tokens. A
//     second command ends a revoked member's accounts: the same upkeep
//     takes the role from her devices' accounts, then deletes them
//     (refused for an account that still has the role; logged with who
//     asked), and Prosody 0.12's mod_c2s closes their live sessions on
//     the deletion, so her workstations are out of sync@ and clinic@ at
//     once and cannot log in again. Not of a member given another role,
//     and nothing on an open-registration demo, where a workstation would
//     register again. The workstations' Kubo secret (below) is not
//     changed: a revoked member keeps it until the operator makes a new
//     one and hands it to the others.
//   - kubo/: a Kubo repository on a private network (a swarm.key from
//     crypto/rand), no bootstrap peers, routing and mDNS off, telemetry off,
//     no gateway, the RPC API on a loopback port Kubo chooses (the
//     repository's api file) behind the supervisor's gate on the Listen
//     address (gate.go: nothing outside /api/v0, where Kubo serves its
//     debug pages to anyone), protected by API.Authorizations with two
//     bearer secrets: the workstations' (kubo-api-secret, which every
//     member's workstation holds and a revoked member keeps until her
//     accounts end) reaches only block/put, block/get, add, cat and
//     version, with the options and body sizes a workstation uses (the
//     gate); the server's own (kubo-api-server-secret, which never
//     leaves the folder) reaches the whole API, for the probe and the
//     operator. A configuration an older Medihaven wrote, whose one
//     secret reached the whole API, is written again at the next start.
//     Garbage collection is on (it never removes pinned blocks, and
//     workstations pin everything they put).
//   - logs/: where Run appends each daemon's output.
//   - desk.json (once Run's join desk takes a deposit): tokens sealed
//     under their short codes, and their states (desk.go).
//
// Every file the package writes (configurations, certificate, keys, the
// join desk's deposits, the systemd unit) is written whole or not at all:
// into a temporary file beside it, flushed to disk, then renamed over it
// (atomic.go), so a crash or a full disk mid-write never leaves Prosody a
// half-written configuration it refuses at its next start.
//
// Two loopback-demo switches exist, refused unless Listen is a loopback
// address: OpenRegistration (anyone may create an account in-band, as
// `medihaven demo` does for its profiles) and APIAuth false (the Kubo API
// asks for no secret, because the app does not carry one yet).
//
// Members-only rooms are off (muc_room_default_members_only = false): in
// Prosody 0.12 a members-only room admits only the JIDs its owner has made
// members, and the owner is the first workstation to join, which never
// affiliates the others, so every other workstation would be refused from
// sync@ and clinic@. The rooms are closed to strangers another way: the
// server accepts no server-to-server connections and makes accounts only
// against an invite, so only accounts a clinic token created can join.
// Making the rooms members-only needs the administrator's workstation to
// add each admitted device's account as a member (and remove it on
// revocation).
//
// Run also serves the join desk (desk.go, port 5290 unless --desk-port),
// a small HTTP service where a registration token's short code resolves
// to the token sealed under it, and where a newcomer learns that its
// request was refused; only holders of the Kubo API secret may deposit.
//
// Run starts `prosody --config FILE -F` and `ipfs daemon --enable-gc` (Kubo
// from RunOptions.IPFSBin, $MEDIHAVEN_IPFS_BIN or PATH), each in its own
// process group with its output appended to logs/, checks first that the
// binaries exist and the ports are free, waits until both answer, restarts
// a daemon that dies (with backoff), and stops both by PID (SIGTERM, then
// SIGKILL after a grace period) when its context ends.
//
// The package never sees patient data or the keys of members: it handles
// only the servers' own certificate, swarm key and API secrets.
package server
