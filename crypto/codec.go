// codec.go reads the package's small binary formats (envelopes, grants,
// scope keys, tokens, keystore files) strictly: every read is bounds-checked,
// the first error sticks, and trailing bytes are an error. It protects the
// parsers of outside bytes from panics and from accepting two encodings of
// one value.

package crypto

import (
	"encoding/binary"
	"fmt"
)

// decoder reads fixed-width big-endian numbers and length-prefixed strings.
type decoder struct {
	b     []byte
	off   int
	err   error
	short bool // the input ended early
}

// fail records the first error, wrapping ErrMalformed.
func (d *decoder) fail(reason string) error {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrMalformed, reason)
	}
	return d.err
}

// bytes returns the next n bytes (aliasing the input), or nil after an error.
func (d *decoder) bytes(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || len(d.b)-d.off < n {
		d.short = true
		d.fail("the data ends too early")
		return nil
	}
	s := d.b[d.off : d.off+n : d.off+n]
	d.off += n
	return s
}

func (d *decoder) u8() uint8 {
	if s := d.bytes(1); s != nil {
		return s[0]
	}
	return 0
}

func (d *decoder) u16() uint16 {
	if s := d.bytes(2); s != nil {
		return binary.BigEndian.Uint16(s)
	}
	return 0
}

func (d *decoder) u32() uint32 {
	if s := d.bytes(4); s != nil {
		return binary.BigEndian.Uint32(s)
	}
	return 0
}

func (d *decoder) u64() uint64 {
	if s := d.bytes(8); s != nil {
		return binary.BigEndian.Uint64(s)
	}
	return 0
}

// str8 reads a string prefixed by its length in one byte.
func (d *decoder) str8() string {
	n := d.u8()
	return string(d.bytes(int(n)))
}

// end fails unless every byte was read.
func (d *decoder) end() error {
	if d.err == nil && d.off != len(d.b) {
		d.fail("unexpected bytes after the end")
	}
	return d.err
}

// appendStr8 appends s prefixed by its length in one byte; callers check
// len(s) <= 255 first.
func appendStr8(b []byte, s string) []byte {
	b = append(b, byte(len(s)))
	return append(b, s...)
}
