package env

import (
	"strconv"
	"unicode/utf8"
)

// The JSON counterparts of scanEnvelope and scanStepParams: encoding/json
// validates a frame, then decodes it by reflection, and then does both
// again for the params (~25% of the server's CPU on JSON connections).
// scanEnvelopeJSON and scanStepParamsJSON read the shapes clients send in
// one pass and report false for anything else — other or repeated keys
// (encoding/json also matches keys regardless of case), numbers that are
// not plain integers, \u escapes of surrogates, invalid UTF-8, nesting
// deeper than maxJSONDepth — which encoding/json then decodes, or rejects
// with its error. What they accept is valid JSON, read as encoding/json
// reads it: FuzzScanEnvelopeJSON and FuzzScanStepParamsJSON check both.

// maxJSONDepth bounds the nesting the scanner follows.
const maxJSONDepth = 64

// jsonScan walks JSON text. Strings without escapes are substrings of one
// copy of the text, made on the first such string read.
type jsonScan struct {
	data []byte
	off  int
	text string
}

func (s *jsonScan) ws() {
	for s.off < len(s.data) {
		switch s.data[s.off] {
		case ' ', '\t', '\n', '\r':
			s.off++
		default:
			return
		}
	}
}

// peek skips whitespace and returns the next byte (0 at the end).
func (s *jsonScan) peek() byte {
	s.ws()
	if s.off < len(s.data) {
		return s.data[s.off]
	}
	return 0
}

// lit consumes the literal word (true, false, null) at the cursor.
func (s *jsonScan) lit(word string) bool {
	s.ws()
	if len(s.data)-s.off < len(word) || string(s.data[s.off:s.off+len(word)]) != word {
		return false
	}
	s.off += len(word)
	return true
}

// byte consumes c after whitespace.
func (s *jsonScan) byte(c byte) bool {
	if s.peek() != c {
		return false
	}
	s.off++
	return true
}

// str reads a string, decoding its escapes.
func (s *jsonScan) str() (string, bool) {
	if !s.byte('"') {
		return "", false
	}
	start := s.off
	ascii := true
	for s.off < len(s.data) {
		switch c := s.data[s.off]; {
		case c == '"':
			b := s.data[start:s.off]
			s.off++
			if !ascii && !utf8.Valid(b) {
				return "", false // encoding/json replaces invalid bytes
			}
			if len(b) == 0 {
				return "", true
			}
			if s.text == "" {
				s.text = string(s.data)
			}
			return s.text[start : s.off-1], true
		case c == '\\':
			return s.escaped(start)
		case c < 0x20:
			return "", false
		case c >= 0x80:
			ascii = false
		}
		s.off++
	}
	return "", false
}

// escaped finishes reading a string that has escapes, from the first one;
// start is where the string's bytes begin.
func (s *jsonScan) escaped(start int) (string, bool) {
	out := append(make([]byte, 0, s.off-start+16), s.data[start:s.off]...)
	for s.off < len(s.data) {
		c := s.data[s.off]
		switch {
		case c == '"':
			s.off++
			if !utf8.Valid(out) {
				return "", false
			}
			return string(out), true
		case c < 0x20:
			return "", false
		case c != '\\':
			out = append(out, c)
			s.off++
			continue
		}
		if s.off+1 >= len(s.data) {
			return "", false
		}
		e := s.data[s.off+1]
		s.off += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			if s.off+4 > len(s.data) {
				return "", false
			}
			r, err := strconv.ParseUint(string(s.data[s.off:s.off+4]), 16, 32)
			if err != nil || (r >= 0xd800 && r <= 0xdfff) { // surrogates: left to encoding/json
				return "", false
			}
			s.off += 4
			out = utf8.AppendRune(out, rune(r))
		default:
			return "", false
		}
	}
	return "", false
}

// int reads an integer without fraction or exponent that fits an int64.
func (s *jsonScan) int() (int64, bool) {
	s.ws()
	start := s.off
	if s.off < len(s.data) && s.data[s.off] == '-' {
		s.off++
	}
	digits := s.off
	for s.off < len(s.data) && s.data[s.off] >= '0' && s.data[s.off] <= '9' {
		s.off++
	}
	n := s.off - digits
	if n == 0 || (n > 1 && s.data[digits] == '0') {
		return 0, false
	}
	if s.off < len(s.data) {
		switch s.data[s.off] {
		case '.', 'e', 'E':
			return 0, false
		}
	}
	v, err := strconv.ParseInt(string(s.data[start:s.off]), 10, 64)
	return v, err == nil
}

// skip passes over one JSON value of any shape, checking its syntax.
func (s *jsonScan) skip(depth int) bool {
	if depth > maxJSONDepth {
		return false
	}
	switch s.peek() {
	case '"':
		_, ok := s.skipStr()
		return ok
	case '{':
		s.off++
		if s.byte('}') {
			return true
		}
		for {
			if _, ok := s.skipStr(); !ok || !s.byte(':') || !s.skip(depth+1) {
				return false
			}
			if s.byte('}') {
				return true
			}
			if !s.byte(',') {
				return false
			}
		}
	case '[':
		s.off++
		if s.byte(']') {
			return true
		}
		for {
			if !s.skip(depth + 1) {
				return false
			}
			if s.byte(']') {
				return true
			}
			if !s.byte(',') {
				return false
			}
		}
	case 't':
		return s.lit("true")
	case 'f':
		return s.lit("false")
	case 'n':
		return s.lit("null")
	}
	return s.skipNumber()
}

