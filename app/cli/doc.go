// Package cli runs Medihaven's headless subcommands (init, token, enroll,
// demo, bench, export, verify) for tests, benchmarks and administrators who
// script.
//
// It parses flags and reads passphrases from the environment or standard
// input, never from a flag; all the work is done by package app.
package cli
