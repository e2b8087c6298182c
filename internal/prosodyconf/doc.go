// Package prosodyconf holds what both the clinic's server setup
// (sync/server) and the tests' throwaway Prosody (sync/synctest) need to
// write a Prosody configuration: Lua string quoting and a self-signed
// certificate for the chat domain.
//
// It writes no files and starts nothing: callers decide where and how the
// bytes are stored (the server atomically, with its own permissions).
package prosodyconf
