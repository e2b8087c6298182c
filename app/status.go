package app

import (
	"context"
	"fmt"
	"time"

	"github.com/medihaven/medihaven/crypto"
	"github.com/medihaven/medihaven/sync/netsync"
	"github.com/medihaven/medihaven/sync/replica"
	"github.com/medihaven/medihaven/sync/store"
)

// What this workstation holds of the clinic log, for any member: the CLI
// and the domain packages read it here rather than from the store.

// LogStatus is what this workstation holds of the clinic log.
type LogStatus struct {
	Waiting  int // changes waiting to be sent: the own chain above what was pushed
	Applied  int // events applied
	Sealed   int // events kept sealed: this workstation holds no key for them
	Pending  int // events waiting for what comes before them
	Rejected int // events refused
	Devices  []DeviceHead
}

// DeviceHead is how far this workstation holds one device's chain.
type DeviceHead struct {
	Device string
	Seq    uint64
	Mine   bool // this workstation's own chain
}

// LogStatus counts the events this workstation holds, by state, and the
// changes waiting to be sent, with every device's head.
func (s *Session) LogStatus(ctx context.Context) (LogStatus, error) {
	r, err := s.live()
	if err != nil {
		return LogStatus{}, err
	}
	var st LogStatus
	err = r.DB().View(ctx, func(tx *store.Tx) error {
		var err error
		if st.Waiting, err = netsync.Unsent(ctx, tx, r.Device()); err != nil {
			return err
		}
		counts, err := tx.CountEnvelopes(ctx)
		if err != nil {
			return err
		}
		st.Applied, st.Sealed, st.Pending, st.Rejected = counts[store.Applied], counts[store.Sealed], counts[store.Pending], counts[store.Rejected]
		heads, err := tx.Heads(ctx)
		for _, h := range heads {
			// Its chain, and the one it moved from (move.go).
			mine := h.Device == r.Device() || h.Device == r.Account()
			st.Devices = append(st.Devices, DeviceHead{Device: h.Device, Seq: h.Seq, Mine: mine})
		}
		return err
	})
	if err != nil {
		return LogStatus{}, fmt.Errorf("app: read this workstation's log: %w", err)
	}
	return st, nil
}

// CheckChains walks every device's chain this workstation holds: each
// event must be whole, follow its predecessor and carry a valid
// signature. It returns what is wrong, one line each, or nothing.
func (s *Session) CheckChains(ctx context.Context) ([]string, error) {
	r, err := s.live()
	if err != nil {
		return nil, err
	}
	problems, err := r.Verify(ctx)
	if err != nil {
		return nil, fmt.Errorf("app: check the log: %w", err)
	}
	out := make([]string, len(problems))
	for i, p := range problems {
		out[i] = p.String()
	}
	return out, nil
}

// MeasureEnvelopes is what sealing and opening one change costs on this
// computer (crypto.MeasureEnvelopes), for `medihaven bench`.
func MeasureEnvelopes(n int) (seal, open []time.Duration, err error) {
	return crypto.MeasureEnvelopes(n)
}

// Head is the newest event this workstation holds of one device's chain:
// whose chain it is and when that event was written.
type Head struct {
	Device string
	Seq    uint64
	Author string    // the fingerprint that signed it
	Time   time.Time // when it was written
	// Verified: the chain up to it is checked, so its author is who signs
	// that device's events (a pending one may be anyone's claim).
	Verified bool
}

// Heads returns the newest event of every device's chain r holds (the
// staff directory's "last seen", which member a chat account's device
// belongs to, how many events the chains' check walks).
func (c Core) Heads(ctx context.Context, r *replica.Replica) ([]Head, error) {
	var out []Head
	err := r.DB().View(ctx, func(tx *store.Tx) error {
		heads, err := tx.Heads(ctx)
		if err != nil {
			return err
		}
		for _, h := range heads {
			e, err := tx.EnvelopeAt(ctx, h.Device, h.Seq)
			if err != nil {
				return err
			}
			out = append(out, Head{Device: h.Device, Seq: h.Seq, Author: e.Author, Time: time.UnixMilli(e.Time), Verified: e.State != store.Pending})
		}
		return nil
	})
	return out, err
}
