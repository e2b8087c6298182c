package replica

import "github.com/medihaven/medihaven/crypto"

// Wipe overwrites the key material this replica holds in memory with zeros
// and forgets it: the device key, every scope epoch key and blind-index key,
// and the unlocked identity's secret keys. It waits for a running writer
// (Apply, Append, NewEpoch) to finish first, so nothing is ever sealed with
// a half-wiped key. Afterwards the replica decrypts, seals and signs
// nothing (crypto refuses a wiped device key, and no scope key is left);
// the session drops it and opens a new one when the passphrase is typed
// again. Close its store before calling Wipe, so no later write starts.
func (r *Replica) Wipe() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.state.Lock()
	defer r.state.Unlock()
	if r.tidy != nil {
		r.tidy.Stop() // the store is closed: nothing left to checkpoint
	}
	r.p.DeviceKey.Wipe()
	if r.seal != nil {
		r.seal.wipe() // storeseal.go
	}
	wipeKeys(r.keys, r.index)
	if r.p.Identity != nil {
		r.p.Identity.Clear()
	}
}

// wipeKeys overwrites scope and index keys with zeros and empties their
// maps: at Wipe, and when memory read again replaces them (take), so no
// copy of a key is left for the collector alone to drop.
func wipeKeys(keys map[string]map[uint32]crypto.ScopeKey, index map[string]crypto.IndexKey) {
	for scope, epochs := range keys {
		for epoch := range epochs {
			k := epochs[epoch]
			clear(k.Secret[:])
			epochs[epoch] = k // overwrite the map's own slot, not only a copy
		}
		clear(epochs)
		delete(keys, scope)
	}
	for scope := range index {
		index[scope] = crypto.IndexKey{}
		delete(index, scope)
	}
}
