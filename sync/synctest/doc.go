// Package synctest starts real Kubo and Prosody servers on loopback for
// tests, the way net/http/httptest starts an HTTP server: free ports, temp
// directories, readiness wait, accounts, and cleanup through t.Cleanup.
//
// It is for tests only and must not be imported by production code.
package synctest
