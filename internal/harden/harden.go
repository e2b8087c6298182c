package harden

import "fmt"

// Process disables core dumps for this process and its children and, where
// the system has it, marks the process not dumpable. An error means the
// protection is incomplete: the caller says so and may go on.
func Process() error {
	if err := process(); err != nil {
		return fmt.Errorf("harden: core dumps could not be turned off (%w): keys could reach a crash dump; check the system's security settings", err)
	}
	return nil
}
