// Package prosodyconf holds what both the clinic's server setup
// (sync/server) and the tests' throwaway Prosody (sync/synctest) need to
// write a Prosody configuration: Lua string quoting, a self-signed
// certificate for the chat domain, and the Prosody module that keeps the
// clinic's rooms configured by the server rather than by their first
// occupant (mod_medihaven_rooms.lua), so the tests run the rooms a clinic
// runs.
//
// It writes no files and starts nothing: callers decide where and how the
// bytes are stored (the server atomically, with its own permissions).
package prosodyconf
