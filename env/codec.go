package env

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
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
	case int8, int16, int32, int64, uint8, uint16, uint32, uint64:
		n, err := strconv.ParseInt(fmt.Sprint(x), 10, 64)
		if err != nil {
			return fmt.Errorf("id out of range: %v", x)
		}
		*id = IntID(n)
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

func (jsonCodec) encode(v any) ([]byte, error) { return json.Marshal(v) }

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

func (msgpackCodec) decodeParams(raw []byte, v any) error {
	if len(raw) == 0 || (len(raw) == 1 && raw[0] == 0xc0) { // absent or nil
		return nil
	}
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
