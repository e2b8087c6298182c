package cli

import (
	"reflect"
	"testing"

	"github.com/medihaven/medihaven/app/recovery"
)

// TestEnvRunsRecoveryUpkeep: every session the program opens (window,
// first run, CLI) runs the recovery's upkeep, without which no workstation
// would escrow its keys and no recovered key would be taken.
func TestEnvRunsRecoveryUpkeep(t *testing.T) {
	e := Env(nil)
	if len(e.Upkeep) != 1 || reflect.ValueOf(e.Upkeep[0]).Pointer() != reflect.ValueOf(recovery.Upkeep).Pointer() {
		t.Errorf("Env's upkeep is %d steps, want recovery.Upkeep", len(e.Upkeep))
	}
}
