//go:build !heapprofile

package marks

import (
	"fmt"
	"os"
)

// writeHeap only says how to get MEDIHAVEN_TRACE_HEAP's profile: without
// -tags heapprofile nothing in the binary reads Go's heap
// profile (runtime.MemProfile), so the linker turns the runtime's heap
// sampling off when it starts, as GODEBUG=memprofilerate=0 does: the window
// records one sample (at the switch to rate 0) instead of one per 512 KiB
// allocated, and the profiler's bucket table (1.4 MB reserved) stays all
// but untouched (issue 17). Setting runtime.MemProfileRate = 0 in main
// would stop the sampling only after every package's init has allocated.
func writeHeap(string) {
	fmt.Fprintf(os.Stderr, "medihaven: %s needs a binary built with -tags heapprofile "+
		"(e.g. go build -tags no_emoji,heapprofile .); this one has Go's heap sampling linked out\n", HeapEnv)
}
