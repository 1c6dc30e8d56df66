package env

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// maxMsgpackDepth bounds the nesting of a msgpack frame.
const maxMsgpackDepth = 64

// checkMsgpack walks the first msgpack value of data without allocating,
// and rejects one whose declared lengths exceed the bytes that follow or
// that nests too deeply. The msgpack library pre-allocates by declared
// length: a few bytes announcing a 3-billion-element array would otherwise
// exhaust the server's memory.
func checkMsgpack(data []byte) error {
	_, err := skipMsgpack(data, 0, 0)
	return err
}

var errTruncated = errors.New("msgpack value is truncated")

// skipMsgpack returns the offset just past the value at off.
func skipMsgpack(data []byte, off, depth int) (int, error) {
	if depth > maxMsgpackDepth {
		return 0, fmt.Errorf("msgpack value nests deeper than %d", maxMsgpackDepth)
	}
	if off >= len(data) {
		return 0, errTruncated
	}
	c := data[off]
	off++
	// need returns the offset after n more bytes, or an error.
	need := func(n uint64) (int, error) {
		if n > uint64(len(data)-off) {
			return 0, errTruncated
		}
		return off + int(n), nil
	}
	length := func(size int) (uint64, error) {
		if size > len(data)-off {
			return 0, errTruncated
		}
		var n uint64
		switch size {
		case 1:
			n = uint64(data[off])
		case 2:
			n = uint64(binary.BigEndian.Uint16(data[off:]))
		case 4:
			n = uint64(binary.BigEndian.Uint32(data[off:]))
		}
		off += size
		return n, nil
	}
	container := func(n uint64, perItem uint64) (int, error) {
		// Every element takes at least one byte: a length beyond the rest is a lie.
		if n*perItem > uint64(len(data)-off) {
			return 0, fmt.Errorf("msgpack container announces %d elements with only %d bytes left", n, len(data)-off)
		}
		var err error
		for i := uint64(0); i < n*perItem; i++ {
			if off, err = skipMsgpack(data, off, depth+1); err != nil {
				return 0, err
			}
		}
		return off, nil
	}
	switch {
	case c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3:
		return off, nil
	case c >= 0x80 && c <= 0x8f:
		return container(uint64(c&0x0f), 2)
	case c >= 0x90 && c <= 0x9f:
		return container(uint64(c&0x0f), 1)
	case c >= 0xa0 && c <= 0xbf:
		return need(uint64(c & 0x1f))
	}
	switch c {
	case 0xc4, 0xd9:
		n, err := length(1)
		if err != nil {
			return 0, err
		}
		return need(n)
	case 0xc5, 0xda:
		n, err := length(2)
		if err != nil {
			return 0, err
		}
		return need(n)
	case 0xc6, 0xdb:
		n, err := length(4)
		if err != nil {
			return 0, err
		}
		return need(n)
	case 0xc7, 0xc8, 0xc9:
		n, err := length(map[byte]int{0xc7: 1, 0xc8: 2, 0xc9: 4}[c])
		if err != nil {
			return 0, err
		}
		return need(n + 1) // type byte and data
	case 0xca, 0xce, 0xd2:
		return need(4)
	case 0xcb, 0xcf, 0xd3:
		return need(8)
	case 0xcc, 0xd0:
		return need(1)
	case 0xcd, 0xd1:
		return need(2)
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8:
		return need(1 + map[byte]uint64{0xd4: 1, 0xd5: 2, 0xd6: 4, 0xd7: 8, 0xd8: 16}[c])
	case 0xdc, 0xdd:
		n, err := length(map[byte]int{0xdc: 2, 0xdd: 4}[c])
		if err != nil {
			return 0, err
		}
		return container(n, 1)
	case 0xde, 0xdf:
		n, err := length(map[byte]int{0xde: 2, 0xdf: 4}[c])
		if err != nil {
			return 0, err
		}
		return container(n, 2)
	}
	return 0, fmt.Errorf("invalid msgpack code 0x%02x", c)
}
