package env

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"

	"github.com/gorilla/websocket"
	"github.com/vmihailenco/msgpack/v5"
)

// RequestID is a client-chosen request id: a string or an integer, echoed
// unchanged in the reply.
type RequestID struct {
	str   string
	num   int64
	isNum bool
	set   bool
}

// StringID returns a string request id.
func StringID(s string) RequestID { return RequestID{str: s, set: true} }

// IntID returns an integer request id.
func IntID(n int64) RequestID { return RequestID{num: n, isNum: true, set: true} }

// IsZero reports whether the id is absent.
func (id RequestID) IsZero() bool { return !id.set }

// String renders the id for logs.
func (id RequestID) String() string {
	switch {
	case !id.set:
		return "null"
	case id.isNum:
		return strconv.FormatInt(id.num, 10)
	}
	return strconv.Quote(id.str)
}

// MarshalJSON implements json.Marshaler.
func (id RequestID) MarshalJSON() ([]byte, error) {
	switch {
	case !id.set:
		return []byte("null"), nil
	case id.isNum:
		return strconv.AppendInt(nil, id.num, 10), nil
	}
	return json.Marshal(id.str)
}

// UnmarshalJSON implements json.Unmarshaler.
func (id *RequestID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*id = RequestID{}
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*id = StringID(s)
	default:
		n, err := strconv.ParseInt(string(b), 10, 64)
		if err != nil {
			return fmt.Errorf("id must be a string or an integer, got %s", b)
		}
		*id = IntID(n)
	}
	return nil
}

// EncodeMsgpack implements msgpack.CustomEncoder.
func (id RequestID) EncodeMsgpack(enc *msgpack.Encoder) error {
	switch {
	case !id.set:
		return enc.EncodeNil()
	case id.isNum:
		return enc.EncodeInt(id.num)
	}
	return enc.EncodeString(id.str)
}

// DecodeMsgpack implements msgpack.CustomDecoder.
func (id *RequestID) DecodeMsgpack(dec *msgpack.Decoder) error {
	v, err := dec.DecodeInterface()
	if err != nil {
		return err
	}
	switch x := v.(type) {
	case nil:
		*id = RequestID{}
	case string:
		*id = StringID(x)
	case int8:
		*id = IntID(int64(x))
	case int16:
		*id = IntID(int64(x))
	case int32:
		*id = IntID(int64(x))
	case int64:
		*id = IntID(x)
	case uint8:
		*id = IntID(int64(x))
	case uint16:
		*id = IntID(int64(x))
	case uint32:
		*id = IntID(int64(x))
	case uint64:
		if x > math.MaxInt64 {
			return fmt.Errorf("id out of range: %v", x)
		}
		*id = IntID(int64(x))
	default:
		return fmt.Errorf("id must be a string or an integer, got %T", v)
	}
	return nil
}

// codec encodes and decodes frames of one encoding.
type codec interface {
	name() string
	messageType() int
	// decodeEnvelope reads id, op and the raw params of a request.
	decodeEnvelope(data []byte) (envelope, error)
	// decodeParams decodes raw params into v; empty params leave v as is.
	decodeParams(raw []byte, v any) error
	// splitBatch returns the encoded requests of a batch's params.
	splitBatch(raw []byte) ([][]byte, error)
	// encode encodes a reply.
	encode(v any) ([]byte, error)
}

// envelope is a decoded request frame with its params still encoded.
type envelope struct {
	ID     RequestID
	Op     string
	Params []byte
}

type jsonCodec struct{}

func (jsonCodec) name() string     { return "json" }
func (jsonCodec) messageType() int { return websocket.TextMessage }

func (jsonCodec) decodeEnvelope(data []byte) (envelope, error) {
	if e, ok := scanEnvelopeJSON(data); ok {
		return e, nil
	}
	return decodeEnvelopeJSON(data)
}

// decodeEnvelopeJSON decodes an envelope with encoding/json.
func decodeEnvelopeJSON(data []byte) (envelope, error) {
	var e struct {
		ID     RequestID       `json:"id"`
		Op     string          `json:"op"`
		Params json.RawMessage `json:"params"`
	}
	if err := json.Unmarshal(data, &e); err != nil {
		return envelope{}, err
	}
	return envelope{ID: e.ID, Op: e.Op, Params: e.Params}, nil
}

func (jsonCodec) decodeParams(raw []byte, v any) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil
	}
	if p, ok := v.(*StepParams); ok && *p == (StepParams{}) {
		if scanned, ok := scanStepParamsJSON(raw); ok {
			*p = scanned
			return nil
		}
	}
	return decodeParamsJSON(raw, v)
}

