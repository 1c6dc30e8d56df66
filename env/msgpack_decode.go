package env

import (
	"encoding/binary"
	"math"
)

// The step request is the one a training run sends thousands of times a
// second; decoding it with the library's reflective decoder was ~7% of the
// server's CPU with one request at a time. scanStepParams reads the shape
// clients send (string keys, string values, integer turn, content as a
// string or nil, arguments as a string) and reports false for anything
// else — unknown or repeated keys, nil where a string belongs, content
// parts, arguments as an object — which the library then decodes, or
// rejects with its error. FuzzScanStepParams checks that whatever it reads,
// the library reads the same.

// msgpackScan walks a msgpack value. The strings it reads are substrings
// of one copy of the value, made on the first string read: one allocation
// instead of one per string.
type msgpackScan struct {
	data []byte
	off  int
	text string // string(data), once a string was read
}

// isNil reports, and consumes, a nil at the cursor.
func (s *msgpackScan) isNil() bool {
	if s.off < len(s.data) && s.data[s.off] == 0xc0 {
		s.off++
		return true
	}
	return false
}

// mapLen reads a map header.
func (s *msgpackScan) mapLen() (int, bool) {
	n, next, ok := msgpackMapLen(s.data, s.off)
	if ok {
		s.off = next
	}
	return n, ok
}

// arrayLen reads an array header.
func (s *msgpackScan) arrayLen() (int, bool) {
	if s.off >= len(s.data) {
		return 0, false
	}
	switch c, at := s.data[s.off], s.off+1; {
	case c >= 0x90 && c <= 0x9f:
		s.off = at
		return int(c & 0x0f), true
	case c == 0xdc && at+2 <= len(s.data):
		s.off = at + 2
		return int(binary.BigEndian.Uint16(s.data[at:])), true
	case c == 0xdd && at+4 <= len(s.data):
		s.off = at + 4
		return int(binary.BigEndian.Uint32(s.data[at:])), true
	}
	return 0, false
}

// str reads a string (the str formats only).
func (s *msgpackScan) str() (string, bool) {
	b, next, ok := msgpackStrBytes(s.data, s.off)
	if !ok {
		return "", false
	}
	s.off = next
	if len(b) == 0 {
		return "", true
	}
	if s.text == "" {
		s.text = string(s.data)
	}
	start := next - len(b)
	return s.text[start:next], true
}

// int reads an integer that fits an int (the integer formats only).
func (s *msgpackScan) int() (int, bool) {
	if s.off >= len(s.data) {
		return 0, false
	}
	c, at := s.data[s.off], s.off+1
	var v int64
	var width int
	switch {
	case c <= 0x7f || c >= 0xe0: // positive and negative fixint
		s.off = at
		return int(int8(c)), true
	case c == 0xcc || c == 0xd0:
		width = 1
	case c == 0xcd || c == 0xd1:
		width = 2
	case c == 0xce || c == 0xd2:
		width = 4
	case c == 0xcf || c == 0xd3:
		width = 8
	default:
		return 0, false
	}
	if at+width > len(s.data) {
		return 0, false
	}
	b := s.data[at : at+width]
	switch c {
	case 0xcc:
		v = int64(b[0])
	case 0xcd:
		v = int64(binary.BigEndian.Uint16(b))
	case 0xce:
		v = int64(binary.BigEndian.Uint32(b))
	case 0xcf:
		u := binary.BigEndian.Uint64(b)
		if u > math.MaxInt64 {
			return 0, false
		}
		v = int64(u)
	case 0xd0:
		v = int64(int8(b[0]))
	case 0xd1:
		v = int64(int16(binary.BigEndian.Uint16(b)))
	case 0xd2:
		v = int64(int32(binary.BigEndian.Uint32(b)))
	case 0xd3:
		v = int64(binary.BigEndian.Uint64(b))
	}
	if v > math.MaxInt || v < math.MinInt {
		return 0, false
	}
	s.off = at + width
	return int(v), true
}

// fields reads a map whose keys are strings, each met at most once among
// the names given, and calls field with the key's index in names for each;
// field reads the value. It reports false for any other key or a repeated
// one, or when field does.
func (s *msgpackScan) fields(names []string, field func(i int) bool) bool {
	n, ok := s.mapLen()
	if !ok {
		return false
	}
	var seen uint32
	for range n {
		key, next, ok := msgpackStrBytes(s.data, s.off)
		if !ok {
			return false
		}
		s.off = next
		i := 0
		for i < len(names) && names[i] != string(key) { // no copy: the compiler compares the bytes
			i++
		}
		if i == len(names) || seen&(1<<i) != 0 {
			return false
		}
		seen |= 1 << i
		if !field(i) {
			return false
		}
	}
	return true
}

var (
	stepParamsKeys   = []string{"episode", "message", "text", "turn"}
	messageKeys      = []string{"role", "content", "tool_calls", "tool_call_id", "name"}
	toolCallKeys     = []string{"id", "type", "function"}
	functionCallKeys = []string{"name", "arguments"}
)

// scanStepParams decodes step params of the usual shape, or reports false (see above). data has passed checkMsgpack.
func scanStepParams(data []byte) (StepParams, bool) {
	s := &msgpackScan{data: data}
	var p StepParams
	ok := s.fields(stepParamsKeys, func(i int) (ok bool) {
		switch i {
		case 0:
			p.Episode, ok = s.str()
		case 1:
			p.Message = &Message{}
			ok = s.message(p.Message)
		case 2:
			var text string
			text, ok = s.str()
			p.Text = &text
		case 3:
			p.Turn, ok = s.int()
		}
		return ok
	})
	if !ok || s.off != len(data) {
		return StepParams{}, false
	}
	return p, true
}

func (s *msgpackScan) message(m *Message) bool {
	return s.fields(messageKeys, func(i int) (ok bool) {
		switch i {
		case 0:
			m.Role, ok = s.str()
		case 1:
			if s.isNil() {
				return true
			}
			var c string
			c, ok = s.str()
			m.Content = Content(c)
		case 2:
			if s.isNil() {
				return true
			}
			var n int
			if n, ok = s.arrayLen(); !ok || n > len(s.data)-s.off {
				return false
			}
			m.ToolCalls = make([]ToolCall, n)
			for j := range m.ToolCalls {
				if !s.toolCall(&m.ToolCalls[j]) {
					return false
				}
			}
		case 3:
			m.ToolCallID, ok = s.str()
		case 4:
			m.Name, ok = s.str()
		}
		return ok
	})
}

func (s *msgpackScan) toolCall(tc *ToolCall) bool {
	return s.fields(toolCallKeys, func(i int) (ok bool) {
		switch i {
		case 0:
			tc.ID, ok = s.str()
		case 1:
			tc.Type, ok = s.str()
		case 2:
			ok = s.fields(functionCallKeys, func(i int) (ok bool) {
				switch i {
				case 0:
					tc.Function.Name, ok = s.str()
				case 1:
					var a string
					a, ok = s.str()
					tc.Function.Arguments = Arguments(a)
				}
				return ok
			})
		}
		return ok
	})
}
