package store

import (
	"reflect"
	"testing"
)

// TestHeadsMovedByStore: since migration 0011 the store, not a trigger,
// moves a device's head when envelopes are inserted. A profile made
// before it keeps its heads and loses the trigger; after it, inserting
// one envelope (PutEnvelope) or pages of them (AddEnvelope) leaves the
// heads the trigger left: the highest applied or sealed envelope of each
// device, never a pending or rejected one, never lower than the head.
func TestHeadsMovedByStore(t *testing.T) {
	at := func(device string, seq uint64, s EnvelopeState) Envelope {
		e := testEnvelope(device, seq)
		e.State = s
		if s == Rejected {
			e.Rule = "role"
		}
		return e
	}
	cases := []struct {
		name  string
		add   []Envelope
		one   bool // PutEnvelope each, else AddEnvelope
		heads map[string]uint64
	}{
		{"nothing new", nil, false, map[string]uint64{"a": 2, "b": 1}},
		{"applied and sealed above", []Envelope{at("a", 3, Applied), at("a", 4, Sealed), at("b", 2, Sealed)}, false,
			map[string]uint64{"a": 4, "b": 2}},
		{"pending and rejected move nothing", []Envelope{at("a", 3, Pending), at("b", 2, Rejected), at("c", 1, Pending)}, false,
			map[string]uint64{"a": 2, "b": 1}},
		{"a gap below stays below", []Envelope{at("a", 5, Applied), at("a", 3, Applied)}, true,
			map[string]uint64{"a": 5, "b": 1}},
		{"a new device", []Envelope{at("c", 1, Applied), at("c", 2, Pending)}, true,
			map[string]uint64{"a": 2, "b": 1, "c": 1}},
		{"a long page of devices interleaved", func() []Envelope {
			var es []Envelope
			for seq := uint64(3); seq < 100; seq++ {
				es = append(es, at("a", seq, Sealed), at("b", seq-1, Applied))
			}
			return append(es, at("a", 100, Pending))
		}(), false, map[string]uint64{"a": 99, "b": 98}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := t.Context()
			// Version 10 (the trigger) holds a1, a2 applied, a3 pending,
			// b1 sealed: heads a=2, b=1.
			db := openOld(t, 10, `
				INSERT INTO envelopes (id, device, seq, lamport, entity, kind, scope, epoch, author, prev, hash, time, raw, state, reason, rule) VALUES
					('e1', 'a', 1, 1, 'x', 'patient', 'frontdesk', 1, 'k', '', 'h1', 1, x'01', 1, '', ''),
					('e2', 'a', 2, 2, 'x', 'patient', 'frontdesk', 1, 'k', 'h1', 'h2', 1, x'02', 1, '', ''),
					('e9', 'b', 1, 3, 'y', 'patient', 'frontdesk', 1, 'k', '', 'h9', 1, x'09', 2, '', '');`)
			view(t, db, func(tx *Tx) error {
				var triggers int
				err := tx.tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name = 'envelopes_head'`).Scan(&triggers)
				if triggers != 0 {
					t.Errorf("the insert trigger is still there")
				}
				return err
			})
			update(t, db, func(tx *Tx) error {
				for _, e := range c.add {
					var err error
					if c.one {
						_, err = tx.PutEnvelope(ctx, e)
					} else {
						err = tx.AddEnvelope(ctx, e)
					}
					if err != nil {
						return err
					}
				}
				return nil
			})
			got := map[string]uint64{}
			view(t, db, func(tx *Tx) error {
				heads, err := tx.Heads(ctx)
				for _, h := range heads {
					got[h.Device] = h.Seq
					if h.Device == "a" && h.Seq == 2 && (h.Hash != "h2" || h.Lamport != 2) {
						t.Errorf("head of a: %+v; want the old profile's hash and clock", h)
					}
					for _, e := range c.add {
						if e.Device == h.Device && e.Seq == h.Seq && (e.Hash != h.Hash || e.Lamport != h.Lamport) {
							t.Errorf("head %+v; want the hash and clock of %s", h, e.ID)
						}
					}
				}
				return err
			})
			if !reflect.DeepEqual(got, c.heads) {
				t.Errorf("heads %v; want %v", got, c.heads)
			}
		})
	}
}
