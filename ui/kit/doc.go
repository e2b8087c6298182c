// Package kit holds the small widgets every role's screens share: a
// wrapper that keeps a change-feed subscription open while its screen is
// drawn, and a few label styles. It keeps ui/frontdesk, ui/physician,
// ui/admin and ui/chat from each growing their own copy.
//
// It must not know about any role's screens or call use cases itself.
package kit
