package env

import (
	"github.com/vmihailenco/msgpack/v5"
)

// Hand-written msgpack encoders for the types every step reply carries. The
// library encodes structs by reflection and, for each struct with omitempty
// fields, allocates the list of fields to write; these write the same bytes
// (the fields in declaration order under their json names, omitempty fields
// left out when empty, each value through the encoder method the library
// would call), which TestMsgpackEncodersMatchLibrary checks.

// EncodeMsgpack implements msgpack.CustomEncoder.
func (m Message) EncodeMsgpack(enc *msgpack.Encoder) error {
	n := 2
	if len(m.ToolCalls) > 0 {
		n++
	}
	if m.ToolCallID != "" {
		n++
	}
	if m.Name != "" {
		n++
	}
	w := msgpackWriter{enc: enc}
	w.mapLen(n)
	w.str("role", m.Role)
	w.str("content", string(m.Content))
	if len(m.ToolCalls) > 0 {
		w.key("tool_calls")
		w.value(m.ToolCalls)
	}
	if m.ToolCallID != "" {
		w.str("tool_call_id", m.ToolCallID)
	}
	if m.Name != "" {
		w.str("name", m.Name)
	}
	return w.err
}

// EncodeMsgpack implements msgpack.CustomEncoder.
func (c CallInfo) EncodeMsgpack(enc *msgpack.Encoder) error {
	n := 4
	if c.Error != nil {
		n++
	}
	if c.Truncated {
		n++
	}
	if c.Replayed {
		n++
	}
	w := msgpackWriter{enc: enc}
	w.mapLen(n)
	w.str("id", c.ID)
	w.str("name", c.Name)
	w.float("duration_ms", c.DurationMS)
	if c.Error != nil {
		w.key("error")
		w.mapLen(2)
		w.str("kind", string(c.Error.Kind))
		w.str("message", c.Error.Message)
	}
	if c.Truncated {
		w.boolean("truncated", true)
	}
	if c.Replayed {
		w.boolean("replayed", true)
	}
	w.int("output_bytes", int64(c.OutputBytes))
	return w.err
}

// EncodeMsgpack implements msgpack.CustomEncoder.
func (s StepInfo) EncodeMsgpack(enc *msgpack.Encoder) error {
	n := 4
	if s.Shaping != nil {
		n++
	}
	if s.Resent {
		n++
	}
	w := msgpackWriter{enc: enc}
	w.mapLen(n)
	w.int("turn", int64(s.Turn))
	w.key("tool_calls")
	if s.ToolCalls == nil {
		w.nil()
	} else {
		w.arrayLen(len(s.ToolCalls))
		for _, c := range s.ToolCalls {
			if w.err == nil {
				w.err = c.EncodeMsgpack(enc)
			}
		}
	}
	w.int("tool_calls_total", int64(s.ToolCallsTotal))
	w.float("duration_ms", s.DurationMS)
	if s.Shaping != nil {
		w.float("shaping", *s.Shaping)
	}
	if s.Resent {
		w.boolean("resent", true)
	}
	return w.err
}

// EncodeMsgpack implements msgpack.CustomEncoder.
func (r StepResult) EncodeMsgpack(enc *msgpack.Encoder) error {
	n := 4
	if r.Reason != "" {
		n++
	}
	if r.Reward != nil {
		n++
	}
	w := msgpackWriter{enc: enc}
	w.mapLen(n)
	w.str("episode", r.Episode)
	w.key("messages")
	if r.Messages == nil {
		w.nil()
	} else {
		w.arrayLen(len(r.Messages))
		for _, m := range r.Messages {
			if w.err == nil {
				w.err = m.EncodeMsgpack(enc)
			}
		}
	}
	w.boolean("done", r.Done)
	if r.Reason != "" {
		w.str("reason", r.Reason)
	}
	if r.Reward != nil {
		w.key("reward")
		w.value(r.Reward)
	}
	w.key("info")
	if w.err == nil {
		w.err = r.Info.EncodeMsgpack(enc)
	}
	return w.err
}

// msgpackWriter writes map entries, keeping the first error.
type msgpackWriter struct {
	enc *msgpack.Encoder
	err error
}

func (w *msgpackWriter) mapLen(n int) {
	if w.err == nil {
		w.err = w.enc.EncodeMapLen(n)
	}
}

func (w *msgpackWriter) arrayLen(n int) {
	if w.err == nil {
		w.err = w.enc.EncodeArrayLen(n)
	}
}

func (w *msgpackWriter) key(k string) {
	if w.err == nil {
		w.err = w.enc.EncodeString(k)
	}
}

func (w *msgpackWriter) nil() {
	if w.err == nil {
		w.err = w.enc.EncodeNil()
	}
}

func (w *msgpackWriter) value(v any) {
	if w.err == nil {
		w.err = w.enc.Encode(v)
	}
}

func (w *msgpackWriter) str(k, v string) {
	w.key(k)
	if w.err == nil {
		w.err = w.enc.EncodeString(v)
	}
}

func (w *msgpackWriter) int(k string, v int64) {
	w.key(k)
	if w.err == nil {
		w.err = w.enc.EncodeInt(v)
	}
}

func (w *msgpackWriter) float(k string, v float64) {
	w.key(k)
	if w.err == nil {
		w.err = w.enc.EncodeFloat64(v)
	}
}

func (w *msgpackWriter) boolean(k string, v bool) {
	w.key(k)
	if w.err == nil {
		w.err = w.enc.EncodeBool(v)
	}
}
