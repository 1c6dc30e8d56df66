package env

import (
	"reflect"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// stepParamsSeeds are step params in the shapes clients send, and in shapes
// the scanner leaves to the library.
func stepParamsSeeds(t testing.TB) map[string][]byte {
	t.Helper()
	call := map[string]any{"id": "call_1", "type": "function", "function": map[string]any{"name": "calculator", "arguments": `{"expression": "17 * 23"}`}}
	seeds := map[string]any{
		"tool call":            map[string]any{"episode": "ep-1", "turn": 3, "message": map[string]any{"role": "assistant", "content": nil, "tool_calls": []any{call}}},
		"text answer":          map[string]any{"episode": "ep-1", "message": map[string]any{"role": "assistant", "content": "<answer>391</answer>"}},
		"raw text":             map[string]any{"episode": "ep-1", "text": "<tool_call>{}</tool_call>", "turn": 200},
		"large turn":           map[string]any{"episode": "ep-1", "turn": int64(1) << 40, "message": map[string]any{"role": "assistant", "content": "x", "tool_calls": []any{}, "name": "n", "tool_call_id": "c"}},
		"negative turn":        map[string]any{"episode": "e", "turn": -70000},
		"uint64 turn":          map[string]any{"episode": "e", "turn": uint64(1) << 63},
		"float turn":           map[string]any{"episode": "e", "turn": 2.0},
		"content parts":        map[string]any{"episode": "e", "message": map[string]any{"role": "assistant", "content": []any{map[string]any{"type": "text", "text": "hi"}}}},
		"arguments object":     map[string]any{"episode": "e", "message": map[string]any{"role": "assistant", "tool_calls": []any{map[string]any{"id": "1", "function": map[string]any{"name": "f", "arguments": map[string]any{"x": 1}}}}}},
		"unknown field":        map[string]any{"episode": "e", "extra": 1},
		"nil message and text": map[string]any{"episode": "e", "message": nil, "text": nil},
		"nil tool calls":       map[string]any{"episode": "e", "message": map[string]any{"role": "assistant", "content": "c", "tool_calls": nil}},
		"bytes episode":        map[string]any{"episode": []byte("e")},
	}
	out := map[string][]byte{}
	for name, v := range seeds {
		b, err := msgpack.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = b
	}
	// A repeated key, which the library merges into the message it decoded first.
	out["repeated key"] = []byte("\x82\xa7message\x81\xa4role\xa1a\xa7message\x81\xa4name\xa1b")
	return out
}

// TestScanStepParams: the shapes clients send are read without the library,
// and read as the library reads them; the others are left to it.
func TestScanStepParams(t *testing.T) {
	seeds := stepParamsSeeds(t)
	for _, tc := range []struct {
		seed    string
		scanned bool
	}{
		{"tool call", true}, {"text answer", true}, {"raw text", true}, {"large turn", true}, {"negative turn", true},
		{"nil tool calls", true},
		{"uint64 turn", false}, {"float turn", false}, {"content parts", false}, {"arguments object", false},
		{"unknown field", false}, {"nil message and text", false}, {"bytes episode", false}, {"repeated key", false},
	} {
		t.Run(tc.seed, func(t *testing.T) {
			data := seeds[tc.seed]
			got, ok := scanStepParams(data)
			if ok != tc.scanned {
				t.Fatalf("scanned = %v, want %v", ok, tc.scanned)
			}
			var want StepParams
			err := decodeParamsReflect(data, &want)
			if ok && (err != nil || !reflect.DeepEqual(got, want)) {
				t.Fatalf("scanned %+v; the library reads %+v (%v)", got, want, err)
			}
			// Through the codec, either way, the library's reading.
			var viaCodec StepParams
			if cerr := (msgpackCodec{}).decodeParams(data, &viaCodec); (cerr == nil) != (err == nil) || !reflect.DeepEqual(viaCodec, want) {
				t.Fatalf("decodeParams %+v (%v); the library %+v (%v)", viaCodec, cerr, want, err)
			}
		})
	}
}

// FuzzScanStepParams checks the step params scanner against the library:
// whatever it reads, the library reads the same, without error.
func FuzzScanStepParams(f *testing.F) {
	for _, b := range stepParamsSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if checkMsgpack(data) != nil {
			return
		}
		got, ok := scanStepParams(data)
		if !ok {
			return
		}
		var want StepParams
		if err := decodeParamsReflect(data, &want); err != nil {
			t.Fatalf("scanStepParams read %q, which the library rejects: %v", data, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("scanStepParams(%q) = %+v, the library reads %+v", data, got, want)
		}
	})
}
