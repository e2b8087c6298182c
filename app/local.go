package app

import (
	"context"
	"fmt"
)

// SyncLocal brings several workstations of one machine to the same state by
// handing each the envelopes it lacks from the others, then letting each do
// its key upkeep, until nothing moves. It is how profiles exchange events
// without a network (tests, the demo clinic); the network sync moves the
// same envelopes through IPFS and XMPP.
func SyncLocal(ctx context.Context, sessions ...*Session) error {
	for round := 0; round < 8; round++ {
		moved := 0
		for _, dst := range sessions {
			for _, src := range sessions {
				if src == dst {
					continue
				}
				n, err := pull(ctx, dst, src)
				if err != nil {
					return err
				}
				moved += n
			}
		}
		changed := 0
		for _, s := range sessions {
			u, err := s.Maintain(ctx)
			if err != nil {
				return fmt.Errorf("app: upkeep of %s: %w", s.StaffName(), err)
			}
			for _, a := range u.Admitted {
				if a.Err == nil { // a refused or waiting request changes nothing
					changed++
				}
			}
			changed += u.Granted + u.Confirmed + len(u.Created) + len(u.Rotated)
		}
		if moved == 0 && changed == 0 {
			return nil
		}
	}
	return nil
}

// pull applies to dst what src holds beyond dst's heads.
func pull(ctx context.Context, dst, src *Session) (int, error) {
	dr, err := dst.live()
	if err != nil {
		return 0, err
	}
	sr, err := src.live()
	if err != nil {
		return 0, err
	}
	return dr.PullFrom(ctx, sr)
}
