// Package atomicfile replaces a small file whole or not at all: a
// temporary file beside it, flushed to disk, renamed over it, the folder
// flushed. Profiles, keystores and the clinic's server configuration use
// it, so a crash or a full disk never leaves a half-written file.
//
// It is for small files written at once; it must not be used for the
// SQLite store (SQLite has its own journal) or for anything streamed.
package atomicfile
