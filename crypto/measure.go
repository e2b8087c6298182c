package crypto

import (
	"crypto/rand"
	"fmt"
	"time"
)

// MeasureEnvelopes seals a 1 KiB change n times (encrypt and sign), then
// verifies and opens it n times, with keys made for the run, never a
// profile's, and returns how long each took: what every change costs.
func MeasureEnvelopes(n int) (seal, open []time.Duration, err error) {
	id, _, err := NewIdentity("bench", []byte("bench only"))
	if err != nil {
		return nil, nil, fmt.Errorf("crypto: make a key: %w", err)
	}
	k, err := NewScopeKey("clinical", 1)
	if err != nil {
		return nil, nil, fmt.Errorf("crypto: make a scope key: %w", err)
	}
	payload := make([]byte, 1024)
	rand.Read(payload)
	var raw []byte
	for i := range n {
		h := Header{ID: NewEventID(), Entity: "bench", Kind: "note", Scope: k.Scope, Epoch: k.Epoch,
			Author: id.Fingerprint(), Device: "00000000000000000000000000000001", Seq: 1, Lamport: uint64(i + 1), Time: time.Now().UnixMilli()}
		start := time.Now()
		e, err := Seal(h, payload, k, id)
		if err != nil {
			return nil, nil, fmt.Errorf("crypto: seal: %w", err)
		}
		seal, raw = append(seal, time.Since(start)), e.Raw
	}
	pub := id.Public()
	for range n {
		start := time.Now()
		e, err := ParseEnvelope(raw)
		if err == nil {
			err = e.Verify(pub)
		}
		if err == nil {
			_, err = e.Open(k)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("crypto: verify and open: %w", err)
		}
		open = append(open, time.Since(start))
	}
	return seal, open, nil
}
