package replica

import (
	"encoding/json"
	"fmt"
)

// How an entity's state is kept at rest (sealed with the device key). The
// first form, a JSON object of cells, repeated the 32-character device id
// in every field; a record of ten fields paid 400 bytes for it (issue 17:
// entity state without redundant copies). The compact form names each
// device once:
//
//	{"d":["DEVICE",...],"f":{"family":[VALUE,LAMPORT,DEVICEINDEX],...}}
//
// openState reads both forms; sealState writes the compact one.

type compactState struct {
	D []string                     `json:"d"`
	F map[string][]json.RawMessage `json:"f"`
}

func encodeState(st State) ([]byte, error) {
	c := compactState{D: []string{}, F: make(map[string][]json.RawMessage, len(st))}
	index := map[string]int{}
	for name, cell := range st {
		i, ok := index[cell.D]
		if !ok {
			i = len(c.D)
			index[cell.D] = i
			c.D = append(c.D, cell.D)
		}
		v := cell.V
		if len(v) == 0 {
			v = json.RawMessage("null")
		}
		c.F[name] = []json.RawMessage{v, json.RawMessage(fmt.Sprint(cell.L)), json.RawMessage(fmt.Sprint(i))}
	}
	return json.Marshal(c)
}

func decodeState(plain []byte) (State, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(plain, &probe); err != nil {
		return nil, err
	}
	_, hasD := probe["d"]
	_, hasF := probe["f"]
	if !hasD || !hasF || len(probe) != 2 || !isList(probe["d"]) {
		st := State{} // the first form
		return st, json.Unmarshal(plain, &st)
	}
	var c compactState
	if err := json.Unmarshal(plain, &c); err != nil {
		return nil, err
	}
	st := make(State, len(c.F))
	for name, cell := range c.F {
		var l uint64
		var i int
		if len(cell) != 3 || json.Unmarshal(cell[1], &l) != nil || json.Unmarshal(cell[2], &i) != nil || i < 0 || i >= len(c.D) {
			return nil, fmt.Errorf("malformed field %s", name)
		}
		st[name] = Cell{V: cell[0], L: l, D: c.D[i]}
	}
	return st, nil
}

// isList reports whether raw is a JSON array: a first-form state whose
// fields happen to be named d and f holds cells (objects) under them.
func isList(raw json.RawMessage) bool {
	for _, b := range raw {
		switch b {
		case ' ', '\t', '\n', '\r':
			continue
		case '[':
			return true
		}
		return false
	}
	return false
}
