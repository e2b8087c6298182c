package ui

// SyncStatus is what the status bar shows about the network sync.
type SyncStatus struct {
	Connected  bool   // in touch with the clinic's chat server
	Waiting    int    // changes waiting to be sent
	CatchingUp bool   // fetching changes of other workstations
	Behind     int    // changes known to exist and not fetched yet
	Problem    string // the last trouble, in plain words ("" when none)
}

// SyncSource is implemented by sessions that sync with the clinic. The
// shell subscribes while it is on show; fn may be called from any
// goroutine.
type SyncSource interface {
	OnSyncStatus(fn func(SyncStatus)) (stop func())
}
