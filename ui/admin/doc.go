// Package admin holds the administrator's screens: registration tokens
// (issue with a QR code, list, revoke), the staff directory (details,
// revoke a member, export public keys as armored OpenPGP), the audit log (search, verify every chain, export as
// CSV or FHIR), and security (idle lock, passphrase lockout, the recovery
// key split among administrators).
//
// Each screen declares the narrow interface it consumes, a subset of
// *app.Session's methods (and of the domain services behind it: app/admin
// for the directory and audit views, app/interop for the key export,
// app/recovery for the security screen's recovery), so tests drive it with
// a fake. It must not import
// package ui (the shell wires it in ui/wire_admin.go), and never touches
// SQL, keys or the network: use cases run off the UI goroutine and their
// results come back through kit.OnUI.
package admin
