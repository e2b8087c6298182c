// Package backup is the backup of one workstation and its restore on a
// new computer (issue 16): `medihaven backup|restore` and Settings' "Back
// up this workstation…".
//
// A backup is one file: an OpenPGP message encrypted to the member's
// passphrase (AES-256, so GnuPG opens it too) holding a tar of the
// profile, the keystore's two entries as they are kept (the identity
// locked by the passphrase, the device key wrapped to the identity) and a
// copy of the database taken with SQLite's online backup while the
// workstation works. Nothing in it is readable without the passphrase,
// and inside, every record stays sealed as on disk.
//
// A Service is built from a logged-in session (New(s.Core()), or Of from
// the UI); Restore makes a profile from a backup and logs in to it, through
// app.InstallProfile. It reads the keystore only through
// app.Core.KeystoreEntries and writes profiles only through app.
//
// It must not write a byte of the backup, nor leave a file behind, in
// clear, and it must not restore beside a profile or keep a half-made
// one: a restored workstation is the same device as the old one, so it
// replaces it and is never used beside it. Package app must not import it.
package backup
