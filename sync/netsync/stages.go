package netsync

// The moments of a change on its way from one workstation to another, for
// the thirty-workstation test's split of the propagation delay (issue 17):
// what is spent pushing, announcing, hearing, waiting for a fetch worker,
// fetching and applying. Only tests set Config.onStage.

// stage is one moment of a change on its way.
type stage int

const (
	stagePushed    stage = iota // its pack is on IPFS (the writer)
	stageAnnounced              // its head was said in the sync room (the writer)
	stageHeard                  // its head was heard (another workstation)
	stagePicked                 // a fetch worker took the head
	stageFetched                // its pack was read from IPFS
	stageApplying               // handed to the replica's Apply
	stages                      // how many
)

// mark notes that device's events from..to reached stage s.
func (y *Syncer) mark(s stage, device string, from, to uint64) {
	if y.cfg.onStage == nil {
		return
	}
	for seq := from; seq <= to && seq >= from; seq++ {
		y.cfg.onStage(s, device, seq)
	}
}
