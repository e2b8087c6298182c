// Package marks reports when the window reaches the moments a person
// waits for (the login form drawn, a role's home screen drawn with its
// data), with the process's memory at that moment, for the window
// benchmark (`medihaven bench window`, issue 17).
//
// It is off unless MEDIHAVEN_TRACE names a file (or "-" for standard
// error); then each mark is one line appended to it:
//
//	mark login-form age_ms=412 rss_kb=61234 hwm_kb=61234 unix_ns=1796000000000000000
//
// ResidentOf tells what a process's resident memory is made of, by
// mapping (the program, the OpenGL driver, libraries, C's heap, anonymous
// memory), for the benchmark to report Medihaven's own memory apart from
// the software renderer's under Xvfb. MEDIHAVEN_TRACE_HEAP adds a heap
// profile at the home mark, sampled finely, in a binary built with -tags
// heapprofile; without the tag the linker leaves Go's heap sampling out
// of the program (heap_off.go says why).
//
// It must not write anything else: no patient data, no names, no keys,
// only the fixed names of moments and numbers about the process.
package marks