// skipStr passes over a string, checking its escapes.
func (s *jsonScan) skipStr() (int, bool) {
	if !s.byte('"') {
		return 0, false
	}
	start := s.off
	for s.off < len(s.data) {
		c := s.data[s.off]
		switch {
		case c == '"':
			s.off++
			return start, true
		case c < 0x20:
			return 0, false
		case c == '\\':
			if s.off+1 >= len(s.data) {
				return 0, false
			}
			switch s.data[s.off+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.off += 2
			case 'u':
				if s.off+6 > len(s.data) {
					return 0, false
				}
				for _, h := range s.data[s.off+2 : s.off+6] {
					if !isHex(h) {
						return 0, false
					}
				}
				s.off += 6
			default:
				return 0, false
			}
			continue
		}
		s.off++
	}
	return 0, false
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// skipNumber passes over a number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *jsonScan) skipNumber() bool {
	digits := func() int {
		n := 0
		for s.off < len(s.data) && s.data[s.off] >= '0' && s.data[s.off] <= '9' {
			s.off++
			n++
		}
		return n
	}
	if s.off < len(s.data) && s.data[s.off] == '-' {
		s.off++
	}
	first := s.off
	n := digits()
	if n == 0 || (n > 1 && s.data[first] == '0') {
		return false
	}
	if s.off < len(s.data) && s.data[s.off] == '.' {
		s.off++
		if digits() == 0 {
			return false
		}
	}
	if s.off < len(s.data) && (s.data[s.off] == 'e' || s.data[s.off] == 'E') {
		s.off++
		if s.off < len(s.data) && (s.data[s.off] == '+' || s.data[s.off] == '-') {
			s.off++
		}
		if digits() == 0 {
			return false
		}
	}
	return true
}

// fields reads an object whose keys are among names, each at most once,
// and calls field with the key's index for each; field reads the value.
func (s *jsonScan) fields(names []string, field func(i int) bool) bool {
	if !s.byte('{') {
		return false
	}
	if s.byte('}') {
		return true
	}
	var seen uint32
	for {
		start, ok := s.skipStr()
		if !ok {
			return false
		}
		key := s.data[start : s.off-1]
		i := 0
		for i < len(names) && names[i] != string(key) { // no copy: the compiler compares the bytes
			i++
		}
		if i == len(names) || seen&(1<<i) != 0 || !s.byte(':') {
			return false
		}
		seen |= 1 << i
		if !field(i) {
			return false
		}
		if s.byte('}') {
			return true
		}
		if !s.byte(',') {
			return false
		}
	}
}

// end reports whether only whitespace is left.
func (s *jsonScan) end() bool {
	s.ws()
	return s.off == len(s.data)
}

var envelopeKeys = []string{"id", "op", "params"}

// scanEnvelopeJSON reads a request envelope in one pass (see above), its
// params kept as a slice of data.
func scanEnvelopeJSON(data []byte) (envelope, bool) {
	s := &jsonScan{data: data}
	var e envelope
	ok := s.fields(envelopeKeys, func(i int) (ok bool) {
		switch i {
		case 0:
			switch s.peek() {
			case 'n':
				e.ID, ok = RequestID{}, s.lit("null")
			case '"':
				var id string
				id, ok = s.str()
				e.ID = StringID(id)
			default:
				var n int64
				n, ok = s.int()
				e.ID = IntID(n)
			}
		case 1:
			e.Op, ok = s.str()
		case 2:
			s.ws()
			start := s.off
			ok = s.skip(1)
			e.Params = data[start:s.off:s.off]
		}
		return ok
	})
	if !ok || !s.end() {
		return envelope{}, false
	}
	return e, true
}

// scanStepParamsJSON decodes step params of the usual shape (see above).
func scanStepParamsJSON(data []byte) (StepParams, bool) {
	s := &jsonScan{data: data}
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
			var turn int64
			turn, ok = s.int()
			p.Turn = int(turn)
			ok = ok && int64(p.Turn) == turn
		}
		return ok
	})
	if !ok || !s.end() {
		return StepParams{}, false
	}
	return p, true
}

func (s *jsonScan) message(m *Message) bool {
	return s.fields(messageKeys, func(i int) (ok bool) {
		switch i {
		case 0:
			m.Role, ok = s.str()
		case 1:
			if s.peek() == 'n' {
				return s.lit("null")
			}
			var c string
			c, ok = s.str()
			m.Content = Content(c)
		case 2:
			if s.peek() == 'n' {
				return s.lit("null")
			}
			if !s.byte('[') {
				return false
			}
			m.ToolCalls = []ToolCall{}
			if s.byte(']') {
				return true
			}
			for {
				m.ToolCalls = append(m.ToolCalls, ToolCall{})
				if !s.toolCall(&m.ToolCalls[len(m.ToolCalls)-1]) {
					return false
				}
				if s.byte(']') {
					return true
				}
				if !s.byte(',') {
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

func (s *jsonScan) toolCall(tc *ToolCall) bool {
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
					switch s.peek() {
					case '"':
						var a string
						a, ok = s.str()
						tc.Function.Arguments = Arguments(a)
					case '{': // arguments as an object: kept as its JSON text
						start := s.off
						ok = s.skip(4)
						tc.Function.Arguments = Arguments(s.data[start:s.off])
					}
				}
				return ok
			})
		}
		return ok
	})
}
