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
// Most records are written by one event, or changed by few: every field
// then carries the same clock. The shared form gives that clock once (the
// Lamport clock "l" and the first device) and the fields that carry it
// as plain values; only the others are cells:
//
//	{"d":["DEVICE",...],"l":LAMPORT,"v":{"family":VALUE,...},"f":{...}}
//
// decodeState reads all three forms; encodeState writes the shared one
// (the compact one for a record without fields).

type compactState struct {
	D []string                     `json:"d"`
	F map[string][]json.RawMessage `json:"f"`
}

// compactPrefix begins every compact or shared state (encodeState writes
// "d" first); a first-form state begins with a field name and a cell
// object.
const compactPrefix = `{"d":[`

// clock is the Lamport clock and device a cell was written at.
type clock struct {
	l uint64
	d string
}

// commonClock returns the clock most fields of st carry (the earliest of
// equals, so the choice does not depend on map order).
func commonClock(st State) clock {
	// Most records carry one clock in every field: found without counting
	// (a map a record, for each record a catch-up folds).
	var one clock
	seen, same := false, true
	for _, c := range st {
		k := clock{c.L, c.D}
		if !seen {
			one, seen = k, true
		} else if k != one {
			same = false
			break
		}
	}
	if same {
		return one
	}
	return countedClock(st)
}

// countedClock is commonClock without its shortcut: the clock most fields
// carry, the earliest of equals, counted.
func countedClock(st State) clock {
	counts := make(map[clock]int, 2)
	var best clock
	n := 0
	for _, c := range st {
		k := clock{c.L, c.D}
		counts[k]++
		if m := counts[k]; m > n || m == n && (k.l < best.l || k.l == best.l && k.d < best.d) {
			best, n = k, m
		}
	}
	return best
}

// encodeState writes st in the shared form, by hand: encoding/json
// checks every raw value again, and this runs for every record a
// catch-up touches. The values came out of json.Unmarshal (a payload or
// a stored state), so they are valid JSON.
func encodeState(st State) ([]byte, error) {
	shared := commonClock(st)
	index := map[string]int{}
	var devices []string
	if len(st) > 0 {
		index[shared.d], devices = 0, []string{shared.d}
	}
	size := 48
	for name, cell := range st {
		if _, ok := index[cell.D]; !ok {
			index[cell.D] = len(devices)
			devices = append(devices, cell.D)
		}
		size += len(name) + len(cell.V) + 8
		if cell.L != shared.l || cell.D != shared.d {
			size += 24
		}
	}
	b := make([]byte, 0, size+40*len(devices))
	b = append(b, compactPrefix...)
	for i, d := range devices {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendQuoted(b, d); err != nil {
			return nil, err
		}
	}
	b = append(b, ']')
	if len(st) > 0 {
		b = append(b, `,"l":`...)
		b = strconv.AppendUint(b, shared.l, 10)
		b = append(b, `,"v":{`...)
		first := true
		for name, cell := range st {
			if cell.L != shared.l || cell.D != shared.d {
				continue
			}
			var err error
			if b, err = appendField(b, !first, name); err != nil {
				return nil, err
			}
			first = false
			b = appendValue(b, cell.V)
		}
		b = append(b, '}')
	}
	b = append(b, `,"f":{`...)
	first := true
	for name, cell := range st {
		if len(st) > 0 && cell.L == shared.l && cell.D == shared.d {
			continue
		}
		var err error
		if b, err = appendField(b, !first, name); err != nil {
			return nil, err
		}
		first = false
		b = append(b, '[')
		b = appendValue(b, cell.V)
		b = append(b, ',')
		b = strconv.AppendUint(b, cell.L, 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(index[cell.D]), 10)
		b = append(b, ']')
	}
	return append(b, '}', '}'), nil
}

// appendField appends a field's name and colon, after a comma when sep.
func appendField(b []byte, sep bool, name string) ([]byte, error) {
	if sep {
		b = append(b, ',')
	}
	b, err := appendQuoted(b, name)
	if err != nil {
		return nil, err
	}
	return append(b, ':'), nil
}

// appendQuoted appends s as json.Marshal writes a string. Field names and
// device ids are plain ASCII, which it quotes as they are; anything else
// goes through json.Marshal (it escapes control characters, quotes,
// backslashes and <, > and &, and replaces invalid UTF-8): reflecting
// through encoding/json for every field of every record was a fifth of
// what sealing a record's state cost.
func appendQuoted(b []byte, s string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, err := json.Marshal(s)
			if err != nil {
				return nil, err
			}
			return append(b, q...), nil
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"'), nil
}

func appendValue(b []byte, v json.RawMessage) []byte {
	if len(v) == 0 {
		return append(b, "null"...)
	}
	return append(b, v...)
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
	st := State{}
	if sc.lit(`,"l":`) { // the shared form
		l, ok := sc.uint()
		if !ok || len(devices) == 0 || !sc.lit(`,"v":{`) {
			return nil, sc.fail("the shared clock")
		}
		for !sc.eat('}') {
			name, ok := sc.name(len(st) > 0)
			if !ok {
				return nil, sc.fail("a field")
			}
			if _, dup := st[name]; dup {
				return nil, sc.fail("field " + name + " twice")
			}
			v, ok := sc.value()
			if !ok {
				return nil, sc.fail("field " + name)
			}
			st[name] = Cell{V: v, L: l, D: devices[0]}
		}
	}
	if !sc.lit(`,"f":{`) {
		return nil, sc.fail("the fields")
	}
	shared := len(st)
	for !sc.eat('}') {
		name, ok := sc.name(len(st) > shared)
		if !ok || !sc.eat('[') {
			return nil, sc.fail("a field")
		}
		if _, dup := st[name]; dup {
			return nil, sc.fail("field " + name + " twice")
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

// name reads a field's name and its colon, after a comma when sep.
func (s *scanner) name(sep bool) (string, bool) {
	if sep && !s.eat(',') {
		return "", false
	}
	name, ok := s.str()
	return name, ok && s.eat(':')
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
