package marks

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"
)

// Wait reads the trace at path (a process's MEDIHAVEN_TRACE) until it
// holds the mark name, and returns the marks written so far. It polls
// every 20 ms; it gives up when ctx ends, saying which marks came.
func Wait(ctx context.Context, path, name string) (map[string]Line, error) {
	for {
		data, _ := os.ReadFile(path) // not there yet: the process has not marked anything
		got := Parse(data)
		if _, ok := got[name]; ok {
			return got, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("no %q mark in %s: %w (marks so far: %s)", name, path, ctx.Err(), strings.TrimSpace(string(data)))
		case <-time.After(20 * time.Millisecond):
		}
	}
}
