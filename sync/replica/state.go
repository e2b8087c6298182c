package replica

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
)

// Cell is one field of an entity with the clock of the event that wrote it.
// Merging keeps, per field, the cell written last by Lamport clock, ties
// broken by device id, so the same set of events gives the same state on
// every workstation whatever order they arrived in.
type Cell struct {
	V json.RawMessage `json:"v"`
	L uint64          `json:"l"`
	D string          `json:"d"`
}

// newer reports whether c was written after o.
func (c Cell) newer(o Cell) bool {
	if c.L != o.L {
		return c.L > o.L
	}
	return c.D > o.D
}

// State is the current value of an entity: field name to cell. A field
// whose value is JSON null has been cleared.
type State map[string]Cell

// Merge applies fields written at (lamport, device) and reports whether
// anything changed. A field written once (writtenOnce: a change of a
// member's role) keeps the cell written first instead, by the same order,
// so a later event never rewrites it, whatever order they arrive in.
func (s State) Merge(fields map[string]json.RawMessage, lamport uint64, device string) bool {
	return s.MergeOnce(fields, lamport, device, nil)
}

// MergeOnce is Merge where once also names fields that keep the cell
// written first (a kind's roles.Kind.Once).
func (s State) MergeOnce(fields map[string]json.RawMessage, lamport uint64, device string, once []string) bool {
	changed := false
	for name, v := range fields {
		c := Cell{V: v, L: lamport, D: device}
		first := writtenOnce(name) || slices.Contains(once, name)
		if old, ok := s[name]; ok && (!first && !c.newer(old) || first && !old.newer(c)) {
			continue
		}
		s[name] = c
		changed = true
	}
	return changed
}

// Get decodes field name into v. A missing or null field leaves v alone and
// returns false.
func (s State) Get(name string, v any) (bool, error) {
	c, ok := s[name]
	if !ok || len(c.V) == 0 || string(c.V) == "null" {
		return false, nil
	}
	if err := json.Unmarshal(c.V, v); err != nil {
		return false, fmt.Errorf("replica: field %s: %w", name, err)
	}
	return true, nil
}

// String returns a string field, or "" when it is missing.
func (s State) String(name string) string {
	var v string
	s.Get(name, &v) //nolint:errcheck // a field of another type reads as empty
	return v
}

// Fields returns the field names in order, for stable output.
func (s State) Fields() []string {
	names := make([]string, 0, len(s))
	for n := range s {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Fields is what one event writes: field name to JSON value.
type Fields map[string]json.RawMessage

// F builds Fields from Go values; it fails only on values JSON cannot encode.
func F(kv map[string]any) (Fields, error) {
	out := make(Fields, len(kv))
	for k, v := range kv {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("replica: field %s: %w", k, err)
		}
		out[k] = b
	}
	return out, nil
}
