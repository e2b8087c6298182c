// Package testkit is what the clinic's tests share below app: a settable
// clock, keystores held in memory, and the sync configuration of
// sync/synctest's loopback servers, a device added to a member's entry.
// Package app's own tests use it (they cannot import app/apptest,
// which imports app), and app/apptest builds its test clinic on it.
//
// It is for tests only: it must not be imported by code that ships, and
// it imports nothing of ours but crypto, roles, sync/replica, sync/netsync
// and sync/synctest.
package testkit
