package env

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/dive-env/dive/reward"
	"github.com/dive-env/dive/toolexec"
)

// mirrorOf returns a struct type with t's fields and tags but none of its
// methods, the types with hand-written encoders replaced by their mirrors
// wherever they appear, so that the library encodes it by reflection.
func mirrorOf(t reflect.Type, custom map[reflect.Type]bool, memo map[reflect.Type]reflect.Type) reflect.Type {
	if m, ok := memo[t]; ok {
		return m
	}
	switch t.Kind() {
	case reflect.Pointer:
		return reflect.PointerTo(mirrorOf(t.Elem(), custom, memo))
	case reflect.Slice:
		return reflect.SliceOf(mirrorOf(t.Elem(), custom, memo))
	case reflect.Struct:
		if !custom[t] {
			return t
		}
		fields := make([]reflect.StructField, t.NumField())
		for i := range fields {
			f := t.Field(i)
			fields[i] = reflect.StructField{Name: f.Name, Type: mirrorOf(f.Type, custom, memo), Tag: f.Tag}
		}
		m := reflect.StructOf(fields)
		memo[t] = m
		return m
	}
	return t
}

// libraryEncoding encodes v as the msgpack library would without the
// hand-written encoders: v is copied, through JSON, into its mirror.
func libraryEncoding(t *testing.T, v any) []byte {
	t.Helper()
	custom := map[reflect.Type]bool{}
	for _, x := range []any{Message{}, CallInfo{}, StepInfo{}, StepResult{}} {
		custom[reflect.TypeOf(x)] = true
	}
	mirror := reflect.New(mirrorOf(reflect.TypeOf(v), custom, map[reflect.Type]reflect.Type{}))
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, mirror.Interface()); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	enc.SetCustomStructTag("json")
	enc.SetOmitEmpty(false)
	if err := enc.Encode(mirror.Elem().Interface()); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestMsgpackEncodersMatchLibrary(t *testing.T) {
	shaping := -0.25
	tests := []struct {
		name string
		v    any
	}{
		{"tool message", Message{Role: "tool", Content: "391", ToolCallID: "call_1_0", Name: "calculator"}},
		{"assistant message with calls", Message{Role: "assistant", Content: "", ToolCalls: []ToolCall{
			{ID: "c1", Type: "function", Function: FunctionCall{Name: "calculator", Arguments: `{"expression": "17 * 23"}`}}}}},
		{"empty message", Message{}},
		{"call info, all fields", CallInfo{ID: "c1", Name: "calculator", DurationMS: 0.125, Error: &toolexec.CallError{Kind: toolexec.ErrTimeout, Message: "slow"},
			Truncated: true, Replayed: true, OutputBytes: 70000}},
		{"call info, bare", CallInfo{ID: "c1", Name: "x", OutputBytes: -3}},
		{"step info", StepInfo{Turn: 300, ToolCalls: []CallInfo{{ID: "a", Name: "b", DurationMS: 1e-7}}, ToolCallsTotal: 1, DurationMS: 12.5, Shaping: &shaping, Resent: true}},
		{"step info, nil calls", StepInfo{}},
		{"step result, running", StepResult{Episode: "ep-1", Messages: []Message{{Role: "tool", Content: "ok", ToolCallID: "c1", Name: "f"}},
			Info: StepInfo{Turn: 1, ToolCalls: []CallInfo{{ID: "c1", Name: "f", DurationMS: 0.01, OutputBytes: 2}}, ToolCallsTotal: 1}}},
		{"step result, ended", StepResult{Episode: "ep-2", Messages: []Message{}, Done: true, Reason: ReasonAnswer,
			Reward: &reward.Result{Score: 1, Label: reward.Correct, Scorer: "match"}, Info: StepInfo{Turn: 2, ToolCalls: []CallInfo{}}}},
		{"step result, nil messages", StepResult{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := msgpackCodec{}.encode(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			want := libraryEncoding(t, tt.v)
			if !bytes.Equal(got, want) {
				t.Fatalf("hand-written encoding differs from the library's:\n got %x\nwant %x", got, want)
			}
		})
	}
}

// TestResponseUsesStepResultEncoder checks that a reply carries the step
// result as its hand-written encoder writes it (the result is an any).
func TestResponseUsesStepResultEncoder(t *testing.T) {
	sr := &StepResult{Episode: "ep-3", Messages: []Message{{Role: "tool", Content: "x", ToolCallID: "c", Name: "f"}}, Info: StepInfo{Turn: 1}}
	resp, err := msgpackCodec{}.encode(Response{ID: IntID(70000), Op: OpStep, Result: sr})
	if err != nil {
		t.Fatal(err)
	}
	if want := libraryEncoding(t, *sr); !bytes.Contains(resp, want) {
		t.Fatalf("the reply %x does not carry the step result as %x", resp, want)
	}
}
