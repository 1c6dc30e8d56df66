package env

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// FuzzDecodeFrame feeds arbitrary bytes to both codecs: decoding may fail,
// but never panic, and whatever decodes can be decoded into every params type.
func FuzzDecodeFrame(f *testing.F) {
	for _, s := range []string{
		`{"id": 1, "op": "hello"}`,
		`{"id": "a", "op": "step", "params": {"episode": "e", "message": {"role": "assistant", "content": [{"type": "text", "text": "hi"}], "tool_calls": [{"id": "1", "function": {"name": "f", "arguments": {"x": 1}}}]}}}`,
		`{"id": 2, "op": "batch", "params": {"requests": [{"id": 3, "op": "reset", "params": {"task_id": "t"}}]}}`,
		"\x83\xa2id\x01\xa2op\xa5hello\xa6params\xc0",
		"\x82\xa2id\xa1x\xa2op\xa4step",
	} {
		f.Add([]byte(s))
	}
	codecs := []codec{jsonCodec{}, msgpackCodec{}}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, c := range codecs {
			env, err := c.decodeEnvelope(data)
			if err != nil {
				continue
			}
			for _, p := range []any{&HelloParams{}, &TasksListParams{}, &SampleSpec{}, &ResetParams{}, &StepParams{}, &EpisodeParams{}, &ScoreParams{}} {
				_ = c.decodeParams(env.Params, p)
			}
			if frames, err := c.splitBatch(env.Params); err == nil {
				for _, fr := range frames {
					_, _ = c.decodeEnvelope(fr)
				}
			}
		}
	})
}

// FuzzParseHermes checks that any model text parses into content and calls,
// every call either named or carrying a reason for the model.
func FuzzParseHermes(f *testing.F) {
	for _, s := range []string{
		"plain answer",
		"<tool_call>{\"name\": \"f\", \"arguments\": {\"a\": 1}}</tool_call>",
		"x<tool_call>{\"name\": \"f\", \"arguments\": \"{\\\"a\\\": 1}\"}</tool_call>y<tool_call>{bad</tool_call>",
		"<tool_call>{\"name\": \"f\"",
		"<tool_call></tool_call><tool_call>",
		"<tool_call>\n<function=f>\n<parameter=a>\n1\n</parameter>\n</function>\n</tool_call>",
		"<tool_call><function=f><parameter=a>1<parameter=></tool_call>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		content, calls := parseHermes(text)
		for _, c := range calls {
			if c.Name == "" && c.Err == "" {
				t.Fatalf("call without name or error in %q", text)
			}
		}
		if len(calls) == 0 && content != strings.TrimSpace(text) {
			t.Fatalf("text without calls changed: %q -> %q", text, content)
		}
		// Every block is a call, except that an unclosed block swallows the rest.
		opens := strings.Count(text, hermesOpen)
		if len(calls) > opens || (opens > 0 && len(calls) == 0) {
			t.Fatalf("%d calls for %d blocks in %q", len(calls), opens, text)
		}
	})
}

