package reward

import (
	"math"
	"strings"
	"testing"
)

func TestWeights(t *testing.T) {
	correct := Result{Score: 1, Label: Correct, Components: map[string]float64{"correctness": 1, "answer_found": 1, "answer_tagged": 1}, Explanation: "ok"}
	untagged := Result{Score: 1, Label: Correct, Components: map[string]float64{"correctness": 1, "answer_found": 1, "answer_tagged": 0}, Explanation: "ok"}
	wrong := Result{Score: 0, Label: Incorrect, Components: map[string]float64{"correctness": 0, "answer_found": 1, "answer_tagged": 1}, Explanation: "no"}
	stats := EpisodeStats{Turns: 4, ToolCalls: 6, ToolErrors: 2}
	shaped, err := ParseWeights("correctness=0.8, format=0.2, tool_error=0.05, tool_call=0.01")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		w    Weights
		r    Result
		want float64
	}{
		{"default keeps the score", DefaultWeights(), correct, 1},
		{"default keeps partial", DefaultWeights(), Result{Score: 0.5, Label: Partial, Components: map[string]float64{"correctness": 0.5}}, 0.5},
		{"shaped correct", shaped, correct, 0.8 + 0.2 - 0.1 - 0.06},
		{"shaped untagged", shaped, untagged, 0.8 - 0.1 - 0.06},
		{"shaped wrong keeps the format credit", shaped, wrong, 0.2 - 0.1 - 0.06},
		{"penalties clamp at 0", Weights{Correctness: 1, ToolError: 1}, wrong, 0},
		{"failed scoring stays 0", shaped, Failed("judge", errBoom), 0},
	}
	for _, tc := range tests {
		got := tc.w.Apply(tc.r, stats)
		if math.Abs(got.Score-tc.want) > 1e-9 || got.Components["tool_errors"] != 2 || got.Components["turns"] != 4 || got.Components["tool_calls"] != 6 {
			t.Errorf("%s: %+v, want score %v", tc.name, got, tc.want)
		}
		if tc.w.Shaped() && tc.r.Label != ScoringFailed && !strings.Contains(got.Explanation, "clamped to [0, 1]") {
			t.Errorf("%s: the explanation does not show the sum: %q", tc.name, got.Explanation)
		}
	}
	if correct.Components["turns"] != 0 {
		t.Fatal("Apply changed its argument's components")
	}
	for _, bad := range []string{"speed=1", "format", "format=-1", "format=abc", "turn=NaN"} {
		if _, err := ParseWeights(bad); err == nil {
			t.Errorf("ParseWeights(%q) accepted", bad)
		}
	}
	if w, err := ParseWeights(""); err != nil || w.Shaped() {
		t.Errorf("empty weights: %+v %v", w, err)
	}
}

var errBoom = &JudgeError{Kind: "timeout", Attempts: 1, Err: errTest("boom")}

type errTest string

func (e errTest) Error() string { return string(e) }
