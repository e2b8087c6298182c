// Package roles is the clinic's access policy: the three staff roles, the
// actions each may take, and the key scopes each role's workstation holds.
//
// The policy is enforced twice: the app checks Can before it acts, and the
// scopes decide which keys a workstation is ever granted, so a workstation
// that must not read clinical data never holds the key that would let it.
//
// roles imports nothing of Medihaven's and must not: crypto, store and the UI
// all depend on it, never the other way round. It holds no state.
package roles
