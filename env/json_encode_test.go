package env

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"testing"

	"github.com/dive-env/dive/reward"
	"github.com/dive-env/dive/toolexec"
)

// fillAll sets every field reachable from v (structs, pointers, slices,
// maps) to a value that is not empty, taking strings, numbers and lengths
// from the pickers, so that a field added later and not written by the
// hand-written encoder makes the comparison fail.
func fillAll(v reflect.Value, str func() string, num func() float64) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			fillAll(v.Field(i), str, num)
		}
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fillAll(v.Elem(), str, num)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fillAll(v.Index(i), str, num)
		}
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fillAll(k, str, num)
		fillAll(e, str, num)
		v.SetMapIndex(k, e)
	case reflect.String:
		v.SetString(str())
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(int64(num()))
	case reflect.Float64:
		v.SetFloat(num())
	}
}

// TestJSONStepReplyMatchesLibrary: the hand-written JSON step reply is the
// bytes json.Marshal writes, for replies with every field set (strings
// that need escaping, floats in both notations), with the optional ones
// empty, and with nil slices.
func TestJSONStepReplyMatchesLibrary(t *testing.T) {
	strs := []string{"ep-1", `quote " backslash \ slash /`, "<b>&amp;</b>", "tab\tnl\ncr\rbs\bff\f\x00\x1f\x7f",
		"naïve 中文 😀", "bad \xff\xfe utf8 \xc3", "line\u2028para\u2029", "", `{"expression": "17 * 23"}`}
	nums := []float64{0.125, 1e-7, 391, -0.25, 1e21, 123456789.5, 0, 5e-324, 1e-6, 70000, -3}
	var si, ni int
	str := func() string { si++; return strs[si%len(strs)] }
	num := func() float64 { ni++; return nums[ni%len(nums)] }

	var replies []Response
	for range 12 { // every field set, each time with other strings and numbers
		var sr StepResult
		fillAll(reflect.ValueOf(&sr).Elem(), str, num)
		replies = append(replies, Response{ID: IntID(int64(num())), Op: str(), Result: &sr})
	}
	shaping := 0.0
	replies = append(replies,
		Response{ID: StringID("a<b>"), Op: OpStep, Result: &StepResult{Episode: "ep-2", Messages: []Message{}, Info: StepInfo{ToolCalls: []CallInfo{}, Shaping: &shaping}}},
		Response{Result: &StepResult{}}, // nil slices, no id, no op
		Response{ID: IntID(math.MinInt64), Op: OpStep, Result: &StepResult{Done: true, Reason: ReasonAnswer,
			Reward: &reward.Result{Score: 1, Label: reward.Correct, Components: map[string]float64{"b": 0.5, "a": 1e-9}}, Messages: []Message{
				{Role: "tool", Content: "391", ToolCallID: "c", Name: "calculator"}},
			Info: StepInfo{Turn: 3, ToolCalls: []CallInfo{{ID: "c", Name: "calculator", DurationMS: 0.01, Error: &toolexec.CallError{Kind: toolexec.ErrTimeout, Message: "slow"}}}}}},
	)
	for i, r := range replies {
		got, err := jsonCodec{}.encode(r)
		if err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("reply %d: hand-written JSON differs from json.Marshal's:\n got %s\nwant %s", i, got, want)
		}
	}
	// A float JSON cannot carry is an error, as json.Marshal's.
	if _, err := (jsonCodec{}).encode(Response{ID: IntID(1), Result: &StepResult{Info: StepInfo{DurationMS: math.NaN()}}}); err == nil {
		t.Fatal("NaN encoded")
	}
}

// FuzzAppendJSONString: any string is escaped as json.Marshal escapes it.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", "<&>\u2028\u2029", "\xff\xc3\x28", "\x00\x1f\"\\/", "😀中"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("appendJSONString(%q) = %s, json.Marshal: %s", s, got, want)
		}
	})
}

// FuzzAppendJSONFloat: any float is formatted as json.Marshal formats it.
func FuzzAppendJSONFloat(f *testing.F) {
	for _, x := range []float64{0, 1e-7, 1e21, 123.456, -1e-300, math.MaxFloat64} {
		f.Add(x)
	}
	f.Fuzz(func(t *testing.T, x float64) {
		want, werr := json.Marshal(x)
		got, err := appendJSONFloat(nil, x)
		if (err == nil) != (werr == nil) || !bytes.Equal(got, want) {
			t.Fatalf("appendJSONFloat(%v) = %s (%v), json.Marshal: %s (%v)", x, got, err, want, werr)
		}
	})
}
