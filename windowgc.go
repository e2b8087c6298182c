package main

import "runtime/debug"

// windowGCPercent is the collector's target in the window (Go's default
// is 100). A window runs all day with a live heap of about 10 MB, most of
// it Fyne's parsed fonts; with Go's default the heap grows back to twice
// that between collections, and the pages it touched stay resident
// (issue 17: a receptionist's window a minute after home, 100k demo,
// quiet machine: 170 MB with 100, 165 with 50, 164 with 25). A lower
// target costs more collections of that small heap while screens are
// built; a bulk catch-up raises the target for itself and gives this one
// back when it ends (sync/replica's bulkgc.go).
const windowGCPercent = 50

// windowGC sets the window's collector target, unless GOGC names one.
func windowGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(windowGCPercent)
	}
}
