package replica

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
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

// compactPrefix begins every compact state (encodeState writes "d"
// first); a first-form state begins with a field name and a cell object.
const compactPrefix = `{"d":[`

// encodeState writes st in the compact form, by hand: encoding/json
// checks every raw value again, and this runs for every record a
// catch-up touches. The values came out of json.Unmarshal (a payload or
// a stored state), so they are valid JSON.
func encodeState(st State) ([]byte, error) {
	index := map[string]int{}
	var devices []string
	size := 32
	for name, cell := range st {
		if _, ok := index[cell.D]; !ok {
			index[cell.D] = len(devices)
			devices = append(devices, cell.D)
		}
		size += len(name) + len(cell.V) + 32
	}
	b := make([]byte, 0, size+40*len(devices))
	b = append(b, compactPrefix...)
	for i, d := range devices {
		if i > 0 {
			b = append(b, ',')
		}
		q, err := json.Marshal(d)
		if err != nil {
			return nil, err
		}
		b = append(b, q...)
	}
	b = append(b, `],"f":{`...)
	first := true
	for name, cell := range st {
		if !first {
			b = append(b, ',')
		}
		first = false
		q, err := json.Marshal(name)
		if err != nil {
			return nil, err
		}
		b = append(b, q...)
		b = append(b, ':', '[')
		if len(cell.V) == 0 {
			b = append(b, "null"...)
		} else {
			b = append(b, cell.V...)
		}
		b = append(b, ',')
		b = strconv.AppendUint(b, cell.L, 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(index[cell.D]), 10)
		b = append(b, ']')
	}
	return append(b, '}', '}'), nil
}

func decodeState(plain []byte) (State, error) {
	if !bytes.HasPrefix(plain, []byte(compactPrefix)) {
		st := State{} // the first form
		if err := json.Unmarshal(plain, &st); err != nil {
			return nil, err
		}
		return st, nil
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
