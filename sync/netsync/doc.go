// Package netsync is a workstation's network sync: it packs its own
// chain above the last event it pushed into one IPFS object (pinned),
// whose "prev" names the device's previous pack, and announces the new
// head (device, seq, hash, CID) in the clinic's sync room on XMPP; it
// hears the other workstations' heads, fetches their packs, walking back
// until it reaches what it holds, and applies them. While Kubo or Prosody
// is down, work goes on: the chain keeps every unsent event and push
// retries with backoff, and every workstation says its head again when it
// (re)joins the room and when another joins, so nobody depends on the
// room's history. A workstation whose account the chat server refuses (a
// revoked member's, which an administrator's workstation ended:
// KeepServerAccounts) says AccessEnded and knocks again only every few
// minutes.
//
//	y, err := netsync.Start(ctx, cfg, workstation, chat)
//	stop := y.OnStatus(func(st netsync.Status) { ... })
//	y.Kick() // after an append: push now
//	y.Stop()
//
// A walk back stops at the first event this workstation stores, pending
// or not, with its chain whole below it, and a head it stores is stale:
// a newcomer holding the clinic pending until its admission never walks
// it again for each older head the room replays (issue 17; Counts says
// what the catch-up fetched and handed over). Lanes of shorter chains go
// first (administrators': the directory, admissions, grants).
//
// Announcements are hints, not commands: a head counts only when said by
// the XMPP account of the device it names, fetches run in bounded lanes
// per device and give up, a walk back through a chain holds a bounded
// amount of packs, wants ("send me your events from N again") are rate
// limited, and a pack adds no trust: every envelope in it is verified by
// the replica on its own, and one that is not of the pack's device is
// refused.
//
// The workstation (app's session) gives the sync its replica, its upkeep
// and its XMPP password through Workstation; the staff chat rides on the
// same XMPP session through Chat. Only ciphertext and ids leave the
// workstation.
//
// It must not import app, see a key, or read a payload: it moves sealed
// envelopes between the replica, IPFS and XMPP, and everything it hears is
// judged by the replica's rules.
package netsync
