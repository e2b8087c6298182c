// Command benchscale seeds a clinic on replicas alone (no window, no
// network) with the demo's repeating name distribution and measures what
// issue 17 asks of a clinic-decade: seeding rate, profile bytes per
// patient, name search percentiles, and the rate at which a new
// receptionist workstation applies the clinic's envelopes (its join,
// without the network), and a catch-up of 10,000 events.
//
//	go run ./app/cli/benchscale -patients 100000 -visits 9
//
// `make bench-scale` runs it, and its TestJoinOverTheNetwork (a
// newcomer's join over a real Kubo and Prosody, skipped unless
// MEDIHAVEN_BENCH_JOIN is set). It is a measuring tool, not part of
// make test, and timing goals are read from its output, never asserted.
//
// It must not be imported, nor copied as the way a command works: it
// builds replicas, stores and keys itself so that it measures them
// alone, where app/cli goes through the use cases only. It must not write
// outside -dir (a temporary folder by default, removed at the end), touch
// a real workstation's profile or keyring, or reach any server but the
// loopback ones its test starts.
package main
