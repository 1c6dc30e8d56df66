package env

import (
	"testing"
)

// TestConsecutiveInvalidToolCalls: an episode ends, reward 0, once the model
// has made max_consecutive_invalid_tool_calls invalid calls in a row,
// counted call by call in the order made; a call that runs resets the count,
// even when the tool then fails.
func TestConsecutiveInvalidToolCalls(t *testing.T) {
	te := newTestEnv(t, nil, nil)
	c := dial(t, te.url, SubprotocolJSON)
	id := calculatorTask(t, te)

	good := openAICall("", "calculator", `{"expression": "2+2"}`)
	toolFails := openAICall("", "calculator", `{"expression": "1/0"}`)
	unknown := openAICall("", "no_such_tool", `{}`)
	badJSON := openAICall("", "calculator", `{"expression": `)
	badSchema := openAICall("", "calculator", `{"expr": "1"}`)
	hermesBroken := "<tool_call>{not json</tool_call>"
	hermesGood := `<tool_call>{"name": "calculator", "arguments": {"expression": "3*3"}}</tool_call>`

	// The call that fails in the tool does fail there.
	probe := c.result(OpReset, map[string]any{"task_id": id})["episode"]
	r := c.result(OpStep, map[string]any{"episode": probe, "message": map[string]any{"role": "assistant", "tool_calls": []any{toolFails}}})
	if kind := r["info"].(map[string]any)["tool_calls"].([]any)[0].(map[string]any)["error"].(map[string]any)["kind"]; kind != "tool_error" {
		t.Fatalf("1/0 in the calculator: %v, want a tool_error", kind)
	}

	for _, tc := range []struct {
		name    string
		options map[string]any
		steps   [][]any // each step: its calls (maps) or one string (Hermes text)
		endAt   int     // the step (1-based) that ends the episode; 0: none does
	}{
		{"three unknown tools in three turns", map[string]any{"max_consecutive_invalid_tool_calls": 3},
			[][]any{{unknown}, {unknown}, {unknown}}, 3},
		{"a call that runs resets the count", map[string]any{"max_consecutive_invalid_tool_calls": 3},
			[][]any{{unknown}, {unknown}, {good}, {unknown}, {unknown}}, 0},
		{"a tool that fails is not the model's mistake", map[string]any{"max_consecutive_invalid_tool_calls": 3},
			[][]any{{unknown}, {unknown}, {toolFails}, {unknown}, {unknown}}, 0},
		{"calls of one turn count one by one", map[string]any{"max_consecutive_invalid_tool_calls": 3},
			[][]any{{unknown, badJSON, badSchema}}, 1},
		{"in the order made: the valid last call of a turn resets it", map[string]any{"max_consecutive_invalid_tool_calls": 3},
			[][]any{{unknown, unknown}, {unknown, good}, {unknown}}, 0},
		{"the valid first call of a turn does not save the rest", map[string]any{"max_consecutive_invalid_tool_calls": 3},
			[][]any{{unknown}, {good, unknown, unknown, unknown}}, 2},
		{"arguments that do not parse", map[string]any{"max_consecutive_invalid_tool_calls": 2},
			[][]any{{badJSON}, {badJSON}}, 2},
		{"arguments that break the schema", map[string]any{"max_consecutive_invalid_tool_calls": 2},
			[][]any{{badSchema}, {badSchema}}, 2},
		{"malformed Hermes blocks", map[string]any{"max_consecutive_invalid_tool_calls": 2, "tool_call_format": "hermes"},
			[][]any{{hermesBroken}, {hermesGood}, {hermesBroken}, {hermesBroken}}, 4},
		{"no limit by default", nil,
			[][]any{{unknown}, {unknown}, {unknown}, {unknown}, {unknown}}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reset := c.result(OpReset, map[string]any{"task_id": id, "options": tc.options})
			ep := reset["episode"]
			want := 0.0
			if tc.options != nil {
				want = float64(tc.options["max_consecutive_invalid_tool_calls"].(int))
			}
			if got, _ := reset["limits"].(map[string]any)["max_consecutive_invalid_tool_calls"].(float64); got != want {
				t.Fatalf("reset limits %v, want max_consecutive_invalid_tool_calls %v", reset["limits"], want)
			}
			for i, calls := range tc.steps {
				params := map[string]any{"episode": ep}
				if text, ok := calls[0].(string); ok {
					params["text"] = text
				} else {
					params["message"] = map[string]any{"role": "assistant", "tool_calls": calls}
				}
				r := c.result(OpStep, params)
				ended := i+1 == tc.endAt
				if r["done"] != ended {
					t.Fatalf("step %d: done %v, want %v: %v", i+1, r["done"], ended, r)
				}
				if ended {
					if r["reason"] != ReasonMaxConsecutiveInvalidToolCalls || r["reward"].(map[string]any)["score"] != 0.0 {
						t.Fatalf("step %d: reason %v, reward %v", i+1, r["reason"], r["reward"])
					}
					// The turn's calls were all answered first.
					if got := len(r["messages"].([]any)); got != len(calls) && calls[0] != hermesBroken {
						t.Fatalf("step %d: %d tool messages for %d calls", i+1, got, len(calls))
					}
				}
			}
		})
	}

	if code := errorCode(c.call(OpReset, map[string]any{"task_id": id, "options": map[string]any{"max_consecutive_invalid_tool_calls": -1}})); code != CodeBadRequest {
		t.Fatalf("a negative limit: %q", code)
	}
}

// TestConsecutiveInvalidToolCallsDefault: the server's default is in hello's
// limits and every episode's, and an episode's option wins over it.
func TestConsecutiveInvalidToolCallsDefault(t *testing.T) {
	te := newTestEnv(t, nil, func(ec *EngineConfig, sc *ServerConfig) { ec.MaxConsecutiveInvalidToolCalls = 2 })
	c := dial(t, te.url, SubprotocolMsgpack)
	hello := c.result(OpHello, map[string]any{})
	if got := hello["limits"].(map[string]any)["default_max_consecutive_invalid_tool_calls"]; got != 2.0 {
		t.Fatalf("hello limits: %v", hello["limits"])
	}
	unknown := map[string]any{"role": "assistant", "tool_calls": []any{openAICall("", "no_such_tool", `{}`)}}
	id := calculatorTask(t, te)
	for _, tc := range []struct {
		options map[string]any
		steps   int
	}{
		{nil, 2},
		{map[string]any{"max_consecutive_invalid_tool_calls": 4}, 4},
	} {
		ep := c.result(OpReset, map[string]any{"task_id": id, "options": tc.options})["episode"]
		for i := 1; i <= tc.steps; i++ {
			r := c.result(OpStep, map[string]any{"episode": ep, "message": unknown})
			if done := r["done"] == true; done != (i == tc.steps) || done && r["reason"] != ReasonMaxConsecutiveInvalidToolCalls {
				t.Fatalf("options %v, step %d: done %v, reason %v", tc.options, i, r["done"], r["reason"])
			}
		}
	}
}
