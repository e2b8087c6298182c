// Command heapoff is built by TestHeapSamplingLinkedOut: a program that
// uses marks and prints Go's heap sampling rate once it runs.
package main

import (
	"fmt"
	"runtime"

	"github.com/medihaven/medihaven/internal/marks"
)

func main() {
	marks.Mark("start")
	fmt.Println(runtime.MemProfileRate)
}
