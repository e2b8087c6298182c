//go:build !linux && !darwin && !freebsd && !netbsd && !openbsd

package harden

// process does nothing: Windows writes no core files unless the user turns
// crash dumps on, and other systems are not supported targets.
func process() error { return nil }
