// Package keyringtest runs a test of the calling test binary in a child
// process against a real Secret Service (gnome-keyring, unlocked, in a D-Bus
// session of its own) with its own home and XDG folders, so go-keyring is
// exercised for real and nothing touches the user's own keyring. It is
// imported by tests only.
package keyringtest
