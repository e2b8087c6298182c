// Package ipfs stores and fetches ciphertext blocks on the clinic's Kubo
// node through its RPC API (go-ipfs-api, kept behind this seam because it
// is archived upstream and could be swapped for kubo/client/rpc).
//
//	c := ipfs.New("/ip4/127.0.0.1/tcp/5001")
//	cid, err := c.Put(ctx, envelope)   // pinned, CIDv1, raw leaves
//	data, err := c.Get(ctx, cid, 1<<20)
//
// Put pins what it adds. A block of up to 256 KiB becomes one raw block
// whose CID is the SHA-256 of exactly those bytes. Get validates the CID
// first (ErrBadCID; CheckCID does the same for CIDs arriving in sync
// announcements), never reads more than the caller's limit (ErrTooLarge),
// and looks for the block on the node and its connected peers until the
// context's deadline, then reports ErrNotFound: give every Get a deadline.
// A node that does not answer gives ErrUnavailable. A node whose API is
// protected by a secret (Kubo's API.Authorizations, as `medihaven server
// init` sets it up) needs New(api, WithBearer(secret)); a missing or wrong
// secret gives ErrForbidden. Connections are kept
// alive (about twice as fast as go-ipfs-api's default client) and never go
// through an HTTP proxy.
//
// It only ever sees sealed bytes; it must not decrypt, interpret or log
// their content.
package ipfs
