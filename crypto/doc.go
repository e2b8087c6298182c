// Package crypto is the one seam through which Medihaven touches keys. The
// rest of the program moves the sealed bytes it produces and never sees a
// key.
//
// What it holds, file by file:
//
//   - identity.go, publickey.go: a staff member's OpenPGP key (gopenpgp/v2:
//     Ed25519 signing primary, cv25519 encryption subkey), locked at rest
//     with the passphrase, unlocked once per session; public keys for the
//     directory; detached signatures and signed messages GnuPG can read.
//   - scope.go, grant.go: a scope's symmetric key per epoch (directory,
//     frontdesk, clinical, admin, enroll) and grants, which carry an epoch key
//     to one member, encrypted to them and signed by the granter.
//   - envelope.go: every change as an immutable envelope: clear header of
//     ids, payload sealed with the scope key, author's signature; strict,
//     versioned framing (see the file's comment) and a hash that names it.
//   - index.go: blind-index tokens (HMAC of normalised terms under a key
//     derived from the scope key), so only holders of a scope can search it.
//   - device.go: the workstation's device key, AES-256-GCM over local rows;
//     kept wrapped to the member's own key, so it opens only with the
//     passphrase; a wiped key seals and opens nothing.
//   - keystore.go, filekeystore.go: where a workstation keeps its secrets:
//     the OS keyring, or, only when asked, a passphrase-protected file.
//   - token.go: the registration token, one checksummed string.
//   - kdfcost.go: the S2K and Argon2id work of keys made here: the real
//     costs, except in programs built by go test (cheap keys for tests;
//     unlocking reads the key's own parameters either way).
//
// Policy is enforced by who holds which key: a workstation without the
// clinical key cannot open a clinical envelope, whatever the code above
// does. Open failing with ErrCannotOpen for a scope one does not hold is
// expected, not a fault.
//
// Every parser of outside bytes (ParseEnvelope, ParsePublicKey, ParseToken,
// OpenGrant, UnlockIdentity, OpenFileKeystore) is strict, size-bounded and
// fuzzed; errors match the package's sentinels with errors.Is and their
// messages say what a person can do.
//
// It must not import anything of Medihaven's (scopes and roles are plain
// strings here), touch SQL or the network, log anything, or let a secret
// reach a String method or an error message. Signatures are checked without
// OpenPGP expiry times: who may write is decided by the directory and by
// scope epochs, not by key expiry.
package crypto
