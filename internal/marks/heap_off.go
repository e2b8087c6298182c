//go:build !heapprofile

package marks

import (
	"fmt"
	"os"
)

// HeapProfiling reports whether this binary can write MEDIHAVEN_TRACE_HEAP's
// profile. Without -tags heapprofile nothing in the binary reads Go's heap
// profile (runtime.MemProfile), so the linker turns the runtime's heap
// sampling off, as GODEBUG=memprofilerate=0 does: the window then never
// fills the profiler's bucket table (about 1 MB resident after login,
// issue 17). Setting runtime.MemProfileRate = 0 from the program cannot do
// this: the first allocation after any change of the rate is recorded, and
// that creates the table.
const HeapProfiling = false

func writeHeap(string) {
	fmt.Fprintf(os.Stderr, "medihaven: %s needs a binary built with -tags heapprofile "+
		"(e.g. go build -tags no_emoji,heapprofile .); this one has Go's heap sampling linked out\n", HeapEnv)
}
