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
	// By hand, as encodeState writes it: encoding/json took a third of a
	// name search's time here.
	sc := scanner{b: plain, i: len(compactPrefix)}
	var devices []string
	for !sc.eat(']') {
		if len(devices) > 0 && !sc.eat(',') {
			return nil, sc.fail("a device")
		}
		d, ok := sc.str()
		if !ok {
			return nil, sc.fail("a device")
		}
		devices = append(devices, d)
	}
	if !sc.lit(`,"f":{`) {
		return nil, sc.fail("the fields")
	}
	st := State{}
	for !sc.eat('}') {
		if len(st) > 0 && !sc.eat(',') {
			return nil, sc.fail("a field")
		}
		name, ok := sc.str()
		if !ok || !sc.eat(':') || !sc.eat('[') {
			return nil, sc.fail("a field")
		}
		v, ok := sc.value()
		if !ok || !sc.eat(',') {
			return nil, sc.fail("field " + name)
		}
		l, ok := sc.uint()
		if !ok || !sc.eat(',') {
			return nil, sc.fail("field " + name)
		}
		d, ok := sc.uint()
		if !ok || d >= uint64(len(devices)) || !sc.eat(']') {
			return nil, sc.fail("field " + name)
		}
		st[name] = Cell{V: v, L: l, D: devices[d]}
	}
	if !sc.eat('}') || sc.i != len(sc.b) {
		return nil, sc.fail("the end")
	}
	return st, nil
}

// scanner reads the compact state form: JSON without white space.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) fail(what string) error {
	return fmt.Errorf("malformed state at byte %d: %s", s.i, what)
}

func (s *scanner) eat(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

func (s *scanner) lit(l string) bool {
	if bytes.HasPrefix(s.b[s.i:], []byte(l)) {
		s.i += len(l)
		return true
	}
	return false
}

// strEnd returns the index just past the JSON string starting at i.
func (s *scanner) strEnd(i int) (int, bool) {
	if i >= len(s.b) || s.b[i] != '"' {
		return 0, false
	}
	for i++; i < len(s.b); i++ {
		switch s.b[i] {
		case '\\':
			i++
		case '"':
			return i + 1, true
		}
	}
	return 0, false
}

func (s *scanner) str() (string, bool) {
	end, ok := s.strEnd(s.i)
	if !ok {
		return "", false
	}
	raw := s.b[s.i:end]
	s.i = end
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1]), true
	}
	var v string
	return v, json.Unmarshal(raw, &v) == nil
}

func (s *scanner) uint() (uint64, bool) {
	start := s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	v, err := strconv.ParseUint(string(s.b[start:s.i]), 10, 64)
	return v, err == nil
}

// value returns the JSON value at the scanner (a copy), which ends at a
// comma or bracket of the cell around it.
func (s *scanner) value() (json.RawMessage, bool) {
	start, depth := s.i, 0
	for s.i < len(s.b) {
		switch c := s.b[s.i]; c {
		case '"':
			end, ok := s.strEnd(s.i)
			if !ok {
				return nil, false
			}
			s.i = end
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return s.done(start)
			}
			depth--
		case ',':
			if depth == 0 {
				return s.done(start)
			}
		}
		s.i++
	}
	return nil, false
}

func (s *scanner) done(start int) (json.RawMessage, bool) {
	v := s.b[start:s.i]
	if len(v) == 0 || !json.Valid(v) {
		return nil, false
	}
	return append(json.RawMessage(nil), v...), true
}
