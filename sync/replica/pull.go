package replica

import "context"

// PullFrom applies to r what src holds beyond r's heads and returns how
// many events were new here: how workstations of one machine exchange
// envelopes without a network (app.SyncLocal: tests, the demo clinic).
// Each envelope is checked on apply as if it came from a pack.
func (r *Replica) PullFrom(ctx context.Context, src *Replica) (int, error) {
	have := map[string]uint64{}
	heads, err := r.Heads(ctx)
	if err != nil {
		return 0, err
	}
	for _, h := range heads {
		have[h.Device] = h.Seq
	}
	theirs, err := src.Heads(ctx)
	if err != nil {
		return 0, err
	}
	var raws [][]byte
	for _, h := range theirs {
		if h.Seq <= have[h.Device] {
			continue
		}
		more, err := src.EnvelopesAfter(ctx, h.Device, have[h.Device], -1)
		if err != nil {
			return 0, err
		}
		raws = append(raws, more...)
	}
	if len(raws) == 0 {
		return 0, nil
	}
	rep, err := r.Apply(ctx, raws)
	if err != nil {
		return 0, err
	}
	return rep.New, nil
}
