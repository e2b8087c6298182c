// Package crypto is the one seam through which Medihaven touches keys:
// staff identities (OpenPGP, gopenpgp/v2, curve25519), scope keys and their
// epochs, grants, sealed and signed envelopes, blind-index keys, the device
// key, the keystore over the OS keyring, and the registration token format.
//
// It must not import anything of Medihaven's, touch SQL or the network, or
// log secrets. Storage and sync move the sealed bytes it produces and never
// see a key.
package crypto
