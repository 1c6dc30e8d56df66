package env

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// jsonStepParamsSeeds are step params in JSON, in the shapes clients send
// and in shapes the scanner leaves to encoding/json.
var jsonStepParamsSeeds = map[string]string{
	"tool call":         `{"episode": "ep-1", "turn": 3, "message": {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "calculator", "arguments": "{\"expression\": \"17 * 23\"}"}}]}}`,
	"arguments object":  "{\"episode\":\"e\",\"message\":{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"1\",\"function\":{\"name\":\"f\",\"arguments\": { \"x\" : [1, 2.5e3, true, null, \"\\u00e9\"] } }}]}}",
	"text answer":       "{\n\t\"episode\" : \"ep-1\" ,\r\n \"message\": {\"role\": \"assistant\", \"content\": \"<answer>391 \\u00b0C \\\\ \\/ \\b\\f\\n\\r\\t</answer>\"}}",
	"unicode":           `{"episode": "é-ü-中", "text": "naïve 😀 text", "turn": -12}`,
	"empty tool calls":  `{"episode": "e", "message": {"role": "assistant", "content": "", "tool_calls": [], "name": "n", "tool_call_id": "c"}}`,
	"nil tool calls":    `{"episode": "e", "message": {"role": "assistant", "content": "c", "tool_calls": null}}`,
	"empty":             `{}`,
	"surrogate escape":  `{"episode": "\ud83d\ude00"}`,
	"float turn":        `{"episode": "e", "turn": 2.0}`,
	"exponent turn":     `{"episode": "e", "turn": 2e1}`,
	"huge turn":         `{"episode": "e", "turn": 99999999999999999999}`,
	"leading zero":      `{"episode": "e", "turn": 01}`,
	"key case":          `{"Episode": "e"}`,
	"unknown field":     `{"episode": "e", "extra": 1}`,
	"repeated key":      `{"episode": "a", "episode": "b"}`,
	"content parts":     `{"episode": "e", "message": {"role": "assistant", "content": [{"type": "text", "text": "hi"}]}}`,
	"nil message":       `{"episode": "e", "message": null, "text": null}`,
	"invalid utf8":      "{\"episode\": \"\xff\"}",
	"trailing garbage":  `{"episode": "e"} x`,
	"control character": "{\"episode\": \"a\x01b\"}",
	"bad escape":        `{"episode": "\x"}`,
}

// TestScanStepParamsJSON: the shapes clients send are read in one pass, as
// encoding/json reads them; the others are left to it.
func TestScanStepParamsJSON(t *testing.T) {
	scanned := map[string]bool{"tool call": true, "arguments object": true, "text answer": true, "unicode": true,
		"empty tool calls": true, "nil tool calls": true, "empty": true}
	for name, text := range jsonStepParamsSeeds {
		t.Run(name, func(t *testing.T) {
			data := []byte(text)
			got, ok := scanStepParamsJSON(data)
			if ok != scanned[name] {
				t.Fatalf("scanned = %v, want %v", ok, scanned[name])
			}
			var want StepParams
			err := decodeParamsJSON(data, &want)
			if ok && (err != nil || !reflect.DeepEqual(got, want)) {
				t.Fatalf("scanned %+v; encoding/json reads %+v (%v)", got, want, err)
			}
		})
	}
	// The codec takes the scanner's reading or encoding/json's, the same either way.
	var p StepParams
	if err := (jsonCodec{}).decodeParams([]byte(jsonStepParamsSeeds["tool call"]), &p); err != nil || p.Message == nil ||
		p.Message.ToolCalls[0].Function.Arguments != `{"expression": "17 * 23"}` || p.Turn != 3 {
		t.Fatalf("decodeParams: %+v %v", p, err)
	}
}

// TestScanEnvelopeJSON: plain envelopes are read in one pass, as
// encoding/json reads them.
func TestScanEnvelopeJSON(t *testing.T) {
	for _, tc := range []struct {
		frame   string
		scanned bool
	}{
		{`{"id": 1, "op": "step", "params": {"episode": "e", "message": {"role": "assistant", "content": "x"}}}`, true},
		{` { "id" : "a\"b" , "op" : "reset" , "params" : { "task_id" : "t", "options": {"seed": 7, "x": [1.5e-3, -0, true, false, null, {}, []]} } } `, true},
		{`{"id": null, "op": "hello"}`, true},
		{`{"id": -0, "op": "hello", "params": null}`, true},
		{`{"op": "hello", "id": 9223372036854775807}`, true},
		{`{"id": 9223372036854775808, "op": "hello"}`, false},
		{`{"id": 1.0, "op": "hello"}`, false},
		{`{"ID": 1, "op": "hello"}`, false},
		{`{"id": 1, "op": "hello", "jsonrpc": "2.0"}`, false},
		{`{"id": 1, "op": "hello", "params": {"a": 01}}`, false},
		{`{"id": 1, "op": "hello", "params": {"a": "\ud800"}}`, true},
		{`{"id": 1, "op": "hello"`, false},
		{`[1]`, false},
	} {
		got, ok := scanEnvelopeJSON([]byte(tc.frame))
		if ok != tc.scanned {
			t.Errorf("%s: scanned = %v, want %v", tc.frame, ok, tc.scanned)
			continue
		}
		want, err := decodeEnvelopeJSON([]byte(tc.frame))
		if ok && (err != nil || got.ID != want.ID || got.Op != want.Op || !bytes.Equal(got.Params, want.Params)) {
			t.Errorf("%s: scanned %+v; encoding/json reads %+v (%v)", tc.frame, got, want, err)
		}
	}
}

// FuzzScanStepParamsJSON checks the JSON step params scanner against
// encoding/json: whatever it reads, encoding/json reads the same.
func FuzzScanStepParamsJSON(f *testing.F) {
	for _, s := range jsonStepParamsSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, ok := scanStepParamsJSON(data)
		if !ok {
			return
		}
		if !json.Valid(data) {
			t.Fatalf("scanStepParamsJSON read %q, which is not valid JSON", data)
		}
		var want StepParams
		if err := decodeParamsJSON(data, &want); err != nil {
			t.Fatalf("scanStepParamsJSON read %q, which encoding/json rejects: %v", data, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("scanStepParamsJSON(%q) = %+v, encoding/json reads %+v", data, got, want)
		}
	})
}

// FuzzScanEnvelopeJSON checks the JSON envelope scanner against
// encoding/json: whatever it reads is valid JSON, read the same.
func FuzzScanEnvelopeJSON(f *testing.F) {
	for _, s := range []string{
		`{"id": 1, "op": "step", "params": {"episode": "e", "message": {"role": "assistant", "content": "x"}}}`,
		` { "id" : "a\"b" , "op" : "reset" , "params" : { "task_id" : "t", "options": {"seed": 7, "x": [1.5e-3, -0, true, false, null, {}, []]} } } `,
		`{"id": null, "op": "hello", "params": null}`,
		`{"id": 1.0, "op": "hello", "params": "\u00e9\ud83d\ude00"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, ok := scanEnvelopeJSON(data)
		if !ok {
			return
		}
		if !json.Valid(data) {
			t.Fatalf("scanEnvelopeJSON read %q, which is not valid JSON", data)
		}
		want, err := decodeEnvelopeJSON(data)
		if err != nil {
			t.Fatalf("scanEnvelopeJSON read %q, which encoding/json rejects: %v", data, err)
		}
		if got.ID != want.ID || got.Op != want.Op || !bytes.Equal(got.Params, want.Params) {
			t.Fatalf("scanEnvelopeJSON(%q) = %+v, encoding/json reads %+v", data, got, want)
		}
	})
}
