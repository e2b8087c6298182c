//go:build heapprofile

package marks

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

func init() {
	if os.Getenv(HeapEnv) != "" && os.Getenv(Env) != "" {
		// Every 4 KiB allocated is sampled (Go's default: 512 KiB), so the
		// profile at home counts each font parsed, not one in a hundred.
		runtime.MemProfileRate = 4096
	}
}

// writeHeap writes MEDIHAVEN_TRACE_HEAP's profile (built with -tags
// heapprofile; heap_off.go says why only then).
func writeHeap(path string) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		fmt.Fprintf(os.Stderr, "medihaven: %s: %v\n", HeapEnv, err)
		return
	}
	defer f.Close()
	runtime.GC()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		fmt.Fprintf(os.Stderr, "medihaven: %s: %v\n", HeapEnv, err)
	}
}