// decodeParamsJSON decodes params with encoding/json, refusing unknown fields.
func decodeParamsJSON(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func (c jsonCodec) splitBatch(raw []byte) ([][]byte, error) {
	return splitBatchAs[json.RawMessage](c, raw)
}

// splitBatchAs decodes a batch's params with codec c, keeping each request
// encoded as the codec's raw-message type R.
func splitBatchAs[R ~[]byte](c codec, raw []byte) ([][]byte, error) {
	var b struct {
		Requests []R `json:"requests"`
	}
	if err := c.decodeParams(raw, &b); err != nil {
		return nil, err
	}
	out := make([][]byte, len(b.Requests))
	for i, r := range b.Requests {
		out[i] = r
	}
	return out, nil
}

func (jsonCodec) encode(v any) ([]byte, error) {
	if r, ok := v.(Response); ok && r.Error == nil {
		if sr, ok := r.Result.(*StepResult); ok && sr != nil {
			return encodeStepReplyJSON(r, sr)
		}
	}
	return json.Marshal(v)
}

// msgpackCodec uses the json struct tags, so one set of types serves both.
type msgpackCodec struct{}

func (msgpackCodec) name() string     { return "msgpack" }
func (msgpackCodec) messageType() int { return websocket.BinaryMessage }

var msgpackDecoders = sync.Pool{New: func() any {
	d := msgpack.NewDecoder(nil)
	d.SetCustomStructTag("json")
	d.DisallowUnknownFields(true)
	return d
}}

func (msgpackCodec) decodeEnvelope(data []byte) (envelope, error) {
	if err := checkMsgpack(data); err != nil {
		return envelope{}, err
	}
	if e, ok := scanEnvelope(data); ok {
		return e, nil
	}
	// Not the plain shape scanEnvelope reads: the library decides, and words
	// the error.
	return decodeEnvelopeReflect(data)
}

// decodeEnvelopeReflect decodes an envelope with the msgpack library.
func decodeEnvelopeReflect(data []byte) (envelope, error) {
	var e struct {
		ID     RequestID          `json:"id"`
		Op     string             `json:"op"`
		Params msgpack.RawMessage `json:"params"`
	}
	d := msgpackDecoders.Get().(*msgpack.Decoder)
	defer msgpackDecoders.Put(d)
	d.Reset(bytes.NewReader(data))
	d.SetCustomStructTag("json")
	d.DisallowUnknownFields(false)
	if err := d.Decode(&e); err != nil {
		return envelope{}, err
	}
	return envelope{ID: e.ID, Op: e.Op, Params: e.Params}, nil
}

// scanEnvelope reads a request envelope (a map with string keys; an integer
// or string id, a string op) without the reflective decoder, its params
// kept as a slice of data (frames are not reused, so no copy is needed). It
// reports false for any other shape. data has passed checkMsgpack.
func scanEnvelope(data []byte) (envelope, bool) {
	var e envelope
	n, off, ok := msgpackMapLen(data, 0)
	if !ok {
		return e, false
	}
	for range n {
		key, valueAt, ok := msgpackStrBytes(data, off)
		if !ok {
			return e, false
		}
		end, err := skipMsgpack(data, valueAt, 1)
		if err != nil {
			return e, false
		}
		switch string(key) { // no copy: the compiler compares the bytes
		case "id":
			if e.ID, ok = msgpackID(data[valueAt:end]); !ok {
				return e, false
			}
		case "op":
			op, _, ok := msgpackStr(data, valueAt)
			if !ok {
				return e, false
			}
			e.Op = op
		case "params":
			e.Params = nil // a nil value reads as absent, as the library reads it
			if data[valueAt] != 0xc0 {
				e.Params = data[valueAt:end:end]
			}
		}
		off = end
	}
	return e, true
}

// msgpackMapLen reads a map header at off.
func msgpackMapLen(data []byte, off int) (n, next int, ok bool) {
	if off >= len(data) {
		return 0, 0, false
	}
	switch c := data[off]; {
	case c >= 0x80 && c <= 0x8f:
		return int(c & 0x0f), off + 1, true
	case c == 0xde && off+3 <= len(data):
		return int(binary.BigEndian.Uint16(data[off+1:])), off + 3, true
	case c == 0xdf && off+5 <= len(data):
		return int(binary.BigEndian.Uint32(data[off+1:])), off + 5, true
	}
	return 0, 0, false
}

// msgpackStr reads a string (a str format, not bin) at off.
func msgpackStr(data []byte, off int) (s string, next int, ok bool) {
	b, next, ok := msgpackStrBytes(data, off)
	return string(b), next, ok
}

// msgpackStrBytes reads a string (a str format, not bin) at off, as a slice
// of data.
func msgpackStrBytes(data []byte, off int) (b []byte, next int, ok bool) {
	if off >= len(data) {
		return nil, 0, false
	}
	c, n, at := data[off], 0, off+1
	switch {
	case c >= 0xa0 && c <= 0xbf:
		n = int(c & 0x1f)
	case c == 0xd9 && at+1 <= len(data):
		n, at = int(data[at]), at+1
	case c == 0xda && at+2 <= len(data):
		n, at = int(binary.BigEndian.Uint16(data[at:])), at+2
	case c == 0xdb && at+4 <= len(data):
		n, at = int(binary.BigEndian.Uint32(data[at:])), at+4
	default:
		return nil, 0, false
	}
	if n > len(data)-at {
		return nil, 0, false
	}
	return data[at : at+n], at + n, true
}

// msgpackID reads a request id: nil, an integer that fits int64, or a string.
func msgpackID(v []byte) (RequestID, bool) {
	if len(v) == 0 {
		return RequestID{}, false
	}
	c := v[0]
	switch {
	case c == 0xc0:
		return RequestID{}, true
	case c <= 0x7f:
		return IntID(int64(c)), true
	case c >= 0xe0:
		return IntID(int64(int8(c))), true
	case c >= 0xa0 && c <= 0xbf, c == 0xd9, c == 0xda, c == 0xdb:
		s, _, ok := msgpackStr(v, 0)
		return StringID(s), ok
	}
	body := v[1:]
	switch {
	case c == 0xcc && len(body) >= 1:
		return IntID(int64(body[0])), true
	case c == 0xcd && len(body) >= 2:
		return IntID(int64(binary.BigEndian.Uint16(body))), true
	case c == 0xce && len(body) >= 4:
		return IntID(int64(binary.BigEndian.Uint32(body))), true
	case c == 0xcf && len(body) >= 8:
		u := binary.BigEndian.Uint64(body)
		return IntID(int64(u)), u <= math.MaxInt64
	case c == 0xd0 && len(body) >= 1:
		return IntID(int64(int8(body[0]))), true
	case c == 0xd1 && len(body) >= 2:
		return IntID(int64(int16(binary.BigEndian.Uint16(body)))), true
	case c == 0xd2 && len(body) >= 4:
		return IntID(int64(int32(binary.BigEndian.Uint32(body)))), true
	case c == 0xd3 && len(body) >= 8:
		return IntID(int64(binary.BigEndian.Uint64(body))), true
	}
	return RequestID{}, false
}

func (msgpackCodec) decodeParams(raw []byte, v any) error {
	if len(raw) == 0 || (len(raw) == 1 && raw[0] == 0xc0) { // absent or nil
		return nil
	}
	if p, ok := v.(*StepParams); ok && *p == (StepParams{}) {
		if scanned, ok := scanStepParams(raw); ok {
			*p = scanned
			return nil
		}
	}
	return decodeParamsReflect(raw, v)
}

// decodeParamsReflect decodes params with the library's reflective decoder.
func decodeParamsReflect(raw []byte, v any) error {
	d := msgpackDecoders.Get().(*msgpack.Decoder)
	defer msgpackDecoders.Put(d)
	d.Reset(bytes.NewReader(raw))
	d.SetCustomStructTag("json")
	d.DisallowUnknownFields(true)
	return d.Decode(v)
}

func (c msgpackCodec) splitBatch(raw []byte) ([][]byte, error) {
	return splitBatchAs[msgpack.RawMessage](c, raw)
}

var msgpackBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (msgpackCodec) encode(v any) ([]byte, error) {
	buf := msgpackBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	defer msgpackBuffers.Put(buf)
	enc := msgpack.GetEncoder()
	defer msgpack.PutEncoder(enc)
	enc.Reset(buf)
	enc.SetCustomStructTag("json")
	enc.SetOmitEmpty(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return append([]byte(nil), buf.Bytes()...), nil
}

// codecFor returns the codec of a negotiated subprotocol ("" means JSON).
func codecFor(subprotocol string) (codec, error) {
	switch subprotocol {
	case "", SubprotocolJSON:
		return jsonCodec{}, nil
	case SubprotocolMsgpack:
		return msgpackCodec{}, nil
	}
	return nil, errors.New("unsupported subprotocol " + subprotocol)
}
