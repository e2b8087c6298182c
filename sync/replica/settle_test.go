package replica

import "testing"

// TestSettleInSmallTransactions: with a budget of two envelopes per
// transaction (a key that opens a long history settles in many), hostile
// events in any order and chunking still give the state of chain order,
// and a clinic of replicas still converges.
func TestSettleInSmallTransactions(t *testing.T) {
	defer func(b int) { settleBudget = b }(settleBudget)
	settleBudget = 2
	t.Run("property", TestPropertyHostileEventsInAnyOrder)
	t.Run("clinic", TestClinicOfReplicas)
}