// FuzzXMLCall: a call in the XML layout either parses to a name and
// parameters or is an error; the arguments made of the parameters are a
// JSON object with each parameter's name once, whatever the values.
func FuzzXMLCall(f *testing.F) {
	for _, s := range []string{
		"<function=f>\n<parameter=i>\n7\n</parameter>\n<parameter=o>\n{\"k\": 1}\n</parameter>\n</function>",
		"<function=f><parameter=n>1e400</parameter><parameter=b>TRUE</parameter><parameter=a>[1,</parameter>",
		"<function=f><parameter=s>\"quoted\"</parameter><parameter=ni>NULL</parameter>",
		"<function=f><parameter=i>9223372036854775808</parameter><parameter=i>-0.0</parameter>",
	} {
		f.Add(s)
	}
	schema := json.RawMessage(`{"type": "object", "properties": {"s": {"type": "string"}, "i": {"type": "integer"},
		"n": {"type": "number"}, "b": {"type": "boolean"}, "o": {"type": "object"}, "a": {"type": "array"},
		"ni": {"type": ["integer", "null"]}, "e": {"enum": [1, "x", null, true]}}}`)
	f.Fuzz(func(t *testing.T, body string) {
		if !isXMLCall(body) {
			return
		}
		name, params, err := parseXMLCall(body)
		wantName, wantParams, wantErr := parseXMLCallQuadratic(body)
		if name != wantName || !slices.Equal(params, wantParams) || (err == nil) != (wantErr == nil) {
			t.Fatalf("parseXMLCall(%q) = %q %q %v; the plain parser gives %q %q %v", body, name, params, err, wantName, wantParams, wantErr)
		}
		if err != nil {
			return
		}
		if name == "" {
			t.Fatalf("a call without a name from %q", body)
		}
		args := xmlArguments(params, schema)
		var obj map[string]any
		if err := json.Unmarshal([]byte(args), &obj); err != nil {
			t.Fatalf("arguments %q from %q are not a JSON object: %v", args, body, err)
		}
		names := map[string]bool{}
		for _, p := range params {
			names[p.Name] = true
		}
		if len(obj) != len(names) {
			t.Fatalf("arguments %q have %d keys for parameters %q", args, len(obj), params)
		}
	})
}

func TestCheckMsgpack(t *testing.T) {
	for _, bad := range [][]byte{
		[]byte("\x93\xdd\xd8l\xe0\x8e\xb2\xd1"), // array32 of 3.6 billion elements: found by the fuzzer
		{0xdf, 0xff, 0xff, 0xff, 0xff},          // map32 of 4 billion pairs
		{0xdb, 0x7f, 0xff, 0xff, 0xff},          // str32 longer than the frame
		{0x91},                                  // array with its element missing
		{0xc1},                                  // never-used code
		append(bytesRepeat(0x91, 100), 0x00),    // nesting 100 deep
	} {
		if err := checkMsgpack(bad); err == nil {
			t.Errorf("accepted % x", bad)
		}
	}
	good, err := msgpackCodec{}.encode(map[string]any{"id": 1, "op": "step", "params": map[string]any{
		"episode": "e", "f": 1.5, "b": []byte{1, 2}, "l": []any{nil, true, -3, int64(1) << 40, "s"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := checkMsgpack(good); err != nil {
		t.Fatalf("rejected a good frame: %v", err)
	}
}

func bytesRepeat(b byte, n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = b
	}
	return out
}

// FuzzScanEnvelope checks the msgpack envelope scanner against the library:
// whatever it reads, the library reads the same (id, op and params).
func FuzzScanEnvelope(f *testing.F) {
	for _, s := range []string{
		"\x83\xa2id\x01\xa2op\xa5hello\xa6params\xc0",
		"\x82\xa2id\xa1x\xa2op\xa4step",
		"\x83\xa2id\xcf\xff\xff\xff\xff\xff\xff\xff\xff\xa2op\xa4step\xa6params\x81\xa7episode\xa1e",
		"\x83\xa2id\xd3\x80\x00\x00\x00\x00\x00\x00\x00\xa2op\xd9\x04step\xa6params\x90",
		"\x84\xa2id\xe0\xa2op\xa4step\xa2op\xa5reset\xa5extra\x93\x01\x02\x03",
		"\x82\xa2id\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00\xa2op\xa4step",
		"\x81\xc4\x02id\x01",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if checkMsgpack(data) != nil {
			return
		}
		got, ok := scanEnvelope(data)
		if !ok {
			return
		}
		want, err := decodeEnvelopeReflect(data)
		if err != nil {
			t.Fatalf("scanEnvelope read %q, which the library rejects: %v", data, err)
		}
		if got.ID != want.ID || got.Op != want.Op || !bytes.Equal(got.Params, want.Params) {
			t.Fatalf("scanEnvelope(%q) = %+v, the library reads %+v", data, got, want)
		}
	})
}
