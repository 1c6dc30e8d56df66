package env

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
)

// A step reply in JSON, written without reflection: the bytes json.Marshal
// writes for a Response carrying a *StepResult (fields in declaration order
// under their json names, omitempty fields left out when empty, nil slices
// as null, strings escaped as encoding/json escapes them — HTML characters,
// U+2028 and U+2029 included, invalid UTF-8 as U+FFFD — and floats formatted
// as it formats them). The reward, rare and varied, goes through
// json.Marshal. TestJSONStepReplyMatchesLibrary checks the bytes over
// values with every field set.

// encodeStepReplyJSON writes r, whose result is sr.
func encodeStepReplyJSON(r Response, sr *StepResult) ([]byte, error) {
	b := make([]byte, 0, 512)
	b = append(b, `{"id":`...)
	switch {
	case !r.ID.set:
		b = append(b, "null"...)
	case r.ID.isNum:
		b = strconv.AppendInt(b, r.ID.num, 10)
	default:
		b = appendJSONString(b, r.ID.str)
	}
	if r.Op != "" {
		b = append(b, `,"op":`...)
		b = appendJSONString(b, r.Op)
	}
	b = append(b, `,"result":`...)
	b, err := appendStepResultJSON(b, sr)
	if err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

func appendStepResultJSON(b []byte, r *StepResult) ([]byte, error) {
	b = append(b, `{"episode":`...)
	b = appendJSONString(b, r.Episode)
	b = append(b, `,"messages":`...)
	if r.Messages == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range r.Messages {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendMessageJSON(b, &r.Messages[i])
		}
		b = append(b, ']')
	}
	b = append(b, `,"done":`...)
	b = strconv.AppendBool(b, r.Done)
	if r.Reason != "" {
		b = append(b, `,"reason":`...)
		b = appendJSONString(b, r.Reason)
	}
	if r.Reward != nil {
		reward, err := json.Marshal(r.Reward)
		if err != nil {
			return nil, fmt.Errorf("encode reward: %w", err)
		}
		b = append(b, `,"reward":`...)
		b = append(b, reward...)
	}
	b = append(b, `,"info":`...)
	b, err := appendStepInfoJSON(b, &r.Info)
	if err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

func appendMessageJSON(b []byte, m *Message) []byte {
	b = append(b, `{"role":`...)
	b = appendJSONString(b, m.Role)
	b = append(b, `,"content":`...)
	b = appendJSONString(b, string(m.Content))
	if len(m.ToolCalls) > 0 {
		b = append(b, `,"tool_calls":[`...)
		for i, tc := range m.ToolCalls {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"id":`...)
			b = appendJSONString(b, tc.ID)
			b = append(b, `,"type":`...)
			b = appendJSONString(b, tc.Type)
			b = append(b, `,"function":{"name":`...)
			b = appendJSONString(b, tc.Function.Name)
			b = append(b, `,"arguments":`...)
			b = appendJSONString(b, string(tc.Function.Arguments))
			b = append(b, "}}"...)
		}
		b = append(b, ']')
	}
	if m.ToolCallID != "" {
		b = append(b, `,"tool_call_id":`...)
		b = appendJSONString(b, m.ToolCallID)
	}
	if m.Name != "" {
		b = append(b, `,"name":`...)
		b = appendJSONString(b, m.Name)
	}
	return append(b, '}')
}

func appendStepInfoJSON(b []byte, s *StepInfo) ([]byte, error) {
	var err error
	b = append(b, `{"turn":`...)
	b = strconv.AppendInt(b, int64(s.Turn), 10)
	b = append(b, `,"tool_calls":`...)
	if s.ToolCalls == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range s.ToolCalls {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendCallInfoJSON(b, &s.ToolCalls[i]); err != nil {
				return nil, err
			}
		}
		b = append(b, ']')
	}
	b = append(b, `,"tool_calls_total":`...)
	b = strconv.AppendInt(b, int64(s.ToolCallsTotal), 10)
	b = append(b, `,"duration_ms":`...)
	if b, err = appendJSONFloat(b, s.DurationMS); err != nil {
		return nil, err
	}
	if s.Shaping != nil {
		b = append(b, `,"shaping":`...)
		if b, err = appendJSONFloat(b, *s.Shaping); err != nil {
			return nil, err
		}
	}
	if s.Resent {
		b = append(b, `,"resent":true`...)
	}
	return append(b, '}'), nil
}

func appendCallInfoJSON(b []byte, c *CallInfo) ([]byte, error) {
	var err error
	b = append(b, `{"id":`...)
	b = appendJSONString(b, c.ID)
	b = append(b, `,"name":`...)
	b = appendJSONString(b, c.Name)
	b = append(b, `,"duration_ms":`...)
	if b, err = appendJSONFloat(b, c.DurationMS); err != nil {
		return nil, err
	}
	if c.Error != nil {
		b = append(b, `,"error":{"kind":`...)
		b = appendJSONString(b, string(c.Error.Kind))
		b = append(b, `,"message":`...)
		b = appendJSONString(b, c.Error.Message)
		b = append(b, '}')
	}
	if c.Truncated {
		b = append(b, `,"truncated":true`...)
	}
	if c.Replayed {
		b = append(b, `,"replayed":true`...)
	}
	b = append(b, `,"output_bytes":`...)
	b = strconv.AppendInt(b, int64(c.OutputBytes), 10)
	return append(b, '}'), nil
}

// appendJSONFloat formats f as encoding/json does: like %g with the
// exponent form only below 1e-6 or from 1e21, its exponent not padded.
func appendJSONFloat(b []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, fmt.Errorf("json: unsupported value: %v", f)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	start := len(b)
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-07 → e-7
		if n := len(b); n-start >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

const hexDigits = "0123456789abcdef"

// appendJSONString writes s quoted, escaped as json.Marshal escapes it.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	plain := 0 // s[plain:i] is yet to be copied
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			var esc string
			switch {
			case c == '"':
				esc = `\"`
			case c == '\\':
				esc = `\\`
			case c == '\n':
				esc = `\n`
			case c == '\r':
				esc = `\r`
			case c == '\t':
				esc = `\t`
			case c == '\b':
				esc = `\b`
			case c == '\f':
				esc = `\f`
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				b = append(b, s[plain:i]...)
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
				i++
				plain = i
				continue
			default:
				i++
				continue
			}
			b = append(b, s[plain:i]...)
			b = append(b, esc...)
			i++
			plain = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[plain:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[plain:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		plain = i
	}
	b = append(b, s[plain:]...)
	return append(b, '"')
}
